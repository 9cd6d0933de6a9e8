/**
 * @module
 * A group's lag on a partition, one rule for the admin API and the HTTP API: the records from the committed
 * offset to the high watermark, counted from the log start once retention passed the commit; `-1` (as the offset
 * itself shows) when the group never committed there.
 */
import type { PartitionOffsets } from "../store.ts";

/** The committed offset (and lag) shown for a partition the group never committed. */
export const NOT_COMMITTED = -1;

export function consumerLag(committedOffset: number, bounds: PartitionOffsets): number {
  if (committedOffset === NOT_COMMITTED) return NOT_COMMITTED;
  return Math.max(0, bounds.highWatermark - Math.max(committedOffset, bounds.logStartOffset));
}
