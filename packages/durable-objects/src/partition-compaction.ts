/**
 * @module
 * Compaction of one `PartitionObject` (docs/semantics.md §A10) in bounded slices. Core's `CompactionPass` decides;
 * this runs it over the object's SQLite one slice at a time — each slice reads whole batches up to
 * `COMPACTION_SLICE_BYTES` (at least one batch) and, while cleaning, replaces the batches that lost records in one
 * transaction — so an append never waits behind more than one slice. The object runs a slice per alarm and re-arms
 * the alarm while the pass has work left; appends, reads and retention run between slices and always see a
 * consistent log (each slice commits whole). The pass itself lives in memory: an object evicted mid-pass starts a
 * fresh one, and what the slices before committed stays valid (each removed only records superseded in the log).
 * No pass starts while cacheable answers the partition gave may live (core's `compactionFencedAt`), nor for a
 * while after a slice failed (`COMPACTION_RETRY_MS`).
 */
import type { BatchInfo, StoredBatch, TopicConfig } from "@edgelog/core";
import {
  type CompactionCheckpoint,
  CompactionPass,
  type CompactionPassStats,
  compactionDueAt,
  compactionFencedAt,
  compacts,
  NO_COMPACTION_CHECKPOINT,
} from "@edgelog/core/store-kit";
import {
  BATCH_INFO_COLUMNS,
  type BatchInfoRow,
  type BatchRow,
  insertBatch,
  mapRows,
  toBatchInfo,
  toStoredBatch,
} from "./batch-rows.ts";

/**
 * Batch bytes one slice reads at most (it always reads one batch, which a topic's `max.message.bytes` bounds):
 * the longest an append waits behind compaction is one slice — decoding this much, re-encoding what survives and
 * writing the replacements.
 */
export const COMPACTION_SLICE_BYTES = 256 * 1024;

/**
 * After a slice failed (a batch that does not decode, storage refusing the rewrite), no pass for this long: the
 * alarm's other work (retention, live sockets, replication) goes on meanwhile, and a failure that persists costs
 * one slice a minute rather than the alarm itself.
 */
export const COMPACTION_RETRY_MS = 60_000;

/** The checkpoint table, created with the partition's schema. */
export const COMPACTION_SCHEMA =
  "CREATE TABLE IF NOT EXISTS compaction (id INTEGER PRIMARY KEY CHECK (id = 0), cleaned_to INTEGER NOT NULL, clean_bytes INTEGER NOT NULL)";

/** What compaction needs of its partition object. */
export interface CompactionHost {
  readonly sql: SqlStorage;
  transactionSync<T>(body: () => T): T;
  /** The partition's config and bounds, `null` once it is gone. */
  partition(): {
    readonly config: TopicConfig;
    readonly logStartOffset: number;
    readonly highWatermark: number;
  } | null;
  /** Every cacheable answer the partition gave has expired by then (`read-cache-fence.ts`): no pass before. */
  cacheFenceUntil(): number;
  /** Retained bytes, which the object keeps in memory. */
  sizeBytes(): number;
  setSizeBytes(bytes: number): void;
}

/** Counters for tests and the benchmark: how many slices, and how much one slice did at most. */
export interface CompactionStats {
  readonly passes: number;
  readonly slices: number;
  /** The most batch bytes one slice read (the longest pause an append could see, in bytes). */
  readonly maxSliceBytes: number;
  /** The most batches one slice read. */
  readonly maxSliceBatches: number;
  /** The most rows one slice deleted and inserted. */
  readonly maxSliceRowWrites: number;
  readonly lastPass: CompactionPassStats | null;
}

interface RunningPass {
  readonly pass: CompactionPass;
  /** The log end when the pass started: indexing stops there. */
  readonly end: number;
  /** Where the next slice reads from. */
  cursor: number;
}

export class PartitionCompactor {
  readonly #host: CompactionHost;
  #checkpoint: CompactionCheckpoint = NO_COMPACTION_CHECKPOINT;
  #running: RunningPass | null = null;
  /** Core's due time as last computed (`undefined`: to compute). A finite one stays valid until a pass ends. */
  #due: number | null | undefined;
  #passes = 0;
  #slices = 0;
  #maxSliceBytes = 0;
  #maxSliceBatches = 0;
  #maxSliceRowWrites = 0;
  #lastPass: CompactionPassStats | null = null;
  /** No pass before this time: a slice failed (`COMPACTION_RETRY_MS`). */
  #failedUntil = 0;

