/**
 * End to end across the edge: the real Worker started locally with `wrangler dev` (Durable Objects in workerd,
 * as `npm start` runs it), driven by `@edgelog/client` with the same EdgeLog API as the core. 10,000 keyed records
 * go out over several partitions; a consumer reads them all back in per-partition and per-key order, exactly once.
 */
import { createClient } from "@edgelog/client";
import { type EdgeLog, isEdgeLogError, type KafkaMessage } from "@edgelog/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectExactlyOnceInOrder, keyedMessages, waitFor } from "./support/keyed-workload.ts";
import { type LocalWorker, startLocalWorker } from "./support/local-worker.ts";

const PARTITIONS = 4;
const KEYS = 200;
const RECORDS = 10_000;

describe("the local Worker driven by @edgelog/client", () => {
  let worker: LocalWorker;
  let log: EdgeLog;

  beforeAll(async () => {
    worker = await startLocalWorker();
    log = createClient({ url: worker.url });
  }, 120_000);

  afterAll(async () => {
    await log?.close();
    await worker?.stop();
  });

  it("produces 10,000 keyed records over several partitions and consumes them back in order", async () => {
    await log.admin().createTopics({ topics: [{ topic: "orders", numPartitions: PARTITIONS }] });
    const producer = log.producer({ lingerMs: 5 });
    const sends = [];
    for (let start = 0; start < RECORDS; start += 500) {
      const messages = keyedMessages(start, 500, KEYS);
      sends.push(producer.send({ topic: "orders", messages }));
    }
    await Promise.all(sends);
    await producer.disconnect();

    const received: { partition: number; message: KafkaMessage }[] = [];
    const consumer = log.consumer({ maxWaitTimeInMs: 500 });
    await consumer.subscribe({ topics: ["orders"], fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: PARTITIONS,
      eachMessage: async ({ partition, message }) => {
        received.push({ partition, message });
      },
    });
    await waitFor(() => received.length >= RECORDS, 60_000);
    await consumer.stop();
    expectExactlyOnceInOrder(received, { records: RECORDS, partitions: PARTITIONS });

    const offsets = await log.admin().fetchTopicOffsets("orders");
    expect(offsets.reduce((sum, p) => sum + p.high, 0)).toBe(RECORDS);
  }, 120_000);

  it("answers bad input over HTTP with coded JSON errors, never a 500", async () => {
    const cases: [string, RequestInit, number, string][] = [
      [
        "/v1/topics",
        { method: "POST", body: "{not json", headers: { "content-type": "application/json" } },
        400,
        "INVALID_REQUEST",
      ],
      [
        "/v1/topics",
        {
          method: "POST",
          body: JSON.stringify({ name: "a/b" }),
          headers: { "content-type": "application/json" },
        },
        400,
        "INVALID_TOPIC",
      ],
      ["/v1/topics/orders/partitions/99/records", {}, 404, "UNKNOWN_TOPIC_OR_PARTITION"],
      ["/v1/topics/orders/partitions/0/records?offset=999999999", {}, 416, "OFFSET_OUT_OF_RANGE"],
      ["/v1/no-such-route", {}, 404, "NOT_FOUND"],
    ];
    for (const [path, init, status, code] of cases) {
      const response = await fetch(`${worker.url}${path}`, init);
      expect(response.status, path).toBe(status);
      const body = (await response.json()) as { error: { code: string } };
      expect(body.error.code, path).toBe(code);
    }
    await expect(log.admin().describeTopic("missing")).rejects.toSatisfy(
      (e: unknown) => isEdgeLogError(e) && e.code === "UNKNOWN_TOPIC_OR_PARTITION",
    );
  });
});
