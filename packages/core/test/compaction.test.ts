/**
 * Compaction in core beyond the shared conformance suite: the pass's key index budget (a pass stops and the next
 * goes on), the producer stamps of rewritten runs, the schedule (dirty ratio, min and max lag), the memory store
 * compacting by itself after appends, `compact,delete` applying both policies, and consumers — positions, commits
 * and lag — over the gaps a pass leaves.
 */
import { describe, expect, it } from "vitest";
import { readBatchHeader } from "../src/codec/record-batch.ts";
import {
  DEFAULT_TOPIC_CONFIG,
  decodeText,
  EdgeLog,
  encodeBatch,
  type LogRecord,
  MemoryStore,
  type TopicConfig,
} from "../src/index.ts";
import type { BatchInfo, StoredBatch } from "../src/store.ts";
import { CompactionPass, INDEX_ENTRY_BYTES, NO_COMPACTION_CHECKPOINT } from "../src/store-kit/compaction.ts";
import { compactionDueAt } from "../src/store-kit/compaction-schedule.ts";
import { readAll } from "../src/testing/index.ts";

const T0 = 1_700_000_000_000;
const encoder = new TextEncoder();
const compact: TopicConfig = { ...DEFAULT_TOPIC_CONFIG, "cleanup.policy": "compact" };

const record = (key: string, value: string | null, timestamp = T0): LogRecord => ({
  key: encoder.encode(key),
  value: value === null ? null : encoder.encode(value),
  headers: [],
  timestamp,
});

/** A stored batch at `baseOffset` of `keys`, as a store would hand it to a pass. */
function stored(
  baseOffset: number,
  keys: string[],
  producer?: { producerId: string; baseSequence: number },
): StoredBatch {
  const payload = encodeBatch(
    keys.map((k) => record(k, `${k}@${baseOffset}`)),
    producer === undefined ? undefined : { ...producer, producerEpoch: 3 },
  );
  return {
    baseOffset,
    lastOffset: baseOffset + keys.length - 1,
    recordCount: keys.length,
    maxTimestamp: T0,
    logAppendTime: T0,
    sizeBytes: payload.byteLength,
    payload,
  };
}

describe("CompactionPass", () => {
  it("stops indexing where its key budget runs out; the next pass goes on from there", () => {
    const batches = [stored(0, ["a", "b"]), stored(2, ["c", "d"]), stored(4, ["a", "c"]), stored(6, ["e"])];
    const budget = 2 * (1 + INDEX_ENTRY_BYTES) + 1; // two one-byte keys fit, a third does not
    const input = {
      config: compact,
      nowMs: T0,
      logStartOffset: 0,
      highWatermark: 7,
      indexBudgetBytes: budget,
    };
    const first = new CompactionPass({ ...input, checkpoint: NO_COMPACTION_CHECKPOINT });
    expect(first.index(batches[0] as StoredBatch)).toBe(true);
    expect(first.index(batches[1] as StoredBatch)).toBe(false); // c, d would not fit: indexing ends before them
    expect(first.cleanEnd).toBe(2);
    expect(first.clean(batches[0] as StoredBatch)).toBeNull(); // a and b are the latest below 2
    expect(first.checkpoint()).toEqual({ cleanedTo: 2, cleanBytes: (batches[0] as StoredBatch).sizeBytes });
    // With room for every key this time: the pass indexes the rest.
    const second = new CompactionPass({ ...input, indexBudgetBytes: 1024, checkpoint: first.checkpoint() });
    expect(second.dirtyFrom).toBe(2);
    for (const batch of batches.slice(1)) expect(second.index(batch)).toBe(true);
    second.endIndex();
    expect(second.cleanEnd).toBe(7);
    // a (offset 0) and c (offset 2) have later records now.
    expect(second.clean(batches[0] as StoredBatch)?.map((b) => [b.baseOffset, b.lastOffset])).toEqual([
      [1, 1],
    ]);
    expect(second.clean(batches[1] as StoredBatch)?.map((b) => [b.baseOffset, b.lastOffset])).toEqual([
      [3, 3],
    ]);
  });

  it("stamps each rewritten run with the batch's producer at the run's own sequence", () => {
    const batch = stored(10, ["a", "x", "b", "c", "x"], { producerId: "p", baseSequence: 100 });
    const pass = new CompactionPass({
      config: compact,
      nowMs: T0,
      logStartOffset: 0,
      highWatermark: 20,
      checkpoint: NO_COMPACTION_CHECKPOINT,
    });
    pass.index(batch);
    pass.index(stored(15, ["a"]));
    pass.endIndex();
    const runs = pass.clean(batch) ?? [];
    // a (10) is superseded by 15, x (11) by x (14): the runs are [12, 14].
    expect(runs.map((b) => [b.baseOffset, b.lastOffset, b.recordCount])).toEqual([[12, 14, 3]]);
    expect(readBatchHeader(runs[0]?.payload ?? new Uint8Array())).toMatchObject({
      producerId: "p",
      producerEpoch: 3,
      baseSequence: 102,
    });
    expect(runs[0]?.logAppendTime).toBe(T0);
  });
});

