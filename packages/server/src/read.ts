/**
 * @module
 * Reading records for the JSON fetch and the SSE tail: resolve the start offset against the partition's bounds
 * (416 outside them), read whole batches (optionally waiting), decode them and skip records below the start.
 */
import {
  type ConsumedRecord,
  decodeBatch,
  type LogStore,
  type PartitionOffsets,
  type ReadPreference,
  type TopicPartition,
} from "@edgelog/core";
import { assertOffsetInRange, DEFAULT_READ_MAX_BYTES } from "@edgelog/core/store-kit";
import { type OffsetSpec, resolveOffset } from "./params.ts";

/**
 * Resolves `spec` against the partition's bounds; a number outside `[logStartOffset, highWatermark]` → 416 —
 * unless the store's own read takes it: a replicated partition's new leader may have learned the high watermark
 * one push behind the old leader's, and a reader resuming there must wait rather than be told its offset is gone.
 */
export async function startOffset(
  store: LogStore,
  tp: TopicPartition,
  spec: OffsetSpec,
  near: ReadPreference = {},
): Promise<number> {
  const bounds = await (near.region === undefined ? store.offsets(tp) : store.offsets(tp, near));
  const offset = resolveOffset(spec, bounds);
  if (typeof spec === "number" && offset > bounds.highWatermark) {
    // One zero-wait read: the store answers nothing yet, or the same 416.
    await store.read(tp, { offset, maxBytes: 1, ...near });
    return offset;
  }
  assertOffsetInRange(tp, offset, bounds);
  return offset;
}

/**
 * Where a read starts: a numeric offset as given — the store's read refuses one outside the log with the same
 * 416 OFFSET_OUT_OF_RANGE (LogStore contract), so a fetch costs one partition call, not a bounds round trip
 * first — and `earliest` / `latest` resolved against the bounds.
 */
export async function readFrom(
  store: LogStore,
  tp: TopicPartition,
  spec: OffsetSpec,
  near: ReadPreference = {},
): Promise<number> {
  return typeof spec === "number" ? spec : startOffset(store, tp, spec, near);
}

export interface RecordsRead extends PartitionOffsets {
  readonly records: ConsumedRecord[];
  /** The offset after the last record returned, or the start offset when none was. */
  readonly nextOffset: number;
  /** Until when caches may keep this answer (every batch it came from said so); absent: not cacheable. */
  readonly cacheUntil?: number;
}

/**
 * Bytes per record the first read budgets for (a 100-byte value with a short key, headers and batch overhead
 * fit): a JSON fetch of `limit` records asks the partition for about that much instead of the whole default
 * 1 MiB, which for small records moved up to 8× more batches over RPC than it returned, only to drop them.
 */
const FIRST_READ_BYTES_PER_RECORD = 160;

/**
 * Reads up to `limit` records from `offset`, waiting up to `maxWaitMs` when there are none yet. Batches are
 * fetched in budgeted rounds — the first sized for `limit` small records, later ones from the bytes per record
 * seen so far — until `limit` records, the high watermark, or `DEFAULT_READ_MAX_BYTES` of batches in total.
 * @example
 * const { records, nextOffset } = await readRecords(store, tp, { offset: 0, limit: 500, maxWaitMs: 0 });
 */
export async function readRecords(
  store: LogStore,
  tp: TopicPartition,
  options: {
    offset: number;
    limit: number;
    maxWaitMs: number;
    signal?: AbortSignal | undefined;
    /** The reader's region (`read-region.ts`): which replica the store may read from. */
    region?: string | undefined;
    /** Ask the store for answers caches may keep this long (`ReadOptions.cache`; 0: do not ask). */
    cacheMaxAgeMs?: number | undefined;
  },
): Promise<RecordsRead> {
  const { offset, limit, signal } = options;
  const records: ConsumedRecord[] = [];
  let maxWaitMs = options.maxWaitMs;
  let readAt = offset;
  let from = offset;
  let bytes = 0;
  let maxBytes = Math.min(DEFAULT_READ_MAX_BYTES, limit * FIRST_READ_BYTES_PER_RECORD);
  const cacheMaxAgeMs = options.cacheMaxAgeMs ?? 0;
  // Until when the whole answer may be cached: every round's batches must be (`undefined` once one is not).
  let cacheUntil: number | undefined = Number.POSITIVE_INFINITY;
  for (let round = 0; ; round++) {
    const result = await store.read(tp, {
      offset: readAt,
      maxBytes,
      maxWaitMs,
      ...(signal === undefined ? {} : { signal }),
      ...(options.region === undefined ? {} : { region: options.region }),
      // Only `limit` records are kept: once those are all there, the answer cannot change.
      ...(cacheMaxAgeMs > 0 ? { cache: { maxAgeMs: cacheMaxAgeMs, records: limit - records.length } } : {}),
    });
    if (cacheUntil !== undefined) {
      cacheUntil = result.cacheUntil === undefined ? undefined : Math.min(cacheUntil, result.cacheUntil);
    }
    // ReadResult: the first batch may begin before `offset` and even before the log start; skip those records.
    if (round === 0) from = Math.max(offset, result.logStartOffset);
    for (const batch of result.batches) {
      if (records.length >= limit) break;
      bytes += batch.payload.byteLength;
      readAt = batch.lastOffset + 1;
      if (batch.lastOffset < from) continue;
      const { records: decoded } = decodeBatch(batch.payload);
      for (let i = 0; i < decoded.length && records.length < limit; i++) {
        const recordOffset = batch.baseOffset + i;
        if (recordOffset >= from) records.push({ ...(decoded[i] as ConsumedRecord), offset: recordOffset });
      }
    }
    const done =
      records.length >= limit ||
      result.batches.length === 0 ||
      readAt >= result.highWatermark ||
      bytes >= DEFAULT_READ_MAX_BYTES;
    if (done) {
      const last = records.at(-1);
      return {
        records,
        nextOffset: last === undefined ? from : last.offset + 1,
        logStartOffset: result.logStartOffset,
        highWatermark: result.highWatermark,
        ...(cacheUntil === undefined || records.length === 0 ? {} : { cacheUntil }),
      };
    }
    // Later rounds read what is already there; their budget follows the bytes per record seen so far.
    maxWaitMs = 0;
    const perRecord = bytes / Math.max(1, records.length);
    maxBytes = Math.min(DEFAULT_READ_MAX_BYTES - bytes, Math.ceil(perRecord * (limit - records.length)));
  }
}
