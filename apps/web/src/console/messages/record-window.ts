/**
 * @module
 * The slice of a topic the Messages screen holds: a bounded window of records, grown a page at a time at either
 * edge as the person scrolls, and cut at the far edge past `maxRecords` (or `maxChars`), so a million-record
 * partition costs a few pages of memory and requests, never the log.
 *
 * Several partitions are merged by timestamp (offset order within each): every partition keeps a cursor and a
 * small buffer at each edge, and the next record is the oldest head (newest tail going back) once every partition
 * that may still have records has one. With a filter the window holds only matches, and each edge scans at most
 * `scanBudget` records before it stops and says how far it got ("scanned 10,000 records, 3 matches"), to go on
 * only when asked: never an unbounded scan. The live tail appends through the same cursors (`appendLive`).
 */

import type { EdgeLogError } from "@edgelog/core";
import { mapLimit } from "../map-limit.ts";
import { asEdgeLogError } from "../ui/errors.ts";
import type { StartPosition } from "./browse-query.ts";
import { type ConsoleRecord, recordKey } from "./console-record.ts";
import { PartitionCursor } from "./partition-cursor.ts";
import type { PageReader, PartitionBounds } from "./partition-reader.ts";
import type { RecordPredicate } from "./record-filter.ts";

/** `idle`: more may be read on demand; `end`: nothing more there (for now); `budget`: a filter's scan paused. */
export type EdgeState = "idle" | "loading" | "end" | "budget" | "error";

export interface EdgeStatus {
  readonly state: EdgeState;
  readonly error?: EdgeLogError;
}

export interface WindowOptions {
  readonly reader: PageReader;
  /** The partitions to show, with their bounds as last described. */
  readonly partitions: readonly PartitionBounds[];
  readonly filter: RecordPredicate | null;
  /** Records added per page without a filter; matches per page with one. */
  readonly pageRecords?: number;
  /** Records read per request while scanning with a filter. */
  readonly scanPageRecords?: number;
  /** Records one edge scans with a filter before it waits to be told to continue. */
  readonly scanBudget?: number;
  readonly maxRecords?: number;
  readonly maxChars?: number;
  /** Called after every change of records or edges. */
  readonly onChange?: () => void;
}

export const DEFAULT_PAGE_RECORDS = 200;
export const DEFAULT_SCAN_PAGE_RECORDS = 1_000;
export const DEFAULT_SCAN_BUDGET = 10_000;
/** About 25 screens of rows: far more than anyone reads at once, far less than a browser tab can hold. */
export const DEFAULT_MAX_RECORDS = 5_000;
/** ~64 MB of UTF-16: a window of large values is cut long before the tab suffers. */
export const DEFAULT_MAX_CHARS = 32 * 1024 * 1024;
/** A browser keeps six HTTP/1.1 connections per origin; reads leave room for the live tail and the rest. */
const READ_CONCURRENCY = 4;
/** Reads one page may make before it stops (each partition's first read counts). */
const MAX_READS_PER_PAGE = 256;
/** The smallest read per partition when many share a page: fewer, larger reads beat many tiny ones. */
const MIN_PARTITION_READ = 20;

/** (timestamp, partition, offset): the merge order; offsets keep each partition's own order. */
function before(a: ConsoleRecord, b: ConsoleRecord): boolean {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp;
  if (a.partition !== b.partition) return a.partition < b.partition;
  return a.offset < b.offset;
}

export class RecordWindow {
  #records: ConsoleRecord[] = [];
  #chars = 0;
  #top: EdgeStatus = { state: "idle" };
  #bottom: EdgeStatus = { state: "idle" };
  #scanned = 0;
  #notes: string[] = [];
  #startAt: "end" | string | null = null;
  readonly #cursors: PartitionCursor[];
  readonly #options: Required<Omit<WindowOptions, "filter" | "onChange">> & WindowOptions;
  readonly #abort = new AbortController();
  /** Loads and live appends run one at a time: each moves cursors the others read. */
  #queue: Promise<void> = Promise.resolve();

