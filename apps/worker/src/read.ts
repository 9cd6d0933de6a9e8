/**
 * @module
 * Reading records for the JSON fetch and the SSE tail: resolve the start offset against the partition's bounds
 * (416 outside them), read whole batches (optionally waiting), decode them and skip records below the start.
 */
import {
  type ConsumedRecord,
  DEFAULT_READ_MAX_BYTES,
  decodeBatch,
  EdgeLogError,
  type LogStore,
  type PartitionOffsets,
  type TopicPartition,
} from "@edgelog/core";
import { type OffsetSpec, resolveOffset } from "./params.ts";

/** Resolves `spec` against the partition's bounds; a number outside `[logStartOffset, highWatermark]` → 416. */
export async function startOffset(store: LogStore, tp: TopicPartition, spec: OffsetSpec): Promise<number> {
  const bounds = await store.offsets(tp);
  const offset = resolveOffset(spec, bounds);
  assertInRange(tp, offset, bounds);
  return offset;
}

export function assertInRange(tp: TopicPartition, offset: number, bounds: PartitionOffsets): void {
  if (offset < bounds.logStartOffset || offset > bounds.highWatermark) {
    throw new EdgeLogError(
      "OFFSET_OUT_OF_RANGE",
      `offset ${offset} is outside [${bounds.logStartOffset}, ${bounds.highWatermark}]`,
      { context: { ...tp, offset, ...bounds } },
    );
  }
}

export interface RecordsRead extends PartitionOffsets {
  readonly records: ConsumedRecord[];
  /** The offset after the last record returned, or the start offset when none was. */
  readonly nextOffset: number;
}

/**
 * Reads up to `limit` records from `offset`, waiting up to `maxWaitMs` when there are none yet.
 * @example
 * const { records, nextOffset } = await readRecords(store, tp, { offset: 0, limit: 500, maxWaitMs: 0 });
 */
export async function readRecords(
  store: LogStore,
  tp: TopicPartition,
  options: { offset: number; limit: number; maxWaitMs: number; signal?: AbortSignal | undefined },
): Promise<RecordsRead> {
  const { offset, limit, maxWaitMs, signal } = options;
  const result = await store.read(tp, {
    offset,
    maxBytes: DEFAULT_READ_MAX_BYTES,
    maxWaitMs,
    ...(signal === undefined ? {} : { signal }),
  });
  // ReadResult: the first batch may begin before `offset` and even before the log start; skip those records.
  const from = Math.max(offset, result.logStartOffset);
  const records: ConsumedRecord[] = [];
  outer: for (const batch of result.batches) {
    if (batch.lastOffset < from) continue;
    const { records: decoded } = decodeBatch(batch.payload);
    for (let i = 0; i < decoded.length; i++) {
      const recordOffset = batch.baseOffset + i;
      if (recordOffset < from) continue;
      if (records.length >= limit) break outer;
      records.push({ ...(decoded[i] as ConsumedRecord), offset: recordOffset });
    }
  }
  const last = records.at(-1);
  return {
    records,
    nextOffset: last === undefined ? from : last.offset + 1,
    logStartOffset: result.logStartOffset,
    highWatermark: result.highWatermark,
  };
}
