/**
 * @module
 * Cacheable catch-up reads and the deletion fence, as pure rules (docs/architecture.md "Cached catch-up reads").
 * A read that ends below the high watermark returns bytes that never change while they exist, so a server may
 * let caches keep the answer — but only for as long as nothing can delete those offsets. Two rules make that
 * hold, and a store that offers cacheable answers applies both:
 *
 * - **Lifetimes are bounded** (`cacheableUntil`): at most the caller's max-age, and never past the moment
 *   `retention.ms` could first delete one of the answer's batches (less a second of clock slack).
 * - **Deletions wait for the answers they would contradict** (`planFencedDeletion`): the store keeps a fence —
 *   the latest expiry of any cacheable answer it gave (`extendCacheFence`, persisted before the answer leaves) —
 *   and a deletion whose offsets were served moves the log start only once those answers have expired. Meanwhile
 *   it raises the fence's floor, so no new cacheable answer starts below what it will delete, and it always
 *   completes within one fence period however busy the readers are.
 *
 * - **Compaction waits for every answer given** (`compactionFencedAt`): a compacted topic gives no cacheable
 *   answer, but one altered from `delete` may have answers alive when its first pass runs, and a pass that removes
 *   a tombstone would let a reader take a key's earlier value from the cache and never see the delete.
 *
 * Caching stops for a while when a whole partition is about to go (`closeCacheFence`, before a topic is
 * deleted), so the topic's entries have all expired before its name can be taken by a new topic.
 */
import type { BatchInfo } from "../store.ts";
import type { TopicConfig } from "../topic-config.ts";
import { batchExpiresAt } from "./retention.ts";

/**
 * Below this an answer is not worth caching: `max-age` counts whole seconds, and an answer should still have one
 * whole second to give once it has travelled to the cache that keeps it.
 */
export const READ_CACHE_MIN_LIFETIME_MS = 2_000;
/**
 * Subtracted from every retention bound: the cache that stores an answer and the store that deletes may read
 * slightly different clocks, and an entry must be gone before the deletion, never after.
 */
export const READ_CACHE_CLOCK_SLACK_MS = 1_000;
/** The longest lifetime a store grants whatever the caller asks: deletions never wait much longer than this. */
export const READ_CACHE_MAX_AGE_LIMIT_MS = 60_000;
/** The servers' default max-age of a cacheable catch-up read. */
export const DEFAULT_READ_CACHE_MAX_AGE_MS = 10_000;

/** What a store remembers about the cacheable answers it gave. */
export interface CacheFence {
  /** Every cacheable answer given so far has expired, in every cache, by this time (ms). Persisted. */
  readonly until: number;
  /** No cacheable answer starts below this offset (a deletion up to it is pending). */
  readonly floor: number;
  /** When every answer that started below `floor` has expired. */
  readonly floorSafeAt: number;
  /** No cacheable answer at all before this time (the partition is about to be deleted). */
  readonly closedUntil: number;
}

/** A partition that never gave a cacheable answer. */
export const OPEN_CACHE_FENCE: CacheFence = Object.freeze({
  until: 0,
  floor: 0,
  floorSafeAt: 0,
  closedUntil: 0,
});

export interface CacheableRead {
  readonly fence: CacheFence;
  /** The offset the reader asked for: records below it are not part of the answer. */
  readonly offset: number;
  /** The answer's batches, in order. */
  readonly batches: readonly Pick<
    BatchInfo,
    "baseOffset" | "lastOffset" | "maxTimestamp" | "logAppendTime"
  >[];
  /** The reader keeps at most this many records from `offset` (`CacheableReadRequest.records`); default all. */
  readonly records?: number | undefined;
  readonly highWatermark: number;
  readonly config: Pick<TopicConfig, "retention.ms" | "retention.bytes" | "cleanup.policy">;
  readonly nowMs: number;
  /** The longest lifetime the caller wants (clamped to `READ_CACHE_MAX_AGE_LIMIT_MS`). */
  readonly maxAgeMs: number;
}

/**
 * Until when an answer may be cached (ms), or `null` when it may not. What the reader keeps of it (every batch, or
 * its first `records` records) must hold records and be unable to change: it ends below the high watermark, or it
 * holds all the records the reader keeps (an answer that stopped at the high watermark would grow if asked again).
 * It must start at or above the fence's floor, and the topic must only ever delete whole batches by age or size
 * (`cleanup.policy: delete`; compaction rewrites history).
 */
