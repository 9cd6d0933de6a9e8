/**
 * @module
 * `LogStore.offsetForTimestamp` once for every store: walk the retained batches in offset order, skip each whose
 * newest record is older than the time (no decoding), find the first matching record inside the first batch
 * that may hold one, and clamp the answer to the log start — a batch straddling the log start may hold the
 * match below it, and the first retained offset then answers.
 */
import { findOffsetForTimestamp } from "../codec/record-batch.ts";
import type { StoredBatch } from "../store.ts";

type TimestampedBatch = Pick<StoredBatch, "baseOffset" | "maxTimestamp" | "payload">;

/** The answer within one batch, or `null` when it holds no record at or after `timestamp` (look further on). */
export function offsetForTimestampInBatch(
  batch: TimestampedBatch,
  timestamp: number,
  logStartOffset: number,
): number | null {
  if (batch.maxTimestamp < timestamp) return null;
  const found = findOffsetForTimestamp(batch.payload, batch.baseOffset, timestamp);
  return found === null ? null : Math.max(found, logStartOffset);
}

/** The earliest offset at or after `timestamp` in `batches` (oldest first, read only as far as needed). */
export function offsetForTimestampIn(
  batches: Iterable<TimestampedBatch>,
  timestamp: number,
  logStartOffset: number,
): number | null {
  for (const batch of batches) {
    const found = offsetForTimestampInBatch(batch, timestamp, logStartOffset);
    if (found !== null) return found;
  }
  return null;
}
