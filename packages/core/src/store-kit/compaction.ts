/**
 * @module
 * Log compaction (docs/semantics.md §A10), the rule once for every store: which records of a compacted partition
 * survive a pass, given its batches, the time and the topic's settings. Kafka's cleaner, on batches instead of
 * segments:
 *
 * - The partition has a **checkpoint** (Kafka's first dirty offset): batches below it were compacted by an earlier
 *   pass, batches from it on were written since. A pass first **indexes** the dirty batches, oldest first — key →
 *   latest offset — up to the first one younger than `min.compaction.lag.ms` or until the index is full, then
 *   **cleans** every batch below where indexing stopped, and the checkpoint moves there.
 * - Cleaning a batch drops each record whose key has a later record in the index, each tombstone (`null` value)
 *   older than `delete.retention.ms`, and keyless records (only a topic that became compacted holds any; Kafka's
 *   cleaner drops them too). The log's last record is never dropped, so the high watermark always follows a record
 *   and a reader at any offset below it finds one.
 * - Offsets never change. A batch that lost records is replaced by one batch per run of consecutive survivors, each
 *   at its records' original offsets (a batch that lost none is left as it is, byte for byte; one whose first
 *   record survives keeps its base offset), so a reader computes every offset as it always did (`baseOffset + i`)
 *   and offsets the pass removed are gaps between batches.
 *
 * The pass is a state machine the store feeds batches to (`CompactionPass`), so a store can run it in one
 * transaction (memory, IndexedDB) or in bounded slices between appends (the Durable Object's alarm). Producer state
 * is not touched: it lives beside the batches and keeps the offsets it remembers, so a retried batch is still
 * answered as a duplicate after compaction.
 */
import { decodeBatch, encodeBatch, type ProducerStamp } from "../codec/record-batch.ts";
import { EdgeLogError } from "../errors.ts";
import type { LogRecord } from "../record.ts";
import type { BatchInfo, StoredBatch } from "../store.ts";
import type { TopicConfig } from "../topic-config.ts";
import { compacts, deleteRetentionMs, minCompactionLagMs } from "./compaction-config.ts";

/** What a store keeps between passes (JSON). */
export interface CompactionCheckpoint {
  /** Kafka's first dirty offset: batches from here on were written since the last pass. */
  readonly cleanedTo: number;
  /** Retained bytes below `cleanedTo` (the clean section), for the dirty ratio. */
  readonly cleanBytes: number;
}

/** A partition never compacted. */
export const NO_COMPACTION_CHECKPOINT: CompactionCheckpoint = Object.freeze({ cleanedTo: 0, cleanBytes: 0 });

/**
 * Memory the key index of one pass may take, counted as key bytes plus {@link INDEX_ENTRY_BYTES} per key: the bound
 * of Kafka's `log.cleaner.dedupe.buffer.size`. A pass that fills it stops indexing there and cleans below; the next
 * pass goes on from that point. With keys capped at 8 KiB (`RECORD_CAPS`) one batch of at most 2 MB always fits.
 */
export const COMPACTION_INDEX_BUDGET_BYTES = 16 * 1024 * 1024;
/** What one key costs in the index besides its bytes (a map entry, a string header, the offset). */
export const INDEX_ENTRY_BYTES = 64;
/** Sequences wrap here, as the producer's do. */
const SEQUENCE_MODULUS = 2 ** 31;

/** When a batch counts as written, for `min.compaction.lag.ms` (as for retention: never before it was appended). */
export function batchTime(batch: Pick<BatchInfo, "maxTimestamp" | "logAppendTime">): number {
  return Math.max(batch.maxTimestamp, batch.logAppendTime);
}

/** Whether a dirty batch is old enough to be compacted at `nowMs`. */
export function batchCleanable(
  batch: Pick<BatchInfo, "maxTimestamp" | "logAppendTime">,
  config: TopicConfig,
  nowMs: number,
): boolean {
  const lag = minCompactionLagMs(config);
  // Kafka applies the lag only when one is set: a record stamped in the future is not held back by a lag of 0.
  return lag === 0 || batchTime(batch) + lag <= nowMs;
}

/** A key's bytes as a string that equals another key's exactly when the bytes do (one char per byte). */
function keyOf(key: Uint8Array): string {
  let text = "";
  // Chunks keep the argument list short; keys are at most 8 KiB (RECORD_CAPS), but a copy of history may exceed it.
  for (let i = 0; i < key.length; i += 4096) {
    text += String.fromCharCode(...key.subarray(i, Math.min(i + 4096, key.length)));
  }
  return text;
}

/** Key → latest offset among the batches a pass indexed, within a memory budget. */
export class CompactionIndex {
  readonly #latest = new Map<string, number>();
  readonly #budgetBytes: number;
  #bytes = 0;

  constructor(budgetBytes = COMPACTION_INDEX_BUDGET_BYTES) {
    this.#budgetBytes = budgetBytes;
  }

