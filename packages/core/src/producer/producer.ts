/**
 * @module
 * `Producer`: KafkaJS's `send` / `sendBatch` over a `LogStore`. Messages are partitioned (explicit partition,
 * else Java-compatible murmur2 for keys, else the sticky/round-robin partitioner), accumulated per partition into
 * record batches (cut at a byte budget, flushed after `lingerMs` — 0 means "everything sent in the same tick
 * goes out together"), and appended one batch in flight per partition so order within a partition holds.
 *
 * Idempotent by default (as Kafka's producer is since 3.0): each batch carries the producer id, an epoch and the
 * partition's next sequence, so the store drops retried duplicates and rejects gaps. When the outcome of a batch
 * is unknown (retries exhausted) or the store disowns the sequence, that partition moves to a new epoch and
 * starts again at sequence 0 — KIP-360's recovery, applied per partition because the store keeps producer state
 * per partition.
 */
import { type BatchBudget, BatchBuilder, recordTooLarge } from "../codec/batch-builder.ts";
import { batchHeaderSize, encodedRecordSize, type ProducerStamp } from "../codec/record-batch.ts";
import { assertRecordCaps } from "../codec/record-caps.ts";
import { EdgeLogError, isEdgeLogError, isRetriable } from "../errors.ts";
import type { MetadataCache } from "../metadata-cache.ts";
import { type Partitioner, type PartitionerFactory, Partitioners } from "../partitioner/index.ts";
import { randomId } from "../random-id.ts";
import type { LogRecord } from "../record.ts";
import { type RetryOptions, withRetry } from "../retry.ts";
import type { AppendOptions, AppendResult, LogStore, TopicMetadata, TopicPartition } from "../store.ts";
import { assertPartitionExists, assertValidTopicName } from "../validation.ts";
import { type Message, toLogRecord } from "./message.ts";

export interface ProducerConfig {
  /** Chooses partitions for messages without an explicit one. Default: `Partitioners.DefaultPartitioner`. */
  readonly createPartitioner?: PartitionerFactory;
  /** Stamp batches so retries cannot duplicate records. Default `true`. */
  readonly idempotent?: boolean;
  /** Identity of an idempotent producer; give the same id (and a higher epoch) to resume one. Default: random. */
  readonly producerId?: string;
  /** Starting epoch. Default 0. */
  readonly producerEpoch?: number;
  /** How long to wait for more messages before sending a batch, in ms. Default 0 (same tick only). */
  readonly lingerMs?: number;
  /**
   * Upper bound on one batch's encoded size; the topic's `max.message.bytes` also applies. A record larger than
   * this (but within `max.message.bytes`) goes in a batch of its own, as with Kafka's `batch.size`. Default 512 KiB.
   */
  readonly maxBatchBytes?: number;
  /** Retries of retriable append failures. */
  readonly retry?: RetryOptions;
  /**
   * Kafka's producer `acks` for every batch: `"all"` (or `-1`; the default on a replicated topic) answers once every
   * in-sync replica holds it, `1` once the leader has committed it. A store that keeps one copy answers both on
   * its commit. Retries of `NOT_ENOUGH_REPLICAS` follow `retry`.
   */
  readonly acks?: 1 | -1 | "all";
}

/** KafkaJS's `RecordMetadata`, with numeric offsets: one entry per partition a send wrote to. */
export interface RecordMetadata {
  readonly topicName: string;
  readonly partition: number;
  readonly errorCode: 0;
  /** Offset of this send's first record in the partition. */
  readonly baseOffset: number;
  /** Offset of this send's last record in the partition (a send's records in one partition are consecutive). */
  readonly lastOffset: number;
  readonly logAppendTime: number;
  readonly logStartOffset: number;
}

export interface ProducerRecord {
  readonly topic: string;
  readonly messages: readonly Message[];
  /**
   * Accepted for KafkaJS compatibility; sends share batches, so the producer's `acks` config applies to all of
   * them. Every acknowledged write is durable on the leader at least.
   */
  readonly acks?: number;
  readonly timeout?: number;
}

