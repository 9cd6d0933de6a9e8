/**
 * @module
 * The Jepsen-style workload: idempotent producers sending keyed records with `acks=all`, each key one record at
 * a time (so each key's sequence numbers are its order), a consumer group of two members reading from the beginning and
 * committing, and a poller reading the group's committed offsets — each recording into the history what it was
 * told. It runs on any `LogStore` (the Durable Object store in workerd, `HttpLogStore` over `wrangler dev`).
 *
 * Everything is bounded: producers stop at a record cap, waits end at their budgets, and the producers' and
 * consumers' retry budgets outlast the longest outage a schedule can cause (the nemesis heals at the end).
 */
import { type Consumer, EdgeLog, type LogStore, type Producer } from "@edgelog/core";
import type { Ack, CommitSnapshot, Observation } from "./history.ts";
import { keyOf, recordValue } from "./history.ts";

export interface WorkloadOptions {
  /** A store for one participant (`producer 0`, `consumer c1`, `poller`); one may be shared. */
  readonly storeFor: (participant: string) => LogStore;
  readonly topic: string;
  readonly groupId: string;
  readonly producers?: number;
  readonly keysPerProducer?: number;
  /** Records sent per key at most (default 60). */
  readonly maxPerKey?: number;
  /** Group session timeout, ms (default 3 000). */
  readonly sessionTimeoutMs?: number;
}

/** Retries that outlast any schedule's outages (400 × ≤ 300 ms, ~2 min): a send or fetch gives up only on a real error. */
const RETRY = { retries: 400, initialRetryTime: 20, maxRetryTime: 300 };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const decoder = new TextDecoder();
const text = (bytes: Uint8Array | null | undefined): string => decoder.decode(bytes ?? new Uint8Array());
const codeOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "code" in error ? String(error.code) : String(error);

export class Workload {
  readonly acks: Ack[] = [];
  readonly observations: Observation[] = [];
  readonly commits: CommitSnapshot[] = [];
  /** Sends or consumers that gave up, by error code: each is reported (none is expected). */
  readonly failures = new Map<string, number>();
  /** Errors the store answered the participants (most retried), by call and code. */
  readonly storeErrors = new Map<string, number>();
  readonly #options: WorkloadOptions;
  readonly #logs: EdgeLog[] = [];
  readonly #producers: Promise<void>[] = [];
  #poll: Promise<void> = Promise.resolve();
  readonly #consumers: Consumer[] = [];
  readonly #progress = new Set<() => void>();
  #producing = true;
  #polling = true;

  constructor(options: WorkloadOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    const { producers = 3 } = this.#options;
    for (const name of ["c1", "c2"]) await this.#startConsumer(name);
    for (let p = 0; p < producers; p++) this.#producers.push(this.#produce(p));
    this.#poll = this.#pollCommits();
  }