  /** Keys held. */
  get size(): number {
    return this.#latest.size;
  }

  /** Bytes counted against the budget. */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Indexes every keyed record of `batch`, or nothing and `false` when its new keys would exceed the budget — unless
   * the index is empty, so a pass always indexes at least one batch.
   */
  add(batch: Pick<StoredBatch, "baseOffset" | "payload">): boolean {
    const { records } = decodeBatch(batch.payload);
    const entries: [string, number][] = [];
    let added = 0;
    const fresh = new Set<string>();
    records.forEach((record, i) => {
      if (record.key === null) return;
      const key = keyOf(record.key);
      if (!this.#latest.has(key) && !fresh.has(key)) {
        fresh.add(key);
        added += key.length + INDEX_ENTRY_BYTES;
      }
      entries.push([key, batch.baseOffset + i]);
    });
    if (this.#latest.size > 0 && this.#bytes + added > this.#budgetBytes) return false;
    for (const [key, offset] of entries) this.#latest.set(key, offset);
    this.#bytes += added;
    return true;
  }

  /** The latest offset of `key` among the indexed batches, `undefined` when none has it. */
  latest(key: Uint8Array): number | undefined {
    return this.#latest.get(keyOf(key));
  }
}

/** Where a pass starts: the partition's bounds and checkpoint, the time, the settings. */
export interface CompactionPassInput {
  readonly config: TopicConfig;
  readonly nowMs: number;
  readonly logStartOffset: number;
  /** The log end when the pass starts: its last record (`highWatermark - 1`) is never dropped. */
  readonly highWatermark: number;
  readonly checkpoint: CompactionCheckpoint;
  /** The index's budget; default {@link COMPACTION_INDEX_BUDGET_BYTES}. Tests lower it. */
  readonly indexBudgetBytes?: number;
}

/** What a pass did, for a store's stats and its tests. */
export interface CompactionPassStats {
  readonly indexedBatches: number;
  readonly indexedKeys: number;
  readonly cleanedBatches: number;
  /** Batches that lost records (each replaced by zero or more). */
  readonly rewrittenBatches: number;
  readonly removedRecords: number;
  readonly removedBytes: number;
}

/**
 * One compaction pass. Feed it the dirty batches in offset order with {@link index} until it answers `false` or
 * they run out ({@link endIndex}); then every retained batch below {@link cleanEnd} to {@link clean}, which says
 * what replaces it; then store {@link checkpoint}. Pure: the store reads and writes.
 * @example
 * const pass = new CompactionPass({ config, nowMs, logStartOffset, highWatermark, checkpoint });
 * for (const batch of batchesFrom(pass.dirtyFrom)) if (!pass.index(batch)) break;
 * pass.endIndex();
 * for (const batch of batchesBelow(pass.cleanEnd)) replace(batch, pass.clean(batch));
 * saveCheckpoint(pass.checkpoint());
 */
export class CompactionPass {
  /** The first dirty offset: where indexing starts. */
  readonly dirtyFrom: number;
  readonly #input: CompactionPassInput;
  readonly #index: CompactionIndex;
  /** Where indexing stopped (`null` while it goes on): batches below it are cleaned. */
  #cleanEnd: number | null = null;
  #indexed = 0;
  #cleaned = 0;
  #cleanBytes = 0;
  #rewritten = 0;
  #removedRecords = 0;
  #removedBytes = 0;

  /** @throws EdgeLogError `INVALID_REQUEST` for a topic that is not compacted: its records must all stay. */
  constructor(input: CompactionPassInput) {
    if (!compacts(input.config)) {
      throw new EdgeLogError(
        "INVALID_REQUEST",
        `cleanup.policy=${input.config["cleanup.policy"]}: only a compacted topic is compacted`,
        { context: { config: "cleanup.policy" } },
      );
    }
    this.#input = input;
    this.dirtyFrom = Math.max(input.checkpoint.cleanedTo, input.logStartOffset);
    this.#index = new CompactionIndex(input.indexBudgetBytes);
  }

  /** Whether indexing is over. */
  get indexed(): boolean {
    return this.#cleanEnd !== null;
  }