export const DEFAULT_MAX_BATCH_BYTES = 512 * 1024;
const SEQUENCE_MODULUS = 2 ** 31;

/** A run of one send's records inside a batch, and how to report back to that send. */
interface SendSlice {
  readonly firstIndex: number;
  readonly recordCount: number;
  resolve(result: { baseOffset: number; lastOffset: number; append: AppendResult }): void;
  reject(error: unknown): void;
}

interface PendingBatch {
  readonly builder: BatchBuilder;
  readonly slices: SendSlice[];
}

interface PartitionLane {
  readonly tp: TopicPartition;
  open: PendingBatch | null;
  readonly ready: PendingBatch[];
  inFlight: boolean;
  epoch: number;
  nextSequence: number;
}

/**
 * @example
 * const producer = log.producer();
 * await producer.send({ topic: "orders", messages: [{ key: "user-1", value: "created" }] });
 */
export class Producer {
  readonly #store: LogStore;
  readonly #metadata: MetadataCache;
  readonly #partitioner: Partitioner;
  readonly #idempotent: boolean;
  readonly #producerId: string;
  readonly #initialEpoch: number;
  readonly #lingerMs: number;
  readonly #maxBatchBytes: number;
  readonly #retry: RetryOptions;
  readonly #appendOptions: AppendOptions | undefined;
  readonly #lanes = new Map<string, PartitionLane>();
  readonly #idle: (() => void)[] = [];
  /** Sends still validating, tracked until their records are queued so that `flush()` includes them. */
  readonly #queueing = new Set<Promise<unknown>>();
  #flushScheduled = false;
  #lingerTimer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;
  #fenced: EdgeLogError | null = null;

