/**
 * @module
 * `Consumer`: KafkaJS's consumer loop over a `LogStore` — subscribe to topics (names or patterns), `run` with
 * `eachMessage` or `eachBatch`, `seek`, `pause`/`resume`, `stop`. Each assigned partition has its own fetch
 * loop that long-polls the store, so an idle partition costs a parked read rather than a busy loop, and a
 * semaphore bounds how many partitions run handlers at once (`partitionsConsumedConcurrently`, default 1).
 *
 * Without a group the consumer reads every partition of what it subscribed to, starting per `fromBeginning`
 * (KafkaJS's `auto.offset.reset`: earliest, else latest). With a `groupId` it is a member of a consumer group
 * (KIP-848, see `group-session.ts`): the coordinator assigns its partitions, each starts from the group's
 * committed offset (else per `fromBeginning`), a revoked partition is released only after the batch in hand
 * is done and its position committed, and positions are committed every `autoCommitInterval` and on stop.
 */
import { EdgeLogError, isEdgeLogError, isRetriable } from "../errors.ts";
import type { TopicPartitions } from "../groups/group-types.ts";
import type { MetadataCache } from "../metadata-cache.ts";
import { backoffMs, DEFAULT_RETRY, type RetryOptions, retryDelayMs, sleep } from "../retry.ts";
import type { CommittedOffset, LogStore, ReadResult, TopicPartition } from "../store.ts";
import { assertValidGroupId, assertValidOffset, assertValidTopicName } from "../validation.ts";
import { type Batch, type KafkaMessage, makeBatch, messagesFrom } from "./consumed-batch.ts";
import { GroupSession } from "./group-session.ts";
import { Semaphore } from "./semaphore.ts";

export interface ConsumerConfig {
  /** Join this consumer group: the coordinator assigns partitions and the group keeps committed offsets. */
  readonly groupId?: string;
  /** How long the group waits for a silent member before moving its partitions, in ms. Default 30 000. */
  readonly sessionTimeout?: number;
  /** How long a member may take to release revoked partitions, in ms. Default 60 000. */
  readonly rebalanceTimeout?: number;
  /** The assignor this member prefers (`"uniform"` or `"range"`); the group uses its members' majority. */
  readonly serverAssignor?: string;
  /** Byte budget of one fetch from one partition. Default 1 MiB. */
  readonly maxBytesPerPartition?: number;
  /** How long a fetch waits for new records before returning empty, in ms. Default 5 000. */
  readonly maxWaitTimeInMs?: number;
  /** How often pattern subscriptions and partition counts are re-read, in ms. Default 10 000. */
  readonly metadataMaxAge?: number;
  /** Backoff and attempts for retriable fetch errors and failing handlers. */
  readonly retry?: RetryOptions;
  /**
   * This consumer's region (KafkaJS's `rackId`, Kafka's `client.rack`): a store with replicas serves its fetches
   * from that region's in-sync replica, else from the leader (`ReadPreference`). Committed offsets do not depend
   * on which replica served a read.
   */
  readonly region?: string;
}

export interface SubscribeOptions {
  /** Topic names or patterns; a pattern also picks up matching topics created later. */
  readonly topics?: readonly (string | RegExp)[];
  readonly topic?: string | RegExp;
  /** Where to start when there is no position: the log start (`true`) or the high watermark (default). */
  readonly fromBeginning?: boolean;
}

export interface EachMessagePayload {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
  /** No-op without a group; kept so KafkaJS handlers run unchanged. */
  heartbeat(): Promise<void>;
  /** Pauses this partition after the current message; returns a function that resumes it. */
  pause(): () => void;
}

export interface EachBatchPayload {
  readonly batch: Batch;
  /** Marks `offset` processed: the partition continues after it even if the handler later throws. */
  resolveOffset(offset: number): void;
  heartbeat(): Promise<void>;
  /** No-op without a group. */
  commitOffsetsIfNecessary(): Promise<void>;
  uncommittedOffsets(): { topics: { topic: string; partitions: { partition: number; offset: number }[] }[] };
  isRunning(): boolean;
  /** True once a `seek` made this batch obsolete: stop processing it. */
  isStale(): boolean;
  pause(): () => void;
}

