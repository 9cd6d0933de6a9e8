/**
 * @module
 * The `delete` cleanup policy (docs/semantics.md §A6) as pure functions — nothing is ever due under `compact`
 * alone, which keeps the latest record per key however old (`compact,delete` applies both): `planRetention` says where the log
 * start must move, given a partition's batches oldest first; `retentionDueAt` says when a partition next has
 * retention work, so a store knows whether to plan now (after an append) or when to wake up (a Durable Object's
 * alarm). Stores call them from wherever their runtime runs housekeeping and apply the answer with
 * `deleteRecords`; none repeats the age or size rule.
 */
import type { BatchInfo } from "../store.ts";
import type { TopicConfig } from "../topic-config.ts";
import { deletes } from "./compaction-config.ts";

/** What retention reads of a config; without `cleanup.policy`, the policy is `delete`. */
type RetentionConfig = Pick<TopicConfig, "retention.ms" | "retention.bytes"> &
  Partial<Pick<TopicConfig, "cleanup.policy">>;

/**
 * When a batch is old enough to go under `retention.ms` (`null`: never). Its age counts from its newest
 * record's timestamp, as in Kafka, but never from before it was appended: Kafka protects fresh data by never
 * deleting the active segment, and a store of batches has no segments, so a backfill of old-stamped records is
 * kept for `retention.ms` after arrival instead of vanishing as it lands.
 */
export function batchExpiresAt(
  batch: Pick<BatchInfo, "maxTimestamp" | "logAppendTime">,
  config: RetentionConfig,
): number | null {
  const retentionMs = config["retention.ms"];
  return retentionMs < 0 ? null : Math.max(batch.maxTimestamp, batch.logAppendTime) + retentionMs + 1;
}

/** Whether a partition of `sizeBytes` holds more than `retention.bytes`. */
function oversize(config: RetentionConfig, sizeBytes: number): boolean {
  const retentionBytes = config["retention.bytes"];
  return retentionBytes >= 0 && sizeBytes > retentionBytes;
}

/**
 * Whether `retentionDueAt` needs the partition's oldest batch: only when the size alone does not make retention
 * due and batches can expire. A store whose oldest batch costs a read asks first.
 */
export function retentionNeedsOldest(config: RetentionConfig, sizeBytes: number): boolean {
  return deletes(config) && !oversize(config, sizeBytes) && config["retention.ms"] >= 0;
}

/**
 * When the partition next has retention work: `nowMs` when it is over `retention.bytes`, else when its oldest
 * batch expires, `null` when never (or when `oldest` is not given). Due when `≤ nowMs`.
 */
export function retentionDueAt(
  config: RetentionConfig,
  sizeBytes: number,
  oldest: BatchInfo | undefined,
  nowMs: number,
): number | null {
  if (!deletes(config)) return null;
  if (oversize(config, sizeBytes)) return nowMs;
  return oldest === undefined ? null : batchExpiresAt(oldest, config);
}

/**
 * The offset the log start should advance to, or `null` when nothing is due. `batches` must be oldest first
 * and is read only as far as needed. Whole batches only: a batch goes when it has expired (`batchExpiresAt`),
 * or, oldest first, while the partition holds more than `retention.bytes`.
 */
export function planRetention(
  batches: Iterable<BatchInfo>,
  config: RetentionConfig,
  nowMs: number,
  /** The partition's total retained bytes, when the caller already knows it (saves a pass over `batches`). */
  totalBytes?: number,
): number | null {
  if (!deletes(config)) return null;
  let remainingBytes = totalBytes ?? 0;
  if (totalBytes === undefined) for (const batch of batches) remainingBytes += batch.sizeBytes;
  let cutoff: number | null = null;
  for (const batch of batches) {
    const expiresAt = batchExpiresAt(batch, config);
    const expired = expiresAt !== null && expiresAt <= nowMs;
    if (!expired && !oversize(config, remainingBytes)) break;
    remainingBytes -= batch.sizeBytes;
    cutoff = batch.lastOffset + 1;
  }
  return cutoff;
}