  constructor(store: LogStore, metadata: MetadataCache, config: ProducerConfig = {}) {
    this.#store = store;
    this.#metadata = metadata;
    this.#partitioner = (config.createPartitioner ?? Partitioners.DefaultPartitioner)();
    this.#idempotent = config.idempotent ?? true;
    this.#producerId = config.producerId ?? randomId();
    this.#initialEpoch = config.producerEpoch ?? 0;
    this.#lingerMs = config.lingerMs ?? 0;
    this.#maxBatchBytes = config.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
    this.#retry = config.retry ?? {};
    const acks = config.acks;
    if (acks !== undefined && acks !== 1 && acks !== -1 && acks !== "all") {
      throw new EdgeLogError("INVALID_REQUEST", 'acks must be "all" (or -1) or 1');
    }
    this.#appendOptions = acks === undefined ? undefined : { acks: acks === 1 ? 1 : "all" };
    if (
      !Number.isInteger(this.#initialEpoch) ||
      this.#initialEpoch < 0 ||
      this.#initialEpoch >= SEQUENCE_MODULUS
    ) {
      throw new EdgeLogError("INVALID_REQUEST", "producerEpoch must be an integer in 0..2^31-1");
    }
    if (!(this.#lingerMs >= 0) || !(this.#maxBatchBytes > 0)) {
      throw new EdgeLogError("INVALID_REQUEST", "lingerMs must be ≥ 0 and maxBatchBytes > 0");
    }
  }

  /** The idempotent producer's id (also when idempotence is off, for logging). */
  get producerId(): string {
    return this.#producerId;
  }

  /** Nothing to connect to in core; present so KafkaJS-shaped code runs unchanged. */
  async connect(): Promise<void> {}

  /** Refuses further sends, then sends what was sent before (also sends still being validated). */
  async disconnect(): Promise<void> {
    this.#closed = true;
    await this.flush();
    // flush() sent everything; a pending linger timer has nothing left to do and must not keep a process alive.
    if (this.#lingerTimer !== null) clearTimeout(this.#lingerTimer);
    this.#lingerTimer = null;
    this.#flushScheduled = false;
  }

  /** Appends messages to a topic; resolves once they are stored, with one `RecordMetadata` per partition. */
  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    return this.sendBatch({ topicMessages: [record] });
  }

  /** Appends messages to several topics at once. */
  async sendBatch(batch: {
    topicMessages: readonly { topic: string; messages: readonly Message[] }[];
    acks?: number;
    timeout?: number;
  }): Promise<RecordMetadata[]> {
    this.#assertUsable();
    const queued = this.#queue(batch);
    this.#queueing.add(queued);
    const forget = (): void => void this.#queueing.delete(queued);
    queued.then(forget, forget);
    return (await queued).stored;
  }

  /** Validates and places every message and queues the records per partition; `stored` settles once appended. */
  async #queue(batch: {
    topicMessages: readonly { topic: string; messages: readonly Message[] }[];
  }): Promise<{ stored: Promise<RecordMetadata[]> }> {
    if (!Array.isArray(batch?.topicMessages)) {
      throw new EdgeLogError("INVALID_REQUEST", "sendBatch needs a `topicMessages` array");
    }
    const now = Date.now();
    const planned: { topic: TopicMetadata; partition: number; record: LogRecord }[] = [];
    // Validate and place every message before queueing any, so a bad message fails the call without side effects.
    for (const { topic, messages } of batch.topicMessages) {
      assertValidTopicName(topic);
      if (!Array.isArray(messages) || messages.length === 0) {
        throw new EdgeLogError("INVALID_REQUEST", `send to "${topic}" needs a non-empty \`messages\` array`, {
          context: { topic },
        });
      }
      const metadata = await this.#metadata.require(topic);
      // Only the topic's limit refuses a record: `maxBatchBytes` is a batching target and a larger record is sent
      // alone (as with Kafka's `batch.size`); MESSAGE_TOO_LARGE is about `max.message.bytes`
      // (docs/semantics.md §A3).
      const limit = metadata.config["max.message.bytes"];
      const headerBytes = batchHeaderSize(this.#stampId());
      for (const [index, message] of messages.entries()) {
        const record = toLogRecord(message, now);
        // Refused here, before anything is queued, with what the store would answer (`INVALID_RECORD`).
        assertRecordCaps(record, { topic, index });
        const sizeBytes = encodedRecordSize(record, record.timestamp);
        // The size of the batch the record would take alone (core's `soloBatchSize`), header measured once.
        if (headerBytes + sizeBytes > limit) throw recordTooLarge(headerBytes + sizeBytes, limit, { topic });
        const partition =
          message.partition ??
          this.#partitioner({ topic, partitionCount: metadata.partitions, key: record.key, sizeBytes });
        assertPartitionExists(topic, partition, metadata.partitions);
        planned.push({ topic: metadata, partition, record });
      }
    }
    // A disconnect while we validated does not refuse this send (it was made before); a fence does.
    if (this.#fenced !== null) throw this.#fenced;
    const results: Promise<{
      tp: TopicPartition;
      baseOffset: number;
      lastOffset: number;
      append: AppendResult;
    }>[] = [];
    for (const run of consecutiveRuns(planned)) {
      const tp = { topic: run.topic.name, partition: run.partition };
      for (const slice of this.#enqueue(tp, this.#budgetFor(run.topic), run.records)) {
        results.push(slice.then((r) => ({ tp, ...r })));
      }
    }
    this.#scheduleFlush();
    return { stored: Promise.all(results).then(mergeByPartition) };
  }

  /** Resolves when every message sent so far has been stored or has failed. */
  async flush(): Promise<void> {
    // Sends already made may still be validating; each leaves `#queueing` only once its records are queued.
    await Promise.allSettled([...this.#queueing]);
    this.#sealAll();
    if (this.#isIdle()) return;
    await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  #assertUsable(): void {
    if (this.#closed) throw new EdgeLogError("INVALID_REQUEST", "the producer is disconnected");
    if (this.#fenced !== null) throw this.#fenced;
  }

  #stampId(): string | null {
    return this.#idempotent ? this.#producerId : null;
  }

  #budgetFor(topic: TopicMetadata): BatchBudget {
    return {
      producerId: this.#stampId(),
      maxBatchBytes: Math.min(this.#maxBatchBytes, topic.config["max.message.bytes"]),
    };
  }

  #lane(tp: TopicPartition): PartitionLane {
    const key = `${tp.topic}\u0000${tp.partition}`;
    let lane = this.#lanes.get(key);
    if (lane === undefined) {
      lane = { tp, open: null, ready: [], inFlight: false, epoch: this.#initialEpoch, nextSequence: 0 };
      this.#lanes.set(key, lane);
    }
    return lane;
  }

  /** Adds one send's records for one partition to its lane; one promise per batch they land in. */
  #enqueue(
    tp: TopicPartition,
    budget: BatchBudget,
    records: readonly LogRecord[],
  ): Promise<{ baseOffset: number; lastOffset: number; append: AppendResult }>[] {
    const lane = this.#lane(tp);
    const slices: Promise<{ baseOffset: number; lastOffset: number; append: AppendResult }>[] = [];
    let sliceStart = 0;
    const closeSlice = (batch: PendingBatch, end: number): void => {
      const recordCount = end - sliceStart;
      if (recordCount === 0) return;
      const firstIndex = batch.builder.recordCount - recordCount;
      slices.push(
        new Promise((resolve, reject) => batch.slices.push({ firstIndex, recordCount, resolve, reject })),
      );
      sliceStart = end;
    };
    records.forEach((record, i) => {
      const open = lane.open;
      if (open?.builder.tryAdd(record)) return;
      // The open batch is full (its budget is the one of the send that opened it): it is ready to go.
      if (open !== null) {
        closeSlice(open, i);
        lane.ready.push(open);
      }
      const batch: PendingBatch = { builder: new BatchBuilder(budget), slices: [] };
      batch.builder.tryAdd(record);
      lane.open = batch;
    });
    if (lane.open !== null) closeSlice(lane.open, records.length);
    if (lane.ready.length > 0) this.#drain(lane);
    return slices;
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    const flush = (): void => {
      this.#flushScheduled = false;
      this.#lingerTimer = null;
      this.#sealAll();
    };
    if (this.#lingerMs === 0) queueMicrotask(flush);
    else this.#lingerTimer = setTimeout(flush, this.#lingerMs);
  }

  #sealAll(): void {
    for (const lane of this.#lanes.values()) {
      if (lane.open !== null) {
        lane.ready.push(lane.open);
        lane.open = null;
      }
      this.#drain(lane);
    }
  }

  #drain(lane: PartitionLane): void {
    if (lane.inFlight) return;
    const batch = lane.ready.shift();
    if (batch === undefined) {
      if (this.#isIdle()) for (const resolve of this.#idle.splice(0)) resolve();
      return;
    }
    lane.inFlight = true;
    void this.#dispatch(lane, batch).finally(() => {
      lane.inFlight = false;
      this.#drain(lane);
    });
  }

  async #dispatch(lane: PartitionLane, batch: PendingBatch): Promise<void> {
    try {
      if (this.#fenced !== null) throw this.#fenced;
      const append = await this.#append(lane, batch).catch((error: unknown) => {
        // The store holds no state for us (retention removed all our batches, or the topic was re-created), so it
        // wrote nothing: start a new epoch at sequence 0 and send the batch again, as KIP-360's producer does.
        if (!this.#idempotent || !isEdgeLogError(error) || error.code !== "UNKNOWN_PRODUCER_ID") throw error;
        this.#newEpoch(lane);
        return this.#append(lane, batch);
      });
      lane.nextSequence = (lane.nextSequence + batch.builder.recordCount) % SEQUENCE_MODULUS;
      for (const slice of batch.slices) {
        const baseOffset = append.baseOffset + slice.firstIndex;
        slice.resolve({ baseOffset, lastOffset: baseOffset + slice.recordCount - 1, append });
      }
    } catch (error) {
      this.#afterFailure(lane, error);
      for (const slice of batch.slices) slice.reject(error);
    }
  }

  /** Appends a batch stamped with the lane's current epoch and sequence, retrying retriable failures. */
  #append(lane: PartitionLane, batch: PendingBatch): Promise<AppendResult> {
    const stamp: ProducerStamp | undefined = this.#idempotent
      ? { producerId: this.#producerId, producerEpoch: lane.epoch, baseSequence: lane.nextSequence }
      : undefined;
    const bytes = batch.builder.encode(stamp);
    const options = this.#appendOptions;
    return withRetry(
      () =>
        options === undefined
          ? this.#store.append(lane.tp, bytes)
          : this.#store.append(lane.tp, bytes, options),
      this.#retry,
    );
  }

  #newEpoch(lane: PartitionLane): void {
    lane.epoch = (lane.epoch + 1) % SEQUENCE_MODULUS;
    lane.nextSequence = 0;
  }

  #afterFailure(lane: PartitionLane, error: unknown): void {
    if (isEdgeLogError(error) && error.code === "UNKNOWN_TOPIC_OR_PARTITION")
      this.#metadata.invalidate(lane.tp.topic);
    if (!this.#idempotent) return;
    if (isEdgeLogError(error) && error.code === "INVALID_PRODUCER_EPOCH") {
      // Another instance with our id moved to a newer epoch: we are a zombie, and must not write again.
      this.#fenced = error;
      return;
    }
    const outcomeUnknown = !isEdgeLogError(error) || isRetriable(error);
    const sequenceDisowned =
      isEdgeLogError(error) &&
      (error.code === "OUT_OF_ORDER_SEQUENCE_NUMBER" || error.code === "UNKNOWN_PRODUCER_ID");
    if (outcomeUnknown || sequenceDisowned) this.#newEpoch(lane);
  }

  #isIdle(): boolean {
    for (const lane of this.#lanes.values()) {
      if (lane.inFlight || lane.open !== null || lane.ready.length > 0) return false;
    }
    return true;
  }
}

