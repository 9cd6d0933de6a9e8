/**
 * @module
 * Which records a stored batch holds, for share groups: the coordinator acquires record offsets (it must not lock
 * an offset that holds no record) and copies whole records to the dead-letter topic. The one place share groups
 * turn a batch into offsets, so a batch format whose offsets have gaps changes only this module.
 */
import { decodeBatch } from "../codec/record-batch.ts";
import type { ConsumedRecord } from "../record.ts";
import type { StoredBatch } from "../store.ts";

/** The offsets of a batch's records from `from` on (a batch's records sit at consecutive offsets from its base). */
export function recordOffsetsOf(batch: StoredBatch, from: number): number[] {
  const offsets: number[] = [];
  for (let offset = Math.max(from, batch.baseOffset); offset <= batch.lastOffset; offset++)
    offsets.push(offset);
  return offsets;
}

/** The batch's records with their offsets. */
export function consumedRecordsOf(batch: StoredBatch): ConsumedRecord[] {
  return decodeBatch(batch.payload).records.map((record, i) => ({ ...record, offset: batch.baseOffset + i }));
}

/** Whether `batch` holds any of `sorted` (ascending offsets). */
export function holdsAny(batch: StoredBatch, sorted: readonly number[]): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < batch.baseOffset) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && (sorted[lo] as number) <= batch.lastOffset;
}
