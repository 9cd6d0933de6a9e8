/**
 * @module
 * `BroadcastObject`: one shard of a partition replica's live readers (binding `LIVE_SHARDS`, named from the
 * partition object's id and a shard index). It holds WebSocket live tails the partition handed it once the
 * partition held its own limit, with the partition's own `LiveTails` logic; its host reads from the partition
 * instead of SQLite. The partition feeds it once per push (`live-shards.ts`): the batches and the range they
 * cover, which it sends to its caught-up sockets — one RPC per shard per push, whatever the number of readers.
 *
 * Its caught-up sockets all stand at `end` — the high watermark it last pushed, persisted with each push — which
 * is the high watermark its `LiveTails` sees. A feed that does not start at or below `end` (a feed lost, or the
 * shard evicted and a feed delivered out of order) is a gap: it reads from `end` at the partition first, a step at
 * a time, so a reader never misses or repeats a record. A socket's catch-up steps and `resume`s read from the
 * partition too, one call per step, as a reader's fetch would. Everything that moves `end` or reads runs one at a
 * time (a queue), so a push never interleaves with another push or a step.
 *
 * Hibernation-safe as the partition is: socket state in attachments (`LiveTails`), `end` and the shard's identity
 * in its SQLite, `LiveTails.loaded()` before anything is delivered. It tells the partition when it gains its first
 * reader and loses its last, so only shards with readers are fed.
 */
import { DurableObject } from "cloudflare:workers";
import { EdgeLogError, type PartitionOffsets, type ReadResult, type StoredBatch } from "@edgelog/core";
import { httpStatusFor, LIVE_PING, LIVE_PONG, parseLiveClientMessage } from "@edgelog/core/store-kit";
import type { EdgeLogEnv } from "../env.ts";
import type { PartitionObject } from "../partition-object.ts";
import { errorFromRpc, failure, type RpcError, unwrap } from "../rpc-result.ts";
import type { LiveShardFeed } from "./live-shards.ts";
import { parseLiveShardUpgrade } from "./live-tail-request.ts";
import { LIVE_STEP_BYTES, LIVE_TAIL_TAG, type LiveTailStats, LiveTails } from "./live-tails.ts";

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS shard_state (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    partition TEXT NOT NULL,
    shard INTEGER NOT NULL,
    max_sockets INTEGER NOT NULL,
    end_offset INTEGER NOT NULL,
    log_start_offset INTEGER NOT NULL,
    registered INTEGER NOT NULL
  );
