/**
 * @module
 * `DurableObjectLogStore`: the `LogStore` a Worker uses, a thin adapter over Durable Object stubs. Topic
 * metadata comes from the `TopicsObject` and is cached per isolate for a moment; each partition call goes to
 * the partition's leader object, named `${topicId}/${partition}/${region}` and created with its region as
 * location hint; groups go to their `GroupObject`. Errors come back as data and are rethrown as `EdgeLogError`s.
 * A read naming the reader's region (`ReadPreference`, KIP-392) goes to that region's in-sync follower instead,
 * falling back to the leader when there is none, it cannot be reached, or it cannot answer.
 */
import {
  type AppendOptions,
  type AppendResult,
  type BatchInfo,
  type CacheableReadRequest,
  type CommittedOffset,
  EdgeLogError,
  type GroupDescription,
  type GroupHeartbeatRequest,
  type GroupHeartbeatResponse,
  type GroupMemberRef,
  isEdgeLogError,
  type ListBatchesOptions,
  type LogStore,
  type OffsetsOptions,
  type PartitionOffsets,
  type PartitionOffsetsWithSize,
  type ReadOptions,
  type ReadPreference,
  type ReadResult,
  type ShareFetchRequest,
  type ShareFetchResponse,
  type ShareGroupConfig,
  type ShareGroupDescription,
  type ShareGroupStore,
  type TopicMetadata,
  type TopicPartition,
  type TopicSpec,
} from "@edgelog/core";
import {
  assertPartitionExists,
  assertValidGroupId,
  backoffMs,
  type CompactionPassStats,
  DEFAULT_READ_MAX_BYTES,
  followerForRead,
  type GroupStateStore,
  type PartitionReplication,
  randomId,
  SharedFlights,
  type StreamCommand,
  type StreamOutcome,
  type StreamStore,
  sleep,
  storeClosedError,
  unknownTopic,
  type VersionedGroupState,
  validateHeartbeat,
  validateShareFetch,
  WaitCoalescer,
} from "@edgelog/core/store-kit";
import type { LiveSocketRequest, LiveSocketStore } from "@edgelog/server";
import { EpochFloor } from "./controller/epoch-floor.ts";
import {
  askController,
  CONTROLLER_TIMEOUT_MS,
  type ControllerCallKind,
  type ControllerRef,
  type ControllerStub,
} from "./controller/reach-controller.ts";
import type { EdgeLogEnv } from "./env.ts";
import type { GroupRef } from "./group-object.ts";
import { liveTailUpgrade } from "./live/live-tail-request.ts";
import { groupObjectName, partitionObjectName, shareGroupObjectName } from "./names.ts";
import type { PartitionObject } from "./partition-object.ts";
import {
  crossRegion,
  type RegionFaults,
  regionFaults,
  regionReachable,
  setControlDropped,
  setRegionLatency,
  setRegionUnreachable,
  setReplicationDropped,
  unreachableRegions,
} from "./replication/fault-switch.ts";
import { shouldReportLeaderFailure } from "./replication/leader-failure-reports.ts";
import { failure, leadershipMoved, type RpcError, type RpcResult, unwrap } from "./rpc-result.ts";
import type { ShareGroupObject } from "./share-group-object.ts";
import type { PartitionPlacement, TopicDescription } from "./topics-object.ts";

/**
 * Times a partition call is sent again after the replica answered that leadership moved (each time against
 * freshly read metadata): an election's window — recorded by the controller, not yet known to every replica —
 * is a few calls long.
 */
export const MAX_LEADER_RETRIES = 5;

/** Marks a shared wait's answer with the cache request its call made (`read`). */
const ASKED: unique symbol = Symbol("asked");

/** Partition objects a topic delete asks to close their read cache at once (as creates configure them). */
const CLOSE_READ_CACHE_STEP = 100;

/** How long an isolate trusts topic metadata it fetched, in ms; kept short because other isolates change it. */
export const DEFAULT_METADATA_MAX_AGE_MS = 2_000;
/**
 * Largest byte budget one read asks a partition for: a Workers RPC message is capped at 32 MiB, so bigger
 * budgets are clamped (a reader simply reads again; the batch holding the offset always comes back).
 */
export const MAX_READ_BYTES_PER_CALL = 16 * 1024 * 1024;

export interface DurableObjectLogStoreOptions {
  /**
   * Prepended to every object name, so several independent logs can share one set of bindings (each test gets
   * its own). Default: none, which gives the plain names `topics`, `group/${id}`, `${topicId}/${p}/${region}`.
   */
  readonly namespacePrefix?: string;
  /** Metadata cache lifetime per isolate (≤ 2 s by default; 0 disables the cache). */
  readonly metadataMaxAgeMs?: number;
}

/**
 * A topic spec that may pin the regions its partitions are spread over (a subset of the deployment's), or name
 * the regions of each partition's replicas (the first leads).
 */
