/**
 * @module
 * A partition's side of cacheable catch-up reads (core's `store-kit/read-cache.ts` has the rules; the why is in
 * docs/architecture.md "Cached catch-up reads"): which answers it lets caches keep and for how long, and the fence
 * that holds its deletions back until those answers have expired everywhere.
 *
 * Only the fence's `until` is persisted — in a one-row table made on first use, before the answer that moved it
 * leaves the object (the output gate holds the answer until the write is durable) — because it is what a
 * deletion after a restart must still wait for. The floor and a close are kept in memory: losing them only makes
 * a pending deletion wait once more, or lets caching resume early on an object about to be destroyed, which waits
 * for its fence anyway.
 */
import type { CacheableReadRequest, ReadResult, TopicConfig } from "@edgelog/core";
import {
  type CacheFence,
  cacheableUntil,
  closeCacheFence,
  extendCacheFence,
  type FencedDeletion,
  OPEN_CACHE_FENCE,
  planFencedDeletion,
  READ_CACHE_MAX_AGE_LIMIT_MS,
  sleep,
} from "@edgelog/core/store-kit";

const SCHEMA =
  "CREATE TABLE IF NOT EXISTS read_cache (id INTEGER PRIMARY KEY CHECK (id = 0), fence_until INTEGER NOT NULL)";

/** How long a partition about to be deleted gives no cacheable answer past its fence: time for the delete. */
export const CLOSE_FOR_MS = 60_000;

export class ReadCacheFence {
  readonly #sql: SqlStorage;
  #fence: CacheFence = OPEN_CACHE_FENCE;
  #tableReady = false;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  /** Every cacheable answer given so far has expired by this time. */
  get until(): number {
    return this.#fence.until;
  }

  /** (Re)loads the persisted fence: at start-up and after a rolled-back transaction. */
  load(): void {
    const exists =
      this.#sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'read_cache'").toArray()
        .length > 0;
    this.#tableReady = exists;
    const row = exists
      ? this.#sql
          .exec<{ fence_until: number }>("SELECT fence_until FROM read_cache WHERE id = 0")
          .toArray()[0]
      : undefined;
    this.#fence = { ...this.#fence, until: Math.max(this.#fence.until, row?.fence_until ?? 0) };
  }

  /**
   * `result` with `cacheUntil` when what the reader keeps of it may be cached (core's `cacheableUntil`), the fence
   * moved past it first; `result` unchanged otherwise.
   */
  answer(
    result: ReadResult,
    read: CacheableReadRequest & { readonly offset: number; readonly config: TopicConfig },
    nowMs: number,
  ): ReadResult {
    if (!(read.maxAgeMs > 0)) return result;
    const maxAgeMs = Math.min(read.maxAgeMs, READ_CACHE_MAX_AGE_LIMIT_MS);
    const cacheUntil = cacheableUntil({
      fence: this.#fence,
      offset: read.offset,
      batches: result.batches,
      records: read.records,
      highWatermark: result.highWatermark,
      config: read.config,
      nowMs,
      maxAgeMs,
    });
    if (cacheUntil === null) return result;
    // Half a max-age of lease: a steadily read partition writes the fence about twice per max-age.
    const next = extendCacheFence(this.#fence, cacheUntil, maxAgeMs / 2);
    if (next !== null) {
      if (!this.#tableReady) this.#sql.exec(SCHEMA);
      this.#sql.exec("INSERT OR REPLACE INTO read_cache (id, fence_until) VALUES (0, ?)", next.until);
      this.#tableReady = true;
      this.#fence = next;
    }
    return { ...result, cacheUntil };
  }

  /** A deletion no caller waits for (retention) wants the log start at `target`: how far it may go now. */
  planDeletion(target: number, logStartOffset: number, nowMs: number): FencedDeletion {
    const plan = planFencedDeletion(this.#fence, { target, logStartOffset, nowMs });
    this.#fence = plan.fence;
    return plan;
  }

  /** The partition is about to be deleted: no cacheable answer for a while. Answers when all given expire. */
  close(nowMs: number): number {
    this.#fence = closeCacheFence(this.#fence, nowMs, Math.max(0, this.#fence.until - nowMs) + CLOSE_FOR_MS);
    return this.#fence.until;
  }

  /**
   * Waits until every answer cached before `until` (a fence read when a deletion began) has expired: a deletion a
   * caller waits for (DeleteRecords, the partition's destruction) answers only then.
   */
  async waitFor(until: number): Promise<void> {
    const left = until - Date.now();
    if (left > 0) await sleep(left);
  }
}
