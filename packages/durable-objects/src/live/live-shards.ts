/**
 * @module
 * `LiveShards`: the partition's side of its broadcast shards (`broadcast-object.ts`). Past a per-object limit of
 * live sockets the partition hands further upgrades to shards, each holding at most the same limit, and feeds
 * every shard that has readers once per push: one RPC per shard carrying the new batches and the offset range they
 * cover, whatever the number of readers behind it. Spreading the sockets spreads the send loop, which is where a
 * push's time goes (docs/architecture.md "Live readers").
 *
 * Which shards have readers is kept in the partition's SQLite (`live_shards`), so a partition that hibernated
 * still feeds them. A feed runs after the turn that moved the high watermark (a rolled-back transaction's batches
 * are never sent), and the runtime's output gate holds the RPC until the commit is durable, as it holds socket
 * sends and answers. A feed that is lost or arrives out of order costs nothing here: the shard reads the gap.
 */
import { EdgeLogError, type PartitionOffsets, type StoredBatch } from "@edgelog/core";
import type { RpcError } from "../rpc-result.ts";
import type { BroadcastObject } from "./broadcast-object.ts";
import { liveShardUpgrade } from "./live-tail-request.ts";
import { LIVE_STEP_BYTES, liveSocketsExhausted, MAX_LIVE_SOCKETS } from "./live-tails.ts";

/** Live sockets one object (the partition, or one shard) holds by default. */
export const LIVE_SOCKETS_PER_OBJECT = 400;

/** What a partition sends a shard per push. */
export interface LiveShardFeed {
  /** Where `batches` start (whole batches from the one holding it; possibly none). */
  readonly from: number;
  readonly batches: readonly StoredBatch[];
  /** What readers see now. */
  readonly highWatermark: number;
  readonly logStartOffset: number;
}

/** The per-object limit from `EDGELOG_LIVE_SOCKETS_PER_OBJECT` (1 to `MAX_LIVE_SOCKETS`), default 400. */
export function liveSocketsPerObject(value: string | undefined): number {
  if (value === undefined || value === "") return LIVE_SOCKETS_PER_OBJECT;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_LIVE_SOCKETS) {
    throw new EdgeLogError(
      "INVALID_CONFIG",
      `EDGELOG_LIVE_SOCKETS_PER_OBJECT must be an integer from 1 to ${MAX_LIVE_SOCKETS}`,
      { context: { value } },
    );
  }
  return n;
}

/**
 * How many sockets shard `index` may hold: the per-object limit, less for the last one, so that the partition
 * and all its shards together hold at most `MAX_LIVE_SOCKETS`. Zero or less: there is no such shard.
 */
export function shardLimit(perObject: number, index: number): number {
  return Math.min(perObject, MAX_LIVE_SOCKETS - perObject * (index + 1));
}

/** The shard's object name: the partition's id plus the shard index. */
export function liveShardName(partitionId: string, index: number): string {
  return `${partitionId}/live/${index}`;
}

export interface LiveShardsHost {
  readonly sql: SqlStorage;
  /** The `LIVE_SHARDS` binding; without it the partition holds every socket itself. */
  readonly namespace: DurableObjectNamespace<BroadcastObject> | undefined;
  /** The partition object's id, as text. */
  readonly partitionId: string;
  readonly perObject: number;
  bounds(): PartitionOffsets;
  readVisible(offset: number, maxBytes: number): StoredBatch[];
}

export interface LiveShardsStats {
  /** Shards with readers (fed on every push). */
  readonly fed: number;
  /** Feed RPCs sent: one per shard with readers per push. */
  readonly feeds: number;
  /** Upgrades handed to a shard (tries included). */
  readonly handed: number;
}

export class LiveShards {
  readonly #host: LiveShardsHost;
  /** Shards with readers, by index (at most the number of shards). */
  readonly #fed = new Set<number>();
  /** Where the next feed starts: the high watermark of the last one. */
  #fedEnd: number | null = null;
  #scheduled = false;
  /** The shard that last took a socket: the next upgrade tries it first. */
  #hint = 0;
  #feeds = 0;
  #handed = 0;
  /** One stub per shard, kept: calls on one stub are delivered in the order made. */
  readonly #stubs = new Map<number, DurableObjectStub<BroadcastObject>>();

  constructor(host: LiveShardsHost) {
    this.#host = host;
  }

  /** Whether a `LIVE_SHARDS` binding exists. */
  get enabled(): boolean {
    return this.#host.namespace !== undefined;
  }

  get perObject(): number {
    return this.#host.perObject;
  }

  /**
   * The partition's state is loaded, before anything moves the high watermark: shards fed before a hibernation
   * were fed up to what readers see now.
   */
  loaded(): void {
    this.#fedEnd = this.#host.bounds().highWatermark;
  }