export interface RegionalTopicSpec extends TopicSpec {
  readonly regions?: readonly string[];
  readonly replicas?: readonly string[];
}

interface CachedTopic {
  readonly description: TopicDescription;
  readonly expiresAt: number;
}

/**
 * @example
 * export default { fetch: (req: Request, env: EdgeLogEnv) => handle(req, new EdgeLog({ store: new DurableObjectLogStore(env) })) }
 */
export class DurableObjectLogStore
  implements LogStore, GroupStateStore, StreamStore, LiveSocketStore, ShareGroupStore
{
  readonly #env: EdgeLogEnv;
  readonly #prefix: string;
  readonly #maxAgeMs: number;
  readonly #cache = new Map<string, CachedTopic>();
  /** Leader epochs seen per topic: an answer older than them comes from a controller replica a change behind. */
  readonly #epochs = new EpochFloor();
  /** Calls that may wait long (long-polls): rejected with STORE_CLOSED by close(). */
  readonly #pending = new Set<(error: unknown) => void>();
  /** Deletes of topics in flight through this store, by topic name. */
  readonly #deleting = new Map<string, Promise<void>>();
  /** Waiting reads in flight, shared per partition and offset. */
  readonly #waits = new WaitCoalescer();
  /**
   * Metadata lookups in flight, shared per topic: when the cached metadata expires, every request of the isolate
   * at that moment would ask the controller otherwise (the fan-out bench counted 17–66 calls per batch at 1,000
   * long-polls). A joiner waits for one as long as one controller replica may take.
   */
  readonly #describing = new SharedFlights<TopicDescription | null>(CONTROLLER_TIMEOUT_MS);
  #closed = false;

  constructor(env: EdgeLogEnv, options: DurableObjectLogStoreOptions = {}) {
    this.#env = env;
    this.#prefix = options.namespacePrefix ?? "";
    this.#maxAgeMs = options.metadataMaxAgeMs ?? DEFAULT_METADATA_MAX_AGE_MS;
  }

  get namespacePrefix(): string {
    return this.#prefix;
  }

  // ── topics ──────────────────────────────────────────────────────────────────────────────────────────────────

  createTopic(spec: RegionalTopicSpec): Promise<TopicMetadata> {
    return this.createTopicIn(spec, spec.regions, spec.replicas);
  }

  /**
   * Creates a topic whose partitions are spread round-robin over `regions` (default: the first region), or, with
   * two or more `replicas`, replicated in each of those regions and led by the first.
   */
  async createTopicIn(
    spec: TopicSpec,
    regions?: readonly string[],
    replicas?: readonly string[],
  ): Promise<TopicMetadata> {
    this.#assertOpen();
    const plain: TopicSpec = { name: spec.name, partitions: spec.partitions, config: spec.config };
    const metadata = await this.#controller(
      (topics, ref) =>
        replicas === undefined
          ? topics.createTopic(ref, plain, regions)
          : topics.createTopic(ref, plain, undefined, [...replicas]),
      "configure",
    );
    this.#forget(spec.name);
    return metadata;
  }

  /**
   * From the per-isolate cache when fresh: every produce and fetch asks for metadata first, and sending each one to
   * the single TopicsObject would make it the bottleneck of the whole deployment. A topic deleted through another
   * isolate may still be reported here for up to `metadataMaxAgeMs`, but its partitions are destroyed, so no read
   * or write can reach it (see `#onPartition`).
   */
  async getTopic(name: string): Promise<TopicMetadata | null> {
    this.#assertOpen();
    const cached = this.#fresh(name);
    if (cached !== undefined) return cached.metadata;
    try {
      return (await this.#describe(name, false)).metadata;
    } catch (error) {
      if (isEdgeLogError(error) && error.code === "UNKNOWN_TOPIC_OR_PARTITION") return null;
      throw error;
    }
  }

  async listTopics(): Promise<TopicMetadata[]> {
    this.#assertOpen();
    return this.#controller((topics, ref) => topics.listTopics(ref));
  }

  /**
   * Deletes a topic. Its partitions stop giving cacheable answers first, and the delete waits until the answers
   * they gave have expired: only then does the controller free the name, so no cache can ever serve this topic's
   * records under a topic re-created with its name (docs/architecture.md "Cached catch-up reads").
   */
  async deleteTopic(name: string): Promise<void> {
    this.#assertOpen();
    this.#forget(name);
    const deleting = this.#closeReadCaches(name)
      .then(() => this.#controller((topics, ref) => topics.deleteTopic(ref, name), "configure"))
      .then(() => undefined);
    this.#deleting.set(name, deleting);
    try {
      await deleting;
    } finally {
      if (this.#deleting.get(name) === deleting) this.#deleting.delete(name);
      this.#forget(name);
    }
  }

  /**
   * Closes the read cache of every partition of `name` that gives cacheable answers (the one copy of an
   * unreplicated partition), a bounded step at a time, and waits until the answers they gave have expired. A
   * partition that cannot be reached is left to its `destroy`, which waits for its own fence.
   */
  async #closeReadCaches(name: string): Promise<void> {
    let description: TopicDescription;
    try {
      description = await this.#describe(name, false);
    } catch (error) {
      if (isEdgeLogError(error) && error.code === "UNKNOWN_TOPIC_OR_PARTITION") return;
      throw error;
    }
    const partitions = description.placement
      .map((_, partition) => partition)
      .filter((partition) => description.replication?.[partition] === undefined);
    let until = 0;
    for (let i = 0; i < partitions.length; i += CLOSE_READ_CACHE_STEP) {
      const step = partitions.slice(i, i + CLOSE_READ_CACHE_STEP);
      const answers = await Promise.allSettled(
        step.map(async (partition) => {
          const stub = await this.#partitionStub(description, { topic: name, partition });
          return stub.closeReadCache();
        }),
      );
      for (const answer of answers) if (answer.status === "fulfilled") until = Math.max(until, answer.value);
    }
    const left = until - Date.now();
    if (left > 0) await sleep(left);
  }

  async createPartitions(name: string, count: number): Promise<TopicMetadata> {
    this.#assertOpen();
    const metadata = await this.#controller(
      (topics, ref) => topics.createPartitions(ref, name, count),
      "configure",
    );
    this.#forget(name);
    return metadata;
  }

  /** Changes a topic's config through the controller, which pushes it to every partition object. */
  async alterTopicConfig(name: string, changes: Readonly<Record<string, unknown>>): Promise<TopicMetadata> {
    this.#assertOpen();
    try {
      // A plain copy: what crosses RPC is structured-cloned, and the caller's record may have no prototype.
      const plain = Object.fromEntries(Object.entries(changes));
      return await this.#controller((topics, ref) => topics.alterTopicConfig(ref, name, plain), "configure");
    } finally {
      this.#forget(name);
    }
  }

  /** Which region leads each partition of a topic. */
  /**
   * Moves the leadership of a replicated partition to `region`'s in-sync replica (Kafka's leader election;
   * preferred-leader election is electing the first replica). Answers the new replica state.
   */
  async electLeader(tp: TopicPartition, region: string): Promise<PartitionReplication> {
    this.#assertOpen();
    try {
      const elected = await this.#controller(
        (topics, ref) => topics.electLeader(ref, tp.topic, tp.partition, region),
        "change",
      );
      this.#epochs.observePartition(tp.topic, tp.partition, elected.leaderEpoch);
      return elected;
    } finally {
      this.#forget(tp.topic);
    }
  }

  /**
   * Each partition's leader region and replica set, as fresh as the controller has them — through the same
   * description as every call, so a controller replica that missed an election (its region was cut off) is never
   * believed over an epoch this store already saw.
   */
  async placement(topic: string): Promise<PartitionPlacement[]> {
    this.#assertOpen();
    const description = await this.#describe(topic, false);
    return description.placement.map((region, partition) => {
      const replication = description.replication?.[partition];
      return replication === undefined ? { partition, region } : { partition, region, replication };
    });
  }

  // ── partitions ──────────────────────────────────────────────────────────────────────────────────────────────

  append(tp: TopicPartition, batch: Uint8Array, options?: AppendOptions): Promise<AppendResult> {
    const appendOptions = { checkRecordCaps: options?.checkRecordCaps ?? true, acks: options?.acks };
    return this.#onPartition(tp, (stub) => stub.append(batch, appendOptions));
  }

  /**
   * Reads from the partition's object. Reads that wait (long-polls, SSE tails) at the same offset share one call
   * per isolate (core's `WaitCoalescer`): a hundred readers parked at a partition's end cost one parked call into
   * it, and one wake-up answers them all. The call is made and awaited by one reader's request only (the stub, the
   * RPC and the abort all belong to it, as workerd requires); the others learn its answer as plain data, in their
   * own requests, and go on with a call of their own when that reader leaves or the call goes silent.
   */
  async read(tp: TopicPartition, options: ReadOptions): Promise<ReadResult> {
    const { signal } = options;
    if (signal?.aborted) throw signal.reason;
    this.#assertOpen();
    const maxWaitMs = Math.max(0, options.maxWaitMs ?? 0);
    const maxBytes = Math.min(options.maxBytes ?? DEFAULT_READ_MAX_BYTES, MAX_READ_BYTES_PER_CALL);
    const { region, offset } = options;
    // Plain data for RPC.
    const cache =
      options.cache === undefined
        ? {}
        : {
            cache: {
              maxAgeMs: options.cache.maxAgeMs,
              ...(options.cache.records === undefined ? {} : { records: options.cache.records }),
            },
          };
    if (maxWaitMs === 0) {
      return this.#onPartition(tp, (stub) => stub.read({ offset, maxBytes, maxWaitMs, ...cache }), region);
    }
    // Waits share a call whatever cache they ask for: the call asks what its maker asked, and a reader that asked
    // something else does not take its `cacheUntil` (an answer cacheable for one reader may not be for it).
    const asked = JSON.stringify(cache);
    const key = [tp.topic, tp.partition, offset, region ?? ""].join("\u0000");
    const result = await this.#waits.read(
      key,
      { offset, maxBytes, maxWaitMs, signal },
      // Runs in the maker's request only: its stub, its RPC, its signal.
      async (request, callSignal) => ({
        ...(await this.#parkedRead(tp, { ...request, ...cache }, callSignal, region)),
        [ASKED]: asked,
      }),
    );
    const { [ASKED]: callAsked, cacheUntil, ...answer } = result as ReadResult & { [ASKED]?: string };
    return callAsked === asked && cacheUntil !== undefined ? { ...answer, cacheUntil } : answer;
  }

  /** One parked read in the partition's object, ended early (in the object too) when `signal` aborts. */
  async #parkedRead(
    tp: TopicPartition,
    request: { offset: number; maxBytes: number; maxWaitMs: number; cache?: CacheableReadRequest },
    signal: AbortSignal,
    region: string | undefined,
  ): Promise<ReadResult> {
    const waitId = randomId();
    let waitingOn: DurableObjectStub<PartitionObject> | undefined;
    let cancelled = false;
    const call = this.#onPartition(
      tp,
      (stub) => {
        waitingOn = stub;
        return stub.read({ ...request, waitId });
      },
      region,
      () => cancelled,
    );
    try {
      // An abort cannot cross RPC: race it (and close()) against the call …
      return await this.#abortable(call, signal);
    } catch (error) {
      cancelled = true;
      // … and tell the object, so the parked read does not hold it until its timeout.
      if (!(isEdgeLogError(error) && error.code === "UNKNOWN_TOPIC_OR_PARTITION")) {
        waitingOn?.cancelWait(waitId).catch(() => undefined);
      }
      // A wait ended by this store's own deleteTopic fails once that delete has returned, as it would in the
      // memory store: otherwise the caller, still awaiting deleteTopic, sees an unhandled rejection first.
      const deleting = this.#deleting.get(tp.topic);
      if (deleting !== undefined && isEdgeLogError(error) && error.code === "UNKNOWN_TOPIC_OR_PARTITION") {
        await deleting.catch(() => undefined);
      }
      throw error;
    }
  }

  /** A Durable Streams command, run by the partition's object in one transaction with its batches. */
  stream(tp: TopicPartition, command: StreamCommand): Promise<StreamOutcome> {
    return this.#onPartition(tp, (stub) => stub.stream(command));
  }

  offsets(tp: TopicPartition, options: OffsetsOptions = {}): Promise<PartitionOffsetsWithSize> {
    const includeSize = options.includeSize === true;
    return this.#onPartition(tp, (stub) => stub.offsets(includeSize), options.region);
  }

  offsetForTimestamp(
    tp: TopicPartition,
    timestamp: number,
    options: ReadPreference = {},
  ): Promise<number | null> {
    return this.#onPartition(tp, (stub) => stub.offsetForTimestamp(timestamp), options.region);
  }

  listBatches(tp: TopicPartition, options: ListBatchesOptions = {}): Promise<BatchInfo[]> {
    const { fromOffset, limit, region } = options;
    const plain = {
      ...(fromOffset === undefined ? {} : { fromOffset }),
      ...(limit === undefined ? {} : { limit }),
    };
    return this.#onPartition(tp, (stub) => stub.listBatches(plain), region);
  }

  deleteRecords(tp: TopicPartition, beforeOffset: number): Promise<PartitionOffsets> {
    return this.#onPartition(tp, (stub) => stub.deleteRecords(beforeOffset));
  }

  /**
   * A WebSocket live tail of the partition (docs/http-api.md "WebSocket live tail"): the upgrade is handed to the
   * partition's object, which keeps the socket (hibernatable) and pushes each commit to it. A `region` reader is
   * served by that region's in-sync follower where there is one, else by the leader, as reads are. Answers the
   * `101` with the socket; the partition's refusals (416, 429, 404) are thrown as `EdgeLogError`s.
   */
  async tailSocket(tp: TopicPartition, request: LiveSocketRequest): Promise<Response> {
    const upgrade = { offset: request.offset, expiresAt: request.expiresAt };
    const accepted = await this.#onPartition(
      tp,
      async (stub) => upgradeResult(await stub.fetch(liveTailUpgrade(upgrade))),
      request.region,
    );
    // A copy whose headers the app may still set (CORS, security headers).
    return new Response(null, { status: 101, webSocket: accepted.webSocket, headers: accepted.headers });
  }

  /**
   * Runs a compaction pass of a compacted topic's partition now, whether or not one is due (passes otherwise run
   * from the partition object's alarm), and answers what it did: for tests, and after changing a topic's
   * compaction settings. `INVALID_REQUEST` for a topic that is not compacted.
   */
  compact(tp: TopicPartition): Promise<CompactionPassStats | null> {
    return this.#onPartition(tp, (stub) => stub.compact());
  }

  // ── fault injection (development only) ──────────────────────────────────────────────────────────────────────

  /**
   * Makes every object of `region` unreachable to the others (`true`) or reachable again, for this store's
   * namespace. Only when the env sets `EDGELOG_FAULTS=true`; `NOT_FOUND` otherwise.
   */
  setRegionUnreachable(region: string, unreachable: boolean): void {
    setRegionUnreachable(this.#env, this.#prefix, region, unreachable);
  }

  /**
   * Drops the replication pushes sent to `region` (`true`), or delivers them again, while clients, the controller
   * and its own pushes still get through. Only with `EDGELOG_FAULTS=true`; `NOT_FOUND` otherwise.
   */
  setReplicationDropped(region: string, dropped: boolean): void {
    setReplicationDropped(this.#env, this.#prefix, region, dropped);
  }

  /**
   * Drops the controller's election messages to `region` (`true`) — they fail after the election is recorded, as
   * a message that timed out would — or delivers them again. Only with `EDGELOG_FAULTS=true`; `NOT_FOUND` otherwise.
   */
  setControlDropped(region: string, dropped: boolean): void {
    setControlDropped(this.#env, this.#prefix, region, dropped);
  }

  /**
   * Makes every call into `region` wait `ms` first (0 clears; at most a minute): a slow region, and the simulated
   * round trip of the benchmarks (`replication/fault-switch.ts` states the model). Only with `EDGELOG_FAULTS=true`.
   */
  setRegionLatency(region: string, ms: number): void {
    setRegionLatency(this.#env, this.#prefix, region, ms);
  }

  /** The faults in force on `region` (none when faults are disabled). */
  regionFaults(region: string): RegionFaults {
    return regionFaults(this.#env, this.#prefix, region);
  }

  unreachableRegions(): string[] {
    return unreachableRegions(this.#env, this.#prefix);
  }

  // ── groups ──────────────────────────────────────────────────────────────────────────────────────────────────

  async groupHeartbeat(groupId: string, request: GroupHeartbeatRequest): Promise<GroupHeartbeatResponse> {
    this.#assertOpen();
    assertValidGroupId(groupId);
    validateHeartbeat(request);
    return unwrap(await this.#group(groupId).heartbeat(this.#ref(groupId), plainHeartbeat(request)));
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    this.#assertOpen();
    return unwrap(await this.#group(groupId).describe(this.#ref(groupId)));
  }

  async commitOffsets(
    groupId: string,
    offsets: readonly CommittedOffset[],
    member?: GroupMemberRef,
  ): Promise<void> {
    this.#assertOpen();
    // All or nothing: check every partition before the group writes anything.
    for (const topic of new Set(offsets.map((o) => o.topic))) {
      const description = await this.#describe(topic, false);
      for (const o of offsets) {
        if (o.topic === topic) assertPartitionExists(topic, o.partition, description.metadata.partitions);
      }
    }
    const plain = offsets.map((o) => ({
      topic: o.topic,
      partition: o.partition,
      offset: o.offset,
      metadata: o.metadata,
    }));
    const by =
      member === undefined ? undefined : { memberId: member.memberId, memberEpoch: member.memberEpoch };
    unwrap(await this.#group(groupId).commitOffsets(this.#ref(groupId), plain, by));
  }

  async fetchOffsets(groupId: string, topics?: readonly string[]): Promise<CommittedOffset[]> {
    this.#assertOpen();
    return unwrap(await this.#group(groupId).fetchOffsets(topics === undefined ? undefined : [...topics]));
  }

  async getGroupState(groupId: string): Promise<VersionedGroupState | null> {
    this.#assertOpen();
    return unwrap((await this.#group(groupId).getState()) as RpcResult<VersionedGroupState | null>);
  }

  async putGroupState(groupId: string, state: unknown, expectedVersion: number | null): Promise<number> {
    this.#assertOpen();
    return unwrap(await this.#group(groupId).putState(this.#ref(groupId), state, expectedVersion));
  }

  async listGroups(): Promise<string[]> {
    this.#assertOpen();
    return this.#controller((topics, ref) => topics.listGroups(ref));
  }

  async deleteGroup(groupId: string): Promise<void> {
    this.#assertOpen();
    unwrap(await this.#group(groupId).deleteGroup(this.#ref(groupId)));
  }

  // ── share groups ────────────────────────────────────────────────────────────────────────────────────────────
  // Each share group is coordinated by its own ShareGroupObject (`share-group-object.ts`).

  async shareFetch(
    groupId: string,
    request: ShareFetchRequest,
    signal?: AbortSignal,
  ): Promise<ShareFetchResponse> {
    this.#assertOpen();
    assertValidGroupId(groupId);
    validateShareFetch(request);
    if (signal?.aborted) throw signal.reason;
    const stub = this.#shareGroup(groupId);
    const plain = JSON.parse(JSON.stringify(request)) as ShareFetchRequest;
    if ((request.maxWaitMs ?? 0) === 0) return unwrap(await stub.shareFetch(this.#ref(groupId), plain));
    // A long-poll: an abort (or close()) cannot cross RPC, so race it, and tell the object to stop waiting.
    const waitId = randomId();
    try {
      const call = stub.shareFetch(this.#ref(groupId), plain, waitId) as Promise<
        RpcResult<ShareFetchResponse>
      >;
      return unwrap(await this.#abortable(call, signal));
    } catch (error) {
      if (signal?.aborted || this.#closed) stub.cancelShareFetch(waitId).catch(() => undefined);
      throw error;
    }
  }

  async describeShareGroup(groupId: string): Promise<ShareGroupDescription> {
    this.#assertOpen();
    assertValidGroupId(groupId);
    return unwrap(await this.#shareGroup(groupId).describe(this.#ref(groupId)));
  }

  async alterShareGroupConfig(
    groupId: string,
    changes: Readonly<Record<string, unknown>>,
  ): Promise<ShareGroupConfig> {
    this.#assertOpen();
    assertValidGroupId(groupId);
    const plain = JSON.parse(JSON.stringify(changes ?? null)) as Record<string, unknown>;
    return unwrap(await this.#shareGroup(groupId).alterConfig(this.#ref(groupId), plain));
  }

  async listShareGroups(): Promise<string[]> {
    this.#assertOpen();
    return this.#controller((topics, ref) => topics.listShareGroups(ref));
  }

  async deleteShareGroup(groupId: string): Promise<void> {
    this.#assertOpen();
    assertValidGroupId(groupId);
    unwrap(await this.#shareGroup(groupId).deleteGroup(this.#ref(groupId)));
  }

  // ── lifecycle ───────────────────────────────────────────────────────────────────────────────────────────────

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const error = storeClosedError();
    for (const reject of [...this.#pending]) reject(error);
    this.#cache.clear();
  }

  // ── helpers ─────────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Runs `call` on the partition's object. When a cached topic's partition answers UNKNOWN_TOPIC_OR_PARTITION
   * (destroyed: the topic was deleted, maybe re-created, elsewhere), the cache is dropped and the call retried
   * once against fresh metadata, so a stale isolate never misreports a live topic.
   *
   * A read preferring `region` goes first to that region's in-sync follower (core's `followerForRead`), which
   * answers up to the high watermark it has learned without calling the leader. The leader answers instead when
   * the follower cannot be reached or cannot answer (an offset past its log end, a stale placement) — unless the
   * caller gave up meanwhile (`cancelled`), which must not start a second wait on the leader.
   */
  async #onPartition<T>(
    tp: TopicPartition,
    call: (stub: DurableObjectStub<PartitionObject>) => Promise<RpcResult<T>>,
    region?: string,
    cancelled: () => boolean = () => false,
  ): Promise<T> {
    this.#assertOpen();
    let cached = this.#fresh(tp.topic);
    // A partition beyond the cached count may have been added elsewhere: ask again rather than refuse.
    if (cached !== undefined && !(tp.partition < cached.metadata.partitions)) cached = undefined;
    let description = cached ?? (await this.#describe(tp.topic, false));
    const follower = this.#followerStub(description, tp, region);
    if (follower !== undefined) {
      const answer = await call(follower).catch(() => undefined);
      this.#assertOpen();
      if (answer !== undefined && (answer.ok || !leaderMayAnswer(answer.error) || cancelled())) {
        return unwrap(answer);
      }
    }
    let result = await this.#callLeader(description, tp, call);
    this.#assertOpen();
    // Leadership moved (an election) or the leader cannot be reached (a failover may be under way): drop what this
    // isolate knows and follow the controller's record. A call that may have been written on the old leader
    // (`appended`) is not sent again here — only an idempotent producer's retry is safe then, and the producer
    // makes it.
    for (let attempt = 0; !result.ok && resendable(result.error, description, tp); attempt++) {
      this.#forget(tp.topic);
      if (attempt >= MAX_LEADER_RETRIES || result.error.context.appended === true) break;
      if (attempt > 0) await sleep(backoffMs(attempt - 1, { initialRetryTime: 20, maxRetryTime: 500 }));
      description = await this.#describe(tp.topic, false, true);
      result = await this.#callLeader(description, tp, call);
      this.#assertOpen();
      // Answered against fresh metadata: an UNKNOWN_TOPIC_OR_PARTITION now is final (no second look below).
      cached = undefined;
    }
    if (!result.ok && result.error.code === "UNKNOWN_TOPIC_OR_PARTITION" && cached !== undefined) {
      this.#forget(tp.topic);
      const current = await this.#describe(tp.topic, true);
      if (current.metadata.topicId !== description.metadata.topicId) {
        return unwrap(await call(await this.#partitionStub(current, tp)));
      }
    }
    return unwrap(result);
  }

  /**
   * One call into the partition's leader. A leader that cannot be reached — its region is cut off, so nothing was
   * sent — is answered `LEADER_NOT_AVAILABLE`; a call that failed in flight (the RPC threw: the object's region was
   * lost, it was reset) is `REQUEST_TIMED_OUT`, as it may have been applied. Both are reported to the controller,
   * which elects another leader if this one stays lost (`replication/failover-controller.ts`).
   */
  async #callLeader<T>(
    description: TopicDescription,
    tp: TopicPartition,
    call: (stub: DurableObjectStub<PartitionObject>) => Promise<RpcResult<T>>,
  ): Promise<RpcResult<T>> {
    const leader = description.placement[tp.partition];
    const leaderEpoch = description.replication?.[tp.partition]?.leaderEpoch;
    const context = { topic: tp.topic, partition: tp.partition, leader, leaderEpoch };
    let stub: DurableObjectStub<PartitionObject>;
    try {
      stub = await this.#partitionStub(description, tp);
    } catch (error) {
      if (!(isEdgeLogError(error) && error.code === "REQUEST_TIMED_OUT")) throw error;
      await this.#reportLeaderFailure(tp, leaderEpoch);
      return failure(
        new EdgeLogError(
          "LEADER_NOT_AVAILABLE",
          `the leader of ${tp.topic}/${tp.partition} cannot be reached`,
          {
            context,
            cause: error,
          },
        ),
      );
    }
    try {
      return await call(stub);
    } catch (error) {
      await this.#reportLeaderFailure(tp, leaderEpoch);
      throw new EdgeLogError(
        "REQUEST_TIMED_OUT",
        `the call to the leader of ${tp.topic}/${tp.partition} failed`,
        {
          context,
          cause: error,
        },
      );
    }
  }

  /** Tells the controller, at most once a second per partition per isolate; never fails the caller's call. */
  async #reportLeaderFailure(tp: TopicPartition, leaderEpoch: number | undefined): Promise<void> {
    // An unreplicated partition has nobody to fail over to.
    if (leaderEpoch === undefined) return;
    if (!shouldReportLeaderFailure(this.#prefix, tp.topic, tp.partition, Date.now())) return;
    try {
      await this.#controller((topics, ref) =>
        topics.reportLeaderFailure(ref, tp.topic, tp.partition, leaderEpoch),
      );
    } catch (error) {
      console.error("edgelog: could not report a leader failure to the controller", error);
    }
  }

  async #partitionStub(
    description: TopicDescription,
    tp: TopicPartition,
  ): Promise<DurableObjectStub<PartitionObject>> {
    const { metadata, placement } = description;
    assertPartitionExists(tp.topic, tp.partition, metadata.partitions);
    const region = placement[tp.partition] as string;
    await crossRegion(this.#env, this.#prefix, { to: region });
    const namespace = this.#env.PARTITIONS;
    const name = partitionObjectName(this.#prefix, metadata.topicId, tp.partition, region);
    return namespace.get(namespace.idFromName(name), { locationHint: region as DurableObjectLocationHint });
  }

  /** The stub of the follower that should serve a read preferring `region`, or `undefined` for the leader. */
  #followerStub(
    description: TopicDescription,
    tp: TopicPartition,
    region: string | undefined,
  ): DurableObjectStub<PartitionObject> | undefined {
    const { metadata, replication } = description;
    assertPartitionExists(tp.topic, tp.partition, metadata.partitions);
    const follower = followerForRead(replication?.[tp.partition], region, (r) =>
      regionReachable(this.#env, this.#prefix, r),
    );
    if (follower === undefined) return undefined;
    const namespace = this.#env.PARTITIONS;
    const name = partitionObjectName(this.#prefix, metadata.topicId, tp.partition, follower);
    return namespace.get(namespace.idFromName(name), { locationHint: follower as DurableObjectLocationHint });
  }

  /**
   * Drops what this isolate knows of `topic` after a change (made here, or learned from an answer): its cached
   * metadata, and any lookup in flight, which began before the change — a later request asks anew.
   */
  #forget(topic: string): void {
    this.#cache.delete(topic);
    this.#describing.forget(topic);
  }

  #fresh(topic: string): TopicDescription | undefined {
    const entry = this.#cache.get(topic);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > Date.now()) return entry.description;
    this.#cache.delete(topic);
    return undefined;
  }

  /**
   * Metadata and placement of a topic, from the cache when `useCache` and fresh, or UNKNOWN_TOPIC_OR_PARTITION.
   * `quorum` asks for the state a majority of the controller replicas holds (after being told leadership moved:
   * the replica reached first may have missed that election).
   */
  async #describe(topic: string, useCache: boolean, quorum = false): Promise<TopicDescription> {
    const cached = useCache ? this.#fresh(topic) : undefined;
    if (cached !== undefined) return cached;
    const ask = (fresh: boolean) =>
      this.#controller((topics, ref) =>
        fresh ? topics.describeTopic(ref, topic, { quorum: true }) : topics.describeTopic(ref, topic),
      );
    // A plain lookup is shared with the isolate's other requests asking at the same moment (the answer is data).
    let description = quorum ? await ask(true) : await this.#describing.run(topic, () => ask(false));
    // Older than an epoch this store already saw: that replica missed an election; ask the majority.
    if (description !== null && !quorum && this.#epochs.isStale(topic, description))
      description = await ask(true);
    if (description === null) throw unknownTopic(topic);
    this.#epochs.observe(topic, description);
    if (this.#maxAgeMs > 0) this.#cache.set(topic, { description, expiresAt: Date.now() + this.#maxAgeMs });
    return description;
  }

  #abortable<T>(call: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const finish = (settle: () => void): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener("abort", onAbort);
        this.#pending.delete(fail);
        settle();
      };
      const fail = (error: unknown): void => finish(() => reject(error));
      const onAbort = (): void => fail(signal?.reason);
      this.#pending.add(fail);
      signal?.addEventListener("abort", onAbort, { once: true });
      call.then((value) => finish(() => resolve(value)), fail);
    });
  }

  /** A call to the controller: its first replica that answers (`controller/reach-controller.ts`). */
  #controller<T>(
    call: (topics: ControllerStub, ref: ControllerRef) => Promise<RpcResult<T>>,
    kind: ControllerCallKind = "read",
  ): Promise<T> {
    return askController(this.#env, this.#prefix, call, kind);
  }

  #group(groupId: string) {
    return this.#env.GROUPS.getByName(groupObjectName(this.#prefix, groupId));
  }

  #shareGroup(groupId: string): DurableObjectStub<ShareGroupObject> {
    const namespace = this.#env.SHARE_GROUPS;
    if (namespace === undefined) {
      throw new EdgeLogError(
        "UNSUPPORTED_VERSION",
        "share groups need the SHARE_GROUPS Durable Object binding (class ShareGroupObject) in the Worker's config",
      );
    }
    return namespace.getByName(shareGroupObjectName(this.#prefix, groupId));
  }

  #ref(groupId: string): GroupRef {
    return { prefix: this.#prefix, groupId };
  }

  #assertOpen(): void {
    if (this.#closed) throw storeClosedError();
  }
}

/**
 * Whether a failed partition call is sent again against fresh metadata: leadership moved, or a replicated
 * partition's leader could not be reached (the controller may elect another meanwhile).
 */
function resendable(error: RpcError, description: TopicDescription, tp: TopicPartition): boolean {
  if (leadershipMoved(error)) return true;
  return error.code === "LEADER_NOT_AVAILABLE" && description.replication?.[tp.partition] !== undefined;
}

/**
 * A follower's refusal the leader may answer differently: an offset past the follower's log end or below its log
 * start, a replica the topic no longer has (stale placement), a role it no longer holds. Anything else (a caller's
 * error, a cancelled wait) is the answer.
 */
function leaderMayAnswer(error: RpcError): boolean {
  return (
    error.code === "OFFSET_OUT_OF_RANGE" ||
    error.code === "UNKNOWN_TOPIC_OR_PARTITION" ||
    leadershipMoved(error)
  );
}

/**
 * A partition's answer to a live tail upgrade as a result: the `101` with its socket, or the refusal its JSON body
 * carries (so a follower's 416 is handed to the leader, as a read's is).
 */
async function upgradeResult(response: Response): Promise<RpcResult<Response>> {
  if (response.status === 101 && response.webSocket !== null) return { ok: true, value: response };
  let body: unknown;
  try {
    body = ((await response.json()) as { error?: unknown }).error;
  } catch {
    body = undefined;
  }
  return failure(EdgeLogError.fromJSON(body));
}

/** A copy with only the request's own fields: RPC arguments must be plain, serialisable data. */
function plainHeartbeat(request: GroupHeartbeatRequest): GroupHeartbeatRequest {
  return JSON.parse(JSON.stringify(request)) as GroupHeartbeatRequest;
}
