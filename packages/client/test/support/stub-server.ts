/**
 * @module
 * A stand-in for the Worker's HTTP API over a `MemoryStore`: just the endpoints `HttpLogStore` calls, shaped as
 * apps/worker/README.md says, so the client's behaviour is tested without the real app. The same round-trip
 * suite runs against the real app when it exists (worker-app.test.ts); both must pass it.
 */
import {
  decodeBatch,
  EdgeLogError,
  httpStatusFor,
  isEdgeLogError,
  type LogStore,
  type MemoryStore,
  resolveTopicConfig,
  type TopicMetadata,
} from "@edgelog/core";
import { encodeFrames } from "../../src/frames.ts";

const json = (body: unknown, status = 200, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

async function describeTopic(store: LogStore, topic: TopicMetadata) {
  const partitions = [];
  for (let partition = 0; partition < topic.partitions; partition++) {
    partitions.push({
      partition,
      ...(await store.offsets({ topic: topic.name, partition })),
      region: "test",
    });
  }
  return { name: topic.name, topicId: topic.topicId, config: topic.config, partitions };
}

/** A `fetch` answering edgelog's API from `store`. */
export function stubServer(store: MemoryStore): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    try {
      return await route(store, request);
    } catch (error) {
      const e = isEdgeLogError(error) ? error : new EdgeLogError("UNKNOWN_SERVER_ERROR", String(error));
      return json({ error: e.toJSON() }, httpStatusFor(e.code));
    }
  };
}

async function route(store: MemoryStore, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const parts = url.pathname.split("/").slice(1).map(decodeURIComponent);
  const method = request.method;
  if (parts[0] !== "v1" || parts[1] !== "topics") throw new EdgeLogError("NOT_FOUND", "no such route");
  const name = parts[2];
  if (name === undefined) {
    if (method === "GET") return json({ topics: await store.listTopics() });
    const body = (await request.json()) as {
      name: string;
      partitions?: number;
      config?: Record<string, unknown>;
    };
    const topic = await store.createTopic({
      name: body.name,
      partitions: body.partitions ?? 1,
      config: resolveTopicConfig(body.config),
    });
    return json(topic, 201);
  }
  if (parts.length === 3) {
    if (method === "DELETE") {
      await store.deleteTopic(name);
      return new Response(null, { status: 204 });
    }
    const topic = await store.getTopic(name);
    if (topic === null)
      throw new EdgeLogError("UNKNOWN_TOPIC_OR_PARTITION", `no topic ${name}`, { context: { topic: name } });
    return json(await describeTopic(store, topic));
  }
  if (parts.length === 4 && method === "POST") {
    const { count } = (await request.json()) as { count: number };
    return json(await describeTopic(store, await store.createPartitions(name, count)));
  }
  const tp = { topic: name, partition: Number(parts[4]) };
  const action = parts[5];
  if (action === "batches" && method === "POST") {
    return json(await store.append(tp, new Uint8Array(await request.arrayBuffer())));
  }
  if (action === "batches") {
    const wait = Number(url.searchParams.get("wait") ?? 0);
    const result = await store.read(tp, {
      offset: Number(url.searchParams.get("offset")),
      maxBytes: Number(url.searchParams.get("maxBytes") ?? 1024 * 1024),
      maxWaitMs: wait,
      signal: request.signal,
    });
    return new Response(encodeFrames(result.batches), {
      headers: {
        "content-type": "application/vnd.edgelog.batches",
        "edgelog-high-watermark": String(result.highWatermark),
        "edgelog-log-start-offset": String(result.logStartOffset),
      },
    });
  }
  if (action === "offsets") {
    const timestamp = url.searchParams.get("timestamp");
    if (timestamp === null) return json(await store.offsets(tp));
    const offset = await store.offsetForTimestamp(tp, Number(timestamp));
    return json({ offset: offset ?? (await store.offsets(tp)).highWatermark, found: offset !== null });
  }
  if (action === "delete-records") {
    const { beforeOffset } = (await request.json()) as { beforeOffset: number };
    const target = beforeOffset === -1 ? (await store.offsets(tp)).highWatermark : beforeOffset;
    return json(await store.deleteRecords(tp, target));
  }
  if (action === "records" && request.headers.get("accept") === "text/event-stream")
    return sse(store, tp, url, request);
  throw new EdgeLogError("NOT_FOUND", "no such route");
}

/** The SSE live tail, rendering values as base64 as `?valueFormat=base64` asks. */
async function sse(
  store: MemoryStore,
  tp: { topic: string; partition: number },
  url: URL,
  request: Request,
): Promise<Response> {
  const bounds = await store.offsets(tp);
  const from = request.headers.get("last-event-id") ?? url.searchParams.get("offset") ?? "latest";
  let offset =
    from === "latest" ? bounds.highWatermark : from === "earliest" ? bounds.logStartOffset : Number(from);
  const encoder = new TextEncoder();
  const text = (bytes: Uint8Array | null) => (bytes === null ? null : new TextDecoder().decode(bytes));
  const stop = new AbortController();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const result = await store.read(tp, { offset, maxWaitMs: 60_000, signal: stop.signal });
        const records = result.batches.flatMap((batch) =>
          decodeBatch(batch.payload)
            .records.map((record, i) => ({
              offset: batch.baseOffset + i,
              key: text(record.key),
              value: record.value === null ? null : btoa(String.fromCharCode(...record.value)),
              headers: Object.fromEntries(record.headers.map((h) => [h.key, text(h.value)])),
              timestamp: record.timestamp,
            }))
            .filter((r) => r.offset >= offset),
        );
        if (records.length === 0) return;
        offset = (records.at(-1)?.offset ?? offset) + 1;
        const data = JSON.stringify({ records, nextOffset: offset, highWatermark: result.highWatermark });
        controller.enqueue(
          encoder.encode(`: keep-alive\r\nevent: records\r\nid: ${offset}\r\ndata: ${data}\r\n\r\n`),
        );
      } catch {
        controller.close();
      }
    },
    cancel() {
      stop.abort();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}