/** Splits placed records into runs of the same partition, keeping each partition's records in send order. */
function consecutiveRuns(
  planned: readonly { topic: TopicMetadata; partition: number; record: LogRecord }[],
): { topic: TopicMetadata; partition: number; records: LogRecord[] }[] {
  const byPartition = new Map<string, { topic: TopicMetadata; partition: number; records: LogRecord[] }>();
  for (const { topic, partition, record } of planned) {
    const key = `${topic.name}\u0000${partition}`;
    let run = byPartition.get(key);
    if (run === undefined) {
      run = { topic, partition, records: [] };
      byPartition.set(key, run);
    }
    run.records.push(record);
  }
  return [...byPartition.values()];
}

function mergeByPartition(
  parts: readonly { tp: TopicPartition; baseOffset: number; lastOffset: number; append: AppendResult }[],
): RecordMetadata[] {
  const merged = new Map<string, RecordMetadata>();
  for (const { tp, baseOffset, lastOffset, append } of parts) {
    const key = `${tp.topic}\u0000${tp.partition}`;
    const seen = merged.get(key);
    merged.set(key, {
      topicName: tp.topic,
      partition: tp.partition,
      errorCode: 0,
      baseOffset: Math.min(seen?.baseOffset ?? baseOffset, baseOffset),
      lastOffset: Math.max(seen?.lastOffset ?? lastOffset, lastOffset),
      logAppendTime: append.logAppendTime,
      logStartOffset: append.logStartOffset,
    });
  }
  return [...merged.values()];
}
