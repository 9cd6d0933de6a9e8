/**
 * `Producer` over the memory store (and a flaky wrapper of it): partitioning, `RecordMetadata`, batching
 * (same tick, byte budget, linger), validation without side effects, the idempotent stamp, retries of lost
 * responses without duplicates, epoch recovery, and disconnect.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  createRoundRobinPartitioner,
  decodeText,
  EdgeLog,
  type LogStore,
  MemoryStore,
  type Message,
  partitionForKey,
  type TopicPartition,
} from "../src/index.ts";
import { readBatchHeader } from "../src/store-kit/index.ts";
import { expectEdgeLogError, readAll } from "../src/testing/index.ts";
import { FlakyStore } from "./support/flaky-store.ts";

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const FAST_RETRY = { retries: 3, initialRetryTime: 1, maxRetryTime: 5 };

/** Every stored value of a partition, in offset order, as text. */
async function values(store: LogStore, tp: TopicPartition): Promise<(string | null)[]> {
  return (await readAll(store, tp)).map((r) => decodeText(r.value));
}

/** The header of every stored batch of a partition, in offset order. */
async function batchHeaders(store: LogStore, tp: TopicPartition) {
  const { logStartOffset, highWatermark } = await store.offsets(tp);
  if (logStartOffset === highWatermark) return [];
  const { batches } = await store.read(tp, { offset: logStartOffset, maxBytes: Number.MAX_SAFE_INTEGER });
  return batches.map((b) => ({ baseOffset: b.baseOffset, ...readBatchHeader(b.payload) }));
}

async function totalRecords(store: LogStore, topic: string): Promise<number> {
  const metadata = await store.getTopic(topic);
  let total = 0;
  for (let partition = 0; partition < (metadata?.partitions ?? 0); partition++) {
    total += (await store.offsets({ topic, partition })).highWatermark;
  }
  return total;
}