`;

interface ShardState {
  /** The partition object's id. */
  partition: string;
  shard: number;
  maxSockets: number;
  /** Where every caught-up socket stands: the high watermark last pushed. */
  end: number;
  logStartOffset: number;
  /** The partition feeds this shard (it was told of the first reader, not yet of the last leaving). */
  registered: boolean;
}

/** Batches read from the partition (or fed by it) from `from`, or the error the read answered. */
type Window =
  | { readonly from: number; readonly batches: readonly StoredBatch[] }
  | { readonly error: unknown };

/** Counters for tests and the benchmark. */
export interface BroadcastStats {
  readonly live: LiveTailStats;
  /** Feeds received from the partition. */
  readonly feeds: number;
  /** Reads made at the partition: catch-up steps, resumes and gaps. */
  readonly reads: number;
  /** Feeds that did not continue where the last push ended, and were read instead. */
  readonly gaps: number;
  readonly end: number;
  readonly registered: boolean;
}

export class BroadcastObject extends DurableObject<EdgeLogEnv> {
  readonly #live: LiveTails;
  #state: ShardState | null = null;
  #window: Window = { from: 0, batches: [] };
  /** The running operation: feeds, opens and resumes run one after another. */
  #queue: Promise<unknown> = Promise.resolve();
  #alarmAt: number | null = null;
  #feeds = 0;
  #reads = 0;
  #gaps = 0;

  constructor(ctx: DurableObjectState, env: EdgeLogEnv) {
    super(ctx, env);
    this.#live = new LiveTails(
      {
        sockets: () => ctx.getWebSockets(LIVE_TAIL_TAG),
        bounds: () => this.#bounds(),
        assertReadable: () => {
          if ("error" in this.#window) throw this.#window.error;
        },
        readVisible: (offset, maxBytes) => this.#readWindow(offset, maxBytes),
        wakeAt: (at) => this.#wakeAt(at),
        // The partition counts a shard with readers as readers of its own (a follower's leader pushes to it).
        readerJoined: () => {},
        now: () => Date.now(),
      },
      { maxSockets: () => this.#state?.maxSockets ?? 0 },
    );
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(LIVE_PING, LIVE_PONG));
    void ctx.blockConcurrencyWhile(async () => {
      const sql = ctx.storage.sql;
      sql.exec(SCHEMA);
      const row = sql
        .exec<{
          partition: string;
          shard: number;
          max_sockets: number;
          end_offset: number;
          log_start_offset: number;
          registered: number;
        }>("SELECT * FROM shard_state WHERE id = 0")
        .toArray()[0];
      if (row !== undefined) {
        this.#state = {
          partition: row.partition,
          shard: row.shard,
          maxSockets: row.max_sockets,
          end: row.end_offset,
          logStartOffset: row.log_start_offset,
          registered: row.registered !== 0,
        };
        // Caught-up sockets from before stand at the persisted end.
        this.#live.loaded();
      }
      this.#alarmAt = await ctx.storage.getAlarm();
    });
  }

  // ── from the partition ──────────────────────────────────────────────────────────────────────────────────────

  /** A reader's upgrade the partition handed over: refusals answered as JSON errors, as the partition does. */
  override async fetch(request: Request): Promise<Response> {
    try {
      return await this.#serially(() => this.#open(request));
    } catch (error) {
      const { error: body } = failure(error);
      return Response.json(
        { error: { ...body.context, code: body.code, message: body.message } },
        { status: httpStatusFor(body.code) },
      );
    } finally {
      await this.#serially(() => this.#settle());
    }
  }

  /** One push: the batches from `feed.from`, up to the high watermark readers see. */
  async feed(feed: LiveShardFeed): Promise<void> {
    await this.#serially(async () => {
      const state = this.#state;
      if (state === null || !state.registered) return;
      this.#feeds++;
      // No reader left (a close the runtime reported while this instance did not count): stop being fed.
      if (this.#live.count() === 0) {
        await this.#settle();
        return;
      }
      state.logStartOffset = Math.max(state.logStartOffset, feed.logStartOffset);
      if (feed.from > state.end && feed.highWatermark > state.end) this.#gaps++;
      await this.#advanceTo(feed.highWatermark, feed.from <= state.end ? feed : null);
    });
  }

  /** The partition was deleted: every socket ends with its error. */
  async end(error: RpcError): Promise<void> {
    await this.#serially(() => {
      this.#live.failAll(errorFromRpc(error));
      if (this.#state !== null) {
        this.#state.registered = false;
        this.#save();
      }
    });
  }

  async stats(): Promise<BroadcastStats> {
    return {
      live: this.#live.stats(),
      feeds: this.#feeds,
      reads: this.#reads,
      gaps: this.#gaps,
      end: this.#state?.end ?? 0,
      registered: this.#state?.registered ?? false,
    };
  }

  // ── from readers ────────────────────────────────────────────────────────────────────────────────────────────

  override async webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): Promise<void> {
    await this.#serially(async () => {
      let resumeFrom: number | null = null;
      if (typeof message === "string") {
        try {
          const parsed = parseLiveClientMessage(message);
          if (parsed.type === "resume") {
            resumeFrom = Math.max(this.#live.position(socket) ?? parsed.offset, parsed.offset);
          }
        } catch {
          // `LiveTails.message` answers a malformed message.
        }
      }
      if (resumeFrom !== null) await this.#prepareStep(resumeFrom);
      this.#live.message(socket, message);
    });
  }

  override async webSocketClose(socket: WebSocket, code: number): Promise<void> {
    this.#live.closed(socket);
    try {
      socket.close(code === 1005 || code === 1006 ? 1000 : code);
    } catch {
      // Already closed.
    }
    await this.#serially(() => this.#settle());
  }

  override async webSocketError(socket: WebSocket): Promise<void> {
    this.#live.closed(socket);
    try {
      socket.close(1011);
    } catch {
      // Already closed.
    }
    await this.#serially(() => this.#settle());
  }

  override async alarm(): Promise<void> {
    this.#alarmAt = null;
    const next = this.#live.expire();
    if (next !== null) this.#wakeAt(next);
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────────────────────

  async #open(request: Request): Promise<Response> {
    const upgrade = parseLiveShardUpgrade(request);
    const sql = this.ctx.storage.sql;
    if (this.#state === null) {
      this.#state = {
        partition: upgrade.partition,
        shard: upgrade.shard,
        maxSockets: upgrade.limit,
        end: 0,
        logStartOffset: 0,
        registered: false,
      };
    } else if (this.#state.partition !== upgrade.partition || this.#state.shard !== upgrade.shard) {
      throw new EdgeLogError("INVALID_REQUEST", "this live shard belongs to another partition");
    }
    const state = this.#state;
    state.maxSockets = upgrade.limit;
    // Full: refused before anything is read, so the partition tries the next shard at the cost of one call.
    if (this.#live.full()) this.#live.admit(upgrade.offset);
    if (!state.registered) {
      // Fed from now on; no socket is caught up here yet, so the shard's end is simply the partition's.
      const bounds = unwrap(await this.#partition().liveShardReaders(state.shard, true));
      state.end = bounds.highWatermark;
      state.logStartOffset = bounds.logStartOffset;
      state.registered = true;
    }
    sql.exec(
      "INSERT OR REPLACE INTO shard_state VALUES (0, ?, ?, ?, ?, ?, ?)",
      state.partition,
      state.shard,
      state.maxSockets,
      state.end,
      state.logStartOffset,
      state.registered ? 1 : 0,
    );
    await this.#prepareStep(upgrade.offset);
    const offset = this.#live.admit(upgrade.offset);
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server, [LIVE_TAIL_TAG]);
    this.#live.open(server, offset, upgrade.expiresAt);
    return new Response(null, { status: 101, webSocket: client });
  }

  /**
   * Reads the step a socket at `offset` is about to be sent, after pushing caught-up sockets to the high
   * watermark that read saw (so that every caught-up socket still stands at `end`). A refused read (416, or the
   * partition gone) is kept as the window's error: `LiveTails` answers it to the reader.
   */
  async #prepareStep(offset: number): Promise<void> {
    let read: ReadResult;
    try {
      read = await this.#read(offset);
    } catch (error) {
      this.#window = { error };
      return;
    }
    await this.#advanceTo(read.highWatermark, null);
    this.#window = { from: offset, batches: read.batches };
  }

  /**
   * Pushes caught-up sockets from `end` to `target` (a high watermark the partition answered), with `feed`'s
   * batches when they start at or below `end`, else reading from the partition a step at a time.
   */
  async #advanceTo(target: number, feed: LiveShardFeed | null): Promise<void> {
    const state = this.#state;
    if (state === null) return;
    let batches: readonly StoredBatch[] | null = feed?.batches ?? null;
    let highWatermark = target;
    while (state.end < highWatermark) {
      const from = state.end;
      if (batches === null || !batches.some((b) => b.lastOffset >= from)) {
        try {
          const read = await this.#read(from);
          batches = read.batches;
          highWatermark = Math.max(highWatermark, read.highWatermark);
          state.logStartOffset = Math.max(state.logStartOffset, read.logStartOffset);
        } catch (error) {
          // Retention passed the shard's end, or the partition is gone: its caught-up sockets are told so.
          this.#window = { error };
          state.end = highWatermark;
          this.#live.publish();
          this.#save();
          return;
        }
      }
      const last = batches.at(-1);
      if (last === undefined || last.lastOffset < from) return;
      this.#window = { from, batches };
      state.end = Math.min(last.lastOffset + 1, Math.max(highWatermark, from));
      this.#live.publish();
      this.#save();
      batches = null;
    }
  }

  /** Tells the partition the last reader left, so it stops feeding this shard. */
  async #settle(): Promise<void> {
    const state = this.#state;
    if (state === null || !state.registered || this.#live.count() > 0) return;
    state.registered = false;
    this.#save();
    try {
      unwrap(await this.#partition().liveShardReaders(state.shard, false));
    } catch (error) {
      // The partition is gone, or will feed once more: a feed to a shard without readers settles again.
      console.error("edgelog: a live shard could not leave its partition", error);
    }
  }

  async #read(offset: number): Promise<ReadResult> {
    this.#reads++;
    return unwrap(await this.#partition().read({ offset, maxBytes: LIVE_STEP_BYTES, maxWaitMs: 0 }));
  }

  /** What `LiveTails` sees: the shard's end as the high watermark. */
  #bounds(): PartitionOffsets {
    const state = this.#state;
    return { logStartOffset: state?.logStartOffset ?? 0, highWatermark: state?.end ?? 0 };
  }

  /** Whole batches of the window from the one holding `offset`, within `maxBytes` (the first always). */
  #readWindow(offset: number, maxBytes: number): StoredBatch[] {
    const window = this.#window;
    if ("error" in window) throw window.error;
    if (offset < window.from) {
      throw new EdgeLogError("UNKNOWN_SERVER_ERROR", "a live shard step below what it read");
    }
    const out: StoredBatch[] = [];
    let bytes = 0;
    for (const batch of window.batches) {
      if (batch.lastOffset < offset) continue;
      if (out.length > 0 && bytes + batch.payload.length > maxBytes) break;
      out.push(batch);
      bytes += batch.payload.length;
    }
    return out;
  }

  #partition(): DurableObjectStub<PartitionObject> {
    const state = this.#state;
    if (state === null) throw new EdgeLogError("UNKNOWN_SERVER_ERROR", "a live shard without a partition");
    return this.env.PARTITIONS.get(this.env.PARTITIONS.idFromString(state.partition));
  }

  #save(): void {
    const state = this.#state;
    if (state === null) return;
    this.ctx.storage.sql.exec(
      "UPDATE shard_state SET end_offset = ?, log_start_offset = ?, registered = ? WHERE id = 0",
      state.end,
      state.logStartOffset,
      state.registered ? 1 : 0,
    );
  }

  #wakeAt(at: number): void {
    if (this.#alarmAt !== null && this.#alarmAt <= at) return;
    this.#alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }

  /** Runs `body` after every operation queued before it. */
  #serially<T>(body: () => T | Promise<T>): Promise<T> {
    const run = this.#queue.then(body, body);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
