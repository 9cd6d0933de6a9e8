/**
 * @module
 * `ShareConsumer`: a member of a share group (KIP-932) — a work queue on topics. Any number of consumers take
 * records from the same partitions; each record is acquired for one of them at a time and acknowledged on its own.
 * `run({ eachMessage })` accepts a record when its handler returns and releases it (to be delivered again) when the
 * handler throws; a handler may instead say `acknowledge("accept" | "release" | "reject")` itself. Acknowledgements
 * travel with the next fetch, so a steady consumer makes one request per batch of records; `commit()` sends them
 * at once, and `stop()` sends them as it closes the share session, which releases whatever it still held.
 *
 * Delivery is at least once: a record whose lock runs out before its acknowledgement arrives (a handler slower
 * than `share.record.lock.duration.ms`, a consumer that vanished) is delivered again, with a higher
 * `deliveryCount`, and after `share.delivery.count.limit` deliveries it is archived (copied to the group's
 * dead-letter topic, when it names one).
 */
import { EdgeLogError, isEdgeLogError, isRetriable } from "../errors.ts";
import type { MetadataCache } from "../metadata-cache.ts";
import { randomId } from "../random-id.ts";
import { DEFAULT_RETRY, type RetryOptions, retryDelayMs, sleep } from "../retry.ts";
import { type AcknowledgeType, MAX_RECORD_ERROR_LENGTH } from "../share/share-partition.ts";
import type {
  ShareAcknowledgeError,
  ShareAcknowledgementBatch,
  ShareFetchResponse,
} from "../share/share-types.ts";
import type { LogStore, ShareGroupStore } from "../store.ts";
import { assertValidGroupId, assertValidTopicName } from "../validation.ts";
import { type KafkaMessage, messagesFrom } from "./consumed-batch.ts";
import { Semaphore } from "./semaphore.ts";

export interface ShareConsumerConfig {
  /** The share group to join. */
  readonly groupId: string;
  /** This member's id (default: a random one). A restarted consumer with the same id replaces its old session. */
  readonly memberId?: string;
  /** Records one fetch acquires at most (KafkaShareConsumer's `max.poll.records`). Default 500. */
  readonly maxRecords?: number;
  /** How long a fetch waits for records, in ms. Default 5 000. */
  readonly maxWaitTimeInMs?: number;
  /** Backoff and attempts for retriable fetch errors. */
  readonly retry?: RetryOptions;
  readonly clientId?: string;
}

export interface ShareMessagePayload {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
  /** How many times this record has been delivered, this delivery included. */
  readonly deliveryCount: number;
  /**
   * Says what becomes of this record now instead of when the handler returns: `accept` (done), `release` (deliver
   * it again), `reject` (never; archived, and copied to the dead-letter topic when there is one). Once per record.
   */
  acknowledge(type: AcknowledgeType, error?: string): void;
}

export interface ShareRunOptions {
  readonly eachMessage: (payload: ShareMessagePayload) => Promise<void>;
  /** How many handlers may run at the same time (records of one fetch). Default 1. */
  readonly concurrency?: number;
}

export type ShareConsumerEvent = "consumer.crash" | "consumer.stop" | "consumer.acknowledge_error";

/** Acknowledgements the group refused (the lock ran out first, say): those records were, or will be, delivered again. */
export interface ShareAcknowledgeErrorEvent {
  readonly type: "consumer.acknowledge_error";
  readonly errors: readonly ShareAcknowledgeError[];
}

const DEFAULT_MAX_RECORDS = 500;
const DEFAULT_MAX_WAIT_MS = 5_000;
/** Codes that mean the share session is gone or moved on: open a new one. */
const SESSION_LOST = new Set(["INVALID_SHARE_SESSION_EPOCH", "SHARE_SESSION_NOT_FOUND"]);

/**
 * @example
 * const consumer = log.shareConsumer({ groupId: "emails" });
 * await consumer.subscribe({ topics: ["emails"] });
 * await consumer.run({ eachMessage: async ({ message }) => send(message.value?.toString()) });
 */
export class ShareConsumer {
  readonly events = {
    CRASH: "consumer.crash",
    STOP: "consumer.stop",
    ACKNOWLEDGE_ERROR: "consumer.acknowledge_error",
  } as const;
  readonly memberId: string;
  readonly #store: LogStore & ShareGroupStore;
  readonly #metadata: MetadataCache;
  readonly #config: ShareConsumerConfig;
  readonly #topics = new Set<string>();
  readonly #listeners = new Map<ShareConsumerEvent, Set<(event: unknown) => void>>();
  /** Acknowledgements to send with the next request. */
  #pending: ShareAcknowledgementBatch[] = [];
  #epoch = 0;
  #running = false;
  #loop: Promise<void> | null = null;
  /** Aborts the fetch in flight when the consumer stops. */
  #abort = new AbortController();
  /** One request at a time: the share session's epoch orders them. */
  #request: Promise<unknown> = Promise.resolve();

