// Core's append planner, the read-budget rule, offset-for-timestamp and the retention due time, without a store:
// what every store's load–plan–apply relies on, including the follower mode (batches with assigned offsets).
import { describe, expect, it } from "vitest";
import { DEFAULT_TOPIC_CONFIG, encodeBatch, type TopicMetadata } from "../src/index.ts";
import {
  type AppendPlan,
  type AppendPlanInput,
  batchExpiresAt,
  type CheckedBatch,
  checkBatch,
  offsetForTimestampIn,
  type PartitionBounds,
  type ProducerState,
  planAppend,
  producerIdsOf,
  ReadBudget,
  readBatchHeader,
  resultOf,
  retentionDueAt,
  retentionNeedsOldest,
} from "../src/store-kit/index.ts";
import { makeBatch } from "../src/testing/index.ts";

const tp = { topic: "t", partition: 0 };
const topic: TopicMetadata = {
  name: "t",
  topicId: "id",
  partitions: 1,
  config: { ...DEFAULT_TOPIC_CONFIG, "max.message.bytes": 4096 },
  createdAt: 0,
};
const empty: PartitionBounds = { logStartOffset: 0, highWatermark: 0, sizeBytes: 0 };
const stamp = (baseSequence: number, producerEpoch = 0, producerId = "p") => ({
  producerId,
  producerEpoch,
  baseSequence,
});

function checked(count: number, prefix: string, producer?: ReturnType<typeof stamp>): CheckedBatch {
  const payload = makeBatch(count, prefix, producer);
  return { payload, header: readBatchHeader(payload) };
}

function plan(
  batches: AppendPlanInput<PartitionBounds>["batches"],
  partition: PartitionBounds = empty,
  producers: ReadonlyMap<string, ProducerState> = new Map(),
  nowMs = 1000,
): AppendPlan<PartitionBounds> {
  return planAppend({ tp, partition, producers, batches, nowMs });
}

describe("planAppend (leader batches)", () => {
  it("assigns dense offsets and the append time, and returns the rows and the new partition row", () => {
    const a = checked(3, "a");
    const b = checked(2, "b");
    const result = plan([a, b], { logStartOffset: 5, highWatermark: 10, sizeBytes: 7 });
    expect(result.batches.map((s) => [s.baseOffset, s.lastOffset, s.logAppendTime])).toEqual([
      [10, 12, 1000],
      [13, 14, 1000],
    ]);
    expect(result.partition).toEqual({
      logStartOffset: 5,
      highWatermark: 15,
      sizeBytes: 7 + a.payload.byteLength + b.payload.byteLength,
    });
    expect(result.outcomes.map((o) => [o.kind, resultOf(o).highWatermark])).toEqual([
      ["appended", 13],
      ["appended", 15],
    ]);
    expect(result.producers).toEqual([]);
  });

  it("keeps the fields of a store's own row and returns the same row when nothing is appended", () => {
    const row = { ...empty, topicId: "x", streamState: null };
    const appended = planAppend({
      tp,
      partition: row,
      producers: new Map(),
      batches: [checked(1, "a")],
      nowMs: 1,
    });
    expect(appended.partition).toMatchObject({ topicId: "x", highWatermark: 1 });
    const rejected = planAppend({
      tp,
      partition: row,
      producers: new Map(),
      batches: [checked(1, "a", stamp(4))],
      nowMs: 1,
    });
    expect(rejected.partition).toBe(row);
  });

  it("lets later batches of a group see earlier ones: pipelined sequences, a retry, a gap", () => {
    const first = checked(3, "a", stamp(0));
    const result = plan([first, checked(2, "b", stamp(3)), first, checked(1, "c", stamp(9))]);
    expect(result.outcomes.map((o) => o.kind)).toEqual(["appended", "appended", "duplicate", "error"]);
    expect(resultOf(result.outcomes[2])).toMatchObject({ baseOffset: 0, lastOffset: 2, duplicate: true });
    expect(() => resultOf(result.outcomes[3])).toThrow(
      expect.objectContaining({ code: "OUT_OF_ORDER_SEQUENCE_NUMBER" }),
    );
    // One producer row for the group: its last state, remembering both batches.
    expect(result.producers).toHaveLength(1);
    expect(result.producers[0]?.batches.map((b) => [b.firstSequence, b.baseOffset])).toEqual([
      [0, 0],
      [3, 3],
    ]);
    expect(result.batches).toHaveLength(2);
  });

  it("checks sequences against the stored producer state and does not change the map it was given", () => {
    const stored: ProducerState = {
      producerId: "p",
      epoch: 0,
      batches: [{ firstSequence: 0, lastSequence: 2, baseOffset: 0, lastOffset: 2, logAppendTime: 5 }],
    };
    const producers = new Map([["p", stored]]);
    const result = plan(
      [checked(3, "a", stamp(0)), checked(1, "b", stamp(3))],
      { ...empty, highWatermark: 3 },
      producers,
    );
    expect(resultOf(result.outcomes[0])).toMatchObject({ baseOffset: 0, logAppendTime: 5, duplicate: true });
    expect(resultOf(result.outcomes[1])).toMatchObject({ baseOffset: 3, duplicate: false });
    expect(producers.get("p")).toBe(stored);
  });

  it("answers a rejected batch with its error and goes on with the others", () => {
    const corrupt = makeBatch(1, "x");
    corrupt[corrupt.length - 1] = (corrupt[corrupt.length - 1] ?? 0) ^ 0xff;
    const result = plan([checkBatch(topic, tp, corrupt), checked(1, "ok")]);
    expect(result.outcomes.map((o) => o.kind)).toEqual(["error", "appended"]);
    expect(resultOf(result.outcomes[1]).baseOffset).toBe(0);
  });

  it("names the producers a store must load, once each", () => {
    expect(
      producerIdsOf([
        checked(1, "a", stamp(0)),
        checked(1, "b"),
        checked(1, "c", stamp(1)),
        checked(1, "d", stamp(0, 0, "q")),
      ]),
    ).toEqual(["p", "q"]);
  });
});