  constructor(host: CompactionHost) {
    this.#host = host;
  }

  /**
   * Reads the checkpoint (start-up, and whenever the object reloads from SQLite). A pass under way goes on: what it
   * reads it reads afresh each slice, and whatever changed in between (appends, retention) leaves it valid.
   */
  load(): void {
    const { sql } = this.#host;
    const exists =
      sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'compaction'").toArray()
        .length > 0;
    const row = exists
      ? sql
          .exec<{ cleaned_to: number; clean_bytes: number }>("SELECT * FROM compaction WHERE id = 0")
          .toArray()[0]
      : undefined;
    this.#checkpoint =
      row === undefined
        ? NO_COMPACTION_CHECKPOINT
        : { cleanedTo: row.cleaned_to, cleanBytes: row.clean_bytes };
    this.#due = undefined;
  }

  /** The config or the log changed under a pass (reconfigured, truncated, destroyed): drop it, recompute when. */
  reset(): void {
    this.#running = null;
    this.#due = undefined;
  }

  /** Appends or retention changed the partition: a `null` due time may have become one. */
  changed(): void {
    if (this.#due === null) this.#due = undefined;
  }

  /** Retention removed batches: the clean section is what remains below the checkpoint (one query, exact). */
  recount(): void {
    const { cleanedTo } = this.#checkpoint;
    if (cleanedTo > 0) this.#write({ cleanedTo, cleanBytes: this.#bytesBelow(cleanedTo) });
    this.changed();
  }

  /** Whether a pass is under way (the alarm must come back for its next slice). */
  get running(): boolean {
    return this.#running !== null;
  }

  /** When the next pass is due (core's schedule), `null` when nothing makes one due. */
  dueAt(nowMs: number): number | null {
    const partition = this.#host.partition();
    if (partition === null || !compacts(partition.config)) return null;
    if (this.#due === undefined) {
      const state = { sizeBytes: this.#host.sizeBytes(), checkpoint: this.#checkpoint };
      this.#due = compactionDueAt(
        partition.config,
        state,
        () => this.#infosFrom(this.#checkpoint.cleanedTo),
        nowMs,
      );
    }
    // Cached answers given while the topic was `delete` may still show what a pass would remove.
    const at = compactionFencedAt({ until: this.#host.cacheFenceUntil() }, this.#due);
    return at === null ? null : Math.max(at, this.#failedUntil);
  }

  /**
   * Starts a pass now (whether or not one is due); a pass under way is replaced. The caller has waited for the
   * cache fence (`cacheFenceUntil`), as the alarm's passes do.
   */
  start(nowMs: number): object {
    const partition = this.#host.partition();
    if (partition === null) throw new Error("compaction of a partition that is gone");
    const pass = new CompactionPass({
      config: partition.config,
      nowMs,
      logStartOffset: partition.logStartOffset,
      highWatermark: partition.highWatermark,
      checkpoint: this.#checkpoint,
    });
    this.#running = { pass, end: partition.highWatermark, cursor: pass.dirtyFrom };
    return this.#running;
  }

  /** The pass under way, to tell it from a later one. */
  get current(): object | null {
    return this.#running;
  }

  /**
   * Runs one slice of the pass under way (starting one when due); answers whether work is left. A slice that throws
   * drops the pass and holds the next one back for `COMPACTION_RETRY_MS`.
   */
  slice(nowMs: number): boolean {
    try {
      return this.#slice(nowMs);
    } catch (error) {
      this.reset();
      this.#failedUntil = nowMs + COMPACTION_RETRY_MS;
      throw error;
    }
  }

  #slice(nowMs: number): boolean {
    const partition = this.#host.partition();
    if (partition === null || !compacts(partition.config)) {
      this.reset();
      return false;
    }
    if (this.#running === null) {
      const due = this.dueAt(nowMs);
      if (due === null || due > nowMs) return false;
      this.start(nowMs);
    }
    const running = this.#running as RunningPass;
    this.#slices++;
    if (!running.pass.indexed) this.#indexSlice(running);
    else this.#cleanSlice(running);
    return this.#running !== null;
  }

  stats(): CompactionStats {
    return {
      passes: this.#passes,
      slices: this.#slices,
      maxSliceBytes: this.#maxSliceBytes,
      maxSliceBatches: this.#maxSliceBatches,
      maxSliceRowWrites: this.#maxSliceRowWrites,
      lastPass: this.#lastPass,
    };
  }

  /** Indexes dirty batches up to the slice budget; when indexing ends, cleaning starts from the log start. */
  #indexSlice(running: RunningPass): void {
    const { pass } = running;
    let bytes = 0;
    let batches = 0;
    let exhausted = true;
    for (const row of this.#rows(running.cursor, running.end)) {
      if (batches > 0 && bytes + row.size_bytes > COMPACTION_SLICE_BYTES) {
        exhausted = false;
        break;
      }
      bytes += row.size_bytes;
      batches++;
      if (!pass.index(toStoredBatch(row))) break;
      running.cursor = row.last_offset + 1;
    }
    if (exhausted && !pass.indexed) pass.endIndex();
    if (pass.indexed) running.cursor = 0;
    this.#measure(bytes, batches, 0);
  }

  /** Cleans the next batches below the pass's end, up to the slice budget, in one transaction. */
  #cleanSlice(running: RunningPass): void {
    const { pass } = running;
    const { sql } = this.#host;
    let bytes = 0;
    let batches = 0;
    let writes = 0;
    let exhausted = true;
    const replaced: [BatchRow, StoredBatch[]][] = [];
    for (const row of this.#rows(running.cursor, pass.cleanEnd)) {
      if (batches > 0 && bytes + row.size_bytes > COMPACTION_SLICE_BYTES) {
        exhausted = false;
        break;
      }
      bytes += row.size_bytes;
      batches++;
      const replacement = pass.clean(toStoredBatch(row));
      if (replacement !== null) replaced.push([row, replacement]);
      // Past the whole original batch: its replacements all lie inside it and must not be read again.
      running.cursor = row.last_offset + 1;
    }
    let sizeBytes = this.#host.sizeBytes();
    try {
      this.#host.transactionSync(() => {
        for (const [row, replacements] of replaced) {
          sql.exec("DELETE FROM batches WHERE base_offset = ?", row.base_offset);
          sizeBytes -= row.size_bytes;
          writes++;
          for (const b of replacements) {
            insertBatch(sql, b);
            sizeBytes += b.sizeBytes;
            writes++;
          }
        }
        if (exhausted) {
          // Counted from what is stored now, not from what the pass saw: retention may have run between slices.
          this.#write({ cleanedTo: pass.cleanEnd, cleanBytes: this.#bytesBelow(pass.cleanEnd) });
        }
      });
    } catch (error) {
      // Rolled back: the pass believes these batches cleaned, so it must not finish and move the checkpoint past
      // them. Dropped, a later pass cleans them.
      this.reset();
      throw error;
    }
    this.#host.setSizeBytes(sizeBytes);
    this.#measure(bytes, batches, writes);
    if (exhausted) {
      this.#passes++;
      this.#lastPass = pass.stats();
      this.#running = null;
      this.#due = undefined;
    }
  }

  #bytesBelow(offset: number): number {
    const row = this.#host.sql
      .exec<{ total: number | null }>(
        "SELECT sum(size_bytes) AS total FROM batches WHERE base_offset < ?",
        offset,
      )
      .one();
    return row.total ?? 0;
  }

  #write(checkpoint: CompactionCheckpoint): void {
    const { sql } = this.#host;
    sql.exec(COMPACTION_SCHEMA);
    sql.exec(
      "INSERT OR REPLACE INTO compaction (id, cleaned_to, clean_bytes) VALUES (0, ?, ?)",
      checkpoint.cleanedTo,
      checkpoint.cleanBytes,
    );
    this.#checkpoint = checkpoint;
  }

  #measure(bytes: number, batches: number, writes: number): void {
    this.#maxSliceBytes = Math.max(this.#maxSliceBytes, bytes);
    this.#maxSliceBatches = Math.max(this.#maxSliceBatches, batches);
    this.#maxSliceRowWrites = Math.max(this.#maxSliceRowWrites, writes);
  }

  /** Batches whose base offset lies in `[from, to)`, read as the caller goes (it stops at its budget). */
  *#rows(from: number, to: number): Generator<BatchRow> {
    yield* this.#host.sql.exec<BatchRow>(
      "SELECT * FROM batches WHERE base_offset >= ? AND base_offset < ? ORDER BY base_offset",
      from,
      to,
    );
  }

  #infosFrom(offset: number): Iterable<BatchInfo> {
    return mapRows(
      this.#host.sql.exec<BatchInfoRow>(
        `SELECT ${BATCH_INFO_COLUMNS} FROM batches WHERE base_offset >= ? ORDER BY base_offset`,
        offset,
      ),
      toBatchInfo,
    );
  }
}
