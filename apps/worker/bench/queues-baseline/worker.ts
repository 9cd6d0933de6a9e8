/**
 * The Cloudflare Queues baseline: a bare Worker with a queue producer binding, run by `wrangler dev` (the queue
 * is miniflare's). It takes edgelog's JSON produce body and enqueues each record as one message:
 *   - `POST /send`: `send()` one record at a time, awaited in turn;
 *   - `POST /send-batch`: `sendBatch()` in chunks of 100 (Queues' maximum batch), awaited in turn.
 * Produce throughput only: Queues has no read by offset to compare a catch-up read with.
 */
interface Env {
  QUEUE: Queue<unknown>;
}

const MAX_BATCH = 100;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health") return new Response("ok");
    if (request.method !== "POST") return new Response("not found", { status: 404 });
    const { records } = (await request.json()) as { records: unknown[] };
    if (url.pathname === "/send") {
      for (const record of records) await env.QUEUE.send(record);
      return Response.json({ sent: records.length });
    }
    if (url.pathname === "/send-batch") {
      for (let from = 0; from < records.length; from += MAX_BATCH) {
        await env.QUEUE.sendBatch(records.slice(from, from + MAX_BATCH).map((body) => ({ body })));
      }
      return Response.json({ sent: records.length });
    }
    return new Response("not found", { status: 404 });
  },
};
