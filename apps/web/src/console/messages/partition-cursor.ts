/**
 * @module
 * One partition's place in a record window: where the window's records of that partition begin and end, the
 * records read past either end but not shown yet, and the reads that move those ends (a page forward from the end,
 * the page before the beginning). A log start that retention moved past a cursor (416) is followed, not fatal.
 */
import { EdgeLogError } from "@edgelog/core";
import type { StartPosition } from "./browse-query.ts";
import type { ConsoleRecord } from "./console-record.ts";
import type { PageRead, PageReader, PartitionBounds } from "./partition-reader.ts";

export class PartitionCursor {
  readonly partition: number;
  logStart: number;
  highWatermark: number;
  /** Next offset to read going forward; `ahead` holds records read before it but not shown yet. */
  nextForward: number;
  ahead: ConsoleRecord[] = [];
  /** The last forward read found nothing: at the end, as of `highWatermark`. */
  forwardDone = false;
  /** Records below this offset are not read yet; `behind` holds those read but not shown yet (ascending). */
  nextBackward: number;
  behind: ConsoleRecord[] = [];
  readonly #reader: PageReader;
  readonly #signal: AbortSignal;

  constructor(bounds: PartitionBounds, reader: PageReader, signal: AbortSignal) {
    this.partition = bounds.partition;
    this.logStart = bounds.logStartOffset;
    this.highWatermark = bounds.highWatermark;
    this.nextForward = this.nextBackward = bounds.logStartOffset;
    this.#reader = reader;
    this.#signal = signal;
  }

  /** Nothing more to read going back. */
  get atLogStart(): boolean {
    return this.behind.length === 0 && this.nextBackward <= this.logStart;
  }

  /** Whether a forward read is due before the next record going forward is known. */
  get needsForward(): boolean {
    return this.ahead.length === 0 && !this.forwardDone;
  }

  /** Whether a backward read is due before the next record going back is known. */
  get needsBackward(): boolean {
    return this.behind.length === 0 && this.nextBackward > this.logStart;
  }

  /**
   * Places both ends at `from`; a note when an offset had to be moved into the partition's bounds.
   */
  async place(from: StartPosition): Promise<string | undefined> {
    let offset = this.highWatermark;
    let note: string | undefined;
    if (from.kind === "earliest") offset = this.logStart;
    else if (from.kind === "time") {
      offset = await this.#reader.offsetForTime(this.partition, from.timestampMs, this.#signal);
    } else if (from.kind === "offset") {
      offset = Math.min(Math.max(from.offset, this.logStart), this.highWatermark);
      if (from.offset < this.logStart) {
        note = `Offset ${from.offset} of partition ${this.partition} was deleted: its log starts at ${this.logStart}.`;
      } else if (from.offset > this.highWatermark) {
        note = `Offset ${from.offset} of partition ${this.partition} is past its end (${this.highWatermark}).`;
      }
    }
    this.nextForward = this.nextBackward = offset;
    return note;
  }

  async readForward(limit: number): Promise<void> {
    const read = await this.#read(this.nextForward, limit);
    this.ahead = read.records.filter((record) => record.offset >= this.nextForward);
    this.nextForward = Math.max(this.nextForward, read.nextOffset);
    if (this.ahead.length === 0) this.forwardDone = true;
  }

  async readBackward(limit: number): Promise<void> {
    const from = Math.max(this.logStart, this.nextBackward - limit);
    // Only the offsets below the cursor: the records from it on are shown already.
    const read = await this.#read(from, Math.max(1, this.nextBackward - from));
    // Retention may have moved the log start past `from`: everything below the new start is gone.
    const start = Math.max(from, read.logStartOffset);
    this.behind = read.records.filter(
      (record) => record.offset >= start && record.offset < this.nextBackward,
    );
    this.nextBackward = start;
  }

  /** The window cut this partition's first shown records, up to `firstKept` (its first record still shown). */
  cutBefore(firstKept: number): void {
    this.nextBackward = firstKept;
    this.behind = [];
  }

  /** The window cut this partition's last shown records, from `firstCut` on. */
  cutFrom(firstCut: number): void {
    this.nextForward = firstCut;
    this.ahead = [];
    this.forwardDone = false;
  }

  /** The live tail starts at the first record not shown: records read ahead are let go, the tail brings them. */
  beginLive(): number {
    this.nextForward = this.ahead[0]?.offset ?? this.nextForward;
    this.ahead = [];
    return this.nextForward;
  }

  /** Records the tail delivered; those before the cursor (a reconnect's replay) are dropped. */
  takeLive(records: readonly ConsoleRecord[], highWatermark: number): ConsoleRecord[] {
    const fresh = records.filter((record) => record.offset >= this.nextForward);
    const last = fresh.at(-1);
    if (last === undefined) return [];
    this.ahead = [];
    this.nextForward = last.offset + 1;
    this.highWatermark = Math.max(this.highWatermark, highWatermark, this.nextForward);
    return fresh;
  }

  /** One page at `offset`; a log start that moved past it (416) is re-read once from the new start. */
  async #read(offset: number, limit: number): Promise<PageRead> {
    const reader = this.#reader;
    const signal = this.#signal;
    let read: PageRead;
    try {
      read = await reader.read(this.partition, offset, limit, signal);
    } catch (error) {
      if (!(error instanceof EdgeLogError && error.code === "OFFSET_OUT_OF_RANGE")) throw error;
      const bounds = await reader.bounds(this.partition, signal);
      this.logStart = bounds.logStartOffset;
      this.highWatermark = bounds.highWatermark;
      if (offset >= bounds.logStartOffset && offset <= bounds.highWatermark) throw error;
      const moved = Math.min(Math.max(offset, bounds.logStartOffset), bounds.highWatermark);
      this.nextForward = Math.max(this.nextForward, moved);
      this.nextBackward = Math.max(this.nextBackward, moved);
      read = await reader.read(this.partition, moved, limit, signal);
    }
    this.logStart = read.logStartOffset;
    this.highWatermark = read.highWatermark;
    return read;
  }
}