  /** How many shards a partition may have. */
  get shards(): number {
    return Math.max(0, Math.ceil(MAX_LIVE_SOCKETS / this.#host.perObject) - 1);
  }

  /** Loads the shards with readers (after start-up and after a rollback reload). */
  load(): void {
    this.#fed.clear();
    const sql = this.#host.sql;
    const exists =
      sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'live_shards'").toArray()
        .length > 0;
    if (!exists) return;
    for (const row of sql.exec<{ shard: number }>("SELECT shard FROM live_shards").toArray()) {
      this.#fed.add(row.shard);
    }
  }

  /** Whether shards hold readers (a follower counts them as its own readers). */
  get readers(): number {
    return this.#fed.size;
  }

  /** A shard gained its first reader (`true`) or lost its last: it is fed from now on, or no longer. */
  setReaders(index: number, readers: boolean): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.shards) {
      throw new EdgeLogError("INVALID_REQUEST", "no such live shard", { context: { shard: index } });
    }
    const sql = this.#host.sql;
    if (readers) {
      sql.exec("CREATE TABLE IF NOT EXISTS live_shards (shard INTEGER PRIMARY KEY)");
      sql.exec("INSERT OR IGNORE INTO live_shards (shard) VALUES (?)", index);
      // The first shard with readers: feeds start at what readers see now, not where feeding last stopped.
      if (this.#fed.size === 0) this.#fedEnd = this.#host.bounds().highWatermark;
      this.#fed.add(index);
    } else if (this.#fed.delete(index)) {
      sql.exec("DELETE FROM live_shards WHERE shard = ?", index);
    }
  }

  /**
   * Hands a reader's upgrade (its offset resolved) to a shard with room, trying them from the one that last took
   * a socket; answers the shard's 101, or its refusal. 429 when every shard is full.
   */
  async route(offset: number, expiresAt: number | null): Promise<Response> {
    const namespace = this.#host.namespace;
    if (namespace === undefined) throw new EdgeLogError("UNKNOWN_SERVER_ERROR", "no LIVE_SHARDS binding");
    const shards = this.shards;
    for (let tried = 0; tried < shards; tried++) {
      const index = (this.#hint + tried) % shards;
      const stub = this.#stub(namespace, index);
      this.#handed++;
      const response = await stub.fetch(
        liveShardUpgrade({
          offset,
          expiresAt,
          partition: this.#host.partitionId,
          shard: index,
          limit: shardLimit(this.#host.perObject, index),
        }),
      );
      if (response.status === 429) continue;
      if (response.status === 101) this.#hint = index;
      return response;
    }
    throw liveSocketsExhausted(MAX_LIVE_SOCKETS);
  }

  /**
   * What readers see grew: once the current turn is over (as `LiveTails.advanced`), every shard with readers is
   * sent the batches from the end of the previous feed, in one RPC each.
   */
  advanced(): void {
    if (this.#fed.size === 0 || this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      try {
        this.#feed();
      } catch (error) {
        // The partition went away meanwhile (deleted): its shards are ended with it.
        console.error("edgelog: live shard feed failed", error);
      }
    });
  }

  /** The partition was deleted: every shard ends its sockets with `error`. */
  endAll(error: RpcError): void {
    const namespace = this.#host.namespace;
    if (namespace !== undefined) {
      for (const index of this.#fed) {
        const stub = this.#stub(namespace, index);
        stub.end(error).catch((failure: unknown) => console.error("edgelog: ending a live shard", failure));
      }
    }
    this.#fed.clear();
  }

  stats(): LiveShardsStats {
    return { fed: this.#fed.size, feeds: this.#feeds, handed: this.#handed };
  }

  #stub(
    namespace: DurableObjectNamespace<BroadcastObject>,
    index: number,
  ): DurableObjectStub<BroadcastObject> {
    let stub = this.#stubs.get(index);
    if (stub === undefined) {
      stub = namespace.get(namespace.idFromName(liveShardName(this.#host.partitionId, index)));
      this.#stubs.set(index, stub);
    }
    return stub;
  }

  #feed(): void {
    const namespace = this.#host.namespace;
    if (namespace === undefined || this.#fed.size === 0) return;
    const { highWatermark, logStartOffset } = this.#host.bounds();
    // Unknown (no partition when this instance started): an empty feed, whose gap the shards read.
    const from = this.#fedEnd ?? highWatermark;
    if (from === highWatermark && this.#fedEnd !== null) return;
    // One read for every shard; a step past LIVE_STEP_BYTES is read by the shards themselves.
    let batches: StoredBatch[] = [];
    try {
      if (from < highWatermark) batches = this.#host.readVisible(from, LIVE_STEP_BYTES);
    } catch {
      // Retention passed `from`: the shards learn it when they read the gap.
    }
    this.#fedEnd = highWatermark;
    const feed: LiveShardFeed = { from, batches, highWatermark, logStartOffset };
    for (const index of this.#fed) {
      const stub = this.#stub(namespace, index);
      this.#feeds++;
      // Not awaited: a lost feed is a gap the shard's next feed reveals and it reads.
      stub.feed(feed).catch((error: unknown) => console.error("edgelog: a live shard feed failed", error));
    }
  }
}