const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("Producer", () => {
  let store: MemoryStore;
  let log: EdgeLog;

  beforeEach(async () => {
    store = new MemoryStore();
    log = new EdgeLog({ store });
    await log.admin().createTopics({
      topics: [
        { topic: "t", numPartitions: 3 },
        { topic: "one", numPartitions: 1 },
        { topic: "small", numPartitions: 1, configEntries: [{ name: "max.message.bytes", value: "1024" }] },
      ],
    });
  });

  afterEach(async () => {
    await store.close();
  });

  describe("partitioning", () => {
    it("sends keyed messages to partitionForKey(utf8(key)) and keeps each key's order", async () => {
      const producer = log.producer();
      const keys = Array.from({ length: 40 }, (_, i) => `user-${i}`);
      const messages: Message[] = [];
      for (let round = 0; round < 5; round++) {
        for (const key of keys) messages.push({ key, value: `${key}:${round}` });
      }
      await producer.send({ topic: "t", messages: messages.slice(0, 100) });
      await producer.send({ topic: "t", messages: messages.slice(100) });

      const seen = new Map<string, number[]>();
      const partitionsUsed = new Set<number>();
      for (let partition = 0; partition < 3; partition++) {
        for (const record of await readAll(store, { topic: "t", partition })) {
          const key = decodeText(record.key) ?? "";
          expect(partition).toBe(partitionForKey(utf8(key), 3));
          partitionsUsed.add(partition);
          const [, round] = (decodeText(record.value) ?? "").split(":");
          seen.set(key, [...(seen.get(key) ?? []), Number(round)]);
        }
      }
      expect(partitionsUsed.size).toBe(3);
      expect(seen.size).toBe(40);
      for (const rounds of seen.values()) expect(rounds).toEqual([0, 1, 2, 3, 4]);
    });

    it("keys bytes and strings alike: a Uint8Array key goes where its UTF-8 string goes", async () => {
      const producer = log.producer();
      const [fromString] = await producer.send({ topic: "t", messages: [{ key: "ключ-7", value: "a" }] });
      const [fromBytes] = await producer.send({
        topic: "t",
        messages: [{ key: utf8("ключ-7"), value: "b" }],
      });
      expect(fromString?.partition).toBe(partitionForKey(utf8("ключ-7"), 3));
      expect(fromBytes?.partition).toBe(fromString?.partition);
    });

    it("lets an explicit partition win over the key", async () => {
      const producer = log.producer();
      const natural = partitionForKey(utf8("k"), 3);
      const explicit = (natural + 1) % 3;
      const [metadata] = await producer.send({
        topic: "t",
        messages: [{ key: "k", value: "v", partition: explicit }],
      });
      expect(metadata?.partition).toBe(explicit);
      expect(await values(store, { topic: "t", partition: explicit })).toEqual(["v"]);
      expect(await values(store, { topic: "t", partition: natural })).toEqual([]);
    });

    it.each([-1, 3, 1.5, Number.NaN, "1"])(
      "refuses explicit partition %s with UNKNOWN_TOPIC_OR_PARTITION and writes nothing of the send",
      async (partition) => {
        const producer = log.producer();
        await expectEdgeLogError(
          producer.send({
            topic: "t",
            messages: [
              { value: "fine", partition: 0 },
              { value: "bad", partition: partition as number },
            ],
          }),
          "UNKNOWN_TOPIC_OR_PARTITION",
        );
        await producer.flush();
        expect(await totalRecords(store, "t")).toBe(0);
      },
    );

    it("spreads keyless messages over partitions (sticky per 16 KiB by default)", async () => {
      const producer = log.producer();
      const big = "x".repeat(1024);
      for (let i = 0; i < 10; i++) {
        await producer.send({ topic: "t", messages: Array.from({ length: 10 }, () => ({ value: big })) });
      }
      const counts = await Promise.all([0, 1, 2].map((p) => store.offsets({ topic: "t", partition: p })));
      expect(counts.reduce((sum, c) => sum + c.highWatermark, 0)).toBe(100);
      expect(counts.filter((c) => c.highWatermark > 0).length).toBeGreaterThan(1);
    });

    it("round-robins keyless messages with the round-robin partitioner", async () => {
      const producer = log.producer({ createPartitioner: createRoundRobinPartitioner({ random: () => 0 }) });
      const metadata = await producer.send({
        topic: "t",
        messages: Array.from({ length: 7 }, (_, i) => ({ value: `v${i}`, key: null })),
      });
      expect(metadata.map((m) => [m.partition, m.baseOffset, m.lastOffset])).toEqual([
        [0, 0, 2],
        [1, 0, 1],
        [2, 0, 1],
      ]);
      expect(await values(store, { topic: "t", partition: 0 })).toEqual(["v0", "v3", "v6"]);
      expect(await values(store, { topic: "t", partition: 1 })).toEqual(["v1", "v4"]);
    });
  });

  describe("RecordMetadata", () => {
    it("reports one entry per partition, with the send's consecutive first and last offsets", async () => {
      const producer = log.producer();
      await producer.send({
        topic: "t",
        messages: [
          { value: "old0", partition: 0 },
          { value: "old1", partition: 0 },
        ],
      });
      const before = Date.now();
      const metadata = await producer.send({
        topic: "t",
        messages: [
          { value: "a", partition: 0 },
          { value: "b", partition: 2 },
          { value: "c", partition: 0 },
          { value: "d", partition: 0 },
        ],
      });
      const sorted = [...metadata].sort((a, b) => a.partition - b.partition);
      expect(sorted).toEqual([
        {
          topicName: "t",
          partition: 0,
          errorCode: 0,
          baseOffset: 2,
          lastOffset: 4,
          logAppendTime: expect.any(Number),
          logStartOffset: 0,
        },
        {
          topicName: "t",
          partition: 2,
          errorCode: 0,
          baseOffset: 0,
          lastOffset: 0,
          logAppendTime: expect.any(Number),
          logStartOffset: 0,
        },
      ]);
      expect(sorted[0]?.logAppendTime).toBeGreaterThanOrEqual(before);
      expect(await values(store, { topic: "t", partition: 0 })).toEqual(["old0", "old1", "a", "c", "d"]);
    });

    it("stores keys, tombstones, headers (both forms, in order) and timestamps as sent", async () => {
      const producer = log.producer();
      await producer.send({
        topic: "one",
        messages: [
          { key: "k", value: null, timestamp: "1700000000123", headers: { a: "1", b: ["2", utf8("3")] } },
          {
            key: null,
            value: "v",
            timestamp: 1_700_000_000_000,
            headers: [
              { key: "z", value: null },
              { key: "z", value: "again" },
            ],
          },
        ],
      });
      const [first, second] = await readAll(store, { topic: "one", partition: 0 });
      expect(decodeText(first?.key ?? null)).toBe("k");
      expect(first?.value).toBeNull();
      expect(first?.timestamp).toBe(1_700_000_000_123);
      expect(first?.headers.map((h) => [h.key, decodeText(h.value)])).toEqual([
        ["a", "1"],
        ["b", "2"],
        ["b", "3"],
      ]);
      expect(second?.key).toBeNull();
      expect(second?.timestamp).toBe(1_700_000_000_000);
      expect(second?.headers.map((h) => [h.key, decodeText(h.value)])).toEqual([
        ["z", null],
        ["z", "again"],
      ]);
    });
  });

  describe("batching", () => {
    it("coalesces sends issued in the same tick into one stored batch", async () => {
      const producer = log.producer();
      const results = await Promise.all([
        producer.send({ topic: "one", messages: [{ value: "a" }, { value: "b" }] }),
        producer.send({ topic: "one", messages: [{ value: "c" }, { value: "d" }, { value: "e" }] }),
        producer.sendBatch({ topicMessages: [{ topic: "one", messages: [{ value: "f" }] }] }),
      ]);
      expect(results.map(([m]) => [m?.baseOffset, m?.lastOffset])).toEqual([
        [0, 1],
        [2, 4],
        [5, 5],
      ]);
      const batches = await store.listBatches({ topic: "one", partition: 0 });
      expect(batches.map((b) => [b.baseOffset, b.recordCount])).toEqual([[0, 6]]);
      expect(await values(store, { topic: "one", partition: 0 })).toEqual(["a", "b", "c", "d", "e", "f"]);
    });

    it("sends awaited one after the other go out as separate batches (lingerMs 0)", async () => {
      const producer = log.producer();
      await producer.send({ topic: "one", messages: [{ value: "a" }] });
      await producer.send({ topic: "one", messages: [{ value: "b" }] });
      expect(await store.listBatches({ topic: "one", partition: 0 })).toHaveLength(2);
    });

    it("with lingerMs > 0 coalesces sends made across ticks", async () => {
      const producer = log.producer({ lingerMs: 50 });
      const first = producer.send({ topic: "one", messages: [{ value: "a" }] });
      await tick(5);
      const second = producer.send({ topic: "one", messages: [{ value: "b" }] });
      await tick(5);
      const third = producer.send({ topic: "one", messages: [{ value: "c" }] });
      const [[a], [b], [c]] = await Promise.all([first, second, third]);
      expect([a?.baseOffset, b?.baseOffset, c?.baseOffset]).toEqual([0, 1, 2]);
      const batches = await store.listBatches({ topic: "one", partition: 0 });
      expect(batches.map((x) => x.recordCount)).toEqual([3]);
    });

    it("splits a send larger than maxBatchBytes into several batches, in order, each within the budget", async () => {
      const maxBatchBytes = 300;
      const producer = log.producer({ maxBatchBytes });
      const messages = Array.from({ length: 40 }, (_, i) => ({
        value: `value-${String(i).padStart(3, "0")}`,
      }));
      const [metadata] = await producer.send({ topic: "one", messages });
      expect(metadata).toMatchObject({ baseOffset: 0, lastOffset: 39 });
      const batches = await store.listBatches({ topic: "one", partition: 0 });
      expect(batches.length).toBeGreaterThan(2);
      for (const batch of batches) expect(batch.sizeBytes).toBeLessThanOrEqual(maxBatchBytes);
      expect(batches.reduce((sum, b) => sum + b.recordCount, 0)).toBe(40);
      expect(await values(store, { topic: "one", partition: 0 })).toEqual(messages.map((m) => m.value));
    });

    it("reports the right offsets to each of several sends split across batches", async () => {
      const producer = log.producer({ maxBatchBytes: 200 });
      const sends = [0, 1, 2, 3].map((s) =>
        producer.send({
          topic: "one",
          messages: Array.from({ length: 9 }, (_, i) => ({ value: `s${s}-${i}-padding` })),
        }),
      );
      const results = await Promise.all(sends);
      expect(results.map(([m]) => [m?.baseOffset, m?.lastOffset])).toEqual([
        [0, 8],
        [9, 17],
        [18, 26],
        [27, 35],
      ]);
      const stored = await values(store, { topic: "one", partition: 0 });
      expect(stored.slice(9, 18)).toEqual(Array.from({ length: 9 }, (_, i) => `s1-${i}-padding`));
    });

    it("sends a record bigger than maxBatchBytes (but within max.message.bytes) in a batch of its own", async () => {
      const producer = log.producer({ maxBatchBytes: 100 });
      const [metadata] = await producer.send({
        topic: "one",
        messages: [{ value: "small" }, { value: "y".repeat(500) }, { value: "after" }],
      });
      expect(metadata).toMatchObject({ baseOffset: 0, lastOffset: 2 });
      const batches = await store.listBatches({ topic: "one", partition: 0 });
      expect(batches.map((b) => b.recordCount)).toEqual([1, 1, 1]);
      expect(await values(store, { topic: "one", partition: 0 })).toEqual([
        "small",
        "y".repeat(500),
        "after",
      ]);
    });

    it("flush() resolves once everything lingering is stored", async () => {
      const producer = log.producer({ lingerMs: 10_000 });
      const sent = producer.send({ topic: "one", messages: [{ value: "a" }] });
      await tick();
      expect((await store.offsets({ topic: "one", partition: 0 })).highWatermark).toBe(0);
      await producer.flush();
      expect((await store.offsets({ topic: "one", partition: 0 })).highWatermark).toBe(1);
      await sent;
    });
  });

  describe("validation", () => {
    it("refuses a record larger than the topic's max.message.bytes and writes nothing of the send", async () => {
      const producer = log.producer();
      const error = await expectEdgeLogError(
        producer.send({ topic: "small", messages: [{ value: "fits" }, { value: "z".repeat(2000) }] }),
        "MESSAGE_TOO_LARGE",
      );
      expect(error.context.topic).toBe("small");
      await producer.flush();
      expect((await store.offsets({ topic: "small", partition: 0 })).highWatermark).toBe(0);
      // Many small records that together exceed the limit are fine: they are split into batches.
      const messages = Array.from({ length: 50 }, (_, i) => ({ value: `${i}`.padEnd(100, ".") }));
      await producer.send({ topic: "small", messages });
      expect((await store.offsets({ topic: "small", partition: 0 })).highWatermark).toBe(50);
      for (const batch of await store.listBatches({ topic: "small", partition: 0 })) {
        expect(batch.sizeBytes).toBeLessThanOrEqual(1024);
      }
    });

    it.each([
      ["an object value", { value: { total: 42 } }],
      ["a number value", { value: 42 }],
      ["no value at all", { key: "k" }],
      ["a number key", { key: 7, value: "v" }],
      ["a non-string header key", { value: "v", headers: [{ key: 1, value: "x" }] }],
      ["a message that is not an object", "just a string"],
    ])("refuses %s with INVALID_RECORD and writes nothing", async (_, bad) => {
      const producer = log.producer();
      await expectEdgeLogError(
        producer.send({ topic: "one", messages: [{ value: "fine" }, bad as unknown as Message] }),
        "INVALID_RECORD",
      );
      await producer.flush();
      expect((await store.offsets({ topic: "one", partition: 0 })).highWatermark).toBe(0);
    });

    it.each([-1, 1.5, "soon", Number.NaN, 8_640_000_000_000_001])(
      "refuses timestamp %s with INVALID_TIMESTAMP and writes nothing",
      async (timestamp) => {
        const producer = log.producer();
        await expectEdgeLogError(
          producer.send({ topic: "one", messages: [{ value: "fine" }, { value: "v", timestamp }] }),
          "INVALID_TIMESTAMP",
        );
        await producer.flush();
        expect((await store.offsets({ topic: "one", partition: 0 })).highWatermark).toBe(0);
      },
    );

    it("refuses unknown topics, bad topic names and empty sends", async () => {
      const producer = log.producer();
      await expectEdgeLogError(
        producer.send({ topic: "missing", messages: [{ value: "v" }] }),
        "UNKNOWN_TOPIC_OR_PARTITION",
      );
      await expectEdgeLogError(producer.send({ topic: "a/b", messages: [{ value: "v" }] }), "INVALID_TOPIC");
      await expectEdgeLogError(producer.send({ topic: "one", messages: [] }), "INVALID_REQUEST");
      await expectEdgeLogError(
        producer.sendBatch({
          topicMessages: [
            { topic: "one", messages: [{ value: "fine" }] },
            { topic: "missing", messages: [{ value: "v" }] },
          ],
        }),
        "UNKNOWN_TOPIC_OR_PARTITION",
      );
      await producer.flush();
      expect((await store.offsets({ topic: "one", partition: 0 })).highWatermark).toBe(0);
    });

    it("refuses bad producer settings", () => {
      expect(() => log.producer({ producerEpoch: -1 })).toThrow(
        expect.objectContaining({ code: "INVALID_REQUEST" }),
      );
      expect(() => log.producer({ lingerMs: -5 })).toThrow(
        expect.objectContaining({ code: "INVALID_REQUEST" }),
      );
      expect(() => log.producer({ maxBatchBytes: 0 })).toThrow(
        expect.objectContaining({ code: "INVALID_REQUEST" }),
      );
    });
  });

  describe("sendBatch", () => {
    it("writes to several topics at once and reports each topic's partitions", async () => {
      const producer = log.producer();
      const metadata = await producer.sendBatch({
        topicMessages: [
          { topic: "one", messages: [{ value: "a" }, { value: "b" }] },
          { topic: "t", messages: [{ value: "c", partition: 1 }] },
          { topic: "one", messages: [{ value: "d" }] },
        ],
      });
      expect(metadata.map((m) => [m.topicName, m.partition, m.baseOffset, m.lastOffset])).toEqual([
        ["one", 0, 0, 2],
        ["t", 1, 0, 0],
      ]);
      expect(await values(store, { topic: "one", partition: 0 })).toEqual(["a", "b", "d"]);
      expect(await values(store, { topic: "t", partition: 1 })).toEqual(["c"]);
    });
  });

  describe("idempotence", () => {
    it("stamps batches with the producer id, its epoch and consecutive sequences per partition", async () => {
      const producer = log.producer({ producerId: "p-1", producerEpoch: 4 });
      expect(producer.producerId).toBe("p-1");
      await producer.send({
        topic: "t",
        messages: [
          { value: "a", partition: 0 },
          { value: "b", partition: 0 },
          { value: "c", partition: 0 },
        ],
      });
      await producer.send({
        topic: "t",
        messages: [
          { value: "d", partition: 0 },
          { value: "e", partition: 1 },
        ],
      });
      await producer.send({ topic: "t", messages: [{ value: "f", partition: 0 }] });
      const p0 = await batchHeaders(store, { topic: "t", partition: 0 });
      expect(p0.map((h) => [h.producerId, h.producerEpoch, h.baseSequence, h.recordCount])).toEqual([
        ["p-1", 4, 0, 3],
        ["p-1", 4, 3, 1],
        ["p-1", 4, 4, 1],
      ]);
      const p1 = await batchHeaders(store, { topic: "t", partition: 1 });
      expect(p1.map((h) => [h.producerId, h.producerEpoch, h.baseSequence])).toEqual([["p-1", 4, 0]]);
    });

    it("gives each producer a random id by default", async () => {
      const a = log.producer();
      const b = log.producer();
      expect(a.producerId).not.toBe(b.producerId);
      await a.send({ topic: "one", messages: [{ value: "a" }] });
      const [header] = await batchHeaders(store, { topic: "one", partition: 0 });
      expect(header?.producerId).toBe(a.producerId);
    });

    it("with idempotent: false stamps nothing", async () => {
      const producer = log.producer({ idempotent: false });
      await producer.send({ topic: "one", messages: [{ value: "a" }] });
      await producer.send({ topic: "one", messages: [{ value: "b" }] });
      const headers = await batchHeaders(store, { topic: "one", partition: 0 });
      expect(headers.map((h) => [h.producerId, h.producerEpoch, h.baseSequence])).toEqual([
        [null, -1, -1],
        [null, -1, -1],
      ]);
    });

    it("once fenced by a newer epoch of its producer id, refuses every later send", async () => {
      const zombie = log.producer({ producerId: "shared" });
      await zombie.send({ topic: "one", messages: [{ value: "a" }] });
      const successor = log.producer({ producerId: "shared", producerEpoch: 1 });
      await successor.send({ topic: "one", messages: [{ value: "b" }] });
      await expectEdgeLogError(
        zombie.send({ topic: "one", messages: [{ value: "zombie" }] }),
        "INVALID_PRODUCER_EPOCH",
      );
      await expectEdgeLogError(
        zombie.send({ topic: "t", messages: [{ value: "zombie", partition: 0 }] }),
        "INVALID_PRODUCER_EPOCH",
      );
      await successor.send({ topic: "one", messages: [{ value: "c" }] });
      expect(await values(store, { topic: "one", partition: 0 })).toEqual(["a", "b", "c"]);
      expect(await totalRecords(store, "t")).toBe(0);
    });

    it("keeps writing after retention removed everything it had written (the store forgot the producer)", async () => {
      const producer = log.producer();
      await producer.send({ topic: "one", messages: [{ value: "a" }, { value: "b" }] });
      await log.admin().deleteTopicRecords({ topic: "one", partitions: [{ partition: 0, offset: -1 }] });
      const [metadata] = await producer.send({ topic: "one", messages: [{ value: "c" }] });
      expect(metadata).toMatchObject({ baseOffset: 2, lastOffset: 2, logStartOffset: 2 });
      expect(await values(store, { topic: "one", partition: 0 })).toEqual(["c"]);
      await producer.send({ topic: "one", messages: [{ value: "d" }] });
      expect(await values(store, { topic: "one", partition: 0 })).toEqual(["c", "d"]);
    });

    it("keeps writing to a topic that was deleted and re-created", async () => {
      const producer = log.producer();
      await producer.send({ topic: "one", messages: [{ value: "a" }] });
      await log.admin().deleteTopics({ topics: ["one"] });
      await log.admin().createTopics({ topics: [{ topic: "one" }] });
      await producer.send({ topic: "one", messages: [{ value: "b" }] });
      expect(await values(store, { topic: "one", partition: 0 })).toEqual(["b"]);
    });
  });

  describe("failures", () => {
    let flaky: FlakyStore;
    let flakyLog: EdgeLog;

    beforeEach(() => {
      flaky = new FlakyStore(store);
      flakyLog = new EdgeLog({ store: flaky });
    });

    it("retries an append whose response was lost; the record is stored exactly once", async () => {
      const producer = flakyLog.producer({ retry: FAST_RETRY });
      flaky.failNextAppends(2, "lose-response");
      const [metadata] = await producer.send({
        topic: "one",
        messages: [{ value: "once" }, { value: "twice?" }],
      });
      expect(metadata).toMatchObject({ baseOffset: 0, lastOffset: 1 });
      expect(flaky.appends.map((a) => a.fault)).toEqual(["lose-response", "lose-response", null]);
      expect(await values(store, { topic: "one", partition: 0 })).toEqual(["once", "twice?"]);
      // The sequence continues from the stored batch: no gap, no new epoch.
      await producer.send({ topic: "one", messages: [{ value: "next" }] });
      const headers = await batchHeaders(store, { topic: "one", partition: 0 });
      expect(headers.map((h) => [h.producerEpoch, h.baseSequence])).toEqual([
        [0, 0],
        [0, 2],
      ]);
    });

    it("waits out a throttled append's retryAfterMs, then stores the batch exactly once", async () => {
      vi.useFakeTimers();
      try {
        const producer = flakyLog.producer({
          retry: { retries: 3, initialRetryTime: 1, maxRetryTime: 10_000 },
        });
        flaky.throttleRetryAfterMs = 2_000;
        flaky.failNextAppends(1, "lose-response");
        flaky.failNextAppends(1, "throttle");
        const sent = producer.send({ topic: "one", messages: [{ value: "once" }] });
        await vi.advanceTimersByTimeAsync(100);
        expect(flaky.appends.map((a) => a.fault)).toEqual(["lose-response", "throttle"]);
        // Not before the server said: the backoff alone (a few ms) would have retried long ago.
        await vi.advanceTimersByTimeAsync(1_850);
        expect(flaky.appends).toHaveLength(2);
        await vi.advanceTimersByTimeAsync(100);
        await sent;
        expect(flaky.appends).toHaveLength(3);
        // The first attempt landed (its response was lost); the retry after the 429 is recognised as a duplicate.
        expect(await values(store, { topic: "one", partition: 0 })).toEqual(["once"]);
      } finally {
        vi.useRealTimers();
      }
    });

    it("without idempotence the same lost response duplicates the record", async () => {
      const producer = flakyLog.producer({ retry: FAST_RETRY, idempotent: false });
      flaky.failNextAppends(1, "lose-response");
      await producer.send({ topic: "one", messages: [{ value: "dup" }] });
      expect(await values(store, { topic: "one", partition: 0 })).toEqual(["dup", "dup"]);
    });

    it("retries an append whose request was lost", async () => {
      const producer = flakyLog.producer({ retry: FAST_RETRY });
      flaky.failNextAppends(3, "lose-request");
      const [metadata] = await producer.send({ topic: "one", messages: [{ value: "a" }] });
      expect(metadata?.baseOffset).toBe(0);
      expect(flaky.appends).toHaveLength(4);
      expect(await values(store, { topic: "one", partition: 0 })).toEqual(["a"]);
    });

    it.each(["lose-response", "lose-request"] as const)(
      "after retries run out (%s) rejects, moves the partition to a new epoch, and the next send succeeds",
      async (fault) => {
        const producer = flakyLog.producer({ retry: { retries: 2, initialRetryTime: 1 } });
        await producer.send({ topic: "one", messages: [{ value: "before" }] });
        flaky.failNextAppends(3, fault);
        await expectEdgeLogError(
          producer.send({ topic: "one", messages: [{ value: "unknown" }] }),
          "REQUEST_TIMED_OUT",
        );
        expect(flaky.appends).toHaveLength(4);
        const [metadata] = await producer.send({ topic: "one", messages: [{ value: "after" }] });
        const expected = fault === "lose-response" ? ["before", "unknown", "after"] : ["before", "after"];
        expect(await values(store, { topic: "one", partition: 0 })).toEqual(expected);
        expect(metadata?.baseOffset).toBe(expected.length - 1);
        const headers = await batchHeaders(store, { topic: "one", partition: 0 });
        expect(headers.at(-1)).toMatchObject({ producerEpoch: 1, baseSequence: 0 });
        // Other partitions keep their epoch.
        await producer.send({ topic: "t", messages: [{ value: "elsewhere", partition: 0 }] });
        expect((await batchHeaders(store, { topic: "t", partition: 0 }))[0]).toMatchObject({
          producerEpoch: 0,
        });
      },
    );

    it("rejects a send when one of its batches fails; its later batches still land, in order, at the new epoch", async () => {
      const producer = flakyLog.producer({ retry: { retries: 1, initialRetryTime: 1 }, maxBatchBytes: 200 });
      const messages = Array.from({ length: 6 }, (_, i) => ({ value: `r${i}`.padEnd(30, ".") }));
      flaky.failNextAppends(2, "lose-request");
      await expectEdgeLogError(producer.send({ topic: "one", messages }), "REQUEST_TIMED_OUT");
      await producer.send({ topic: "one", messages: [{ value: "later" }] });
      expect(await values(store, { topic: "one", partition: 0 })).toEqual([
        ...messages.slice(3).map((m) => m.value),
        "later",
      ]);
      const headers = await batchHeaders(store, { topic: "one", partition: 0 });
      expect(headers.map((h) => [h.producerEpoch, h.baseSequence, h.recordCount])).toEqual([
        [1, 0, 3],
        [1, 3, 1],
      ]);
    });
  });

  describe("disconnect", () => {
    it("flushes what was sent before it, then refuses sends with INVALID_REQUEST", async () => {
      const producer = log.producer({ lingerMs: 10_000 });
      const sent = producer.send({ topic: "one", messages: [{ value: "queued" }] });
      const started = Date.now();
      await producer.disconnect();
      expect(Date.now() - started).toBeLessThan(1000);
      const [metadata] = await sent;
      expect(metadata?.baseOffset).toBe(0);
      expect(await values(store, { topic: "one", partition: 0 })).toEqual(["queued"]);
      await expectEdgeLogError(
        producer.send({ topic: "one", messages: [{ value: "late" }] }),
        "INVALID_REQUEST",
      );
      await expectEdgeLogError(
        producer.sendBatch({ topicMessages: [{ topic: "one", messages: [{ value: "late" }] }] }),
        "INVALID_REQUEST",
      );
      expect(await values(store, { topic: "one", partition: 0 })).toEqual(["queued"]);
    });

    it("waits for a send already in progress", async () => {
      const producer = log.producer();
      const sent = producer.send({ topic: "one", messages: [{ value: "in flight" }] });
      await producer.disconnect();
      await expect(sent).resolves.toHaveLength(1);
      expect(await values(store, { topic: "one", partition: 0 })).toEqual(["in flight"]);
    });
  });

  describe("acks", () => {
    it("passes the producer's acks to every append (-1 is all), and nothing when unset", async () => {
      const seen: unknown[] = [];
      const append = store.append.bind(store);
      store.append = (tp, batch, options) => {
        seen.push(options);
        return append(tp, batch, options);
      };
      await log.producer().send({ topic: "one", messages: [{ value: "default" }] });
      await log.producer({ acks: 1 }).send({ topic: "one", messages: [{ value: "leader" }] });
      await log.producer({ acks: -1 }).send({ topic: "one", messages: [{ value: "all" }] });
      expect(seen).toEqual([undefined, { acks: 1 }, { acks: "all" }]);
      expect(() => log.producer({ acks: 0 as 1 })).toThrow(/acks/);
    });
  });
});