export interface RunOptions {
  readonly eachMessage?: (payload: EachMessagePayload) => Promise<void>;
  readonly eachBatch?: (payload: EachBatchPayload) => Promise<void>;
  /** Resolve the batch's last offset when `eachBatch` returns. Default `true`. */
  readonly eachBatchAutoResolve?: boolean;
  /** How many partitions may run handlers at the same time. Default 1. */
  readonly partitionsConsumedConcurrently?: number;
  /** With a group: commit positions every `autoCommitInterval`, on revocation and on stop. Default `true`. */
  readonly autoCommit?: boolean;
  /** In ms. Default 5 000. */
  readonly autoCommitInterval?: number;
}

export type ConsumerEvent = "consumer.crash" | "consumer.stop" | "consumer.group_join";

/** A group member's new assignment (KafkaJS's `consumer.group_join`, sent on every change). */
export interface ConsumerGroupJoinEvent {
  readonly type: "consumer.group_join";
  readonly groupId: string;
  readonly memberId: string;
  readonly memberEpoch: number;
  readonly assignment: readonly TopicPartitions[];
}

export interface ConsumerCrashEvent {
  readonly type: "consumer.crash";
  readonly error: unknown;
}

interface Subscription {
  readonly pattern: string | RegExp;
  readonly fromBeginning: boolean;
}

interface PartitionRunner {
  readonly tp: TopicPartition;
  readonly fromBeginning: boolean;
  /** Next offset to hand to a handler; `null` until resolved from the store. */
  position: number | null;
  /** Bumped by `seek`, so results fetched for an older position are dropped. */
  generation: number;
  /** The read in progress, aborted by seek, pause and stop. */
  read: AbortController | null;
  removed: boolean;
  done: Promise<void> | null;
}