describe("planAppend (replicated batches with assigned offsets)", () => {
  const replicated = (batch: CheckedBatch, baseOffset: number, logAppendTime = 777): CheckedBatch => ({
    ...batch,
    assigned: { baseOffset, logAppendTime },
  });

  it("lands them at exactly the given offsets with the leader's append time", () => {
    const result = plan([replicated(checked(3, "a"), 10), replicated(checked(2, "b"), 13, 778)], {
      logStartOffset: 10,
      highWatermark: 10,
      sizeBytes: 0,
    });
    expect(result.batches.map((b) => [b.baseOffset, b.lastOffset, b.logAppendTime])).toEqual([
      [10, 12, 777],
      [13, 14, 778],
    ]);
    expect(result.partition.highWatermark).toBe(15);
  });

  it("treats a batch already held as a no-op duplicate", () => {
    const result = plan([replicated(checked(3, "a"), 2)], { ...empty, highWatermark: 5 });
    expect(result.outcomes[0]).toMatchObject({
      kind: "duplicate",
      result: { baseOffset: 2, lastOffset: 4, logAppendTime: 777, duplicate: true, highWatermark: 5 },
    });
    expect(result.batches).toEqual([]);
    expect(result.producers).toEqual([]);
  });

  it("refuses a gap and an overlap with OFFSET_OUT_OF_RANGE, saying which", () => {
    const result = plan([replicated(checked(1, "gap"), 6), replicated(checked(3, "overlap"), 4)], {
      ...empty,
      highWatermark: 5,
    });
    const errors = result.outcomes.map((o) => (o.kind === "error" ? o.error : null));
    expect(errors.map((e) => [e?.code, e?.context.replica, e?.context.offset])).toEqual([
      ["OFFSET_OUT_OF_RANGE", "gap", 6],
      ["OFFSET_OUT_OF_RANGE", "overlap", 4],
    ]);
    expect(result.batches).toEqual([]);
    expect(result.partition.highWatermark).toBe(5);
  });

  it("updates producer state as the leader did, so a failover dedupes the producer's retry", () => {
    // The leader appended p's seq 0..2 at offset 0 and seq 3 at offset 3; the follower has no state for p yet.
    const leader = plan([checked(3, "a", stamp(0)), checked(1, "b", stamp(3))], empty, new Map(), 500);
    const follower = plan(
      leader.batches.map((b) => ({
        payload: b.payload,
        header: readBatchHeader(b.payload),
        assigned: { baseOffset: b.baseOffset, logAppendTime: b.logAppendTime },
      })),
    );
    expect(follower.producers).toEqual(leader.producers);
    expect(follower.partition).toEqual(leader.partition);
    // After a failover the follower leads: the producer's retry of seq 3 is a duplicate with the original offsets.
    const retry = plan(
      [checked(1, "b", stamp(3)), checked(1, "c", stamp(4))],
      follower.partition,
      new Map(follower.producers.map((s) => [s.producerId, s])),
    );
    expect(retry.outcomes.map((o) => [o.kind, resultOf(o).baseOffset, resultOf(o).logAppendTime])).toEqual([
      ["duplicate", 3, 500],
      ["appended", 4, 1000],
    ]);
  });

  it("applies a new epoch from the leader without a sequence check of its own", () => {
    const stored: ProducerState = {
      producerId: "p",
      epoch: 0,
      batches: [{ firstSequence: 0, lastSequence: 0, baseOffset: 0, lastOffset: 0, logAppendTime: 1 }],
    };
    const result = plan(
      [replicated(checked(1, "e1", stamp(0, 1)), 1)],
      { ...empty, highWatermark: 1 },
      new Map([["p", stored]]),
    );
    expect(result.producers).toEqual([
      {
        producerId: "p",
        epoch: 1,
        batches: [{ firstSequence: 0, lastSequence: 0, baseOffset: 1, lastOffset: 1, logAppendTime: 777 }],
      },
    ]);
  });
});

