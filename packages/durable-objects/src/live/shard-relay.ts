/**
 * @module
 * `ShardRelay`: what a broadcast shard (`broadcast-object.ts`) adds to `LiveTails` — where its batches come from —
 * apart from the Durable Object around it, so that a property test can drive it with lost and reordered feeds.
 *
 * The shard's caught-up sockets all stand at `end`, the high watermark it last pushed, which is the high watermark
 * its `LiveTails` sees. A feed from the partition carries batches from some offset: from at or below `end` they are
 * used as they are (`LiveTails` skips what a socket has), from past it they are a gap, and the relay reads from
 * `end` at the partition instead, a step at a time, until it reaches what the feed said readers see. Before a
 * socket's catch-up step or `resume` the relay reads that step, and first moves `end` to the high watermark the
 * read saw, so that caught-up sockets never stand anywhere but at `end`. The caller runs one operation at a time.
 */
import type { PartitionOffsets, ReadResult, StoredBatch } from "@edgelog/core";
import { EdgeLogError } from "@edgelog/core";
import { ReadBudget } from "@edgelog/core/store-kit";
import type { LiveShardFeed } from "./live-shards.ts";

/** What the relay keeps, persisted by its host on every push. */
export interface ShardPosition {
  /** Where every caught-up socket stands: the high watermark last pushed. */
  end: number;
  logStartOffset: number;
}

export interface ShardRelayHost {
  /** One read at the partition from `offset` (a step's worth), or its error. */
  read(offset: number): Promise<ReadResult>;
  /** `end` moved with a push: persist it in the same turn. */
  save(position: ShardPosition): void;
}

/** What `LiveTails` is pushed through: its `publish`. */
export interface Publisher {
  publish(): void;
}

/** Batches read from the partition (or fed by it) from `from`, or the error the read answered. */
type Window =
  | { readonly from: number; readonly batches: readonly StoredBatch[] }
  | { readonly error: unknown };

export class ShardRelay {
  readonly #host: ShardRelayHost;
  #position: ShardPosition = { end: 0, logStartOffset: 0 };
  #window: Window = { from: 0, batches: [] };
  #reads = 0;
  #gaps = 0;

  constructor(host: ShardRelayHost) {
    this.#host = host;
  }

  get position(): ShardPosition {
    return { ...this.#position };
  }

  /** Where the relay stands: loaded at start-up, or the partition's bounds when no socket is caught up yet. */
  set position(position: ShardPosition) {
    this.#position = { ...position };
  }

  /** Reads made at the partition, and feeds that were gaps. */
  stats(): { reads: number; gaps: number } {
    return { reads: this.#reads, gaps: this.#gaps };
  }

  // ── LiveTailHost's reading side ─────────────────────────────────────────────────────────────────────────────

  bounds(): PartitionOffsets {
    return { logStartOffset: this.#position.logStartOffset, highWatermark: this.#position.end };
  }

  /** The partition's read decided: its refusal (416, a deleted partition) is the reader's. */
  assertReadable(): void {
    if ("error" in this.#window) throw this.#window.error;
  }

  /** Whole batches of the window from the one holding `offset`, within `maxBytes` (the first always). */
  readVisible(offset: number, maxBytes: number): StoredBatch[] {
    const window = this.#window;
    if ("error" in window) throw window.error;
    if (offset < window.from) {
      throw new EdgeLogError("UNKNOWN_SERVER_ERROR", "a live shard step below what it read");
    }
    const out: StoredBatch[] = [];
    const budget = new ReadBudget(maxBytes);
    for (const batch of window.batches) {
      if (batch.lastOffset < offset) continue;
      if (!budget.admits(batch.payload.length)) break;
      out.push(batch);
    }
    return out;
  }

  // ── operations ──────────────────────────────────────────────────────────────────────────────────────────────

  /** One push from the partition. */
  async feed(feed: LiveShardFeed, live: Publisher): Promise<void> {
    const position = this.#position;
    position.logStartOffset = Math.max(position.logStartOffset, feed.logStartOffset);
    const continues = feed.from <= position.end;
    if (!continues && feed.highWatermark > position.end) this.#gaps++;
    await this.#advanceTo(feed.highWatermark, continues ? feed.batches : null, live);
  }

  /**
   * Reads the step a socket at `offset` is about to be sent (its open or its `resume`), after pushing caught-up
   * sockets to the high watermark that read saw. A refused read is kept: `LiveTails` answers it to the reader.
   */
  async prepareStep(offset: number, live: Publisher): Promise<void> {
    let read: ReadResult;
    try {
      read = await this.#read(offset);
    } catch (error) {
      this.#window = { error };
      return;
    }
    await this.#advanceTo(read.highWatermark, null, live);
    this.#window = { from: offset, batches: read.batches };
  }

  /** Pushes caught-up sockets from `end` to `target`, with `batches` when given, else reading a step at a time. */
  async #advanceTo(target: number, fed: readonly StoredBatch[] | null, live: Publisher): Promise<void> {
    const position = this.#position;
    let batches = fed;
    let highWatermark = target;
    while (position.end < highWatermark) {
      const from = position.end;
      if (batches === null || !batches.some((b) => b.lastOffset >= from)) {
        try {
          const read = await this.#read(from);
          batches = read.batches;
          highWatermark = Math.max(highWatermark, read.highWatermark);
          position.logStartOffset = Math.max(position.logStartOffset, read.logStartOffset);
        } catch (error) {
          // Retention passed the shard's end, or the partition is gone: its caught-up sockets are told so.
          this.#window = { error };
          position.end = highWatermark;
          live.publish();
          this.#host.save(this.position);
          return;
        }
      }
      const last = batches.at(-1);
      if (last === undefined || last.lastOffset < from) return;
      this.#window = { from, batches };
      position.end = Math.min(last.lastOffset + 1, highWatermark);
      live.publish();
      this.#host.save(this.position);
      batches = null;
    }
  }

  async #read(offset: number): Promise<ReadResult> {
    this.#reads++;
    return this.#host.read(offset);
  }
}
