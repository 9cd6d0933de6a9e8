/**
 * @module
 * A Worker that uses edgelog through its Workers binding: `POST /orders` produces an order with an idempotent
 * producer stamp (a retried request is answered, not appended twice), `GET /orders?offset=N` reads them, and the
 * topic is created on first use. Errors arrive as `EdgeLogError`s with their `code` thanks to `withEdgeLogErrors`.
 */
import { type EdgeLogError, isEdgeLogError, withEdgeLogErrors } from "@edgelog/core";
// Type-only: the binding's types, nothing of edgelog is bundled into this Worker.
import type { EdgeLogService } from "@edgelog/durable-objects";

interface Env {
  readonly EDGELOG: Service<EdgeLogService>;
}

const TOPIC = "orders";
const PARTITIONS = 3;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const log = withEdgeLogErrors(env.EDGELOG);
    const url = new URL(request.url);
    try {
      if (url.pathname === "/orders" && request.method === "POST") {
        const order = (await request.json()) as { id?: unknown; total?: unknown };
        if (typeof order.id !== "string" || order.id === "")
          return Response.json({ error: "id?" }, { status: 400 });
        // One producer id per order, sequence 0: a client retrying this request sends the same stamp, and
        // edgelog answers the first append (`duplicate: true`) instead of writing the order twice.
        const producer = { id: `order-${order.id}`, epoch: 0, sequences: firstSequences() };
        const send = () => log.send(TOPIC, [{ key: order.id as string, value: order }], { producer });
        const result = await send().catch(async (error: unknown) => {
          if (!isCode(error, "UNKNOWN_TOPIC_OR_PARTITION")) throw error;
          await ensureTopic(log);
          return send();
        });
        return Response.json(result);
      }
      if (url.pathname === "/orders" && request.method === "GET") {
        const offset = Number(url.searchParams.get("offset") ?? 0);
        const partition = Number(url.searchParams.get("partition") ?? 0);
        return Response.json(await log.fetchRecords(TOPIC, partition, { offset, limit: 100 }));
      }
      return new Response("checkout: POST /orders, GET /orders?partition=P&offset=N", { status: 404 });
    } catch (error) {
      // A refused call keeps its code: 404 for a topic that is not there yet, 400 for bad input, and so on.
      if (isEdgeLogError(error)) {
        const status = error.code === "UNKNOWN_TOPIC_OR_PARTITION" ? 404 : error.retriable ? 503 : 400;
        return Response.json({ error: { code: error.code, message: error.message } }, { status });
      }
      throw error;
    }
  },
} satisfies ExportedHandler<Env>;

/**
 * Base sequence 0 on every partition: the order's key picks the partition, and a fresh producer id (one per
 * order) starts at 0 wherever it lands. Its state lasts as long as the records it guards (retention).
 */
function firstSequences(): Record<number, number> {
  return Object.fromEntries(Array.from({ length: PARTITIONS }, (_, partition) => [partition, 0]));
}

/** Creates the topic; another request creating it at the same moment is just as good. */
async function ensureTopic(log: Service<EdgeLogService>): Promise<void> {
  await log.createTopic({ name: TOPIC, partitions: PARTITIONS }).catch((error: unknown) => {
    if (!isCode(error, "TOPIC_ALREADY_EXISTS")) throw error;
  });
}

function isCode(error: unknown, code: EdgeLogError["code"]): boolean {
  return isEdgeLogError(error) && error.code === code;
}
