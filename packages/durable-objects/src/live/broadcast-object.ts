/**
 * @module
 * `BroadcastObject`: one shard of a partition replica's live readers (binding `LIVE_SHARDS`, named from the
 * partition object's id and a shard index). It holds WebSocket live tails the partition handed it once the
 * partition held its own limit, with the partition's own `LiveTails` logic; its host reads from the partition
 * instead of SQLite. The partition feeds it once per push (`live-shards.ts`): the batches and the range they
 * cover, which it sends to its caught-up sockets — one RPC per shard per push, whatever the number of readers.
 *
 * Where the batches come from — feeds, and reads at the partition for gaps, catch-up steps and `resume`s — is
 * `shard-relay.ts`; this class is the object around it. Everything that moves the shard's pushed end or reads
 * runs one at a time (a queue), so a push never interleaves with another push or a step.
 *
 * Hibernation-safe as the partition is: socket state in attachments (`LiveTails`), the pushed end and the shard's
 * identity in its SQLite, `LiveTails.loaded()` before anything is delivered. It tells the partition when it gains
 * its first reader and loses its last, so only shards with readers are fed.
 */
import { DurableObject } from "cloudflare:workers";
import { EdgeLogError } from "@edgelog/core";
import { httpStatusFor, LIVE_PING, LIVE_PONG, parseLiveClientMessage } from "@edgelog/core/store-kit";
import type { EdgeLogEnv } from "../env.ts";
import type { PartitionObject } from "../partition-object.ts";
import { errorFromRpc, failure, type RpcError, unwrap } from "../rpc-result.ts";
import type { LiveShardFeed } from "./live-shards.ts";
import { parseLiveShardUpgrade } from "./live-tail-request.ts";
import { LIVE_STEP_BYTES, LIVE_TAIL_TAG, type LiveTailStats, LiveTails } from "./live-tails.ts";
import { ShardRelay } from "./shard-relay.ts";

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

/** Who the shard is (where it stands is the relay's). */
interface ShardState {
  /** The partition object's id. */
  partition: string;
  shard: number;
  maxSockets: number;
  /** The partition feeds this shard (it was told of the first reader, not yet of the last leaving). */
  registered: boolean;
}

/** Counters for tests and the benchmark. */
export interface BroadcastStats {
  readonly live: LiveTailStats;
  /** Feeds received from the partition. */
  readonly feeds: number;
  /** Reads made at the partition: catch-up steps, resumes and gaps. */
  readonly reads: number;
  /** Feeds that did not continue where the last push ended, and were read instead. */
  readonly gaps: number;
  /** The high watermark last pushed. */
  readonly end: number;
  readonly registered: boolean;
}

export class BroadcastObject extends DurableObject<EdgeLogEnv> {
  readonly #live: LiveTails;
  readonly #relay: ShardRelay;
  #state: ShardState | null = null;
  /** The running operation: feeds, opens and resumes run one after another. */
  #queue: Promise<unknown> = Promise.resolve();
  #alarmAt: number | null = null;
  #feeds = 0;

  constructor(ctx: DurableObjectState, env: EdgeLogEnv) {
    super(ctx, env);
    this.#relay = new ShardRelay({
      read: async (offset) =>
        unwrap(await this.#partition().read({ offset, maxBytes: LIVE_STEP_BYTES, maxWaitMs: 0 })),
      save: () => this.#save(),
    });
    this.#live = new LiveTails(
      {
        sockets: () => ctx.getWebSockets(LIVE_TAIL_TAG),
        bounds: () => this.#relay.bounds(),
        assertReadable: () => this.#relay.assertReadable(),
        readVisible: (offset, maxBytes) => this.#relay.readVisible(offset, maxBytes),
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
          registered: row.registered !== 0,
        };
        this.#relay.position = { end: row.end_offset, logStartOffset: row.log_start_offset };
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
      if (this.#state === null || !this.#state.registered) return;
      this.#feeds++;
      // No reader left (a close the runtime reported while this instance did not count): stop being fed.
      if (this.#live.count() === 0) {
        await this.#settle();
        return;
      }
      await this.#relay.feed(feed, this.#live);
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
      ...this.#relay.stats(),
      end: this.#relay.position.end,
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
      if (resumeFrom !== null) await this.#relay.prepareStep(resumeFrom, this.#live);
      this.#live.message(socket, message);
    });
  }

  override async webSocketClose(socket: WebSocket, code: number): Promise<void> {
    this.#live.ended(socket, code);
    await this.#serially(() => this.#settle());
  }

  override async webSocketError(socket: WebSocket): Promise<void> {
    this.#live.ended(socket);
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
    if (this.#state === null) {
      this.#state = {
        partition: upgrade.partition,
        shard: upgrade.shard,
        maxSockets: upgrade.limit,
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
      // Fed from now on; no socket is caught up here yet, so the shard stands where the partition does.
      const bounds = unwrap(await this.#partition().liveShardReaders(state.shard, true));
      this.#relay.position = { end: bounds.highWatermark, logStartOffset: bounds.logStartOffset };
      state.registered = true;
    }
    this.#save();
    await this.#relay.prepareStep(upgrade.offset, this.#live);
    const offset = this.#live.admit(upgrade.offset);
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server, [LIVE_TAIL_TAG]);
    this.#live.open(server, offset, upgrade.expiresAt);
    return new Response(null, { status: 101, webSocket: client });
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

  #partition(): DurableObjectStub<PartitionObject> {
    const state = this.#state;
    if (state === null) throw new EdgeLogError("UNKNOWN_SERVER_ERROR", "a live shard without a partition");
    return this.env.PARTITIONS.get(this.env.PARTITIONS.idFromString(state.partition));
  }

  /** Who the shard is and where it stands, in one row (written whole: its first write creates it). */
  #save(): void {
    const state = this.#state;
    if (state === null) return;
    const { end, logStartOffset } = this.#relay.position;
    this.ctx.storage.sql.exec(
      "INSERT OR REPLACE INTO shard_state VALUES (0, ?, ?, ?, ?, ?, ?)",
      state.partition,
      state.shard,
      state.maxSockets,
      end,
      logStartOffset,
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