export function cacheableUntil(read: CacheableRead): number | null {
  const { fence, batches, config, nowMs, offset } = read;
  const last = batches.at(-1);
  if (last === undefined || last.lastOffset < offset) return null;
  const keep = read.records ?? Number.POSITIVE_INFINITY;
  const end = Math.min(last.lastOffset + 1, offset + keep);
  if (!(end < read.highWatermark || end - offset >= keep)) return null;
  if (config["cleanup.policy"] !== "delete") return null;
  if (nowMs < fence.closedUntil || offset < fence.floor) return null;
  let until = nowMs + Math.min(read.maxAgeMs, READ_CACHE_MAX_AGE_LIMIT_MS);
  for (const batch of batches) {
    if (batch.lastOffset < offset || batch.baseOffset >= end) continue;
    const expiresAt = batchExpiresAt(batch, config);
    if (expiresAt !== null) until = Math.min(until, expiresAt - READ_CACHE_CLOCK_SLACK_MS);
  }
  return until - nowMs >= READ_CACHE_MIN_LIFETIME_MS ? until : null;
}

/**
 * The fence after giving an answer cached until `expiresAt`, or `null` when it already covers it. A store
 * persists the new fence before the answer leaves; it moves `leaseMs` further than needed, so a partition read
 * steadily writes it about once per lease rather than on every read.
 */
export function extendCacheFence(fence: CacheFence, expiresAt: number, leaseMs: number): CacheFence | null {
  if (expiresAt <= fence.until) return null;
  return { ...fence, until: expiresAt + Math.max(0, leaseMs) };
}

/** The fence of a partition about to be deleted: no cacheable answer for `forMs`. */
export function closeCacheFence(fence: CacheFence, nowMs: number, forMs: number): CacheFence {
  return { ...fence, closedUntil: Math.max(fence.closedUntil, nowMs + forMs) };
}

export interface FencedDeletion {
  /** Move the log start to this offset now (the current log start: nothing yet). */
  readonly deleteTo: number;
  readonly fence: CacheFence;
  /** When to plan the rest again (`null`: nothing left). */
  readonly retryAt: number | null;
}

/**
 * A deletion (retention, or anything else no caller waits for) wants the log start at `target`: how far it may
 * move now. Answers that started below `floor` were all given before the floor rose, so once `floorSafeAt` has
 * passed the log start may move up to it; the rest of the way waits for the answers given until now, whose
 * expiry is the fence's `until`, and the floor rises to `target` so that no later answer adds to them.
 */
export function planFencedDeletion(
  fence: CacheFence,
  deletion: { readonly target: number; readonly logStartOffset: number; readonly nowMs: number },
): FencedDeletion {
  const { target, logStartOffset, nowMs } = deletion;
  if (target <= logStartOffset) return { deleteTo: logStartOffset, fence, retryAt: null };
  if (nowMs >= fence.until) return { deleteTo: target, fence, retryAt: null };
  const protectedTo = nowMs >= fence.floorSafeAt ? fence.floor : logStartOffset;
  const deleteTo = Math.max(logStartOffset, Math.min(target, protectedTo));
  if (deleteTo >= target) return { deleteTo, fence, retryAt: null };
  const raised = target > fence.floor ? { ...fence, floor: target, floorSafeAt: fence.until } : fence;
  return { deleteTo, fence: raised, retryAt: Math.max(raised.floorSafeAt, nowMs + 1) };
}

/**
 * When a compaction pass due at `dueAt` may start: not before every cacheable answer given has expired. A pass
 * removes superseded records and, after `delete.retention.ms`, tombstones; a reader served a cached range holding
 * a key's earlier value, then reading on past the removed tombstone, would keep a value the log deleted. Compacted
 * topics give no cacheable answers (`cacheableUntil`), so the fence stops moving once a topic compacts: at most
 * its first pass after `cleanup.policy` leaves `delete` waits, for one max-age and lease.
 */
export function compactionFencedAt(fence: Pick<CacheFence, "until">, dueAt: number | null): number | null {
  return dueAt === null ? null : Math.max(dueAt, fence.until);
}
