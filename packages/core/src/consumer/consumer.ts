/**
 * @module
 * `Consumer`: KafkaJS's consumer loop over a `LogStore` — subscribe to topics (names or patterns), `run` with
 * `eachMessage` or `eachBatch`, `seek`, `pause`/`resume`, `stop`. Each assigned partition has its own fetch
 * loop that long-polls the store, so an idle partition costs a parked read rather than a busy loop, and a
 * semaphore bounds how many partitions run handlers at once (`partitionsConsumedConcurrently`, default 1).
 *
 * Without a group the consumer reads every partition of what it subscribed to, starting per `fromBeginning`
 * (KafkaJS's `auto.offset.reset`: earliest, else latest). Assignment (`#targetAssignment`) and starting
 * positions (`#startingOffset`) are the seams where consumer groups plug in.
 */
import { EdgeLogError, isEdgeLogError, isRetriable } from "../errors.ts";
import type { MetadataCache } from "../metadata-cache.ts";
import { backoffMs, DEFAULT_RETRY, type RetryOptions, sleep } from "../retry.ts";
import type { LogStore, ReadResult, TopicPartition } from "../store.ts";
import { assertValidOffset, assertValidTopicName } from "../validation.ts";
import { type Batch, type KafkaMessage, makeBatch, messagesFrom } from "./consumed-batch.ts";
import { Semaphore } from "./semaphore.ts";

export interface ConsumerConfig {
  /** Consumer groups arrive in a later release; until then a consumer reads its partitions directly. */
  readonly groupId?: string;
  /** Byte budget of one fetch from one partition. Default 1 MiB. */
  readonly maxBytesPerPartition?: number;
  /** How long a fetch waits for new records before returning empty, in ms. Default 5 000. */
  readonly maxWaitTimeInMs?: number;
  /** How often pattern subscriptions and partition counts are re-read, in ms. Default 10 000. */
  readonly metadataMaxAge?: number;
  /** Backoff and attempts for retriable fetch errors and failing handlers. */
  readonly retry?: RetryOptions;
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
}

export type ConsumerEvent = "consumer.crash" | "consumer.stop";

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
const key = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`;

/**
 * @example
 * const consumer = log.consumer();
 * await consumer.subscribe({ topics: ["orders"], fromBeginning: true });
 * await consumer.run({ eachMessage: async ({ partition, message }) => console.log(partition, message.offset) });
 */
export class Consumer {
  readonly events = { CRASH: "consumer.crash", STOP: "consumer.stop" } as const;
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

  constructor(store: LogStore, metadata: MetadataCache, config: ConsumerConfig = {}) {
    if (config.groupId !== undefined) {
      throw new EdgeLogError(
        "INVALID_REQUEST",
        "consumer groups are not available yet: omit groupId to read every partition of the subscribed topics",
      );
    }
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
    if (this.#running) await this.#refreshAssignment("subscribe");
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
      await this.#refreshAssignment("initial");
    } catch (error) {
      this.#running = false;
      throw error;
    }
    for (const runner of this.#runners.values()) this.#start(runner);
    this.#scheduleRefresh();
  }

  /** Stops fetching, lets handlers in progress finish, and resolves when every loop has ended. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    if (this.#refreshTimer !== null) clearTimeout(this.#refreshTimer);
    this.#refreshTimer = null;
    for (const runner of this.#runners.values()) runner.read?.abort(new Error("consumer stopped"));
    this.#signalChange();
    // Every loop, including those of partitions unassigned while a handler was still running.
    await Promise.all([...this.#loops]);
    this.#emit("consumer.stop", { type: "consumer.stop" });
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
    const hasPattern = this.#subscriptions.some((s) => s.pattern instanceof RegExp);
    const all = hasPattern ? await this.#store.listTopics() : [];
    for (const { pattern, fromBeginning } of this.#subscriptions) {
      const topics =
        typeof pattern === "string"
          ? [await this.#metadata.get(pattern)]
          : all.filter((t) => {
              pattern.lastIndex = 0;
              return pattern.test(t.name);
            });
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
    return this.#resetOffset(runner);
  }

  /** The partition's position, resolved from the store if it has none yet; a `seek` made meanwhile wins. */
  async #resolvePosition(runner: PartitionRunner): Promise<number> {
    const start = runner.position ?? (await this.#startingOffset(runner));
    runner.position ??= start;
    return runner.position;
  }

  /** `auto.offset.reset`: earliest when `fromBeginning`, else latest. */
  async #resetOffset(runner: PartitionRunner): Promise<number> {
    const { logStartOffset, highWatermark } = await this.#store.offsets(runner.tp);
    return runner.fromBeginning ? logStartOffset : highWatermark;
  }

  /**
   * Aligns the partition loops with the target assignment. `initial`: before `run` starts the loops;
   * `subscribe`: a subscription added while running; `discovered`: the periodic metadata refresh.
   */
  async #refreshAssignment(mode: "initial" | "subscribe" | "discovered"): Promise<void> {
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
      this.#refreshAssignment("discovered").then(
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
          await sleep(backoffMs(failures++, this.#retry));
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
    const pause = (): (() => void) => {
      this.pause([{ topic: tp.topic, partitions: [tp.partition] }]);
      return () => this.resume([{ topic: tp.topic, partitions: [tp.partition] }]);
    };
    const heartbeat = async (): Promise<void> => {};
    const { eachMessage, eachBatch, eachBatchAutoResolve = true } = this.#run ?? {};
    try {
      if (eachMessage !== undefined) {
        for (const message of messages) {
          if (!this.#running || !current() || this.#isPaused(tp)) break;
          await eachMessage({ topic: tp.topic, partition: tp.partition, message, heartbeat, pause });
          if (current()) runner.position = message.offset + 1;
        }
      } else if (eachBatch !== undefined) {
        const batch = makeBatch(tp.topic, tp.partition, highWatermark, messages);
        await eachBatch({
          batch,
          resolveOffset: (offset) => {
            if (current() && runner.position !== null)
              runner.position = Math.max(runner.position, offset + 1);
          },
          heartbeat,
          commitOffsetsIfNecessary: async () => {},
          uncommittedOffsets: () => ({ topics: [] }),
          isRunning: () => this.#running && current(),
          isStale: () => !current(),
          pause,
        });
        if (eachBatchAutoResolve && current()) runner.position = batch.lastOffset() + 1;
      }
      return null;
    } catch (error) {
      return error ?? new Error("handler threw a nullish value");
    }
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

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
