// The official Durable Streams client against the real Worker (wrangler dev) at /ds: an IdempotentProducer
// writes 10,000 JSON messages with batching and pipelining while readers tail the stream live over SSE and over
// long-poll, and one reader disconnects halfway and resumes from its saved offset. Every reader must see each
// message exactly once, in order. Then the same stream is read over /v1, as the topic it is.
import { DurableStream, IdempotentProducer, type JsonBatch, stream } from "@durable-streams/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalWorker, startLocalWorker } from "./support/local-worker.ts";

const MESSAGES = 10_000;
const RESUME_AFTER = 3_000;
const READ_TIMEOUT_MS = 90_000;

interface Message {
  readonly i: number;
}

let worker: LocalWorker;

beforeAll(async () => {
  worker = await startLocalWorker({ vars: { DS_LONG_POLL_TIMEOUT_MS: "2000" } });
});

afterAll(async () => {
  await worker?.stop();
});

/** Collects live JSON items from `offset` until `count` arrived (or `stopAfter`, then it disconnects). */
function tail(
  url: string,
  live: "sse" | "long-poll",
  offset: string,
  count: number,
  stopAfter = Number.POSITIVE_INFINITY,
): Promise<{ items: Message[]; offset: string }> {
  return new Promise((resolve, reject) => {
    const items: Message[] = [];
    const timer = setTimeout(
      () => reject(new Error(`${live} reader got ${items.length} of ${count} in time`)),
      READ_TIMEOUT_MS,
    );
    stream<Message>({ url, offset, live, json: true, warnOnHttp: false })
      .then((response) => {
        response.subscribeJson((batch: JsonBatch<Message>) => {
          items.push(...batch.items);
          if (items.length >= Math.min(count, stopAfter)) {
            clearTimeout(timer);
            response.cancel();
            // The batch's offset is where this reader's data ends: what a client saves to resume.
            resolve({ items, offset: batch.offset });
          }
        });
      })
      .catch((error: unknown) => {
        clearTimeout(timer);
        reject(error);
      });
  });
}

function expectExactlyOnceInOrder(items: readonly Message[]): void {
  expect(items.length).toBe(MESSAGES);
  items.forEach((item, index) => {
    if (item.i !== index) expect.fail(`item ${index} is ${JSON.stringify(item)}`);
  });
}

describe("@durable-streams/client against edgelog", () => {
  it("writes 10,000 messages idempotently and reads them live over SSE and long-poll, resuming after a disconnect", async () => {
    const url = `${worker.url}/ds/e2e/client-${Date.now()}`;
    const handle = await DurableStream.create({ url, contentType: "application/json" });

    const sse = tail(url, "sse", "-1", MESSAGES);
    const longPoll = tail(url, "long-poll", "-1", MESSAGES);
    const firstHalf = tail(url, "long-poll", "-1", MESSAGES, RESUME_AFTER);

    const errors: Error[] = [];
    // Small batches and several in flight, so pipelining (and the server's per-producer ordering) is exercised.
    const producer = new IdempotentProducer(handle, "e2e-producer", {
      lingerMs: 2,
      maxBatchBytes: 8 * 1024,
      maxInFlight: 5,
      onError: (error) => errors.push(error),
    });
    for (let i = 0; i < MESSAGES; i++) producer.append(JSON.stringify({ i }));

    // The disconnected reader resumes from its saved offset while the producer may still be writing.
    const first = await firstHalf;
    expect(first.items.length).toBeGreaterThanOrEqual(RESUME_AFTER);
    const rest = await tail(url, "long-poll", first.offset, MESSAGES - first.items.length);

    await producer.flush();
    expect(errors).toEqual([]);

    expectExactlyOnceInOrder((await sse).items);
    expectExactlyOnceInOrder((await longPoll).items);
    expectExactlyOnceInOrder([...first.items, ...rest.items]);

    // Catch-up agrees, and the stream is an ordinary one-partition topic of /v1 with one record per message.
    const all = await stream<Message>({ url, offset: "-1", live: false, json: true, warnOnHttp: false });
    expectExactlyOnceInOrder(await all.json());
    const topic = url.slice(`${worker.url}/ds/`.length).replaceAll("/", "_2F");
    const described = await fetch(`${worker.url}/v1/topics/_${topic}`);
    expect(described.status).toBe(200);
    const body = (await described.json()) as { partitions: { highWatermark: number }[] };
    expect(body.partitions).toEqual([expect.objectContaining({ highWatermark: MESSAGES })]);
    const fetched = await fetch(`${worker.url}/v1/topics/_${topic}/partitions/0/records?offset=4321&limit=1`);
    expect(((await fetched.json()) as { records: { value: unknown }[] }).records[0]?.value).toEqual({
      i: 4321,
    });

    await producer.close();
    const head = await DurableStream.head({ url });
    expect(head).toEqual(expect.objectContaining({ exists: true }));
  });
});