  /** Resolves once `count` more records were acknowledged, or after `budgetMs`. */
  async waitForAcks(count: number, budgetMs: number): Promise<void> {
    const target = this.acks.length + count;
    const deadline = Date.now() + budgetMs;
    while (this.acks.length < target && Date.now() < deadline && this.#producing) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#progress.delete(wake);
          resolve();
        };
        this.#progress.add(wake);
        setTimeout(wake, Math.max(0, deadline - Date.now()));
      });
    }
  }

  /** Stops the producers after their current send (which retries until answered) and waits for them. */
  async stopProducing(): Promise<void> {
    this.#producing = false;
    for (const wake of [...this.#progress]) wake();
    await Promise.all(this.#producers);
  }

  /** Waits (bounded) until the group consumed every acknowledged record; answers whether it did. */
  async waitConsumed(budgetMs: number): Promise<boolean> {
    const deadline = Date.now() + budgetMs;
    for (;;) {
      const seen = new Set(this.observations.map((o) => o.value));
      if (this.acks.every((ack) => seen.has(ack.value))) return true;
      if (Date.now() > deadline) return false;
      await sleep(50);
    }
  }

  /** Stops consumers and the poller (consumers commit on stop) and takes a last commit snapshot. */
  async stop(): Promise<void> {
    await this.stopProducing();
    await Promise.all(this.#consumers.map((c) => c.disconnect().catch(() => undefined)));
    this.#polling = false;
    await this.#poll;
    await this.#snapshotCommits().catch((error: unknown) => this.#failed("poller", error));
    for (const log of this.#logs) await log.close().catch(() => undefined);
  }

  #log(participant: string): EdgeLog {
    const log = new EdgeLog({ store: this.#counted(this.#options.storeFor(participant)) });
    this.#logs.push(log);
    return log;
  }

  /** The store, counting the errors its calls answer (what the faults did to clients, retried or not). */
  #counted(store: LogStore): LogStore {
    const errors = this.storeErrors;
    return new Proxy(store, {
      get(target, property) {
        const value = Reflect.get(target, property, target) as unknown;
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          const result = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (!(result instanceof Promise)) return result;
          return result.catch((error: unknown) => {
            const code = `${String(property)} ${codeOf(error)}`;
            errors.set(code, (errors.get(code) ?? 0) + 1);
            throw error;
          });
        };
      },
    });
  }

  #failed(who: string, error: unknown): void {
    const code = `${who}: ${codeOf(error)}`;
    this.failures.set(code, (this.failures.get(code) ?? 0) + 1);
  }

  /**
   * One idempotent producer per `p`, each of its keys sent by its own loop, one record at a time: a key's next
   * record goes out once the last was answered (its order), while a key whose partition is unavailable holds up
   * only itself — the producer keeps one batch in flight per partition, so its keys on other partitions go on.
   */
  async #produce(p: number): Promise<void> {
    const { keysPerProducer = 3 } = this.#options;
    const producer: Producer = this.#log(`producer ${p}`).producer({ acks: "all", retry: RETRY });
    const loops = Array.from({ length: keysPerProducer }, (_, k) => this.#sendKey(producer, p, keyOf(p, k)));
    await Promise.all(loops);
    await producer.disconnect();
  }

  async #sendKey(producer: Producer, p: number, key: string): Promise<void> {
    const { topic, maxPerKey = 60 } = this.#options;
    for (let seq = 0; this.#producing && seq < maxPerKey; seq++) {
      const value = recordValue(key, seq);
      try {
        const [meta] = await producer.send({ topic, messages: [{ key, value }] });
        if (meta === undefined) throw new Error("send answered no metadata");
        this.acks.push({ partition: meta.partition, offset: meta.baseOffset, key, value });
        for (const wake of [...this.#progress]) wake();
      } catch (error) {
        // Not acknowledged: the record may or may not be in the log, which the checker allows (once, in order).
        this.#failed(`producer ${p}`, error);
      }
    }
  }

  async #startConsumer(name: string): Promise<void> {
    const { topic, groupId, sessionTimeoutMs = 3_000 } = this.#options;
    const consumer = this.#log(`consumer ${name}`).consumer({
      groupId,
      sessionTimeout: sessionTimeoutMs,
      maxWaitTimeInMs: 200,
      retry: RETRY,
    });
    // One reader per member epoch: within it a partition's position only moves forward.
    let memberEpoch = 0;
    consumer.on("consumer.group_join", (event) => {
      memberEpoch = (event as { memberEpoch: number }).memberEpoch;
    });
    consumer.on("consumer.crash", (event) =>
      this.#failed(`consumer ${name}`, (event as { error: unknown }).error),
    );
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommitInterval: 200,
      eachMessage: async ({ partition, message }) => {
        this.observations.push({
          reader: `consumer ${name}@${memberEpoch}`,
          partition,
          offset: message.offset,
          key: text(message.key),
          value: text(message.value),
        });
      },
    });
    this.#consumers.push(consumer);
  }

  async #pollCommits(): Promise<void> {
    while (this.#polling) {
      await this.#snapshotCommits().catch((error: unknown) => this.#failed("poller", error));
      await sleep(100);
    }
  }

  #poller: LogStore | undefined;

  async #snapshotCommits(): Promise<void> {
    this.#poller ??= this.#options.storeFor("poller");
    const committed = await this.#poller.fetchOffsets(this.#options.groupId, [this.#options.topic]);
    for (const c of [...committed].sort((a, b) => a.partition - b.partition)) {
      if (c.offset >= 0) this.commits.push({ partition: c.partition, offset: c.offset });
    }
  }
}
