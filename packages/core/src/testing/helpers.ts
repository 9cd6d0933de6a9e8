/**
 * @module
 * Small helpers for tests of stores and of code built on them: make records and batches, read a partition back,
 * and assert that a promise fails with a given `EdgeLogError` code.
 */
import { expect } from "vitest";
import { decodeBatch, encodeBatch, type ProducerStamp } from "../codec/record-batch.ts";
import { type ErrorCode, isEdgeLogError } from "../errors.ts";
import type { ConsumedRecord, LogRecord } from "../record.ts";
import type { LogStore, TopicPartition } from "../store.ts";

const encoder = new TextEncoder();

/** `count` records whose values are `${prefix}-${i}`, keys `k-${i % 4}`, timestamps `baseTimestamp + i`. */
export function makeRecords(count: number, prefix = "v", baseTimestamp = 1_700_000_000_000): LogRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    key: encoder.encode(`k-${i % 4}`),
    value: encoder.encode(`${prefix}-${i}`),
    headers: [{ key: "i", value: encoder.encode(String(i)) }],
    timestamp: baseTimestamp + i,
  }));
}

/** An encoded batch of `makeRecords(count, prefix)`, optionally stamped by an idempotent producer. */
export function makeBatch(count: number, prefix = "v", producer?: ProducerStamp): Uint8Array {
  return encodeBatch(makeRecords(count, prefix), producer);
}

/** Every record of a partition from `from` (default: the log start) to the high watermark, in order. */
export async function readAll(store: LogStore, tp: TopicPartition, from?: number): Promise<ConsumedRecord[]> {
  const { logStartOffset, highWatermark } = await store.offsets(tp);
  const records: ConsumedRecord[] = [];
  let offset = Math.max(from ?? logStartOffset, logStartOffset);
  while (offset < highWatermark) {
    const result = await store.read(tp, { offset, maxBytes: 64 * 1024 });
    for (const batch of result.batches) {
      decodeBatch(batch.payload).records.forEach((record, i) => {
        const recordOffset = batch.baseOffset + i;
        if (recordOffset >= offset) records.push({ ...record, offset: recordOffset });
      });
    }
    const last = result.batches.at(-1);
    if (last === undefined) break;
    offset = last.lastOffset + 1;
  }
  return records;
}

/** Asserts that `promise` rejects with an `EdgeLogError` of `code`; returns the error for further checks. */
export async function expectEdgeLogError(promise: Promise<unknown>, code: ErrorCode) {
  const error: unknown = await promise.then(
    () => new Error(`expected ${code}, but the call succeeded`),
    (e: unknown) => e,
  );
  if (!isEdgeLogError(error)) throw error;
  expect(error.code).toBe(code);
  return error;
}

/** The `EdgeLogError` code a synchronous call throws, `"ok"` when it returns; for table-style assertions. */
export function errorCodeOf(run: () => unknown): string {
  try {
    run();
    return "ok";
  } catch (error) {
    return isEdgeLogError(error) ? error.code : String(error);
  }
}

/**
 * For stores that several instances share (tabs on one IndexedDB, isolates on one Durable Object): appends
 * through two instances, in the same tick and interleaved across ticks, must get dense, disjoint offsets that
 * both instances then read back the same.
 */
export async function expectTwoWritersGetDenseOffsets(
  a: LogStore,
  b: LogStore,
  tp: TopicPartition,
): Promise<void> {
  const appends = Array.from({ length: 30 }, (_, i) =>
    (i % 2 === 0 ? a : b).append(tp, makeBatch((i % 3) + 1, `x${i}`)),
  );
  for (let i = 0; i < 10; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    appends.push((i % 2 === 0 ? b : a).append(tp, makeBatch(2, `y${i}`)));
  }
  const results = await Promise.all(appends);
  const ranges = results.map((r) => [r.baseOffset, r.lastOffset] as const).sort((x, y) => x[0] - y[0]);
  let next = 0;
  for (const [base, last] of ranges) {
    expect(base).toBe(next);
    next = last + 1;
  }
  expect(await b.offsets(tp)).toEqual({ logStartOffset: 0, highWatermark: next });
  expect((await readAll(a, tp)).map((r) => r.offset)).toEqual(Array.from({ length: next }, (_, i) => i));
}
