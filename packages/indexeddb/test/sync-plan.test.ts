// buildPlan, the pure half of a sync: partitions, batches under the byte budget, refusals before sending.
import {
  DEFAULT_TOPIC_CONFIG,
  encodeBatch,
  type LogRecord,
  partitionForKey,
  type TopicMetadata,
  toBytes,
} from "@edgelog/core";
import { soloBatchSize } from "@edgelog/core/store-kit";
import { describe, expect, it } from "vitest";
import { buildPlan, MAX_BATCH_BYTES } from "../src/sync-plan.ts";

const record = (key: string | null, value: string, timestamp = 1_000): LogRecord => ({
  key: toBytes(key),
  value: toBytes(value),
  headers: [],
  timestamp,
});
const upstream = (partitions: number, maxMessageBytes?: number): TopicMetadata => ({
  name: "clicks",
  topicId: "id",
  partitions,
  config: {
    ...DEFAULT_TOPIC_CONFIG,
    ...(maxMessageBytes === undefined ? {} : { "max.message.bytes": maxMessageBytes }),
  },
  createdAt: 0,
});
/** Local offsets from 10 on, as the outbox reads them. */
const fromTen = (records: LogRecord[]) => new Map(records.map((r, i) => [10 + i, r]));
const plan = (records: LogRecord[], meta: TopicMetadata | null, stickyPartition = 0) =>
  buildPlan({
    topic: "clicks",
    localFrom: 10,
    records: fromTen(records),
    upstream: meta,
    producerId: "p",
    stickyPartition,
  });

describe("buildPlan", () => {
  it("puts keyed records in their key's partition and keyless ones in the sticky partition, one batch each", () => {
    const keys = ["a", "b", "c", "d", "e", "f"];
    const records = [...keys.map((k) => record(k, `v-${k}`)), record(null, "x"), record(null, "y")];
    const result = plan(records, upstream(4), 2);
    expect(result).toMatchObject({ topic: "clicks", localFrom: 10, localTo: 18 });
    const expected = new Map<number, number[]>();
    records.forEach((r, i) => {
      const partition = r.key === null ? 2 : partitionForKey(r.key, 4);
      expected.set(partition, [...(expected.get(partition) ?? []), 10 + i]);
    });
    // In the order each partition first appears, local order inside, unstamped.
    expect(result.batches.map((b) => [b.partition, b.offsets])).toEqual([...expected]);
    for (const b of result.batches) expect(b).toMatchObject({ status: "pending", epoch: 0, baseSequence: 0 });
  });

  it("refuses every record when the upstream topic does not exist", () => {
    const result = plan([record("a", "1"), record("b", "2")], null);
    expect(result.localTo).toBe(12);
    expect(result.batches.map((b) => [b.offsets, b.status, b.error?.code])).toEqual([
      [[10], "refused", "UNKNOWN_TOPIC_OR_PARTITION"],
      [[11], "refused", "UNKNOWN_TOPIC_OR_PARTITION"],
    ]);
  });

  it("refuses a record too large for any batch on its own, and carries on after it", () => {
    const result = plan(
      [record("a", "small"), record("a", "x".repeat(600)), record("a", "after")],
      upstream(1, 500),
    );
    expect(result.localTo).toBe(13);
    expect(result.batches.map((b) => [b.offsets, b.status, b.error?.code])).toEqual([
      [[10, 12], "pending", undefined],
      [[11], "refused", "MESSAGE_TOO_LARGE"],
    ]);
  });

  it("ends the plan before the first record that would overflow its partition's batch", () => {
    const records = Array.from({ length: 10 }, (_, i) => record("a", `${i}`.padStart(100, "-")));
    const limit = soloBatchSize(records[0] as LogRecord, "p") + 2 * 110;
    const result = plan(records, upstream(1, limit));
    const [only] = result.batches;
    expect(result.batches).toHaveLength(1);
    expect(only?.offsets.length).toBeGreaterThan(1);
    expect(only?.offsets.length).toBeLessThan(10);
    expect(result.localTo).toBe(10 + (only?.offsets.length ?? 0));
    const bytes = encodeBatch(only?.offsets.map((o) => records[o - 10] as LogRecord) ?? [], {
      producerId: "p",
      producerEpoch: 0,
      baseSequence: 0,
    });
    expect(bytes.length).toBeLessThanOrEqual(limit);
  });

  it("never plans a batch above MAX_BATCH_BYTES, whatever the upstream allows", () => {
    const big = "x".repeat(300 * 1024);
    const result = plan(
      [record("a", big), record("a", big), record("a", big), record("a", big)],
      upstream(1, 8 << 20),
    );
    expect(result.batches[0]?.offsets).toEqual([10, 11, 12]);
    expect(result.localTo).toBe(13);
    expect(MAX_BATCH_BYTES).toBe(1024 * 1024);
  });
});