  constructor(store: LogStore & ShareGroupStore, metadata: MetadataCache, config: ShareConsumerConfig) {
    assertValidGroupId(config.groupId);
    this.#store = store;
    this.#metadata = metadata;
    this.#config = config;
    this.memberId = config.memberId ?? `share-${randomId()}`;
  }

  /** Adds topics (names; each must exist). Call before `run`, or while running: the next fetch reads them too. */
  async subscribe(options: { topics?: readonly string[]; topic?: string }): Promise<void> {
    const topics = options.topics ?? (options.topic === undefined ? [] : [options.topic]);
    if (topics.length === 0) throw new EdgeLogError("INVALID_REQUEST", "subscribe needs `topics` or `topic`");
    for (const topic of topics) {
      assertValidTopicName(topic);
      await this.#metadata.require(topic);
    }
    for (const topic of topics) this.#topics.add(topic);
  }

  /** Starts fetching and handling records; resolves once the loop runs. Failures surface as `consumer.crash`. */
  async run(options: ShareRunOptions): Promise<void> {
    if (this.#running) throw new EdgeLogError("INVALID_REQUEST", "the consumer is already running");
    if (typeof options?.eachMessage !== "function") {
      throw new EdgeLogError("INVALID_REQUEST", "run needs eachMessage");
    }
    if (this.#topics.size === 0)
      throw new EdgeLogError("INVALID_REQUEST", "subscribe to at least one topic before run");
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new EdgeLogError("INVALID_REQUEST", "concurrency must be a positive integer");
    }
    this.#running = true;
    this.#abort = new AbortController();
    this.#loop = this.#fetchLoop(options.eachMessage, new Semaphore(concurrency));
  }

  /**
   * Says what becomes of a record this consumer holds (from a handler, or later): sent with the next request,
   * or at once by `commit()`.
   */
  acknowledge(
    record: { topic: string; partition: number; offset: number },
    type: AcknowledgeType,
    error?: string,
  ): void {
    if (type !== "accept" && type !== "release" && type !== "reject") {
      throw new EdgeLogError("INVALID_REQUEST", 'type must be "accept", "release" or "reject"');
    }
    this.#pending.push({
      topic: record.topic,
      partition: record.partition,
      firstOffset: record.offset,
      lastOffset: record.offset,
      type,
      ...(error === undefined ? {} : { error: error.slice(0, MAX_RECORD_ERROR_LENGTH) }),
    });
  }

  /** Sends the acknowledgements waiting to go now (KafkaShareConsumer's `commitSync`); resolves with refusals. */
  async commit(): Promise<ShareAcknowledgeError[]> {
    if (this.#pending.length === 0) return [];
    const answer = await this.#send({ maxRecords: 0 });
    return answer.acknowledgeErrors;
  }

  /** Stops fetching, lets handlers finish, sends their acknowledgements and closes the share session. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#abort.abort(new Error("consumer stopped"));
    await this.#loop;
    this.#loop = null;
    if (this.#epoch !== 0) {
      // Closing the session sends what the handlers decided and releases everything else this member held.
      await this.#send({ close: true }).catch(() => undefined);
    }
    this.#emit("consumer.stop", { type: "consumer.stop" });
  }

  async disconnect(): Promise<void> {
    await this.stop();
  }

  /** Listens to `consumer.crash`, `consumer.stop` and `consumer.acknowledge_error`. */
  on(event: ShareConsumerEvent, listener: (event: unknown) => void): () => void {
    const listeners = this.#listeners.get(event) ?? new Set();
    listeners.add(listener);
    this.#listeners.set(event, listeners);
    return () => listeners.delete(listener);
  }

  async #fetchLoop(eachMessage: ShareRunOptions["eachMessage"], semaphore: Semaphore): Promise<void> {
    const retries = this.#config.retry?.retries ?? DEFAULT_RETRY.retries;
    let failures = 0;
    while (this.#running) {
      let answer: ShareFetchResponse;
      try {
        answer = await this.#send({
          maxRecords: this.#config.maxRecords ?? DEFAULT_MAX_RECORDS,
          maxWaitMs: this.#config.maxWaitTimeInMs ?? DEFAULT_MAX_WAIT_MS,
          signal: this.#abort.signal,
        });
        failures = 0;
      } catch (error) {
        if (!this.#running) return;
        if (isEdgeLogError(error) && SESSION_LOST.has(error.code)) continue;
        if (isRetriable(error) && failures < retries) {
          await sleep(retryDelayMs(error, failures++, this.#config.retry ?? {}));
          continue;
        }
        this.#crash(error);
        return;
      }
      // Stopped while the fetch was answered: what it acquired goes back when the session closes.
      if (!this.#running) return;
      await this.#handle(answer, eachMessage, semaphore);
    }
  }

  /** Runs the handlers over what one fetch acquired, each record's outcome queued for the next request. */
  async #handle(
    answer: ShareFetchResponse,
    eachMessage: ShareRunOptions["eachMessage"],
    semaphore: Semaphore,
  ): Promise<void> {
    const runs: Promise<void>[] = [];
    for (const part of answer.partitions) {
      const counts = new Map<number, number>();
      for (const range of part.acquired) {
        for (let offset = range.firstOffset; offset <= range.lastOffset; offset++)
          counts.set(offset, range.deliveryCount);
      }
      const first = part.acquired[0]?.firstOffset ?? 0;
      for (const message of messagesFrom(part.batches, first)) {
        const deliveryCount = counts.get(message.offset);
        if (deliveryCount === undefined) continue;
        await semaphore.acquire();
        // Stopping: records not yet handed to a handler go back when the session closes.
        if (!this.#running) {
          semaphore.release();
          break;
        }
        runs.push(
          this.#handleOne(part.topic, part.partition, message, deliveryCount, eachMessage).finally(() =>
            semaphore.release(),
          ),
        );
      }
    }
    await Promise.all(runs);
  }

  async #handleOne(
    topic: string,
    partition: number,
    message: KafkaMessage,
    deliveryCount: number,
    eachMessage: ShareRunOptions["eachMessage"],
  ): Promise<void> {
    const record = { topic, partition, offset: message.offset };
    let decided = false;
    const acknowledge = (type: AcknowledgeType, error?: string): void => {
      if (decided)
        throw new EdgeLogError("INVALID_REQUEST", `offset ${message.offset} is already acknowledged`);
      this.acknowledge(record, type, error);
      decided = true;
    };
    try {
      await eachMessage({ topic, partition, message, deliveryCount, acknowledge });
      if (!decided) acknowledge("accept");
    } catch (error) {
      if (!decided) acknowledge("release", error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * One request, after the one before it: the pending acknowledgements go with it. A lost session is reopened
   * (epoch 0) by this same call's retry, with the acknowledgements still attached.
   */
  #send(options: {
    maxRecords?: number;
    maxWaitMs?: number;
    close?: boolean;
    signal?: AbortSignal;
  }): Promise<ShareFetchResponse> {
    const run = this.#request.then(async () => {
      const acknowledgements = this.#pending;
      this.#pending = [];
      const close = options.close === true;
      try {
        const answer = await this.#store.shareFetch(
          this.#config.groupId,
          {
            memberId: this.memberId,
            sessionEpoch: close ? -1 : this.#epoch,
            topics: [...this.#topics],
            maxRecords: close ? 0 : (options.maxRecords ?? 0),
            maxWaitMs: options.maxWaitMs ?? 0,
            acknowledgements,
            ...(this.#config.clientId === undefined ? {} : { clientId: this.#config.clientId }),
          },
          options.signal,
        );
        this.#epoch = close ? 0 : answer.sessionEpoch;
        if (answer.acknowledgeErrors.length > 0) {
          this.#emit("consumer.acknowledge_error", {
            type: "consumer.acknowledge_error",
            errors: answer.acknowledgeErrors,
          } satisfies ShareAcknowledgeErrorEvent);
        }
        return answer;
      } catch (error) {
        // Not sent, or not answered: the acknowledgements go with the next request (a refusal then is reported).
        this.#pending = [...acknowledgements, ...this.#pending];
        if (isEdgeLogError(error) && SESSION_LOST.has(error.code)) this.#epoch = 0;
        throw error;
      }
    });
    this.#request = run.catch(() => undefined);
    return run;
  }

  #crash(error: unknown): void {
    this.#emit("consumer.crash", { type: "consumer.crash", error });
    void this.stop();
  }

  #emit(event: ShareConsumerEvent, payload: unknown): void {
    for (const listener of this.#listeners.get(event) ?? []) listener(payload);
  }
}