describe("compactionDueAt", () => {
  const info = (time: number, sizeBytes = 100): BatchInfo => ({
    baseOffset: 0,
    lastOffset: 0,
    recordCount: 1,
    maxTimestamp: time,
    logAppendTime: time,
    sizeBytes,
  });
  const state = (sizeBytes: number, cleanBytes: number) => ({
    sizeBytes,
    checkpoint: { cleanedTo: 1, cleanBytes },
  });
  const never = () => {
    throw new Error("the batches were read");
  };

  it("is due at once when the dirty bytes reach the ratio, from the byte counts alone", () => {
    expect(compactionDueAt(compact, state(300, 100), never, T0)).toBe(T0);
    expect(compactionDueAt(compact, state(300, 200), never, T0)).toBeNull();
    expect(
      compactionDueAt({ ...compact, "min.cleanable.dirty.ratio": 0.25 }, state(300, 200), never, T0),
    ).toBe(T0);
    expect(compactionDueAt(DEFAULT_TOPIC_CONFIG, state(300, 0), never, T0)).toBeNull();
    expect(compactionDueAt(compact, state(300, 300), never, T0)).toBeNull();
  });

  it("waits for the oldest dirty batch to pass min.compaction.lag.ms, counting only cleanable bytes", () => {
    const config = { ...compact, "min.compaction.lag.ms": 1000 };
    // 100 clean; dirty batches of 100 at T0, T0+10, T0+20: the ratio is met once the first is cleanable.
    const dirty = () => [info(T0), info(T0 + 10), info(T0 + 20)];
    expect(compactionDueAt(config, state(400, 100), dirty, T0)).toBe(T0 + 1000);
    // 300 clean: the ratio needs all three cleanable, so the youngest decides.
    expect(compactionDueAt(config, state(600, 300), dirty, T0)).toBe(T0 + 1020);
  });

  it("runs a pass max.compaction.lag.ms after the oldest dirty batch, whatever the ratio", () => {
    const config = { ...compact, "max.compaction.lag.ms": 5000 };
    expect(compactionDueAt(config, state(1100, 1000), () => [info(T0)], T0)).toBe(T0 + 5000);
  });
});

describe("MemoryStore compaction", () => {
  const tp = { topic: "state", partition: 0 };

  it("compacts by itself after appends once half the partition is dirty", async () => {
    const store = new MemoryStore({ now: () => T0 });
    await store.createTopic({ name: "state", partitions: 1, config: compact });
    for (let i = 0; i < 10; i++)
      await store.append(tp, encodeBatch([record("k", `v${i}`), record("j", `v${i}`)]));
    const offsets = (await readAll(store, tp)).map((r) => r.offset);
    // Never more than the latest pair and what came since the last pass: well under the 20 written.
    expect(offsets.slice(-2)).toEqual([18, 19]);
    expect(offsets.length).toBeLessThanOrEqual(6);
  });

  it("applies retention too under compact,delete", async () => {
    let now = T0;
    const store = new MemoryStore({ now: () => now });
    const config = { ...compact, "cleanup.policy": "compact,delete" as const, "retention.ms": 1000 };
    await store.createTopic({ name: "state", partitions: 1, config });
    await store.append(tp, encodeBatch([record("old", "1", now)]));
    now += 2000;
    await store.append(tp, encodeBatch([record("new", "1", now)]));
    expect(await store.offsets(tp)).toEqual({ logStartOffset: 1, highWatermark: 2 });
  });
});

describe("consumers over a compacted topic", () => {
  it("read the survivors from the beginning, commit past gaps, and resume at the next survivor", async () => {
    const store = new MemoryStore({ now: () => T0 });
    const log = new EdgeLog({ store });
    await log.admin().createTopics({ topics: [{ topic: "state", config: { "cleanup.policy": "compact" } }] });
    const producer = log.producer();
    const keys = ["a", "b", "a", "c", "b", "a"];
    await producer.send({ topic: "state", messages: keys.map((key, i) => ({ key, value: `${key}${i}` })) });
    await store.compact({ topic: "state", partition: 0 });
    // A group that had committed offset 1 (now a gap: b1 was superseded) resumes at the next survivor, c3.
    await log.admin().setOffsets({ groupId: "g", topic: "state", partitions: [{ partition: 0, offset: 1 }] });
    const seen: string[] = [];
    const consumer = log.consumer({ groupId: "g", maxWaitTimeInMs: 20 });
    await consumer.subscribe({ topics: ["state"] });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            seen.push(`${message.offset}:${decodeText(message.value)}`);
            if (seen.length === 3) resolve();
          },
        })
        .catch(reject);
    });
    expect(seen).toEqual(["3:c3", "4:b4", "5:a5"]);
    await consumer.disconnect();
    const [committed] = await log.admin().fetchOffsets({ groupId: "g", topics: ["state"] });
    // Lag counts offsets, as Kafka's does: 0 once the group is at the high watermark, gaps or not.
    expect(committed?.partitions).toEqual([{ partition: 0, offset: 6, metadata: null, high: 6, lag: 0 }]);
    await producer.disconnect();
  });
});