const DEFAULT_MAX_BYTES_PER_PARTITION = 1024 * 1024;
const DEFAULT_MAX_WAIT_MS = 5_000;
const DEFAULT_METADATA_MAX_AGE_MS = 10_000;
const DEFAULT_SESSION_TIMEOUT_MS = 30_000;
const DEFAULT_REBALANCE_TIMEOUT_MS = 60_000;
const DEFAULT_AUTO_COMMIT_INTERVAL_MS = 5_000;
const key = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`;

/**
 * @example
 * const consumer = log.consumer();
 * await consumer.subscribe({ topics: ["orders"], fromBeginning: true });
 * await consumer.run({ eachMessage: async ({ partition, message }) => console.log(partition, message.offset) });
 */
export class Consumer {
  readonly events = {
    CRASH: "consumer.crash",
    STOP: "consumer.stop",
    GROUP_JOIN: "consumer.group_join",
  } as const;
  readonly #store: LogStore;
  readonly #metadata: MetadataCache;
  readonly #maxBytes: number;
  readonly #maxWaitMs: number;
  readonly #metadataMaxAgeMs: number;
  readonly #retry: RetryOptions;
  readonly #subscriptions: Subscription[] = [];
  readonly #runners = new Map<string, PartitionRunner>();
  readonly #pendingSeeks = new Map<string, number>();
  readonly #loops = new Set<Promise<void>>();
  readonly #pausedTopics = new Set<string>();
  readonly #pausedPartitions = new Set<string>();
  readonly #listeners = new Map<ConsumerEvent, Set<(event: unknown) => void>>();
  #run: RunOptions | null = null;
  #running = false;
  #semaphore = new Semaphore(1);
  #refreshTimer: ReturnType<typeof setTimeout> | null = null;
  #changed: { promise: Promise<void>; resolve: () => void } = deferred();
  readonly #config: ConsumerConfig;
  /** The group membership while running with a `groupId`. */
  #group: GroupSession | null = null;
  /** What the coordinator assigned last (group only). */
  #groupAssignment = new Map<string, TopicPartition>();
  /** Revoked partitions whose handler is finishing or whose position is being committed: still ours. */
  readonly #releasing = new Set<PartitionRunner>();
  /** The last committed position per partition, so auto-commit sends only what moved. */
  readonly #committed = new Map<string, number>();
  #commitTimer: ReturnType<typeof setInterval> | null = null;

  constructor(store: LogStore, metadata: MetadataCache, config: ConsumerConfig = {}) {
    if (config.groupId !== undefined) assertValidGroupId(config.groupId);
    this.#config = config;
    this.#store = store;
    this.#metadata = metadata;
    this.#maxBytes = config.maxBytesPerPartition ?? DEFAULT_MAX_BYTES_PER_PARTITION;
    this.#maxWaitMs = config.maxWaitTimeInMs ?? DEFAULT_MAX_WAIT_MS;
    this.#metadataMaxAgeMs = config.metadataMaxAge ?? DEFAULT_METADATA_MAX_AGE_MS;
    this.#retry = config.retry ?? {};
  }

  /** Nothing to connect to in core; present so KafkaJS-shaped code runs unchanged. */
  async connect(): Promise<void> {}

  async disconnect(): Promise<void> {
    await this.stop();
  }

  /** Adds topics (names or patterns). Named topics must exist. Call before `run`, or while running to add more. */
  async subscribe(options: SubscribeOptions): Promise<void> {
    const patterns = options.topics ?? (options.topic === undefined ? [] : [options.topic]);
    if (patterns.length === 0)
      throw new EdgeLogError("INVALID_REQUEST", "subscribe needs `topics` or `topic`");
    for (const pattern of patterns) {
      if (typeof pattern === "string") {
        assertValidTopicName(pattern);
        await this.#metadata.require(pattern);
      } else if (!(pattern instanceof RegExp)) {
        throw new EdgeLogError("INVALID_REQUEST", "topics must be strings or regular expressions");
      }
    }
    for (const pattern of patterns) {
      this.#subscriptions.push({ pattern, fromBeginning: options.fromBeginning === true });
    }
    if (this.#running) {
      if (this.#group !== null) await this.#group.beat();
      else await this.#refreshAssignment("subscribe");
    }
  }

  /**
   * Starts consuming; resolves once every partition's starting position is fixed and its loop is started, so
   * records written after `run` resolves reach a `fromBeginning: false` consumer, and a `seek` made then (as
   * KafkaJS documents) wins. Failures surface as `consumer.crash`.
   */
  async run(options: RunOptions = {}): Promise<void> {
    if (this.#running) throw new EdgeLogError("INVALID_REQUEST", "the consumer is already running");
    if ((options.eachMessage === undefined) === (options.eachBatch === undefined)) {
      throw new EdgeLogError("INVALID_REQUEST", "run needs exactly one of eachMessage or eachBatch");
    }
    if (this.#subscriptions.length === 0) {
      throw new EdgeLogError("INVALID_REQUEST", "subscribe to at least one topic before run");
    }
    const concurrency = options.partitionsConsumedConcurrently ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new EdgeLogError("INVALID_REQUEST", "partitionsConsumedConcurrently must be a positive integer");
    }
    this.#run = options;
    this.#semaphore = new Semaphore(concurrency);
    this.#running = true;
    try {
      if (this.#config.groupId === undefined) await this.#refreshAssignment("initial");
      else await this.#joinGroup(this.#config.groupId);
    } catch (error) {
      this.#running = false;
      await this.#group?.stop(false);
      this.#group = null;
      throw error;
    }
    // A member's partitions started as their assignment arrived; without a group they start here.
    if (this.#group === null) for (const runner of this.#runners.values()) this.#start(runner);
    this.#scheduleRefresh();
    const interval = options.autoCommitInterval ?? DEFAULT_AUTO_COMMIT_INTERVAL_MS;
    if (this.#group !== null && options.autoCommit !== false) {
      this.#commitTimer = setInterval(() => {
        this.#commitPositions([...this.#runners.values()]).catch(() => undefined);
      }, interval);
    }
  }

  /** Stops fetching, lets handlers in progress finish, and resolves when every loop has ended. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    if (this.#refreshTimer !== null) clearTimeout(this.#refreshTimer);
    this.#refreshTimer = null;
    if (this.#commitTimer !== null) clearInterval(this.#commitTimer);
    this.#commitTimer = null;
    for (const runner of this.#runners.values()) runner.read?.abort(new Error("consumer stopped"));
    this.#signalChange();
    // Every loop, including those of partitions unassigned while a handler was still running.
    await Promise.all([...this.#loops]);
    const group = this.#group;
    if (group !== null) {
      // Commit where we are, then leave, so the partitions move at once and the next owner starts right here.
      if (this.#run?.autoCommit !== false)
        await this.#commitPositions([...this.#runners.values()]).catch(() => undefined);
      await group.stop(true);
      this.#group = null;
      this.#groupAssignment = new Map();
      for (const runner of this.#runners.values()) runner.removed = true;
      this.#runners.clear();
    }
    this.#emit("consumer.stop", { type: "consumer.stop" });
  }

  /**
   * Commits positions for the group as this member (KafkaJS's `commitOffsets`): `offset` is the next offset to
   * read, i.e. the last processed one plus one. Without a group there is nothing to commit to.
   */
  async commitOffsets(
    offsets: readonly { topic: string; partition: number; offset: number | string }[],
  ): Promise<void> {
    const group = this.#group;
    if (group === null) {
      throw new EdgeLogError("INVALID_REQUEST", "commitOffsets needs a running consumer with a groupId");
    }
    const commits = offsets.map(({ topic, partition, offset }) => ({
      topic,
      partition,
      offset: assertValidOffset(Number(offset), { topic, partition }),
      metadata: null,
    }));
    await group.commit(commits);
    for (const c of commits) this.#committed.set(key(c), c.offset);
  }

  /**
   * Continues a partition from `offset` (the next message handed to a handler). Takes effect at once, also
   * for a fetch in progress; an offset outside the log is reset per `fromBeginning` on the next fetch.
   */
  seek(options: { topic: string; partition: number; offset: number | string }): void {
    const offset = assertValidOffset(Number(options.offset), options);
    const runner = this.#runners.get(key(options));
    if (runner === undefined) {
      this.#pendingSeeks.set(key(options), offset);
      return;
    }
    runner.position = offset;
    runner.generation++;
    runner.read?.abort(new Error("seek"));
  }

  /** Pauses whole topics or some of their partitions; nothing is fetched or handed out for them until resumed. */
  pause(topics: readonly { topic: string; partitions?: readonly number[] }[]): void {
    for (const { topic, partitions } of topics) {
      if (partitions === undefined) this.#pausedTopics.add(topic);
      else for (const partition of partitions) this.#pausedPartitions.add(key({ topic, partition }));
    }
    for (const runner of this.#runners.values())
      if (this.#isPaused(runner.tp)) runner.read?.abort(new Error("pause"));
  }

  resume(topics: readonly { topic: string; partitions?: readonly number[] }[]): void {
    for (const { topic, partitions } of topics) {
      if (partitions === undefined) {
        this.#pausedTopics.delete(topic);
        for (const paused of [...this.#pausedPartitions]) {
          if (paused.startsWith(`${topic}\u0000`)) this.#pausedPartitions.delete(paused);
        }
      } else {
        for (const partition of partitions) this.#pausedPartitions.delete(key({ topic, partition }));
      }
    }
    this.#signalChange();
  }

  /** What is paused, per topic. */
  paused(): { topic: string; partitions: number[] }[] {
    const byTopic = new Map<string, Set<number>>();
    for (const runner of this.#runners.values()) {
      if (!this.#isPaused(runner.tp)) continue;
      const partitions = byTopic.get(runner.tp.topic) ?? new Set();
      partitions.add(runner.tp.partition);
      byTopic.set(runner.tp.topic, partitions);
    }
    return [...byTopic].map(([topic, partitions]) => ({
      topic,
      partitions: [...partitions].sort((a, b) => a - b),
    }));
  }

  /** The partitions this consumer reads, with the next offset of each (once known). */
  assignment(): { topic: string; partition: number; position: number | null }[] {
    return [...this.#runners.values()]
      .filter((r) => !r.removed)
      .map((r) => ({ topic: r.tp.topic, partition: r.tp.partition, position: r.position }));
  }

  /** Listens to `consumer.crash` (a handler kept failing, or an error that cannot be retried) and `consumer.stop`. */
  on(event: ConsumerEvent, listener: (event: unknown) => void): () => void {
    const listeners = this.#listeners.get(event) ?? new Set();
    listeners.add(listener);
    this.#listeners.set(event, listeners);
    return () => listeners.delete(listener);
  }

  // ── assignment and positions: the seams for consumer groups ───────────────────────────────────────────────

  /** Every partition of every subscribed topic, with the `fromBeginning` of the first subscription naming it. */
  async #targetAssignment(): Promise<Map<string, { tp: TopicPartition; fromBeginning: boolean }>> {
    const target = new Map<string, { tp: TopicPartition; fromBeginning: boolean }>();
    if (this.#config.groupId !== undefined) {
      for (const [k, tp] of this.#groupAssignment)
        target.set(k, { tp, fromBeginning: this.#fromBeginningOf(tp.topic) });
      return target;
    }
    const hasPattern = this.#subscriptions.some((s) => s.pattern instanceof RegExp);
    const all = hasPattern ? await this.#store.listTopics() : [];
    for (const { pattern, fromBeginning } of this.#subscriptions) {
      const topics =
        typeof pattern === "string"
          ? [await this.#metadata.get(pattern)]
          : all.filter((t) => subscriptionMatches(pattern, t.name));
      for (const topic of topics) {
        if (topic === null) continue;
        for (let partition = 0; partition < topic.partitions; partition++) {
          const tp = { topic: topic.name, partition };
          if (!target.has(key(tp))) target.set(key(tp), { tp, fromBeginning });
        }
      }
    }
    return target;
  }

  async #startingOffset(runner: PartitionRunner): Promise<number> {
    const sought = this.#pendingSeeks.get(key(runner.tp));
    if (sought !== undefined) {
      this.#pendingSeeks.delete(key(runner.tp));
      return sought;
    }
    if (this.#config.groupId !== undefined) {
      const committed = (await this.#store.fetchOffsets(this.#config.groupId, [runner.tp.topic])).find(
        (o) => o.partition === runner.tp.partition,
      );
      if (committed !== undefined) {
        this.#committed.set(key(runner.tp), committed.offset);
        return committed.offset;
      }
    }
    return this.#resetOffset(runner);
  }

  #readPreference(): { region?: string } {
    const { region } = this.#config;
    return region === undefined ? {} : { region };
  }

  /** The `fromBeginning` of the first subscription naming `topic` (string or pattern). */
  #fromBeginningOf(topic: string): boolean {
    return this.#subscriptions.find((s) => subscriptionMatches(s.pattern, topic))?.fromBeginning ?? false;
  }

  // ── the group: membership, assignment changes, commits ────────────────────────────────────────────────────

  async #joinGroup(groupId: string): Promise<void> {
    const session = new GroupSession(
      this.#store,
      {
        subscribedTopics: () => this.#subscribedTopicNames(),
        ownedPartitions: () => this.#ownedPartitions(),
        assign: (assignment) => this.#applyGroupAssignment(assignment),
        lose: () => this.#loseGroupPartitions(),
        crash: (error) => this.#crash(error),
      },
      {
        groupId,
        sessionTimeoutMs: this.#config.sessionTimeout ?? DEFAULT_SESSION_TIMEOUT_MS,
        rebalanceTimeoutMs: this.#config.rebalanceTimeout ?? DEFAULT_REBALANCE_TIMEOUT_MS,
        retry: this.#retry,
        ...(this.#config.serverAssignor === undefined ? {} : { serverAssignor: this.#config.serverAssignor }),
      },
    );
    this.#group = session;
    await session.start();
  }

  async #subscribedTopicNames(): Promise<string[]> {
    const names = new Set<string>();
    const hasPattern = this.#subscriptions.some((s) => s.pattern instanceof RegExp);
    const all = hasPattern ? await this.#store.listTopics() : [];
    for (const { pattern } of this.#subscriptions) {
      if (typeof pattern === "string") names.add(pattern);
      else for (const t of all) if (subscriptionMatches(pattern, t.name)) names.add(t.name);
    }
    return [...names].sort();
  }

  #ownedPartitions(): TopicPartitions[] {
    const byTopic = new Map<string, number[]>();
    for (const runner of [...this.#runners.values(), ...this.#releasing]) {
      const list = byTopic.get(runner.tp.topic) ?? [];
      if (!list.includes(runner.tp.partition)) list.push(runner.tp.partition);
      byTopic.set(runner.tp.topic, list);
    }
    return [...byTopic].map(([topic, partitions]) => ({
      topic,
      partitions: partitions.sort((a, b) => a - b),
    }));
  }

  /**
   * Applies the coordinator's assignment: new partitions start (from the committed offset), revoked ones stop
   * after the batch in hand, commit their position, and only then count as released — the next heartbeat says so.
   */
  async #applyGroupAssignment(assignment: readonly TopicPartitions[]): Promise<void> {
    const next = new Map<string, TopicPartition>();
    for (const { topic, partitions } of assignment) {
      for (const partition of partitions) next.set(key({ topic, partition }), { topic, partition });
    }
    const changed =
      next.size !== this.#groupAssignment.size || [...next.keys()].some((k) => !this.#groupAssignment.has(k));
    this.#groupAssignment = next;
    if (!changed) return;
    const revoked = [...this.#runners.entries()].filter(([k]) => !next.has(k)).map(([, runner]) => runner);
    for (const runner of revoked) this.#releasing.add(runner);
    await this.#refreshAssignment("group");
    for (const runner of revoked) void this.#release(runner);
    const group = this.#group;
    if (group !== null) {
      this.#emit("consumer.group_join", {
        type: "consumer.group_join",
        groupId: this.#config.groupId as string,
        memberId: group.memberId,
        memberEpoch: group.memberEpoch,
        assignment,
      } satisfies ConsumerGroupJoinEvent);
    }
  }

  /** A revoked partition: wait for its loop, commit its position, then tell the coordinator it is free. */
  async #release(runner: PartitionRunner): Promise<void> {
    try {
      await runner.done;
      if (this.#run?.autoCommit !== false) await this.#commitPositions([runner]).catch(() => undefined);
    } finally {
      this.#releasing.delete(runner);
      this.#committed.delete(key(runner.tp));
      this.#group?.nudge();
    }
  }

  /** Membership lost: another member may own these partitions already, so stop them and commit nothing. */
  async #loseGroupPartitions(): Promise<void> {
    this.#groupAssignment = new Map();
    const runners = [...this.#runners.values(), ...this.#releasing];
    await this.#refreshAssignment("group");
    await Promise.all(runners.map((r) => r.done));
    this.#releasing.clear();
    this.#committed.clear();
  }

  /** Commits the positions of `runners` that moved since their last commit, as this member. */
  async #commitPositions(runners: readonly PartitionRunner[]): Promise<void> {
    const group = this.#group;
    if (group === null) return;
    const commits: CommittedOffset[] = [];
    for (const runner of runners) {
      if (runner.position === null || this.#committed.get(key(runner.tp)) === runner.position) continue;
      commits.push({
        topic: runner.tp.topic,
        partition: runner.tp.partition,
        offset: runner.position,
        metadata: null,
      });
    }
    if (commits.length === 0) return;
    await group.commit(commits);
    for (const c of commits) this.#committed.set(key(c), c.offset);
  }

  /** The partition's position, resolved from the store if it has none yet; a `seek` made meanwhile wins. */
  async #resolvePosition(runner: PartitionRunner): Promise<number> {
    const start = runner.position ?? (await this.#startingOffset(runner));
    runner.position ??= start;
    return runner.position;
  }

  /** `auto.offset.reset`: earliest when `fromBeginning`, else latest. */
  async #resetOffset(runner: PartitionRunner): Promise<number> {
    const { region } = this.#config;
    const { logStartOffset, highWatermark } = await (region === undefined
      ? this.#store.offsets(runner.tp)
      : this.#store.offsets(runner.tp, { region }));
    return runner.fromBeginning ? logStartOffset : highWatermark;
  }

  /**
   * Aligns the partition loops with the target assignment. `initial`: before `run` starts the loops;
   * `subscribe`: a subscription added while running; `discovered`: the periodic metadata refresh (no group);
   * `group`: the coordinator's assignment changed.
   */
  async #refreshAssignment(mode: "initial" | "subscribe" | "discovered" | "group"): Promise<void> {
    const target = await this.#targetAssignment();
    const added: PartitionRunner[] = [];
    for (const [k, { tp, fromBeginning }] of target) {
      const existing = this.#runners.get(k);
      if (existing !== undefined && !existing.removed) continue;
      // Partitions that appear while running (new partitions, new matching topics) hold only records written
      // after we started looking, so they are read from their start whatever `fromBeginning` says.
      const runner: PartitionRunner = {
        tp,
        fromBeginning: mode === "discovered" ? true : fromBeginning,
        position: null,
        generation: 0,
        read: null,
        removed: false,
        done: null,
      };
      this.#runners.set(k, runner);
      added.push(runner);
    }
    for (const [k, runner] of this.#runners) {
      if (target.has(k)) continue;
      runner.removed = true;
      runner.read?.abort(new Error("unassigned"));
      this.#runners.delete(k);
    }
    // Fix where new partitions start before `run` or `subscribe` resolves: a loop that asked the store later would
    // skip what was written in between. A failure is left to the partition's loop, which handles it like a read's.
    await Promise.all(added.map((runner) => this.#resolvePosition(runner).catch(() => undefined)));
    // `run` may have started them while we waited (a stop and a new run): never two loops for one partition.
    if (mode !== "initial" && this.#running)
      for (const runner of added) if (runner.done === null) this.#start(runner);
  }

  #scheduleRefresh(): void {
    this.#refreshTimer = setTimeout(() => {
      if (!this.#running) return;
      // A member re-reads its subscription and tells the coordinator, which re-assigns; others look themselves.
      const refreshed =
        this.#group !== null ? Promise.resolve(this.#group.nudge()) : this.#refreshAssignment("discovered");
      refreshed.then(
        () => this.#running && this.#scheduleRefresh(),
        (error: unknown) => this.#crash(error),
      );
    }, this.#metadataMaxAgeMs);
  }

  // ── the per-partition loop ────────────────────────────────────────────────────────────────────────────────

  #start(runner: PartitionRunner): void {
    const done = this.#loop(runner).finally(() => this.#loops.delete(done));
    runner.done = done;
    this.#loops.add(done);
  }

  async #loop(runner: PartitionRunner): Promise<void> {
    const retries = this.#retry.retries ?? DEFAULT_RETRY.retries;
    let failures = 0;
    let previous: number | null = null;
    while (this.#running && !runner.removed) {
      if (this.#isPaused(runner.tp)) {
        await this.#changed.promise;
        continue;
      }
      // An iteration that moved nothing forward (a handler that resolved nothing, a read that answered at once with
      // nothing) yields to timers and I/O: the memory store answers in microtasks, and spinning on them starves both.
      if (runner.position !== null && runner.position === previous) {
        previous = null;
        await sleep(0);
        continue;
      }
      previous = runner.position;
      const generation = runner.generation;
      const controller = new AbortController();
      runner.read = controller;
      let result: ReadResult;
      let position: number;
      try {
        position = await this.#resolvePosition(runner);
        result = await this.#store.read(runner.tp, {
          offset: position,
          maxBytes: this.#maxBytes,
          maxWaitMs: this.#maxWaitMs,
          signal: controller.signal,
          ...this.#readPreference(),
        });
      } catch (error) {
        if (controller.signal.aborted || !this.#running) continue;
        if (isEdgeLogError(error) && error.code === "OFFSET_OUT_OF_RANGE" && runner.position !== null) {
          runner.position = await this.#resetOffset(runner).catch(() => runner.position);
          continue;
        }
        if (isEdgeLogError(error) && error.code === "UNKNOWN_TOPIC_OR_PARTITION") {
          // The topic was deleted: drop the partition; a re-created topic is picked up by the next refresh.
          this.#metadata.invalidate(runner.tp.topic);
          runner.removed = true;
          // Only our own entry: a re-created topic may already have a new loop under the same key.
          if (this.#runners.get(key(runner.tp)) === runner) this.#runners.delete(key(runner.tp));
          return;
        }
        if (isRetriable(error) && failures < retries) {
          await sleep(retryDelayMs(error, failures++, this.#retry));
          continue;
        }
        this.#crash(error);
        return;
      } finally {
        runner.read = null;
      }
      if (runner.generation !== generation || this.#isPaused(runner.tp) || !this.#running) continue;
      const messages = messagesFrom(result.batches, Math.max(position, result.logStartOffset));
      if (messages.length === 0) continue;
      await this.#semaphore.acquire();
      // Waiting for a handler slot takes time: a seek, pause or stop meanwhile withholds these messages.
      if (runner.generation !== generation || this.#isPaused(runner.tp) || !this.#running) {
        this.#semaphore.release();
        continue;
      }
      let failure: unknown = null;
      try {
        failure = await this.#handle(runner, generation, messages, result.highWatermark);
      } finally {
        this.#semaphore.release();
      }
      if (failure === null) {
        failures = 0;
      } else if (failures < retries) {
        await sleep(backoffMs(failures++, this.#retry));
      } else {
        this.#crash(failure);
        return;
      }
    }
  }

  /** Runs the user's handler over fetched messages; returns the error it threw, or `null`. */
  async #handle(
    runner: PartitionRunner,
    generation: number,
    messages: readonly KafkaMessage[],
    highWatermark: number,
  ): Promise<unknown> {
    const { tp } = runner;
    const current = (): boolean => runner.generation === generation && !runner.removed;
    // A revoked partition still records what its handler finished, so the commit on release covers it; only a
    // seek (a new generation) makes progress on the old position meaningless.
    const sameGeneration = (): boolean => runner.generation === generation;
    const pause = (): (() => void) => {
      this.pause([{ topic: tp.topic, partitions: [tp.partition] }]);
      return () => this.resume([{ topic: tp.topic, partitions: [tp.partition] }]);
    };
    // With a group, a long handler keeps its membership alive by calling this between messages.
    const heartbeat = async (): Promise<void> => {
      if (this.#group?.due()) await this.#group.beat();
    };
    const { eachMessage, eachBatch, eachBatchAutoResolve = true } = this.#run ?? {};
    try {
      if (eachMessage !== undefined) {
        for (const message of messages) {
          if (!this.#running || !current() || this.#isPaused(tp)) break;
          await eachMessage({ topic: tp.topic, partition: tp.partition, message, heartbeat, pause });
          if (sameGeneration()) runner.position = message.offset + 1;
        }
      } else if (eachBatch !== undefined) {
        const batch = makeBatch(tp.topic, tp.partition, highWatermark, messages);
        await eachBatch({
          batch,
          resolveOffset: (offset) => {
            if (sameGeneration() && runner.position !== null)
              runner.position = Math.max(runner.position, offset + 1);
          },
          heartbeat,
          commitOffsetsIfNecessary: async () => {
            if (this.#run?.autoCommit !== false) await this.#commitPositions([runner]);
          },
          uncommittedOffsets: () => this.#uncommitted(),
          isRunning: () => this.#running && current(),
          isStale: () => !current(),
          pause,
        });
        if (eachBatchAutoResolve && sameGeneration()) runner.position = batch.lastOffset() + 1;
      }
      return null;
    } catch (error) {
      return error ?? new Error("handler threw a nullish value");
    }
  }

  /** Positions that moved since their last commit, in KafkaJS's shape. */
  #uncommitted(): { topics: { topic: string; partitions: { partition: number; offset: number }[] }[] } {
    const byTopic = new Map<string, { partition: number; offset: number }[]>();
    for (const runner of this.#runners.values()) {
      if (runner.position === null || this.#committed.get(key(runner.tp)) === runner.position) continue;
      const list = byTopic.get(runner.tp.topic) ?? [];
      list.push({ partition: runner.tp.partition, offset: runner.position });
      byTopic.set(runner.tp.topic, list);
    }
    return { topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) };
  }

  #isPaused(tp: TopicPartition): boolean {
    return this.#pausedTopics.has(tp.topic) || this.#pausedPartitions.has(key(tp));
  }

  #signalChange(): void {
    const previous = this.#changed;
    this.#changed = deferred();
    previous.resolve();
  }

  #crash(error: unknown): void {
    this.#emit("consumer.crash", { type: "consumer.crash", error } satisfies ConsumerCrashEvent);
    void this.stop();
  }

  #emit(event: ConsumerEvent, payload: unknown): void {
    for (const listener of this.#listeners.get(event) ?? []) listener(payload);
  }
}

/** Whether a subscription (a name, or a pattern whose `lastIndex` a global flag would move) names `topic`. */
function subscriptionMatches(pattern: string | RegExp, topic: string): boolean {
  if (typeof pattern === "string") return pattern === topic;
  pattern.lastIndex = 0;
  return pattern.test(topic);
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