  /** Batches whose base offset is below this are cleaned (once indexing is over). */
  get cleanEnd(): number {
    if (this.#cleanEnd === null) throw new Error("CompactionPass: cleanEnd before indexing ended");
    return this.#cleanEnd;
  }

  /**
   * Offers the next dirty batch (offset order, from `dirtyFrom`). `false` ends indexing before it: it is younger
   * than `min.compaction.lag.ms`, or its keys do not fit the index; it stays dirty for a later pass.
   */
  index(batch: StoredBatch): boolean {
    if (this.#cleanEnd !== null) throw new Error("CompactionPass: index after indexing ended");
    const { config, nowMs } = this.#input;
    if (!batchCleanable(batch, config, nowMs) || !this.#index.add(batch)) {
      this.#cleanEnd = batch.baseOffset;
      return false;
    }
    this.#indexed++;
    return true;
  }

  /** No more dirty batches than those offered: all were indexed, and cleaning covers the whole log. */
  endIndex(): void {
    this.#cleanEnd ??= this.#input.highWatermark;
  }

  /**
   * What replaces a batch below `cleanEnd`: `null` when every record survives (leave it as it is), else the batches
   * of its surviving runs, in offset order (none when no record survives).
   */
  clean(batch: StoredBatch): StoredBatch[] | null {
    if (this.#cleanEnd === null) throw new Error("CompactionPass: clean before indexing ended");
    this.#cleaned++;
    const { config, nowMs, highWatermark } = this.#input;
    const tombstoneHorizon = nowMs - deleteRetentionMs(config);
    const lastOffset = highWatermark - 1;
    const { header, records } = decodeBatch(batch.payload);
    const keep = records.map((record, i) => {
      const offset = batch.baseOffset + i;
      if (offset === lastOffset) return true;
      if (record.key === null) return false;
      const latest = this.#index.latest(record.key);
      if (latest !== undefined && latest > offset) return false;
      // A tombstone's age counts like a batch's: from its timestamp, never from before it was appended.
      return !(record.value === null && Math.max(record.timestamp, batch.logAppendTime) <= tombstoneHorizon);
    });
    if (keep.every(Boolean)) {
      this.#cleanBytes += batch.sizeBytes;
      return null;
    }
    const producer: ProducerStamp | undefined =
      header.producerId === null
        ? undefined
        : {
            producerId: header.producerId,
            producerEpoch: header.producerEpoch,
            baseSequence: header.baseSequence,
          };
    const replacements: StoredBatch[] = [];
    let start = 0;
    while (start < records.length) {
      if (!keep[start]) {
        start++;
        continue;
      }
      let end = start;
      while (end + 1 < records.length && keep[end + 1]) end++;
      replacements.push(rewriteRun(batch, records.slice(start, end + 1), start, producer));
      start = end + 1;
    }
    const keptBytes = replacements.reduce((sum, b) => sum + b.sizeBytes, 0);
    this.#cleanBytes += keptBytes;
    this.#rewritten++;
    this.#removedRecords += keep.filter((kept) => !kept).length;
    this.#removedBytes += batch.sizeBytes - keptBytes;
    return replacements;
  }

  /** The checkpoint after the pass, once every retained batch below `cleanEnd` went through {@link clean}. */
  checkpoint(): CompactionCheckpoint {
    return { cleanedTo: this.cleanEnd, cleanBytes: this.#cleanBytes };
  }

  stats(): CompactionPassStats {
    return {
      indexedBatches: this.#indexed,
      indexedKeys: this.#index.size,
      cleanedBatches: this.#cleaned,
      rewrittenBatches: this.#rewritten,
      removedRecords: this.#removedRecords,
      removedBytes: this.#removedBytes,
    };
  }
}

/**
 * One run of consecutive survivors as a batch at their original offsets: stamped by the original producer at the
 * run's own sequence, with the original append time.
 */
function rewriteRun(
  batch: StoredBatch,
  records: readonly LogRecord[],
  firstIndex: number,
  producer: ProducerStamp | undefined,
): StoredBatch {
  const stamp =
    producer === undefined
      ? undefined
      : { ...producer, baseSequence: (producer.baseSequence + firstIndex) % SEQUENCE_MODULUS };
  const payload = encodeBatch(records, stamp);
  let maxTimestamp = 0;
  for (const record of records) maxTimestamp = Math.max(maxTimestamp, record.timestamp);
  const baseOffset = batch.baseOffset + firstIndex;
  return {
    baseOffset,
    lastOffset: baseOffset + records.length - 1,
    recordCount: records.length,
    maxTimestamp,
    logAppendTime: batch.logAppendTime,
    sizeBytes: payload.byteLength,
    payload,
  };
}

/**
 * Runs a whole pass over batches held in memory (or read in one transaction): what the memory and IndexedDB stores
 * do. `dirty` are the batches from `pass.dirtyFrom` on, `below(end)` those whose base offset is under `end`.
 * Answers the replacements by the base offset of the batch they replace.
 */
export function runCompactionPass(
  pass: CompactionPass,
  dirty: Iterable<StoredBatch>,
  below: (end: number) => Iterable<StoredBatch>,
): Map<number, StoredBatch[]> {
  for (const batch of dirty) if (!pass.index(batch)) break;
  pass.endIndex();
  const replaced = new Map<number, StoredBatch[]>();
  for (const batch of below(pass.cleanEnd)) {
    const replacement = pass.clean(batch);
    if (replacement !== null) replaced.set(batch.baseOffset, replacement);
  }
  return replaced;
}
