/**
 * @module
 * The `delete` cleanup policy (docs/semantics.md §A6) as a pure planner: given a partition's batches oldest
 * first, where must the log start move? Stores call it from wherever their runtime runs housekeeping (after
 * appends in the memory store, from the alarm in a Durable Object) and apply the answer with `deleteRecords`.
 */
import type { BatchInfo } from "../store.ts";
import type { TopicConfig } from "../topic-config.ts";

/**
 * The offset the log start should advance to, or `null` when nothing is due. `batches` must be oldest first
 * and is read only as far as needed.
 * Whole batches only: a batch goes when it is older than `retention.ms`, or, oldest first, while the partition
 * holds more than `retention.bytes`. A batch's age counts from its newest record's timestamp, as in Kafka, but
 * never from before it was appended: Kafka protects fresh data by never deleting the active segment, and a store
 * of batches has no segments, so a backfill of old-stamped records is kept for `retention.ms` after arrival
 * instead of vanishing as it lands.
 */
export function planRetention(
  batches: Iterable<BatchInfo>,
  config: Pick<TopicConfig, "retention.ms" | "retention.bytes">,
  nowMs: number,
  /** The partition's total retained bytes, when the caller already knows it (saves a pass over `batches`). */
  totalBytes?: number,
): number | null {
  const retentionMs = config["retention.ms"];
  const retentionBytes = config["retention.bytes"];
  let remainingBytes = totalBytes ?? 0;
  if (totalBytes === undefined) for (const batch of batches) remainingBytes += batch.sizeBytes;
  let cutoff: number | null = null;
  for (const batch of batches) {
    const expired =
      retentionMs >= 0 && Math.max(batch.maxTimestamp, batch.logAppendTime) < nowMs - retentionMs;
    const oversize = retentionBytes >= 0 && remainingBytes > retentionBytes;
    if (!expired && !oversize) break;
    remainingBytes -= batch.sizeBytes;
    cutoff = batch.lastOffset + 1;
  }
  return cutoff;
}