describe("ReadBudget", () => {
  it("admits the first batch whatever its size, then whole batches while the budget lasts", () => {
    const budget = new ReadBudget(100);
    expect([500, 10, 10].map((size) => budget.admits(size))).toEqual([true, false, false]);
    const roomy = new ReadBudget(100);
    expect([40, 60, 1].map((size) => roomy.admits(size))).toEqual([true, true, false]);
  });
});

describe("offsetForTimestampIn", () => {
  const at = (timestamp: number) => ({ key: null, value: null, headers: [], timestamp });
  const batches = [
    { baseOffset: 0, maxTimestamp: 300, payload: encodeBatch([at(100), at(300), at(200)]) },
    { baseOffset: 3, maxTimestamp: 400, payload: encodeBatch([at(250), at(400)]) },
  ];

  it("skips batches that are older, finds the record inside the first that may hold one", () => {
    expect(offsetForTimestampIn(batches, 101, 0)).toBe(1);
    expect(offsetForTimestampIn(batches, 301, 0)).toBe(4);
    expect(offsetForTimestampIn(batches, 401, 0)).toBeNull();
  });

  it("clamps a match below the log start of a straddling batch to the log start", () => {
    expect(offsetForTimestampIn(batches, 0, 2)).toBe(2);
    // Offset 1 (300) matches but lies below the log start: the first retained offset answers, as it always has.
    expect(offsetForTimestampIn(batches, 250, 2)).toBe(2);
    expect(offsetForTimestampIn(batches, 301, 2)).toBe(4);
  });
});

describe("retention due time", () => {
  const oldest = {
    baseOffset: 0,
    lastOffset: 0,
    recordCount: 1,
    maxTimestamp: 100,
    logAppendTime: 50,
    sizeBytes: 10,
  };

  it("is now when over retention.bytes, else the oldest batch's expiry, else never", () => {
    expect(retentionDueAt({ "retention.ms": 1000, "retention.bytes": 5 }, 10, undefined, 42)).toBe(42);
    expect(retentionDueAt({ "retention.ms": 1000, "retention.bytes": -1 }, 10, oldest, 42)).toBe(1101);
    expect(retentionDueAt({ "retention.ms": -1, "retention.bytes": -1 }, 10, oldest, 42)).toBeNull();
    expect(retentionDueAt({ "retention.ms": 1000, "retention.bytes": -1 }, 0, undefined, 42)).toBeNull();
  });

  it("asks for the oldest batch only when its age can matter", () => {
    expect(retentionNeedsOldest({ "retention.ms": 1000, "retention.bytes": 5 }, 10)).toBe(false);
    expect(retentionNeedsOldest({ "retention.ms": -1, "retention.bytes": -1 }, 10)).toBe(false);
    expect(retentionNeedsOldest({ "retention.ms": 1000, "retention.bytes": 50 }, 10)).toBe(true);
  });

  it("counts a batch's age from its newest record, never from before its arrival", () => {
    expect(
      batchExpiresAt({ maxTimestamp: 100, logAppendTime: 50 }, { "retention.ms": 10, "retention.bytes": -1 }),
    ).toBe(111);
    expect(
      batchExpiresAt({ maxTimestamp: 10, logAppendTime: 500 }, { "retention.ms": 10, "retention.bytes": -1 }),
    ).toBe(511);
  });
});