  constructor(options: WindowOptions) {
    this.#options = {
      pageRecords: DEFAULT_PAGE_RECORDS,
      scanPageRecords: DEFAULT_SCAN_PAGE_RECORDS,
      scanBudget: DEFAULT_SCAN_BUDGET,
      maxRecords: DEFAULT_MAX_RECORDS,
      maxChars: DEFAULT_MAX_CHARS,
      ...options,
    };
    this.#cursors = options.partitions.map(
      (bounds) => new PartitionCursor(bounds, options.reader, this.#abort.signal),
    );
  }

  get records(): readonly ConsoleRecord[] {
    return this.#records;
  }
  get top(): EdgeStatus {
    return this.#top;
  }
  get bottom(): EdgeStatus {
    return this.#bottom;
  }
  /** Records a filter has looked at, both edges and the live tail together. */
  get scanned(): number {
    return this.#scanned;
  }
  get filtering(): boolean {
    return this.#options.filter !== null;
  }
  /**
   * Where a view of the window starts once `start()` is done: `"end"` for the latest records, else the key of the
   * first record at or after the start position (records before it are loaded too, as context above); `null` before.
   */
  get startAt(): "end" | string | null {
    return this.#startAt;
  }
  /** What the start position had to be moved for ("offset 5 was deleted: the log starts at 10"). */
  get notes(): readonly string[] {
    return this.#notes;
  }
  /** Whether every partition has been read to its last known high watermark. */
  get atEnd(): boolean {
    return this.#cursors.every(
      (cursor) => cursor.ahead.length === 0 && cursor.nextForward >= cursor.highWatermark,
    );
  }

  /** Stops every read in flight; the window is not used again. */
  dispose(): void {
    this.#abort.abort();
  }

  /**
   * Where each partition's next new record is, for the live tail to start from. Records read ahead but not shown
   * are let go: the tail delivers them again, in the order they arrive.
   */
  beginLive(): Promise<Map<number, number>> {
    return this.#serial(() => new Map(this.#cursors.map((cursor) => [cursor.partition, cursor.beginLive()])));
  }

  /** Places the cursors at `from` and loads the first page (going back from the end for `latest`). */
  start(from: StartPosition): Promise<void> {
    return this.#serial(() => this.#start(from));
  }

  async #start(from: StartPosition): Promise<void> {
    this.#bottom = this.#top = { state: "loading" };
    this.#changed();
    try {
      await mapLimit(this.#cursors, READ_CONCURRENCY, async (cursor) => {
        const note = await cursor.place(from);
        if (note !== undefined) this.#notes.push(note);
      });
    } catch (error) {
      this.#fail("bottom", error);
      this.#top = { state: "idle" };
      this.#placed("end");
      return;
    }
    if (from.kind === "latest") {
      this.#bottom = { state: "end" };
      await this.#loadOlder();
      this.#placed("end");
      return;
    }
    this.#top = { state: this.#atLogStart() ? "end" : "idle" };
    await this.#loadNewer();
    const first = this.#records[0];
    // The page before the position too (without a filter: with one, going back is a scan of its own), so the
    // view opens with context above; nothing at or after the position: the newest records, at the end.
    if (
      (first === undefined && this.#bottom.state === "end") ||
      (first !== undefined && !this.#atLogStart() && !this.filtering)
    ) {
      this.#top = { state: "loading" };
      this.#changed();
      await this.#loadOlder();
    }
    this.#placed(first === undefined ? "end" : recordKey(first));
  }

  #placed(at: "end" | string): void {
    this.#startAt = at;
    this.#changed();
  }

  #serial<T>(task: () => Promise<T> | T): Promise<T> {
    const run = this.#queue.then(task);
    this.#queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Adds the next page at the bottom (at the end, it looks again for new records); with a filter, it scans at most
   * `scanBudget` more records.
   */
  loadNewer(): Promise<void> {
    if (this.#bottom.state === "loading") return this.#queue;
    this.#bottom = { state: "loading" };
    this.#changed();
    return this.#serial(() => this.#loadNewer());
  }

  async #loadNewer(): Promise<void> {
    for (const cursor of this.#cursors) cursor.forwardDone = false;
    const added: ConsoleRecord[] = [];
    try {
      const outcome = await this.#merge("forward", (record) => added.push(record));
      this.#records = this.#records.concat(added);
      this.#chars += added.reduce((sum, record) => sum + record.sizeChars, 0);
      this.#trim("top");
      this.#bottom = { state: outcome };
    } catch (error) {
      this.#records = this.#records.concat(added);
      this.#fail("bottom", error);
    }
    this.#changed();
  }

  /** Adds the previous page at the top (with a filter: scans at most `scanBudget` more records). */
  loadOlder(): Promise<void> {
    if (this.#top.state === "loading") return this.#queue;
    this.#top = { state: "loading" };
    this.#changed();
    return this.#serial(() => this.#loadOlder());
  }

  async #loadOlder(): Promise<void> {
    const added: ConsoleRecord[] = [];
    try {
      const outcome = await this.#merge("backward", (record) => added.push(record));
      added.reverse();
      this.#records = added.concat(this.#records);
      this.#chars += added.reduce((sum, record) => sum + record.sizeChars, 0);
      this.#trim("bottom");
      this.#top = { state: outcome };
    } catch (error) {
      added.reverse();
      this.#records = added.concat(this.#records);
      this.#fail("top", error);
    }
    this.#changed();
  }

  /**
   * Records the live tail of `partition` delivered, from where that partition's forward cursor stood (the tail
   * starts at `beginLive()`); anything before it is ignored, so a reconnect's replay cannot duplicate rows.
   */
  appendLive(partition: number, records: readonly ConsoleRecord[], highWatermark: number): Promise<void> {
    return this.#serial(() => this.#appendLive(partition, records, highWatermark));
  }

  #appendLive(partition: number, records: readonly ConsoleRecord[], highWatermark: number): void {
    const cursor = this.#cursors.find((candidate) => candidate.partition === partition);
    const fresh = cursor?.takeLive(records, highWatermark) ?? [];
    if (fresh.length === 0) return;
    const { filter } = this.#options;
    if (filter !== null) this.#scanned += fresh.length;
    const shown = filter === null ? fresh : fresh.filter(filter);
    this.#records = this.#records.concat(shown);
    this.#chars += shown.reduce((sum, record) => sum + record.sizeChars, 0);
    this.#trim("top");
    this.#bottom = { state: "end" };
    this.#changed();
  }

  #atLogStart(): boolean {
    return this.#cursors.every((cursor) => cursor.atLogStart);
  }

  #fail(edge: "top" | "bottom", error: unknown): void {
    if (this.#abort.signal.aborted) return;
    const status: EdgeStatus = { state: "error", error: asEdgeLogError(error) };
    if (edge === "top") this.#top = status;
    else this.#bottom = status;
  }

  #changed(): void {
    if (!this.#abort.signal.aborted) this.#options.onChange?.();
  }

  /**
   * Moves records from the partitions' buffers into `emit` in merge order until a page is full, the filter's
   * budget is spent, or every partition is exhausted in that direction; the edge's new state.
   */
  async #merge(direction: "forward" | "backward", emit: (record: ConsoleRecord) => void): Promise<EdgeState> {
    const { filter, pageRecords, scanBudget } = this.#options;
    const forward = direction === "forward";
    let shown = 0;
    let scanned = 0;
    let reads = 0;
    for (;;) {
      const empty = this.#cursors.filter((cursor) => (forward ? cursor.needsForward : cursor.needsBackward));
      if (empty.length > 0) {
        // Going back through a compacted log's gaps can read pages that hold nothing: stop and let the person go on.
        reads += empty.length;
        if (reads > MAX_READS_PER_PAGE) return filter === null ? "idle" : "budget";
        const limit = this.#readLimit();
        await mapLimit(empty, READ_CONCURRENCY, (cursor) =>
          forward ? cursor.readForward(limit) : cursor.readBackward(limit),
        );
        continue;
      }
      let pick: PartitionCursor | undefined;
      for (const cursor of this.#cursors) {
        const head = forward ? cursor.ahead[0] : cursor.behind.at(-1);
        if (head === undefined) continue;
        const best = pick === undefined ? undefined : forward ? pick.ahead[0] : pick.behind.at(-1);
        if (best === undefined || (forward ? before(head, best) : before(best, head))) pick = cursor;
      }
      if (pick === undefined) return "end";
      const record = (forward ? pick.ahead.shift() : pick.behind.pop()) as ConsoleRecord;
      scanned++;
      if (filter === null || filter(record)) {
        emit(record);
        shown++;
      }
      if (filter !== null) this.#scanned++;
      if (shown >= pageRecords) return "idle";
      if (filter !== null && scanned >= scanBudget) return "budget";
    }
  }

  #readLimit(): number {
    const { filter, pageRecords, scanPageRecords } = this.#options;
    const page = filter === null ? pageRecords : scanPageRecords;
    return Math.min(page, Math.max(MIN_PARTITION_READ, Math.ceil(page / this.#cursors.length)));
  }

  /**
   * Cuts records past the bounds at `edge`, moving each cut partition's cursor back to its first cut record (the
   * records are read again if the person scrolls back there).
   */
  #trim(edge: "top" | "bottom"): void {
    const { maxRecords, maxChars } = this.#options;
    let cut = 0;
    let chars = this.#chars;
    while (this.#records.length - cut > maxRecords || (chars > maxChars && this.#records.length - cut > 1)) {
      const index = edge === "top" ? cut : this.#records.length - 1 - cut;
      chars -= (this.#records[index] as ConsoleRecord).sizeChars;
      cut++;
    }
    if (cut === 0) return;
    const dropped = edge === "top" ? this.#records.slice(0, cut) : this.#records.slice(-cut);
    this.#records = edge === "top" ? this.#records.slice(cut) : this.#records.slice(0, -cut);
    this.#chars = chars;
    for (const cursor of this.#cursors) {
      const mine = dropped.filter((record) => record.partition === cursor.partition);
      if (mine.length === 0) continue;
      if (edge === "top") {
        // The first record of this partition still shown, else just past the last one cut.
        const kept = this.#records.find((record) => record.partition === cursor.partition);
        cursor.cutBefore(kept?.offset ?? (mine.at(-1) as ConsoleRecord).offset + 1);
      } else {
        cursor.cutFrom((mine[0] as ConsoleRecord).offset);
      }
    }
    if (edge === "top") this.#top = { state: "idle" };
    else this.#bottom = { state: "idle" };
  }
}
