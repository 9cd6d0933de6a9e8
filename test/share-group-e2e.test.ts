/**
 * Share groups end to end: the real Worker (`wrangler dev`, each share group coordinated by its ShareGroupObject)
 * and share consumers built with `@edgelog/client`, each with its own connection. Three consumers work one queue
 * while a producer writes to it: every record is handled, each accepted once; a record every handler fails lands in
 * the dead-letter topic with its error; and a member that vanishes holding records loses them to the others when
 * their locks run out — its object's alarm and the waiting fetches see to it, with no request from the vanished.
 */
import { createClient, HttpLogStore } from "@edgelog/client";
import { DEAD_LETTER_HEADERS, type ShareConsumer } from "@edgelog/core";
import { readAll } from "@edgelog/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalWorker, startLocalWorker } from "./support/local-worker.ts";

describe("share groups against the local Worker", () => {
  let worker: LocalWorker;
  const consumers: ShareConsumer[] = [];

  beforeAll(async () => {
    worker = await startLocalWorker();
  }, 120_000);

  afterAll(async () => {
    for (const consumer of consumers) await consumer.stop().catch(() => undefined);
    await worker?.stop();
  });

  it("shares a queue among consumers, dead-letters a poison record, and takes back a vanished member's records", async () => {
    const log = createClient({ url: worker.url });
    const admin = log.admin();
    await admin.createTopics({
      topics: [
        { topic: "e2e-jobs", numPartitions: 2 },
        { topic: "e2e-jobs.dlq", numPartitions: 1 },
      ],
    });
    await admin.alterShareGroupConfig("e2e-workers", {
      "share.auto.offset.reset": "earliest",
      "share.record.lock.duration.ms": 1_000,
      "share.delivery.count.limit": 2,
      "errors.deadletterqueue.topic.name": "e2e-jobs.dlq",
    });
    // A member that takes records and vanishes: it never acknowledges, never closes its session.
    await log.producer().send({ topic: "e2e-jobs", messages: [{ value: "held-0" }, { value: "held-1" }] });
    const vanished = new HttpLogStore({ url: worker.url });
    const held = await vanished.shareFetch("e2e-workers", {
      memberId: "vanished",
      sessionEpoch: 0,
      topics: ["e2e-jobs"],
      maxRecords: 10,
    });
    expect(held.partitions.flatMap((p) => p.acquired)).not.toEqual([]);
    await vanished.close();

    const handled = new Map<string, number>();
    for (let i = 0; i < 3; i++) {
      const consumer = log.shareConsumer({ groupId: "e2e-workers", maxWaitTimeInMs: 2_000, maxRecords: 4 });
      consumers.push(consumer);
      await consumer.subscribe({ topics: ["e2e-jobs"] });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const value = String(message.value);
          if (value === "poison") throw new Error("cannot parse poison");
          handled.set(value, (handled.get(value) ?? 0) + 1);
        },
      });
    }
    const values = Array.from({ length: 30 }, (_, i) => `v${i}`);
    for (let i = 0; i < values.length; i += 10) {
      await log.producer().send({
        topic: "e2e-jobs",
        messages: values.slice(i, i + 10).map((value) => ({ key: value, value })),
      });
    }
    await log.producer().send({ topic: "e2e-jobs", messages: [{ value: "poison" }] });

    const expected = [...values, "held-0", "held-1"];
    const dlq = new HttpLogStore({ url: worker.url });
    const deadline = Date.now() + 60_000;
    let copies = 0;
    while (Date.now() < deadline) {
      copies = (await dlq.offsets({ topic: "e2e-jobs.dlq", partition: 0 })).highWatermark;
      if (copies >= 1 && expected.every((v) => handled.has(v))) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect([...handled.keys()].sort()).toEqual([...expected].sort());
    // At least once: a record is handled again only if its lock ran out first (none should here but the held two).
    expect(values.every((v) => handled.get(v) === 1)).toBe(true);
    const [copy] = await readAll(dlq, { topic: "e2e-jobs.dlq", partition: 0 });
    const header = (key: string) =>
      new TextDecoder().decode(copy?.headers.find((h) => h.key === key)?.value ?? new Uint8Array());
    expect(new TextDecoder().decode(copy?.value ?? new Uint8Array())).toBe("poison");
    expect(header(DEAD_LETTER_HEADERS.outcome)).toBe("failed");
    expect(header(DEAD_LETTER_HEADERS.error)).toBe("cannot parse poison");
    await dlq.close();
  });
});
