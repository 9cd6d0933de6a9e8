/**
 * @module
 * `PartitionObject`: one Durable Object per (topic id, partition, region), holding the partition's log in its
 * SQLite database — one row per record batch, the idempotent producers' state and one meta row. The object
 * serialises appends, coalesces the ones that arrive together into one transaction (group commit), wakes
 * long-polling readers after the commit and applies retention and, for a compacted topic, compaction from its
 * alarm (`partition-compaction.ts`: a slice per alarm, so appends never wait behind a whole pass).
 *
 * In a replicated topic the object is one replica: as leader it takes appends and pushes them to its followers
 * (`replication/leader-replicator.ts`), and readers see the log only up to the high watermark, the in-sync
 * replicas' committed offset; as follower it takes its leader's batches (`replicate`) at the leader's offsets.
 * An unreplicated partition has no role and behaves as it always did (same calls, same SQL).
 *
 * Live readers may hold a hibernatable WebSocket here (`live/live-tails.ts`): each commit that moves what readers
 * see is pushed to all of them from the invocation that made it.
 *
 * Every RPC method answers an `RpcResult` (see `rpc-result.ts`): errors do not survive RPC with their codes.
 */

import { DurableObject } from "cloudflare:workers";
import {
  type AppendResult,
  type BatchInfo,
  type CacheableReadRequest,
  EdgeLogError,
  type PartitionOffsets,
  type PartitionOffsetsWithSize,
  type ReadResult,
  type StoredBatch,
  type TopicConfig,
  type TopicMetadata,
  type TopicPartition,
} from "@edgelog/core";
import {
  type Acks,
  type AppendPlan,
  AppendWaiters,
  type AssignedPlacement,
  assertEnoughReplicas,
  assertOffsetInRange,
  type CompactionPassStats,
  checkBatch,
  divergenceOffset,
  httpStatusFor,
  type LeaderEpochEntry,
  LIVE_PING,
  LIVE_PONG,
  leaderEpochStarted,
  mergeLeaderEpochs,
  offsetForTimestampIn,
  type PartitionBounds,
  type PartitionReplication,
  type ProducerState,
  planAppend,
  planRetention,
  producerIdsOf,
  producerStateIsLive,
  ReadBudget,
  retentionDueAt,
  retentionNeedsOldest,
  runStreamCommand,
  type StreamCommand,
  type StreamOutcome,
  type StreamState,
  truncateLeaderEpochs,
  truncateProducerState,
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
import { askController } from "./controller/reach-controller.ts";
import type { EdgeLogEnv } from "./env.ts";
import { LiveShards, type LiveShardsStats, liveSocketsPerObject } from "./live/live-shards.ts";
import { parseLiveTailUpgrade } from "./live/live-tail-request.ts";
import { LIVE_TAIL_TAG, type LiveTailStats, LiveTails, MAX_LIVE_SOCKETS } from "./live/live-tails.ts";
import { partitionObjectName } from "./names.ts";
import { type CompactionStats, PartitionCompactor } from "./partition-compaction.ts";
import { ReadCacheFence } from "./read-cache-fence.ts";
import { assertReplicationDelivered, crossRegion } from "./replication/fault-switch.ts";
import { FollowerReaders } from "./replication/follower-readers.ts";
import { LeaderReplicator, type ReplicationHost } from "./replication/leader-replicator.ts";
import {
  isLeader,
  type ReplicaRole,
  type ReplicateRequest,
  type ReplicateResponse,
} from "./replication/replica-role.ts";
import { errorFromRpc, failure, ok, type RpcResult, toResult, unwrap } from "./rpc-result.ts";

/** What `TopicsObject` tells a partition about itself when the topic is created or grows. */
export interface PartitionConfiguration {
  readonly topic: string;
  readonly partition: number;
  readonly topicId: string;
  readonly config: TopicConfig;
  /** Set for a replicated topic: this replica's role (absent: the partition's one copy, as before). */
  readonly replication?: ReplicaRole;
}

export interface PartitionReadRequest {
  readonly offset: number;
  readonly maxBytes: number;
  /** Long-poll: how long to wait at the high watermark for an append (0: answer at once). */
  readonly maxWaitMs: number;
  /** Names the wait so the caller can end it early with `cancelWait` (an AbortSignal cannot cross RPC). */
  readonly waitId?: string;
  /** A catch-up read whose answer a server lets caches keep (`ReadOptions.cache`). */
  readonly cache?: CacheableReadRequest;
}

/** A replica's leader-epoch table, log end and the leadership it knows (KIP-101's OffsetsForLeaderEpoch). */
export interface LeaderEpochs {
  readonly entries: readonly LeaderEpochEntry[];
  readonly logEnd: number;
  readonly leader: string;
  readonly leaderEpoch: number;
}

/** Counters for tests and metrics. */
export interface PartitionStats {
  /** SQLite transactions that appended batches: fewer than appends when group commit coalesced them. */
  readonly appendTransactions: number;
  readonly appendedBatches: number;
  readonly waiters: number;
  readonly sizeBytes: number;
  readonly alarmAt: number | null;
  /** Replication calls this object made as leader (0 for an unreplicated partition). */
  readonly replicationCalls: number;
  /** Times this replica cut its log back to its leader's (KIP-101 truncation). */
  readonly truncations: number;
  /** Calls this replica made as follower asking its leader for watermark-only pushes (reads near the reader). */
  readonly readerCalls: number;
  /** The WebSocket live tail's counters (`live/live-tails.ts`). */
  readonly live: LiveTailStats;
  /** Its broadcast shards: how many have readers, feeds sent (`live/live-shards.ts`). */
  readonly liveShards: LiveShardsStats;
  /** A compacted topic's passes and slices, and the most one slice did (the longest pause of appends). */
  readonly compaction: CompactionStats;
}

interface PartitionMeta extends PartitionConfiguration {
  logStartOffset: number;
  highWatermark: number;
}

interface PendingAppend {
  readonly batch: Uint8Array;
  /** `false` for a copy of records accepted before (see `AppendOptions`); unset: capped unless `assigned`. */
  readonly checkRecordCaps?: boolean;
  /** A follower's batch: where its leader put it. */
  readonly assigned?: AssignedPlacement;
  readonly resolve: (result: RpcResult<AppendResult>) => void;
}

/** What `append` takes over RPC: `AppendOptions` as the store passes them. */
export interface PartitionAppendOptions {
  readonly acks?: Acks | undefined;
  readonly checkRecordCaps?: boolean | undefined;
}

const DEFAULT_LIST_BATCHES_LIMIT = 1000;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    topic TEXT NOT NULL,
    partition_id INTEGER NOT NULL,
    topic_id TEXT NOT NULL,
    config TEXT NOT NULL,
    log_start_offset INTEGER NOT NULL,
    high_watermark INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE IF NOT EXISTS batches (
    base_offset INTEGER PRIMARY KEY,
    last_offset INTEGER NOT NULL,
    record_count INTEGER NOT NULL,
    max_timestamp INTEGER NOT NULL,
    append_time INTEGER NOT NULL,
    size_bytes INTEGER NOT NULL,
    payload BLOB NOT NULL
  );
  CREATE TABLE IF NOT EXISTS producers (producer_id TEXT PRIMARY KEY, state TEXT NOT NULL);
`;

/**
 * Replicated partitions only: the replica's role and the high watermark (the in-sync replicas' committed
 * offset), and the leader-epoch table (KIP-101: where each epoch's writes start), written in the same
 * transactions as the batches and the role so truncation can trust it.
 */
const REPLICA_SCHEMA = `
  CREATE TABLE IF NOT EXISTS replica_state (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    role TEXT NOT NULL,
    high_watermark INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS leader_epochs (
    epoch INTEGER PRIMARY KEY,
    start_offset INTEGER NOT NULL,
    leader TEXT NOT NULL
  );
`;

/** Durable Streams state (core's `store-kit/stream-state.ts`), created on first use by `stream()`. */
const STREAM_SCHEMA =
  "CREATE TABLE IF NOT EXISTS stream_state (id INTEGER PRIMARY KEY CHECK (id = 0), state TEXT NOT NULL)";

export class PartitionObject extends DurableObject<EdgeLogEnv> {
  readonly #waiters = new AppendWaiters();
  #meta: PartitionMeta | null = null;
  /** Set by `destroy()`: this instance answers UNKNOWN_TOPIC_OR_PARTITION for good, even to `configure`. */
  #destroyed = false;
  /** Whether this instance already made sure `stream_state` exists (once, not on every stream command). */
  #streamSchemaReady = false;
  #sizeBytes = 0;
  #alarmAt: number | null = null;
  readonly #queue: PendingAppend[] = [];
  /** Long-polls that named themselves, by wait id. */
  readonly #cancellable = new Map<string, AbortController>();
  #flushing = false;
  #appendTransactions = 0;
  #appendedBatches = 0;
  #truncations = 0;
  /** A `#learnLeadership` in flight (one at a time). */
  #learning = false;
  /** Replicated topics only: this replica's role, and what readers may see (≤ the log end). */
  #role: ReplicaRole | null = null;
  #committed = 0;
  /** The leader-epoch table, ascending by epoch (empty for an unreplicated partition). */
  #epochs: LeaderEpochEntry[] = [];
  #replicator: LeaderReplicator | null = null;
  #retiredReplicationCalls = 0;
  /**
   * The log end as far as `storage.sync()` has confirmed it: what a leader may push to followers and count in the
   * high watermark. A batch committed to SQLite but not yet durable must not reach a follower — were the object
   * to lose it, the followers would hold a record its leader never wrote.
   */
  #durableEnd = 0;
  #loaded = false;
  /** Follower: whether it serves readers, so its leader pushes it the high watermark as it moves. */
  readonly #readers = new FollowerReaders();
  /** The WebSocket readers, pushed to as what readers see grows. */
  readonly #live: LiveTails;
  /** Past its own limit of sockets, the broadcast shards that hold the rest, fed once per push. */
  readonly #shards: LiveShards;
  /** Which answers caches may keep, and what holds deletions back until they expired (`read-cache-fence.ts`). */
  readonly #readCache: ReadCacheFence;
  /** Retention is held back by the cache fence until then (no alarm earlier: it would only wait again). */
  #retentionHeldUntil = 0;
  /** Compaction of a compacted topic, one slice per alarm. */
  readonly #compactor = new PartitionCompactor({
    sql: this.ctx.storage.sql,
    transactionSync: (body) => this.ctx.storage.transactionSync(body),
    partition: () => this.#meta,
    cacheFenceUntil: () => this.#readCache.until,
    sizeBytes: () => this.#sizeBytes,
    setSizeBytes: (bytes) => {
      this.#sizeBytes = bytes;
    },
  });

  constructor(ctx: DurableObjectState, env: EdgeLogEnv) {
    super(ctx, env);
    this.#readCache = new ReadCacheFence(ctx.storage.sql);
    this.#shards = new LiveShards({
      sql: ctx.storage.sql,
      namespace: env.LIVE_SHARDS,
      partitionId: ctx.id.toString(),
      perObject: liveSocketsPerObject(env.EDGELOG_LIVE_SOCKETS_PER_OBJECT),
      bounds: () => this.#offsets(),
      readVisible: (offset, maxBytes) => this.#readNow(offset, maxBytes).batches,
    });
    this.#live = new LiveTails(
      {
        sockets: () => ctx.getWebSockets(LIVE_TAIL_TAG),
        bounds: () => this.#offsets(),
        assertReadable: (offset) => this.#assertReadable(offset),
        readVisible: (offset, maxBytes) => this.#readNow(offset, maxBytes).batches,
        wakeAt: (at) => this.#wakeAt(at),
        readerJoined: () => this.#readerParks(),
        now: () => Date.now(),
      },
      {
        maxSockets: this.#shards.enabled
          ? Math.min(this.#shards.perObject, MAX_LIVE_SOCKETS)
          : MAX_LIVE_SOCKETS,
      },
    );
    // A reader's keep-alive is answered by the runtime, without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(LIVE_PING, LIVE_PONG));
    // Load once, before any request is delivered: every method then works from memory plus synchronous SQL.
    void ctx.blockConcurrencyWhile(async () => {
      this.#load();
      this.#shards.load();
      // Before anything moves the high watermark: where caught-up readers from before a hibernation stand.
      if (this.#meta !== null) {
        this.#live.loaded();
        this.#shards.loaded();
      }
      this.#alarmAt = await ctx.storage.getAlarm();
    });
  }

  // ── RPC ─────────────────────────────────────────────────────────────────────────────────────────────────────

  /** Makes this object the partition `topic/partition` of topic `topicId`; repeated calls update the config. */
  async configure(configuration: PartitionConfiguration): Promise<RpcResult<PartitionOffsets>> {
    return toResult(() => {
      if (this.#destroyed) throw this.#unknown();
      const current = this.#meta;
      if (current !== null && current.topicId !== configuration.topicId) {
        throw new EdgeLogError("INVALID_REQUEST", "partition object belongs to another topic id", {
          context: { topic: configuration.topic, partition: configuration.partition },
        });
      }
      const sql = this.ctx.storage.sql;
      this.ctx.storage.transactionSync(() => {
        sql.exec(SCHEMA);
        sql.exec(
          `INSERT INTO meta (id, topic, partition_id, topic_id, config, log_start_offset, high_watermark)
           VALUES (0, ?, ?, ?, ?, 0, 0)
           ON CONFLICT (id) DO UPDATE SET topic = excluded.topic, config = excluded.config`,
          configuration.topic,
          configuration.partition,
          configuration.topicId,
          JSON.stringify(configuration.config),
        );
        const role = configuration.replication;
        if (role !== undefined) {
          sql.exec(REPLICA_SCHEMA);
          // A configure never takes leadership back from a newer epoch this replica has already seen.
          if (this.#role === null || role.leaderEpoch >= this.#role.leaderEpoch) {
            sql.exec(
              `INSERT INTO replica_state (id, role, high_watermark) VALUES (0, ?, 0)
               ON CONFLICT (id) DO UPDATE SET role = excluded.role`,
              JSON.stringify(plainRole(role)),
            );
          }
        }
      });
      this.#load();
      // The config may have changed: a pass under way follows the old one. When the next is due is asked afresh.
      this.#compactor.reset();
      this.#scheduleCompaction(Date.now());
      return this.#offsets();
    });
  }

  /**
   * Appends one encoded batch; concurrent calls share one transaction (group commit). On a replicated leader
   * `acks: "all"` (the default) answers once the in-sync replicas hold it, `acks: 1` on the leader's commit;
   * `checkRecordCaps` as in `AppendOptions` (default `true`).
   */
  append(batch: Uint8Array, options: PartitionAppendOptions = {}): Promise<RpcResult<AppendResult>> {
    const { acks, checkRecordCaps = true } = options;
    return new Promise((resolve) => {
      const role = this.#role;
      if (role === null) {
        this.#queue.push({ batch, checkRecordCaps, resolve });
      } else {
        try {
          this.#assertLeader(role);
          if (acks !== 1) assertEnoughReplicas(this.#tp(), role.isr.length, this.#requireMeta().config);
        } catch (error) {
          resolve(failure(error));
          return;
        }
        this.#queue.push({
          batch,
          checkRecordCaps,
          resolve: (result) => this.#acknowledge(result, acks ?? "all", resolve),
        });
      }
      if (!this.#flushing) void this.#flush();
    });
  }

  /**
   * Follower side of replication: applies the leader's batches at the leader's offsets (core's follower mode:
   * a batch already held is a no-op, a gap stops there) and answers the log end, from which the leader goes on.
   * A call from an older leader epoch is refused (`FENCED_LEADER_EPOCH`).
   */
  async replicate(request: ReplicateRequest): Promise<RpcResult<ReplicateResponse>> {
    return toResult(async () => {
      const meta = this.#requireMeta();
      const role = this.#role;
      if (role === null || request.topicId !== meta.topicId) throw this.#unknown();
      if (
        request.leaderEpoch < role.leaderEpoch ||
        (request.leaderEpoch === role.leaderEpoch && request.leader !== role.leader)
      ) {
        throw new EdgeLogError(
          "FENCED_LEADER_EPOCH",
          `leader epoch ${request.leaderEpoch} of ${request.leader} is stale (this replica is at ${role.leaderEpoch})`,
          { context: { ...this.#tp(), leaderEpoch: role.leaderEpoch } },
        );
      }
      if (request.leaderEpoch > role.leaderEpoch) {
        this.#adopt({ ...role, leader: request.leader, leaderEpoch: request.leaderEpoch });
      }
      // KIP-101: what this replica wrote past the leader's end of its last epoch never reached the leader —
      // cut it before taking the leader's batches, which may sit at the same offsets.
      const cut = divergenceOffset(
        this.#epochs,
        meta.highWatermark,
        request.leaderEpochs,
        request.leaderLogEnd,
        meta.logStartOffset,
      );
      if (cut !== null) this.#truncateTo(cut);
      if (request.batches.length > 0) {
        const pending = request.batches.map((b) => ({
          batch: b.payload,
          assigned: { baseOffset: b.baseOffset, logAppendTime: b.logAppendTime },
          resolve: () => undefined,
        }));
        const outcome = this.#tryTransaction(this.#requireMeta(), pending);
        if ("storageError" in outcome) throw outcome.storageError;
        // Written after the batches: should the object stop in between, the next push merges the entry again.
        this.#writeEpochs(
          mergeLeaderEpochs(this.#epochs, request.leaderEpochs, this.#requireMeta().highWatermark),
        );
        await this.#sync();
        // Elected while the sync was in flight: what just became durable is this leader's to push now.
        this.#replicator?.onCommit();
      }
      const current = this.#requireMeta();
      this.#advanceCommitted(Math.min(request.highWatermark, current.highWatermark));
      // Follow the leader's log start, never past what this replica has committed.
      const logStart = Math.min(request.logStartOffset, this.#committed);
      if (logStart > current.logStartOffset) this.#deleteRecordsNow(logStart);
      const logEnd = this.#requireMeta().highWatermark;
      const readers = this.#waiters.size + this.#live.count() + this.#shards.readers;
      return this.#readers.answer(readers, Date.now()) ? { logEnd, readers: true } : { logEnd };
    });
  }

  /**
   * The controller elected this replica (Kafka's LeaderAndIsr): it leads from now on under the new epoch, whose
   * start offset (its log end) goes into the leader-epoch table, and pushes to its followers at once so they
   * learn the epoch (and an old leader truncates what it alone wrote).
   */
  async becomeLeader(topicId: string, replication: PartitionReplication): Promise<RpcResult<LeaderEpochs>> {
    return toResult(() => {
      const role = this.#controlled(topicId, replication);
      if (replication.leader !== role.region) {
        throw new EdgeLogError("INVALID_REQUEST", "becomeLeader names another region as leader", {
          context: { ...this.#tp(), leader: replication.leader },
        });
      }
      this.#adopt({ ...role, ...plainReplication(replication) });
      this.#replicator?.onCommit();
      return this.#leaderEpochs();
    });
  }

  /**
   * The controller moved leadership elsewhere: this replica follows (client appends are refused, `acks: "all"`
   * appends still waiting are answered `NOT_LEADER_OR_FOLLOWER`), then asks the new leader for its leader-epoch
   * table and truncates what it wrote past the leader's end of its own last epoch (KIP-101). When the leader
   * cannot be reached now, its first push does the same.
   */
  async becomeFollower(topicId: string, replication: PartitionReplication): Promise<RpcResult<LeaderEpochs>> {
    return toResult(async () => {
      const role = this.#controlled(topicId, replication);
      if (replication.leader === role.region) {
        throw new EdgeLogError("INVALID_REQUEST", "becomeFollower names this replica as leader", {
          context: { ...this.#tp(), leader: replication.leader },
        });
      }
      return this.#follow({ ...role, ...plainReplication(replication) });
    });
  }

  /**
   * Follows `role`'s leader: adopts the role, then asks the leader for its leader-epoch table and truncates what
   * this replica wrote past the leader's end of its own last epoch (KIP-101).
   */
  async #follow(role: ReplicaRole): Promise<LeaderEpochs> {
    this.#adopt(role);
    const lastEpoch = this.#epochs.at(-1)?.epoch;
    let leader: LeaderEpochs;
    try {
      const stub = await this.#replicaStub(role.leader);
      leader = unwrap(await stub.leaderEpochs());
    } catch (error) {
      console.error(
        "edgelog: the new leader could not be asked for its epochs; its push will truncate",
        error,
      );
      return this.#leaderEpochs();
    }
    // Only against that leader at that epoch, and only if no push came first (it already truncated and took
    // newer batches, which an answer sent earlier knows nothing of).
    const current = this.#role;
    if (
      current === null ||
      leader.leader !== role.leader ||
      leader.leaderEpoch !== role.leaderEpoch ||
      current.leaderEpoch !== role.leaderEpoch ||
      this.#epochs.at(-1)?.epoch !== lastEpoch
    ) {
      return this.#leaderEpochs();
    }
    const cut = divergenceOffset(
      this.#epochs,
      this.#requireMeta().highWatermark,
      leader.entries,
      leader.logEnd,
      this.#requireMeta().logStartOffset,
    );
    if (cut !== null) {
      this.#truncateTo(cut);
      await this.ctx.storage.sync();
    }
    return this.#leaderEpochs();
  }

  /**
   * A follower refused this leader's push as stale (`FENCED_LEADER_EPOCH`): an election happened that this replica
   * was not told of (its region was cut off). It asks the controller, and follows the leader recorded there.
   */
  async #learnLeadership(): Promise<void> {
    if (this.#learning) return;
    this.#learning = true;
    try {
      const role = this.#role;
      const meta = this.#meta;
      if (role === null || meta === null) return;
      await crossRegion(this.env, role.prefix, { from: role.region });
      // As a majority of the controller replicas holds it: the one reached first may have missed the election.
      const description = await askController(this.env, role.prefix, (topics, ref) =>
        topics.describeTopic(ref, meta.topic, { quorum: true }),
      );
      const recorded = description?.replication?.[meta.partition];
      const now = this.#role;
      if (description?.metadata.topicId !== meta.topicId || recorded === undefined || now === null) return;
      if (recorded.leaderEpoch > now.leaderEpoch && recorded.leader !== now.region) {
        await this.#follow({ ...now, ...plainReplication(recorded) });
      }
    } catch (error) {
      console.error("edgelog: could not learn the partition's leadership from the controller", error);
    } finally {
      this.#learning = false;
    }
  }

  /** This replica's leader-epoch table and log end (KIP-101's OffsetsForLeaderEpoch reads it; tests compare it). */
  async leaderEpochs(): Promise<RpcResult<LeaderEpochs>> {
    return toResult(() => this.#leaderEpochs());
  }

  async read(request: PartitionReadRequest): Promise<RpcResult<ReadResult>> {
    return toResult(async () => {
      const first = this.#readNow(request.offset, request.maxBytes);
      if (first.batches.length > 0 || request.maxWaitMs <= 0 || request.offset < first.highWatermark) {
        return this.#cacheable(request, first);
      }
      // Long-poll (Kafka's fetch.max.wait.ms): woken by the next commit, a timeout, or destroy().
      this.#readerParks();
      const { waitId } = request;
      if (waitId === undefined) {
        await this.#waiters.wait(request.maxWaitMs);
      } else {
        const controller = new AbortController();
        this.#cancellable.set(waitId, controller);
        try {
          await this.#waiters.wait(request.maxWaitMs, controller.signal);
        } finally {
          this.#cancellable.delete(waitId);
        }
      }
      return this.#cacheable(request, this.#readNow(request.offset, request.maxBytes));
    });
  }

  /**
   * The answer with `cacheUntil` when the reader asked for a cacheable one and it may be cached: only the one copy
   * of an unreplicated partition gives such answers (a replica's deletions follow its leader's, which would not
   * wait for this replica's fence; cacheable reads of replicated partitions are not built yet).
   */
  #cacheable(request: PartitionReadRequest, result: ReadResult): ReadResult {
    const { cache } = request;
    if (cache === undefined || this.#role !== null) return result;
    const { config } = this.#requireMeta();
    return this.#readCache.answer(result, { ...cache, offset: request.offset, config }, Date.now());
  }

  /**
   * The topic is about to be deleted: no cacheable answer from now on, so that once the answers given so far have
   * expired (the time answered) no cache holds any of the topic's records and its name can safely be reused.
   */
  async closeReadCache(): Promise<number> {
    return this.#readCache.close(Date.now());
  }

  /**
   * Leader side of reads near the reader: `region`'s replica has readers waiting for a high watermark it has not
   * been told yet, so the leader pushes it watermark-only updates from now on. Ignored unless this replica leads
   * in `leaderEpoch` (a follower that asked a deposed leader learns the new one with its next push).
   */
  async followerReading(topicId: string, region: string, leaderEpoch: number): Promise<RpcResult<boolean>> {
    return toResult(() => {
      const role = this.#role;
      const replicator = this.#replicator;
      if (role === null || topicId !== this.#requireMeta().topicId) throw this.#unknown();
      if (replicator === null || role.leaderEpoch !== leaderEpoch) return false;
      replicator.followerReading(region);
      return true;
    });
  }

  /**
   * A WebSocket live tail (the store's `tailSocket`; a WebSocket cannot cross RPC, so it is a `fetch`). Refusals —
   * an offset outside the log (416), no room for another socket (429), a deleted partition (404) — are answered as
   * JSON errors before anything is upgraded.
   */
  override async fetch(request: Request): Promise<Response> {
    try {
      this.#requireMeta();
      const { offset: spec, expiresAt } = parseLiveTailUpgrade(request);
      // Past this object's own limit, a shard takes the socket (and its send loop's share of each push).
      if (this.#shards.enabled && this.#live.full()) {
        return await this.#shards.route(this.#live.resolve(spec), expiresAt);
      }
      const offset = this.#live.admit(spec);
      const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
      this.ctx.acceptWebSocket(server, [LIVE_TAIL_TAG]);
      this.#live.open(server, offset, expiresAt);
      return new Response(null, { status: 101, webSocket: client });
    } catch (error) {
      const { error: body } = failure(error);
      return Response.json(
        { error: { ...body.context, code: body.code, message: body.message } },
        { status: httpStatusFor(body.code) },
      );
    }
  }

  /**
   * A broadcast shard gained its first reader (`true`) or lost its last: it is fed every push from now on, or no
   * longer. Answers what readers see now, where a newly fed shard's readers start.
   */
  async liveShardReaders(shard: number, readers: boolean): Promise<RpcResult<PartitionOffsets>> {
    return toResult(() => {
      this.#requireMeta();
      this.#shards.setReaders(shard, readers);
      if (readers) this.#readerParks();
      return this.#offsets();
    });
  }

  override async webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (this.#meta === null) {
      this.#live.failAll(this.#unknown());
      return;
    }
    this.#live.message(socket, message);
  }

  override async webSocketClose(socket: WebSocket, code: number): Promise<void> {
    this.#live.ended(socket, code);
  }

  override async webSocketError(socket: WebSocket): Promise<void> {
    this.#live.ended(socket);
  }

  /** Ends a long-poll whose caller gave up, so a parked read does not hold the object until its timeout. */
  async cancelWait(waitId: string): Promise<void> {
    this.#cancellable
      .get(waitId)
      ?.abort(new EdgeLogError("REQUEST_TIMED_OUT", "the reader cancelled its wait"));
  }

  /**
   * Runs a compaction pass of this compacted partition now, whether or not one is due (passes otherwise run from
   * the alarm when core's schedule says so), slice by slice with other requests served in between; answers what
   * the pass did. A pass already under way is replaced by this one (what its slices committed stays). A pass
   * dropped under it goes on as another: a config change starts one under the new config (a topic no longer
   * compacted answers `INVALID_REQUEST`), a concurrent `compact()` is joined, a deleted topic answers unknown.
   */
  async compact(): Promise<RpcResult<CompactionPassStats | null>> {
    return toResult(async () => {
      this.#requireMeta();
      // Like DeleteRecords: a pass removes records only once no cached answer can still show them.
      await this.#readCache.waitFor(this.#readCache.until);
      this.#requireMeta();
      const finished = this.#compactor.stats().passes;
      let pass = this.#compactor.start(Date.now());
      for (;;) {
        while (this.#compactor.current === pass) {
          this.#compactor.slice(Date.now());
          // A turn for the appends and reads that arrived during the slice.
          if (this.#compactor.current === pass) await new Promise((resolve) => setTimeout(resolve, 0));
        }
        if (this.#compactor.stats().passes > finished) break;
        this.#requireMeta();
        pass = this.#compactor.current ?? this.#compactor.start(Date.now());
      }
      this.#scheduleCompaction(Date.now());
      return this.#compactor.stats().lastPass;
    });
  }

  /**
   * Runs a Durable Streams command. Core's rules run in one SQLite transaction that also holds the batches they
   * admit (the append is the group-commit path for a group of one, nested as a savepoint), so a producer's
   * sequence, the close flag and `Stream-Seq` never disagree with the log.
   */
  async stream(command: StreamCommand): Promise<RpcResult<StreamOutcome>> {
    return toResult(async () => {
      const meta = this.#requireMeta();
      if (this.#role !== null) {
        // A stream's state document is not replicated: a replicated partition cannot back a stream.
        throw new EdgeLogError("INVALID_REQUEST", "Durable Streams run on unreplicated partitions only", {
          context: { ...this.#tp() },
        });
      }
      const sql = this.ctx.storage.sql;
      let outcome: StreamOutcome;
      try {
        outcome = this.ctx.storage.transactionSync(() => {
          if (!this.#streamSchemaReady) sql.exec(STREAM_SCHEMA);
          return runStreamCommand(
            {
              readState: () => {
                const row = sql
                  .exec<{ state: string }>("SELECT state FROM stream_state WHERE id = 0")
                  .toArray()[0];
                return row === undefined ? null : (JSON.parse(row.state) as StreamState);
              },
              writeState: (state) => {
                sql.exec(
                  "INSERT OR REPLACE INTO stream_state (id, state) VALUES (0, ?)",
                  JSON.stringify(state),
                );
              },
              append: (batch) => this.#appendOne(meta, batch),
              offsets: () => this.#offsets(),
              notify: () => this.#waiters.notify(),
            },
            command,
            Date.now(),
          );
        });
      } catch (error) {
        // Rolled back: memory follows SQLite.
        this.#load();
        throw error;
      }
      // Only now: a rolled-back first command takes its CREATE TABLE with it.
      this.#streamSchemaReady = true;
      await this.ctx.storage.sync();
      return outcome;
    });
  }

  /** One batch through the group-commit path, inside the caller's transaction; throws its verdict. */
  #appendOne(meta: PartitionMeta, batch: Uint8Array): AppendResult {
    const outcome = this.#tryTransaction(meta, [{ batch, checkRecordCaps: true, resolve: () => undefined }]);
    if ("storageError" in outcome) throw outcome.storageError;
    const result = outcome.results[0];
    if (result === undefined) throw new Error("append lost its result");
    if (!result.ok) throw errorFromRpc(result.error);
    return result.value;
  }

  /** The bounds readers see; with `includeSize`, also the bytes this replica retains. */
  async offsets(includeSize = false): Promise<RpcResult<PartitionOffsetsWithSize>> {
    return toResult(() =>
      includeSize ? { ...this.#offsets(), sizeBytes: this.#sizeBytes } : this.#offsets(),
    );
  }

  async offsetForTimestamp(timestamp: number): Promise<RpcResult<number | null>> {
    return toResult(() => {
      const meta = this.#requireMeta();
      // SQLite skips the batches that are too old already (core's rule would too), so their payloads stay unread.
      const rows = this.ctx.storage.sql.exec<BatchRow>(
        "SELECT * FROM batches WHERE max_timestamp >= ? ORDER BY base_offset",
        timestamp,
      );
      const found = offsetForTimestampIn(mapRows(rows, toStoredBatch), timestamp, meta.logStartOffset);
      // Nothing past a replicated partition's high watermark is visible yet.
      return found !== null && found >= this.#offsets().highWatermark ? null : found;
    });
  }

  async listBatches(options: { fromOffset?: number; limit?: number } = {}): Promise<RpcResult<BatchInfo[]>> {
    return toResult(() => {
      const meta = this.#requireMeta();
      const from = Math.max(options.fromOffset ?? meta.logStartOffset, meta.logStartOffset);
      const limit = options.limit ?? DEFAULT_LIST_BATCHES_LIMIT;
      const rows = this.ctx.storage.sql.exec<BatchInfoRow>(
        `SELECT ${BATCH_INFO_COLUMNS} FROM batches WHERE base_offset >= ? AND base_offset < ? ORDER BY base_offset LIMIT ?`,
        this.#baseOffsetHolding(from),
        this.#offsets().highWatermark,
        limit,
      );
      return rows.toArray().map(toBatchInfo);
    });
  }

  /**
   * Kafka's DeleteRecords. The log start moves at once, so no read reaches the records from here on; the answer
   * waits until every cacheable answer given before has expired, so once it is answered no cache serves them either.
   * It waits even when the log start was already there: a retry of a call whose answer was lost must not answer
   * before the first call would have.
   */
  async deleteRecords(beforeOffset: number): Promise<RpcResult<PartitionOffsets>> {
    return toResult(async () => {
      // Only the leader moves the log start; its followers follow it with the next push.
      if (this.#role !== null) this.#assertLeader(this.#role);
      this.#assertInRange(beforeOffset);
      const fenceUntil = this.#readCache.until;
      this.#deleteRecordsNow(beforeOffset);
      await this.#readCache.waitFor(fenceUntil);
      return this.#offsets();
    });
  }

  /** Wipes the partition (topic deleted): data, producers, alarm; waiting reads fail, later calls too. */
  async destroy(): Promise<RpcResult<null>> {
    return toResult(async () => {
      const error = this.#unknown();
      const fenceUntil = this.#readCache.until;
      this.#destroyed = true;
      this.#meta = null;
      this.#compactor.reset();
      this.#waiters.fail(error);
      this.#live.failAll(error);
      this.#shards.endAll(failure(error).error);
      this.#replicator?.stop(error);
      for (const pending of this.#queue.splice(0)) pending.resolve(failure(error));
      await this.ctx.storage.deleteAlarm();
      this.#alarmAt = null;
      await this.ctx.storage.deleteAll();
      // Gone for every read now; answered once no cache can serve its records either.
      await this.#readCache.waitFor(fenceUntil);
      return null;
    });
  }

  /** Counters for tests (group commit is observable through `appendTransactions`). */
  async stats(): Promise<PartitionStats> {
    return {
      appendTransactions: this.#appendTransactions,
      appendedBatches: this.#appendedBatches,
      waiters: this.#waiters.size,
      sizeBytes: this.#sizeBytes,
      alarmAt: this.#alarmAt,
      replicationCalls: this.#retiredReplicationCalls + (this.#replicator?.calls ?? 0),
      truncations: this.#truncations,
      readerCalls: this.#readers.calls,
      live: this.#live.stats(),
      liveShards: this.#shards.stats(),
      compaction: this.#compactor.stats(),
    };
  }

  /**
   * Retention (Kafka's `delete` cleanup policy), planned by core and rescheduled while it has work ahead; one slice
   * of compaction when a pass is under way or due, the alarm re-armed at once while the pass has work left; and,
   * on a leader, a catch-up round of followers that are behind (the retry timer is lost when the object is
   * evicted).
   */
  override async alarm(): Promise<void> {
    this.#alarmAt = null;
    const meta = this.#meta;
    if (meta === null) return;
    const now = Date.now();
    const cutoff = planRetention(this.#batchInfos(), meta.config, now, this.#sizeBytes);
    this.#retentionHeldUntil = 0;
    if (cutoff !== null) {
      // Held back by the cache fence while cached answers may still show these records.
      const target = Math.min(cutoff, this.#offsets().highWatermark);
      const plan = this.#readCache.planDeletion(target, meta.logStartOffset, now);
      if (plan.deleteTo > meta.logStartOffset) this.#deleteRecordsNow(plan.deleteTo);
      if (plan.retryAt !== null) this.#retentionHeldUntil = plan.retryAt;
    }
    this.#scheduleRetention(now);
    try {
      this.#compactor.slice(now);
    } catch (error) {
      // Held back for a while (`COMPACTION_RETRY_MS`); retention, replication and live sockets go on.
      console.error("edgelog: a compaction slice failed; the next pass waits", error);
    }
    this.#scheduleCompaction(now);
    this.#replicator?.onAlarm();
    // Live sockets whose token expired are closed; the next expiry wakes the object again.
    const expiry = this.#live.expire();
    if (expiry !== null) this.#wakeAt(expiry);
  }

  // ── appends ─────────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Group commit: the first append is applied at once; appends that arrive while its write is being made
   * durable (`storage.sync()`) queue up and are applied together in the next transaction.
   */
  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#queue.length > 0) {
        const group = this.#queue.splice(0);
        const role = this.#role;
        if (role !== null && !isLeader(role)) {
          // Leadership moved while these waited: nothing of them is written here.
          const refused = failure(this.#notLeader());
          for (const pending of group) pending.resolve(refused);
          continue;
        }
        try {
          this.#applyGroup(group);
        } catch (error) {
          // A bug, not a verdict: answer every caller rather than leave one waiting forever (resolving twice
          // is a no-op for the ones already answered).
          for (const pending of group) pending.resolve(failure(error));
        }
        await this.#sync();
        // Only durable batches are replicated.
        this.#replicator?.onCommit();
      }
    } catch (error) {
      // sync() failing means the object is broken (workerd will reset it): answer whoever is still queued.
      for (const pending of this.#queue.splice(0)) pending.resolve(failure(error));
    } finally {
      this.#flushing = false;
    }
  }

  #applyGroup(group: PendingAppend[]): void {
    if (group.length === 0) return;
    const meta = this.#meta;
    if (meta === null) {
      const error = failure(this.#unknown());
      for (const pending of group) pending.resolve(error);
      return;
    }
    const outcome = this.#tryTransaction(meta, group);
    if ("storageError" in outcome) {
      // A storage fault (not a verdict on a batch) failed the whole transaction, which rolled back. Retry each
      // batch alone so one batch that trips SQLite does not fail the batches that came with it.
      if (group.length > 1) {
        for (const pending of group) this.#applyGroup([pending]);
      } else {
        for (const pending of group) pending.resolve(failure(outcome.storageError));
      }
      return;
    }
    for (const [i, pending] of group.entries()) {
      pending.resolve(outcome.results[i] ?? failure(new Error("append lost its result")));
    }
  }

  /**
   * Load–plan–apply in one transaction for the whole group: load the producers the batches name, let core's
   * planner decide, write its rows. On a storage fault it rolled back and memory is reloaded from SQLite.
   */
  #tryTransaction(
    meta: PartitionMeta,
    group: PendingAppend[],
  ): { results: RpcResult<AppendResult>[] } | { storageError: unknown } {
    const sql = this.ctx.storage.sql;
    const tp: TopicPartition = { topic: meta.topic, partition: meta.partition };
    // inspectBatchForAppend reads only the config; the rest of the metadata lives in TopicsObject.
    const topic: TopicMetadata = {
      name: meta.topic,
      topicId: meta.topicId,
      partitions: meta.partition + 1,
      config: meta.config,
      createdAt: 0,
    };
    const now = Date.now();
    let plan: AppendPlan<PartitionBounds>;
    try {
      plan = this.ctx.storage.transactionSync(() => {
        // A pending append carries its own check options (`assigned`, `checkRecordCaps`).
        const batches = group.map((pending) => checkBatch(topic, tp, pending.batch, pending));
        const producers = new Map(producerIdsOf(batches).map((id) => [id, this.#producer(id)]));
        const { logStartOffset, highWatermark } = meta;
        const partition = { logStartOffset, highWatermark, sizeBytes: this.#sizeBytes };
        const planned = planAppend({ tp, partition, producers, batches, nowMs: now });
        for (const b of planned.batches) insertBatch(sql, b);
        for (const state of planned.producers) {
          sql.exec(
            "INSERT OR REPLACE INTO producers (producer_id, state) VALUES (?, ?)",
            state.producerId,
            JSON.stringify(state),
          );
        }
        if (planned.batches.length > 0) {
          sql.exec("UPDATE meta SET high_watermark = ? WHERE id = 0", planned.partition.highWatermark);
        }
        return planned;
      });
    } catch (error) {
      // Rolled back: memory must say what SQLite says, never what the failed transaction meant to write.
      this.#load();
      return { storageError: error };
    }
    const appended = plan.batches.length;
    if (appended > 0) this.#appendTransactions++;
    this.#appendedBatches += appended;
    meta.highWatermark = plan.partition.highWatermark;
    this.#sizeBytes = plan.partition.sizeBytes;
    if (appended > 0) {
      // A replicated partition's readers wake when the high watermark moves, not on the commit.
      if (this.#role === null) {
        this.#waiters.notify();
        this.#live.advanced();
        this.#shards.advanced();
      }
      this.#scheduleRetention(now);
      this.#compactor.changed();
      this.#scheduleCompaction(now);
    }
    return { results: plan.outcomes.map((o) => (o.kind === "error" ? failure(o.error) : ok(o.result))) };
  }

  #producer(producerId: string): ProducerState | undefined {
    const row = this.ctx.storage.sql
      .exec<{ state: string }>("SELECT state FROM producers WHERE producer_id = ?", producerId)
      .toArray()[0];
    return row === undefined ? undefined : (JSON.parse(row.state) as ProducerState);
  }

  // ── reads ───────────────────────────────────────────────────────────────────────────────────────────────────

  /** A long-poll parks here: a follower may have to ask its leader for the high watermark (`FollowerReaders`). */
  #readerParks(): void {
    const role = this.#role;
    if (role === null || isLeader(role)) return;
    const meta = this.#requireMeta();
    this.#readers.parked(Date.now(), meta.highWatermark > this.#committed, async () => {
      const leader = await this.#replicaStub(role.leader);
      return unwrap(await leader.followerReading(meta.topicId, role.region, role.leaderEpoch));
    });
  }

  #readNow(offset: number, maxBytes: number): ReadResult {
    this.#assertReadable(offset);
    const batches: StoredBatch[] = [];
    const budget = new ReadBudget(maxBytes);
    // Readers of a replicated partition see nothing past the high watermark (always a batch boundary).
    const rows =
      this.#role === null
        ? this.ctx.storage.sql.exec<BatchRow>(
            "SELECT * FROM batches WHERE base_offset >= ? ORDER BY base_offset",
            this.#baseOffsetHolding(offset),
          )
        : this.ctx.storage.sql.exec<BatchRow>(
            "SELECT * FROM batches WHERE base_offset >= ? AND base_offset < ? ORDER BY base_offset",
            this.#baseOffsetHolding(offset),
            this.#committed,
          );
    for (const row of rows) {
      if (!budget.admits(row.size_bytes)) break;
      batches.push(toStoredBatch(row));
    }
    return { batches, ...this.#offsets() };
  }

  /**
   * Base offset of the batch holding `offset`, found through the primary key; `offset` itself when no batch
   * holds it (at the high watermark, or below the first retained batch), so `base_offset >= it` starts right.
   */
  #baseOffsetHolding(offset: number): number {
    const row = this.ctx.storage.sql
      .exec<{ base_offset: number; last_offset: number }>(
        "SELECT base_offset, last_offset FROM batches WHERE base_offset <= ? ORDER BY base_offset DESC LIMIT 1",
        offset,
      )
      .toArray()[0];
    return row !== undefined && row.last_offset >= offset ? row.base_offset : offset;
  }

  /** `storage.sync()`, then what it covered counts as durable (see `#durableEnd`). */
  async #sync(): Promise<void> {
    const end = this.#meta?.highWatermark ?? 0;
    await this.ctx.storage.sync();
    // A truncation while the sync was in flight may have cut below `end`.
    this.#durableEnd = Math.max(this.#durableEnd, Math.min(end, this.#meta?.highWatermark ?? 0));
  }

  #batchInfos(): Iterable<BatchInfo> {
    return mapRows(
      this.ctx.storage.sql.exec<BatchInfoRow>(
        `SELECT ${BATCH_INFO_COLUMNS} FROM batches ORDER BY base_offset`,
      ),
      toBatchInfo,
    );
  }

  // ── retention ───────────────────────────────────────────────────────────────────────────────────────────────

  #deleteRecordsNow(beforeOffset: number): void {
    const meta = this.#requireMeta();
    const logStartOffset = Math.max(meta.logStartOffset, beforeOffset);
    const sql = this.ctx.storage.sql;
    try {
      this.ctx.storage.transactionSync(() => {
        sql.exec("UPDATE meta SET log_start_offset = ? WHERE id = 0", logStartOffset);
        sql.exec("DELETE FROM batches WHERE last_offset < ?", logStartOffset);
        // Producer state lives as long as the data it deduplicates (core's producerStateIsLive).
        for (const row of sql
          .exec<{ producer_id: string; state: string }>("SELECT * FROM producers")
          .toArray()) {
          if (!producerStateIsLive(JSON.parse(row.state) as ProducerState, logStartOffset)) {
            sql.exec("DELETE FROM producers WHERE producer_id = ?", row.producer_id);
          }
        }
      });
    } finally {
      // Success or rollback, memory follows SQLite.
      this.#load();
    }
    // Whatever the policy now: a topic compacted before keeps its checkpoint, and its clean bytes must not count
    // batches gone meanwhile if it compacts again (the memory and IndexedDB stores count them off likewise).
    this.#compactor.recount();
  }

  /** Arms the alarm for the next compaction slice: at once while a pass is under way, else when one is due. */
  #scheduleCompaction(now: number): void {
    const at = this.#compactor.running ? now : this.#compactor.dueAt(now);
    if (at !== null) this.#wakeAt(at);
  }

  /** Sets the alarm for the next moment retention has work (core's `retentionDueAt`), unless one comes sooner. */
  #scheduleRetention(now: number): void {
    const meta = this.#meta;
    if (meta === null) return;
    // An alarm already set is no later than the oldest batch's expiry (appends never make the oldest older):
    // then only `retention.bytes` can bring it forward, and the oldest batch need not be read.
    const oldest =
      this.#alarmAt === null && retentionNeedsOldest(meta.config, this.#sizeBytes)
        ? this.ctx.storage.sql
            .exec<BatchInfoRow>(`SELECT ${BATCH_INFO_COLUMNS} FROM batches ORDER BY base_offset LIMIT 1`)
            .toArray()
            .map(toBatchInfo)[0]
        : undefined;
    const due = retentionDueAt(meta.config, this.#sizeBytes, oldest, now);
    if (due !== null) this.#wakeAt(Math.max(due, this.#retentionHeldUntil));
  }

  /** Arms the alarm (shared by retention and the leader's catch-up retries) for `at`, unless it fires sooner. */
  #wakeAt(at: number): void {
    if (this.#alarmAt !== null && this.#alarmAt <= at) return;
    this.#alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }

  // ── state ───────────────────────────────────────────────────────────────────────────────────────────────────

  /** (Re)loads meta and the retained size from SQLite: at start-up and after any rolled-back transaction. */
  #load(): void {
    const sql = this.ctx.storage.sql;
    const hasSchema =
      sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'").toArray().length > 0;
    if (!hasSchema) {
      this.#meta = null;
      this.#sizeBytes = 0;
      return;
    }
    const row = sql
      .exec<{
        topic: string;
        partition_id: number;
        topic_id: string;
        config: string;
        log_start_offset: number;
        high_watermark: number;
        deleted: number;
      }>("SELECT * FROM meta WHERE id = 0")
      .toArray()[0];
    this.#meta =
      row === undefined || row.deleted !== 0
        ? null
        : {
            topic: row.topic,
            partition: row.partition_id,
            topicId: row.topic_id,
            config: JSON.parse(row.config) as TopicConfig,
            logStartOffset: row.log_start_offset,
            highWatermark: row.high_watermark,
          };
    this.#sizeBytes =
      sql.exec<{ total: number | null }>("SELECT sum(size_bytes) AS total FROM batches").one().total ?? 0;
    // At start-up the stored log is durable; later reloads (truncation, rollback) can only lower it.
    const end = this.#meta?.highWatermark ?? 0;
    this.#durableEnd = this.#loaded ? Math.min(this.#durableEnd, end) : end;
    this.#loaded = true;
    this.#readCache.load();
    this.#compactor.load();
    this.#loadRole();
  }

  /** The replica's role and high watermark, when the partition is replicated; starts or stops the replicator. */
  #loadRole(): void {
    const sql = this.ctx.storage.sql;
    const hasTable =
      this.#meta !== null &&
      sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'replica_state'").toArray()
        .length > 0;
    const row = hasTable
      ? sql
          .exec<{ role: string; high_watermark: number }>("SELECT * FROM replica_state WHERE id = 0")
          .toArray()[0]
      : undefined;
    this.#role = row === undefined ? null : (JSON.parse(row.role) as ReplicaRole);
    this.#committed = row === undefined ? 0 : row.high_watermark;
    this.#epochs = row === undefined ? [] : this.#readEpochs();
    const leading = this.#role !== null && isLeader(this.#role);
    const role = this.#role;
    if (leading && role !== null && this.#epochs.at(-1)?.epoch !== role.leaderEpoch) {
      // A leader's epoch starts at its log end (the whole log for the first epoch a replica records).
      const start = this.#epochs.length === 0 ? 0 : (this.#meta?.highWatermark ?? 0);
      this.#writeEpochs(leaderEpochStarted(this.#epochs, role.leaderEpoch, role.region, start));
    }
    if (leading && this.#replicator === null) {
      this.#replicator = new LeaderReplicator(this.#replicationHost());
    } else if (!leading && this.#replicator !== null) {
      this.#retiredReplicationCalls += this.#replicator.calls;
      this.#replicator.stop(this.#notLeader(true));
      this.#replicator = null;
    }
  }

  #requireMeta(): PartitionMeta {
    if (this.#meta === null) throw this.#unknown();
    return this.#meta;
  }

  /** What readers see: the log end, or the high watermark in a replicated partition. */
  #offsets(): PartitionOffsets {
    const meta = this.#requireMeta();
    const highWatermark = this.#role === null ? meta.highWatermark : this.#committed;
    return { logStartOffset: meta.logStartOffset, highWatermark };
  }

  #assertInRange(offset: number): void {
    assertOffsetInRange(this.#tp(), offset, this.#offsets());
  }

  /**
   * A read may start anywhere up to the replica's log end, as in Kafka: between the high watermark and the log end
   * it answers nothing (yet) rather than `OFFSET_OUT_OF_RANGE`. That matters after an election: the new leader
   * learned the high watermark one push behind, and a consumer at the old leader's high watermark must wait, not
   * be told its position does not exist (and reset it).
   */
  #assertReadable(offset: number): void {
    const offsets = this.#offsets();
    const logEnd = this.#requireMeta().highWatermark;
    assertOffsetInRange(this.#tp(), offset, {
      ...offsets,
      highWatermark: Math.max(offsets.highWatermark, logEnd),
    });
  }

  #tp(): TopicPartition {
    const meta = this.#requireMeta();
    return { topic: meta.topic, partition: meta.partition };
  }

  // ── replication ─────────────────────────────────────────────────────────────────────────────────────────────

  #assertLeader(role: ReplicaRole): void {
    if (!isLeader(role)) throw this.#notLeader();
  }

  /**
   * `appended`: the batch was written here before leadership moved (an `acks: "all"` wait cut short), so it may
   * or may not survive on the new leader — only an idempotent retry is safe. Without it nothing was written.
   */
  #notLeader(appended = false): EdgeLogError {
    const role = this.#role;
    return new EdgeLogError("NOT_LEADER_OR_FOLLOWER", "this replica is not the partition's leader", {
      context: {
        ...this.#tp(),
        leader: role?.leader,
        leaderEpoch: role?.leaderEpoch,
        ...(appended ? { appended: true } : {}),
      },
    });
  }

  /** A controller's call for this replica: same topic id, and never an epoch older than one already seen. */
  #controlled(topicId: string, replication: PartitionReplication): ReplicaRole {
    const meta = this.#requireMeta();
    const role = this.#role;
    if (role === null || topicId !== meta.topicId) throw this.#unknown();
    if (replication.leaderEpoch < role.leaderEpoch) {
      throw new EdgeLogError(
        "FENCED_LEADER_EPOCH",
        `leader epoch ${replication.leaderEpoch} is stale (this replica is at ${role.leaderEpoch})`,
        { context: { ...this.#tp(), leaderEpoch: role.leaderEpoch } },
      );
    }
    return role;
  }

  #leaderEpochs(): LeaderEpochs {
    const role = this.#role;
    return {
      entries: this.#epochs.map((e) => ({ ...e })),
      logEnd: this.#requireMeta().highWatermark,
      leader: role?.leader ?? "",
      leaderEpoch: role?.leaderEpoch ?? 0,
    };
  }

  #readEpochs(): LeaderEpochEntry[] {
    const sql = this.ctx.storage.sql;
    // Replicas made before the table existed get it here.
    sql.exec(
      "CREATE TABLE IF NOT EXISTS leader_epochs (epoch INTEGER PRIMARY KEY, start_offset INTEGER NOT NULL, leader TEXT NOT NULL)",
    );
    return sql
      .exec<{ epoch: number; start_offset: number; leader: string }>(
        "SELECT epoch, start_offset, leader FROM leader_epochs ORDER BY epoch",
      )
      .toArray()
      .map((row) => ({ epoch: row.epoch, startOffset: row.start_offset, leader: row.leader }));
  }

  #writeEpochs(entries: readonly LeaderEpochEntry[]): void {
    const sql = this.ctx.storage.sql;
    this.ctx.storage.transactionSync(() => {
      sql.exec("DELETE FROM leader_epochs");
      for (const e of entries) {
        sql.exec(
          "INSERT INTO leader_epochs (epoch, start_offset, leader) VALUES (?, ?, ?)",
          e.epoch,
          e.startOffset,
          e.leader,
        );
      }
    });
    this.#epochs = entries.map((e) => ({ ...e }));
  }

  /**
   * Cuts the log at `offset` (a batch boundary on identical logs; a batch that straddles it goes too): batches,
   * the producers' memory of them and the epochs that wrote only there, in one transaction.
   */
  #truncateTo(offset: number): void {
    const cut = this.#baseOffsetHolding(offset);
    const sql = this.ctx.storage.sql;
    const epochs = truncateLeaderEpochs(this.#epochs, cut);
    try {
      this.ctx.storage.transactionSync(() => {
        sql.exec("DELETE FROM batches WHERE base_offset >= ?", cut);
        sql.exec("UPDATE meta SET high_watermark = ? WHERE id = 0", cut);
        sql.exec("UPDATE replica_state SET high_watermark = min(high_watermark, ?) WHERE id = 0", cut);
        for (const row of sql
          .exec<{ producer_id: string; state: string }>("SELECT * FROM producers")
          .toArray()) {
          const state = truncateProducerState(JSON.parse(row.state) as ProducerState, cut);
          if (state === undefined) sql.exec("DELETE FROM producers WHERE producer_id = ?", row.producer_id);
          else
            sql.exec(
              "UPDATE producers SET state = ? WHERE producer_id = ?",
              JSON.stringify(state),
              row.producer_id,
            );
        }
        this.#writeEpochs(epochs);
      });
    } finally {
      // Success or rollback, memory follows SQLite.
      this.#load();
      this.#compactor.reset();
    }
    this.#truncations++;
  }

  async #replicaStub(region: string): Promise<DurableObjectStub<PartitionObject>> {
    const role = this.#role;
    if (role === null) throw this.#unknown();
    await crossRegion(this.env, role.prefix, { from: role.region, to: region });
    const meta = this.#requireMeta();
    const name = partitionObjectName(role.prefix, meta.topicId, meta.partition, region);
    return this.env.PARTITIONS.get(this.env.PARTITIONS.idFromName(name), {
      locationHint: region as DurableObjectLocationHint,
    });
  }

  /** Answers a leader's append: on its commit (`acks: 1`) or once the in-sync replicas hold it (`all`). */
  #acknowledge(
    result: RpcResult<AppendResult>,
    acks: Acks,
    resolve: (result: RpcResult<AppendResult>) => void,
  ): void {
    if (!result.ok) {
      resolve(result);
      return;
    }
    const answer = (): void => resolve(ok({ ...result.value, ...this.#offsets() }));
    const replicator = this.#replicator;
    if (acks === 1) {
      answer();
      return;
    }
    if (replicator === null) {
      // Leadership moved between the commit and now: the in-sync replicas may never hold it.
      resolve(failure(this.#notLeader(true)));
      return;
    }
    // A duplicate waits too: the original may not be replicated yet.
    replicator.waitForHighWatermark(result.value.lastOffset + 1).then(answer, (error: unknown) => {
      resolve(failure(error));
    });
  }

  /** Records the role the controller (or a newer leader) says this replica has. */
  #adopt(role: ReplicaRole): void {
    this.ctx.storage.sql.exec(
      "UPDATE replica_state SET role = ? WHERE id = 0",
      JSON.stringify(plainRole(role)),
    );
    this.#loadRole();
  }

  #advanceCommitted(highWatermark: number): void {
    if (highWatermark <= this.#committed) return;
    this.ctx.storage.sql.exec("UPDATE replica_state SET high_watermark = ? WHERE id = 0", highWatermark);
    this.#committed = highWatermark;
    this.#waiters.notify();
    this.#live.advanced();
    this.#shards.advanced();
  }

  #replicationHost(): ReplicationHost {
    const roleOf = (): ReplicaRole => {
      if (this.#role === null) throw this.#unknown();
      return this.#role;
    };
    return {
      role: roleOf,
      config: () => this.#requireMeta().config,
      topicId: () => this.#requireMeta().topicId,
      logEnd: () => this.#durableEnd,
      logStartOffset: () => this.#requireMeta().logStartOffset,
      highWatermark: () => this.#committed,
      advanceHighWatermark: (hw: number) => this.#advanceCommitted(hw),
      batchesFrom: (offset: number, maxBytes: number) => this.#batchesFrom(offset, maxBytes),
      leaderEpochs: () => this.#epochs.map((e) => ({ ...e })),
      replicate: async (region: string, request: ReplicateRequest) => {
        const stub = await this.#replicaStub(region);
        assertReplicationDelivered(this.env, roleOf().prefix, roleOf().region, region);
        return unwrap(await stub.replicate(request));
      },
      alterIsr: async (isr: readonly string[]) => {
        const role = roleOf();
        // A region cut off reaches nobody, the controller included.
        await crossRegion(this.env, role.prefix, { from: role.region });
        const meta = this.#requireMeta();
        return askController(
          this.env,
          role.prefix,
          (topics, ref) =>
            topics.alterIsr(ref, meta.topic, meta.topicId, meta.partition, role.leaderEpoch, [...isr]),
          "change",
        );
      },
      adopt: (replication: PartitionReplication) => this.#adopt({ ...roleOf(), ...replication }),
      fenced: () => void this.#learnLeadership(),
      wakeAt: (at: number) => this.#wakeAt(at),
      now: () => Date.now(),
    };
  }

  /**
   * The leader's durable batches from `offset` on (a follower's log end: a batch boundary), within a byte budget.
   */
  #batchesFrom(offset: number, maxBytes: number): StoredBatch[] {
    const budget = new ReadBudget(maxBytes);
    const batches: StoredBatch[] = [];
    for (const row of this.ctx.storage.sql.exec<BatchRow>(
      "SELECT * FROM batches WHERE base_offset >= ? AND base_offset < ? ORDER BY base_offset",
      offset,
      this.#durableEnd,
    )) {
      if (!budget.admits(row.size_bytes)) break;
      batches.push(toStoredBatch(row));
    }
    return batches;
  }

  #unknown(): EdgeLogError {
    return new EdgeLogError(
      "UNKNOWN_TOPIC_OR_PARTITION",
      "this partition does not exist (or its topic was deleted)",
    );
  }
}

function plainReplication(r: PartitionReplication): PartitionReplication {
  return { leader: r.leader, replicas: [...r.replicas], isr: [...r.isr], leaderEpoch: r.leaderEpoch };
}

/** The role's own fields only: what is stored and sent must be plain data. */
function plainRole(role: ReplicaRole): ReplicaRole {
  return {
    region: role.region,
    prefix: role.prefix,
    leader: role.leader,
    replicas: [...role.replicas],
    isr: [...role.isr],
    leaderEpoch: role.leaderEpoch,
  };
}
