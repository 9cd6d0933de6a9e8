/**
 * The Queues consumer baseline of the share-group benchmark (apps/worker/bench/share-groups.ts), run by
 * `wrangler dev`: a Worker with a producer binding and a consumer of the same miniflare queue.
 *   - `POST /fill` `{ count, valueBytes, delaySeconds }`: `sendBatch` of 100 at a time, every message delayed, so
 *     they all become deliverable together — a backlog, as the share group's consumers find one.
 *   - the `queue()` handler acks each message (Queues' per-message acknowledgement) and notes when it was handled.
 *   - `GET /stats` → `{ consumed, firstMs, firstBatch, lastMs }`; `POST /reset` clears them.
 * One isolate serves both in `wrangler dev`, so the counters are plain module state.
 */
interface Env {
  QUEUE: Queue<unknown>;
}

const MAX_BATCH = 100;
let consumed = 0;
/** When the first batch was handled, and how many it held (workerd's clock moves between batches, not within). */
let firstMs = 0;
let firstBatch = 0;
let lastMs = 0;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health") return new Response("ok");
    if (url.pathname === "/stats") return Response.json({ consumed, firstMs, firstBatch, lastMs });
    if (request.method === "POST" && url.pathname === "/reset") {
      consumed = 0;
      firstMs = 0;
      firstBatch = 0;
      lastMs = 0;
      return Response.json({ ok: true });
    }
    if (request.method === "POST" && url.pathname === "/fill") {
      const { count, valueBytes, delaySeconds } = (await request.json()) as {
        count: number;
        valueBytes: number;
        delaySeconds: number;
      };
      const value = "x".repeat(valueBytes);
      for (let from = 0; from < count; from += MAX_BATCH) {
        const size = Math.min(MAX_BATCH, count - from);
        await env.QUEUE.sendBatch(
          Array.from({ length: size }, () => ({ body: { value } })),
          { delaySeconds },
        );
      }
      return Response.json({ sent: count });
    }
    return new Response("not found", { status: 404 });
  },

  async queue(batch: MessageBatch<unknown>): Promise<void> {
    for (const message of batch.messages) message.ack();
    consumed += batch.messages.length;
    lastMs = Date.now();
    if (firstMs === 0) {
      firstMs = lastMs;
      firstBatch = batch.messages.length;
    }
  },
};
