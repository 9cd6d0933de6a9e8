/**
 * @module
 * `openOfflineLog`: the browser's offline producer (docs/browser-api.md). The local log is the outbox:
 * `append` writes one record to a local topic `__outbox.<topic>` of any `LogStore` (IndexedDB by default),
 * and one syncing tab sends it upstream as a Kafka idempotent producer. Built on the `LogStore` interface
 * only.
 *
 * Exactly once, in short (details on `OutboxState` and `#runPlan`): the in-flight plan — local range, and per
 * upstream batch its partition, epoch, base sequence and exact local offsets — is persisted with compare-and-set
 * BEFORE anything is sent; batches are sent one at a time in plan order and each ack is persisted before the next
 * is sent. So at any moment at most one batch (the first unacknowledged one) may sit on the server without us
 * knowing; resending it is bit-identical (same records re-read from the local log, same stamp) and, being the
 * producer's latest batch on that partition, is inside the server's dedupe window. A batch is re-stamped (split,
 * renumbered, new epoch) only after the server answered for exactly that batch with an error it raises before
 * writing. Nothing is deleted locally before every batch of the plan is acknowledged (or set aside as refused).
 */
import { HttpLogStore } from "@edgelog/client";
import {
  backoffMs,
  batchHeaderSize,
  type ConsumedRecord,
  DEFAULT_TOPIC_CONFIG,
  decodeBatch,
  EdgeLogError,
  type ErrorCode,
  encodeBatch,
  encodedRecordSize,
  encodeJson,
  type GroupStateStore,
  isEdgeLogError,
  type LogRecord,
  type LogStore,
  partitionForKey,
  type RecordHeader,
  randomId,
  type TopicMetadata,
  type TopicPartition,
  toBytes,
} from "@edgelog/core";
import { IndexedDbLogStore } from "./indexeddb-log-store.ts";
import { holdSyncLock, type OutboxMessage, openChannel, postQuietly } from "./tabs.ts";
import { type FollowOptions, UpstreamFollower } from "./upstream-follower.ts";

/** Reserved group id under which the outbox keeps its state (producer id, epoch, sequences, plan). */
export const OUTBOX_STATE_ID = "__edgelog_outbox";
/** Local topic holding records not yet acknowledged upstream for `topic`. */
export const OUTBOX_PREFIX = "__outbox.";
/** Local topic holding records the server permanently refused, with `edgelog-error-*` headers. */
export const REFUSED_PREFIX = "__refused.";
/** Upper bound on one upstream batch (the server's `max.message.bytes` may lower it). */
const MAX_BATCH_BYTES = 1024 * 1024;
/**
 * Records per sync plan: bounds the plan document (their local offsets) and the work redone after one failure,
 * while keeping the per-plan fixed cost (state writes, a local delete) small per record when draining a backlog.
 */
const MAX_PLAN_RECORDS = 5_000;
/** How long upstream topic metadata is reused between plans; a refusal always re-checks it fresh. */
const UPSTREAM_METADATA_MAX_AGE_MS = 2_000;
const SEQUENCE_MODULUS = 2 ** 31;
/** Recounts of `pending()` that appends overtook before the figure is left to the increments. */
const MAX_RECOUNT_ATTEMPTS = 3;
/** `OfflineLogOptions.flushTimeoutMs`: twice the client's request timeout, so one slow request never trips it. */
const DEFAULT_FLUSH_TIMEOUT_MS = 60_000;

/** Errors the server raises before writing anything, about the batch itself: set the record(s) aside. */
const REFUSAL_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "MESSAGE_TOO_LARGE",
  "INVALID_RECORD",
  "CORRUPT_MESSAGE",
  "INVALID_TIMESTAMP",
  "UNKNOWN_TOPIC_OR_PARTITION",
  "INVALID_TOPIC",
]);
/** The partition does not hold this batch and wants a new epoch (Kafka's producer-epoch bump, KIP-360). */
const SEQUENCE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "OUT_OF_ORDER_SEQUENCE_NUMBER",
  "UNKNOWN_PRODUCER_ID",
  "INVALID_PRODUCER_EPOCH",
]);

export interface UpstreamOptions {
  /** Base URL of an edgelog Worker (v1 HTTP API). */
  readonly url: string;
  readonly headers?: Record<string, string> | (() => Record<string, string>);
  /** Extension: a `fetch` to use (tests, Worker service bindings). */
  readonly fetch?: typeof fetch;
}

export interface OfflineLogOptions {
  /** IndexedDB database name; also names the sync lock and the BroadcastChannel. */
  readonly name: string;
  readonly upstream: UpstreamOptions;
  /** The local store; default `new IndexedDbLogStore({ name })` (closed by `close()`; an injected one is not). */
  readonly store?: LogStore & GroupStateStore;
  /**
   * Retry backoff after a retriable failure, core's `backoffMs`: the step min(maxMs, initialMs·2^attempt), half of
   * it fixed and half random. Defaults 1 000 and 60 000.
   */
  readonly retry?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Sync this often while open, in ms, as the fallback for missed wake-ups. Default 30 000; 0 disables. */
  readonly syncIntervalMs?: number;
  /** Whether this instance may become the syncer. Default true. */
  readonly sync?: boolean;
  /**
   * How long `flush()` in an instance that does not sync (another tab, or a service worker, holds the sync lock)
   * waits without hearing of any sync progress before it rejects with REQUEST_TIMED_OUT (retriable): the syncing
   * tab may be alive but stalled (frozen in the background, hung) or there may be none (all `sync: false`).
   * Progress comes at least once per plan (≤ 5,000 records) or failed request (client timeout 30 s), so the
   * default, 60 000, only fires when nothing is happening. The syncer's own `flush()` needs no such bound.
   */
  readonly flushTimeoutMs?: number;
  readonly now?: () => number;
}

/**
 * A value: `Uint8Array` is sent as bytes, a string as its UTF-8 text (not JSON-quoted), `null` is a tombstone, and
 * anything else is JSON-encoded (`encodeJson`).
 */
export type OfflineValue = Uint8Array | string | null | number | boolean | object;

export interface OfflineRecord {
  readonly key?: string | Uint8Array | null;
  readonly value: OfflineValue;
  readonly headers?: Readonly<Record<string, string | Uint8Array>>;
}

export interface SyncEvent {
  /** Records acknowledged upstream since this log was opened (by whichever tab syncs). */
  readonly sent: number;
  /** `pending()` at the time of the event. */
  readonly pending: number;
  /** The last sync failure or refusal, `null` after a clean pass. */
  readonly lastError: EdgeLogError | null;
}

export interface OfflineLog {
  append(topic: string, record: OfflineRecord): Promise<void>;
  pending(): number;
  flush(): Promise<void>;
  onSync(callback: (event: SyncEvent) => void): () => void;
  /**
   * Extension: follows an upstream topic into a local replica for offline reads, live (long-poll) and resumable
   * across reloads. One tab follows a topic at a time (Web Locks); stop with `signal` or `close()`.
   */
  follow(topic: string, options?: FollowOptions): Promise<void>;
  /** Extension: replicated records of an upstream partition, with their upstream offsets, read locally. */
  readReplica(
    topic: string,
    partition: number,
    fromOffset?: number,
    limit?: number,
  ): Promise<ConsumedRecord[]>;
  close(): Promise<void>;
}

/** One upstream batch of a plan. */
interface PlannedBatch {
  partition: number;
  epoch: number;
  baseSequence: number;
  /** Local offsets of its records, in local order. */
  offsets: number[];
  status: "pending" | "acked" | "refused";
  error?: { code: ErrorCode; message: string };
}

interface SyncPlan {
  topic: string;
  localFrom: number;
  localTo: number;
  batches: PlannedBatch[];
}

/**
 * Persisted under `OUTBOX_STATE_ID` with compare-and-set, so two syncers (a lock lost, a service worker) can
 * never both act on one plan: the loser's write fails and it reloads.
 */
interface OutboxState {
  producerId: string;
  epoch: number;
  /** Next sequence per `topic/partition` in `epoch`; absent means 0. */
  sequences: Record<string, number>;
  /** Per upstream topic: the next local offset not yet acknowledged. */
  committed: Record<string, number>;
  plan: SyncPlan | null;
}

const localTp = (topic: string): TopicPartition => ({ topic: `${OUTBOX_PREFIX}${topic}`, partition: 0 });
const seqKey = (topic: string, partition: number): string => `${topic}/${partition}`;

function toValue(value: OfflineValue): Uint8Array | null {
  if (value === null || value instanceof Uint8Array || typeof value === "string") return toBytes(value);
  return encodeJson(value);
}

function asError(error: unknown): EdgeLogError {
  if (isEdgeLogError(error)) return error;
  return new EdgeLogError("REQUEST_TIMED_OUT", `sync failed: ${String(error)}`, {
    cause: error,
    retriable: true,
  });
}

/**
 * Gives each pending batch of the plan its stamp: the current epoch and consecutive sequences per partition, after
 * the last batch acknowledged in this epoch. Only ever applied to batches the server provably does not hold.
 */
function restamp(state: OutboxState, plan: SyncPlan): void {
  const next = new Map<number, number>();
  for (const batch of plan.batches) {
    if (batch.status === "refused") continue;
    if (batch.status === "acked") {
      if (batch.epoch === state.epoch)
        next.set(batch.partition, (batch.baseSequence + batch.offsets.length) % SEQUENCE_MODULUS);
      continue;
    }
    const base = next.get(batch.partition) ?? state.sequences[seqKey(plan.topic, batch.partition)] ?? 0;
    batch.epoch = state.epoch;
    batch.baseSequence = base;
    next.set(batch.partition, (base + batch.offsets.length) % SEQUENCE_MODULUS);
  }
}

/**
 * Opens the offline log.
 * @example
 * const log = await openOfflineLog({ name: "my-app", upstream: { url: "https://events.example.com" } });
 * await log.append("clicks", { key: "user-1", value: { x: 1 } });
 */
export async function openOfflineLog(options: OfflineLogOptions): Promise<OfflineLog> {
  const log = new OfflineLogImpl(options);
  await log.open();
  return log;
}

class OfflineLogImpl implements OfflineLog {
  readonly #options: OfflineLogOptions;
  readonly #store: LogStore & GroupStateStore;
  readonly #ownsStore: boolean;
  readonly #upstream: HttpLogStore;
  readonly #upstreamMetadata = new Map<string, { meta: TopicMetadata; at: number }>();
  readonly #channel: BroadcastChannel | null;
  readonly #now: () => number;
  readonly #listeners = new Set<(event: SyncEvent) => void>();
  /** Internal listeners also learn which pass an event came from (-1: another tab's). */
  readonly #passListeners = new Set<(event: SyncEvent, pass: number) => void>();
  /** Sync passes started by this instance; lets flush() ignore errors of passes that began before it. */
  #passNo = 0;
  readonly #abort = new AbortController();
  #releaseLock: () => void = () => undefined;
  #pending = 0;
  #sent = 0;
  #lastError: EdgeLogError | null = null;
  #closed = false;
  #isSyncer = false;
  #online = true;
  /** Same-tick appends per topic, written as one batch. */
  #queued = new Map<
    string,
    { records: LogRecord[]; waiters: { resolve: () => void; reject: (e: unknown) => void }[] }
  >();
  #knownTopics = new Set<string>();
  #running: Promise<void> | null = null;
  /** The recount of `pending()` running, and the one queued behind it (see `#refreshPending`). */
  #recounting: Promise<void> | null = null;
  #recountQueued: Promise<void> | null = null;
  /** Bumped by every increment of `#pending`, so a recount can tell that one landed while it read the store. */
  #increments = 0;
  #again = false;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #interval: ReturnType<typeof setInterval> | undefined;
  readonly #onOnline = (): void => {
    this.#online = true;
    this.#kick();
  };
  readonly #onOffline = (): void => {
    this.#online = false;
    clearTimeout(this.#retryTimer);
  };

  constructor(options: OfflineLogOptions) {
    this.#options = options;
    this.#ownsStore = options.store === undefined;
    this.#store = options.store ?? new IndexedDbLogStore({ name: options.name });
    this.#upstream = new HttpLogStore({
      url: options.upstream.url,
      ...(options.upstream.headers === undefined ? {} : { headers: options.upstream.headers }),
      ...(options.upstream.fetch === undefined ? {} : { fetch: options.upstream.fetch }),
    });
    this.#channel = openChannel(`edgelog-outbox:${options.name}`);
    this.#now = options.now ?? Date.now;
  }

  async open(): Promise<void> {
    await this.#refreshPending();
    if (this.#channel !== null)
      this.#channel.onmessage = (e: MessageEvent<OutboxMessage>) => this.#onMessage(e.data);
    const nav = globalThis.navigator as Navigator | undefined;
    if (nav !== undefined && nav.onLine === false) this.#online = false;
    if (typeof globalThis.addEventListener === "function") {
      globalThis.addEventListener("online", this.#onOnline);
      globalThis.addEventListener("offline", this.#onOffline);
    }
    if (this.#options.sync === false) return;
    const release = new Promise<void>((resolve) => {
      this.#releaseLock = resolve;
    });
    holdSyncLock(
      this.#options.name,
      () => {
        if (this.#closed) return;
        this.#isSyncer = true;
        const every = this.#options.syncIntervalMs ?? 30_000;
        if (every > 0) this.#interval = setInterval(() => this.#kick(), every);
        this.#kick();
      },
      release,
      this.#abort.signal,
    );
  }

  pending(): number {
    return this.#pending;
  }

  onSync(callback: (event: SyncEvent) => void): () => void {
    this.#listeners.add(callback);
    return () => this.#listeners.delete(callback);
  }

  append(topic: string, record: OfflineRecord): Promise<void> {
    if (this.#closed) return Promise.reject(new EdgeLogError("STORE_CLOSED", "the offline log is closed"));
    let local: LogRecord;
    try {
      const headers: RecordHeader[] = Object.entries(record.headers ?? {}).map(([key, value]) => ({
        key,
        value: toBytes(value),
      }));
      local = { key: toBytes(record.key), value: toValue(record.value), headers, timestamp: this.#now() };
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<void>((resolve, reject) => {
      let entry = this.#queued.get(topic);
      if (entry === undefined) {
        entry = { records: [], waiters: [] };
        this.#queued.set(topic, entry);
        // Coalesce everything appended in this tick into one batch, one store transaction.
        queueMicrotask(() => void this.#writeQueued(topic));
      }
      entry.records.push(local);
      entry.waiters.push({ resolve, reject });
    });
  }

  async #writeQueued(topic: string): Promise<void> {
    const entry = this.#queued.get(topic);
    this.#queued.delete(topic);
    if (entry === undefined) return;
    try {
      await this.#ensureLocalTopic(`${OUTBOX_PREFIX}${topic}`);
      await this.#store.append(localTp(topic), encodeBatch(entry.records));
      this.#increment(entry.records.length);
      for (const w of entry.waiters) w.resolve();
      this.#post({ type: "appended", count: entry.records.length });
      this.#emit();
      this.#kick();
    } catch (error) {
      for (const w of entry.waiters) w.reject(error);
    }
  }

  async #ensureLocalTopic(name: string): Promise<void> {
    if (this.#knownTopics.has(name)) return;
    if ((await this.#store.getTopic(name)) === null) {
      try {
        // Local topics keep records until the sync deletes them: no retention, no size cap beyond IndexedDB's.
        await this.#store.createTopic({
          name,
          partitions: 1,
          config: { ...DEFAULT_TOPIC_CONFIG, "retention.ms": -1, "max.message.bytes": 64 * MAX_BATCH_BYTES },
        });
      } catch (error) {
        // Another tab created it first.
        if (!(isEdgeLogError(error) && error.code === "TOPIC_ALREADY_EXISTS")) throw error;
      }
    }
    this.#knownTopics.add(name);
  }

  async flush(): Promise<void> {
    if (this.#closed) throw new EdgeLogError("STORE_CLOSED", "the offline log is closed");
    if (!this.#online)
      throw new EdgeLogError("REQUEST_TIMED_OUT", "offline: cannot flush to the upstream now");
    // Appends of this tick are part of "everything appended before the call".
    await Promise.all([...this.#queued.keys()].map((t) => this.#writeQueued(t)));
    const targets = await this.#targets();
    if (await this.#reached(targets)) return;
    const after = this.#passNo;
    const stallMs = this.#options.flushTimeoutMs ?? DEFAULT_FLUSH_TIMEOUT_MS;
    await new Promise<void>((resolve, reject) => {
      let stall: ReturnType<typeof setTimeout> | undefined;
      const armStall = (): void => {
        clearTimeout(stall);
        stall = setTimeout(() => {
          // This instance's own passes are bounded by the client's request timeout: only a wait on another
          // syncer (or on none) can stall for good.
          if (this.#isSyncer) return armStall();
          off();
          reject(
            new EdgeLogError(
              "REQUEST_TIMED_OUT",
              `flush: no sync progress for ${stallMs} ms; the tab or worker that syncs "${this.#options.name}" ` +
                "is stalled or gone (nothing is lost: the records stay pending)",
              { retriable: true, context: { pending: this.#pending } },
            ),
          );
        }, stallMs);
      };
      const listener = (event: SyncEvent, pass: number): void => {
        // A progress event of a pass of this flush's time, here or in another tab, shows the syncer is alive.
        if (pass === -1 || pass > after) armStall();
        void (async () => {
          // A retriable failure of a pass that started before this flush says nothing about this flush's
          // records (it may predate the network coming back); a refusal always does.
          const error = event.lastError;
          if (error !== null && (pass > after || pass === -1 || !error.retriable)) {
            off();
            reject(error);
          } else if (await this.#reached(targets)) {
            off();
            resolve();
          }
        })().catch((error: unknown) => {
          off();
          reject(error);
        });
      };
      const off = (): void => {
        clearTimeout(stall);
        this.#passListeners.delete(listener);
      };
      this.#passListeners.add(listener);
      armStall();
      if (this.#isSyncer) this.#kick();
      else this.#post({ type: "flush" });
    });
  }

  async follow(topic: string, options: FollowOptions = {}): Promise<void> {
    const signal = anySignal([this.#abort.signal, options.signal]);
    const follower = new UpstreamFollower(this.#store, this.#upstream);
    const run = (): Promise<void> => follower.follow(topic, { ...options, signal });
    const locks = (globalThis.navigator as Navigator | undefined)?.locks;
    if (locks === undefined) return run();
    // Two tabs copying the same topic would each append every record to the replica: one follows, others wait.
    await locks
      .request(`edgelog-follow:${this.#options.name}:${topic}`, { signal }, run)
      .catch((error: unknown) => {
        if (!signal.aborted) throw error;
      });
  }

  readReplica(
    topic: string,
    partition: number,
    fromOffset?: number,
    limit?: number,
  ): Promise<ConsumedRecord[]> {
    return new UpstreamFollower(this.#store, this.#upstream).read(topic, partition, fromOffset, limit);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    clearTimeout(this.#retryTimer);
    clearInterval(this.#interval);
    if (typeof globalThis.removeEventListener === "function") {
      globalThis.removeEventListener("online", this.#onOnline);
      globalThis.removeEventListener("offline", this.#onOffline);
    }
    await this.#upstream.close();
    await this.#running?.catch(() => undefined);
    this.#releaseLock();
    this.#channel?.close();
    if (this.#ownsStore) await this.#store.close();
  }

  // ── progress ──────────────────────────────────────────────────────────────────────────────────────────────

  #emit(lastError: EdgeLogError | null = this.#lastError, pass = this.#passNo): void {
    const event: SyncEvent = { sent: this.#sent, pending: this.#pending, lastError };
    for (const listener of [...this.#listeners]) listener(event);
    for (const listener of [...this.#passListeners]) listener(event, pass);
  }

  #post(message: OutboxMessage): void {
    postQuietly(this.#channel, message);
  }

  #onMessage(message: OutboxMessage): void {
    if (this.#closed) return;
    if (message.type === "appended" || message.type === "flush") {
      if (message.type === "appended") this.#increment(message.count);
      this.#emit();
      this.#kick();
      return;
    }
    this.#sent += message.sent;
    const error =
      message.lastError === null
        ? null
        : new EdgeLogError(message.lastError.code as ErrorCode, message.lastError.message, {
            retriable: message.lastError.retriable,
          });
    this.#lastError = error;
    this.#refreshAndEmit(error, -1);
  }

  /** Recounts `pending()` from the store, then notifies; a store closed meanwhile just ends it. */
  #refreshAndEmit(error: EdgeLogError | null, pass: number): void {
    this.#refreshPending().then(
      () => this.#emit(error, pass),
      () => undefined,
    );
  }

  async #loadState(): Promise<{ state: OutboxState; version: number | null }> {
    const stored = await this.#store.getGroupState(OUTBOX_STATE_ID);
    if (stored !== null)
      return { state: structuredClone(stored.state) as OutboxState, version: stored.version };
    return {
      state: { producerId: randomId(), epoch: 0, sequences: {}, committed: {}, plan: null },
      version: null,
    };
  }

  async #outboxTopics(): Promise<string[]> {
    return (await this.#store.listTopics())
      .map((t) => t.name)
      .filter((n) => n.startsWith(OUTBOX_PREFIX))
      .map((n) => n.slice(OUTBOX_PREFIX.length));
  }

  async #targets(): Promise<Map<string, number>> {
    const targets = new Map<string, number>();
    for (const topic of await this.#outboxTopics())
      targets.set(topic, (await this.#store.offsets(localTp(topic))).highWatermark);
    return targets;
  }

  async #reached(targets: Map<string, number>): Promise<boolean> {
    const { state } = await this.#loadState();
    for (const [topic, hw] of targets) if ((state.committed[topic] ?? 0) < hw) return false;
    return true;
  }

  /**
   * Recounts `pending()` from the store (on open and after sync progress, here or in another tab). Recounts run
   * one at a time, and a call made while one runs is served by the next one, which starts after it: every
   * caller gets a count that includes everything it had seen. See `#countPending` for appends meanwhile.
   */
  #refreshPending(): Promise<void> {
    if (this.#recountQueued !== null) return this.#recountQueued;
    const start = (): Promise<void> => {
      const run = this.#countPending().finally(() => {
        if (this.#recounting === run) this.#recounting = null;
      });
      this.#recounting = run;
      return run;
    };
    const running = this.#recounting;
    if (running === null) return start();
    const queued = running
      .catch(() => undefined)
      .then(() => {
        this.#recountQueued = null;
        return start();
      });
    this.#recountQueued = queued;
    return queued;
  }

  /**
   * The count takes several reads while appends (here or in other tabs) move it: a figure read while an
   * increment landed may predate it, and writing it back would lose that increment with nothing to correct it
   * while offline. So such a figure is counted again; if appends keep landing, the increments stand (they are
   * exact) until a quieter recount. Appends themselves never recount: an awaited append stays one transaction.
   */
  async #countPending(): Promise<void> {
    for (let attempt = 0; attempt < MAX_RECOUNT_ATTEMPTS; attempt++) {
      const increments = this.#increments;
      const { state } = await this.#loadState();
      let pending = 0;
      for (const [topic, hw] of await this.#targets())
        pending += Math.max(0, hw - (state.committed[topic] ?? 0));
      if (increments === this.#increments) {
        this.#pending = pending;
        return;
      }
    }
  }

  #increment(count: number): void {
    this.#pending += count;
    this.#increments++;
  }

  // ── the sync loop (syncer only) ───────────────────────────────────────────────────────────────────────────

  #kick(): void {
    if (!this.#isSyncer || this.#closed || !this.#online) return;
    if (this.#running !== null) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#retryTimer);
    this.#running = this.#pass().finally(() => {
      this.#running = null;
      if (this.#again) {
        this.#again = false;
        this.#kick();
      }
    });
  }

  async #pass(): Promise<void> {
    this.#passNo++;
    // Errors belong to the pass that saw them: a plan completed in this pass must not report an older failure.
    this.#lastError = null;
    try {
      await this.#drain();
      this.#attempt = 0;
      this.#lastError = null;
      this.#report(0);
    } catch (error) {
      if (this.#closed) return;
      this.#lastError = asError(error);
      this.#report(0);
      // Core's one backoff policy (jittered, so browsers coming back together do not retry in step).
      const delay = backoffMs(this.#attempt++, {
        initialRetryTime: this.#options.retry?.initialMs ?? 1_000,
        maxRetryTime: this.#options.retry?.maxMs ?? 60_000,
      });
      this.#retryTimer = setTimeout(() => this.#kick(), delay);
    }
  }

  #report(sent: number): void {
    this.#sent += sent;
    const e = this.#lastError;
    const lastError = e === null ? null : { code: e.code, message: e.message, retriable: e.retriable };
    this.#post({ type: "progress", sent, lastError });
    // The error as of this report: a later clean pass must not erase it from this event.
    const error = this.#lastError;
    const pass = this.#passNo;
    this.#refreshAndEmit(error, pass);
  }

  /** Runs plans until nothing is pending; throws on a failure that needs a backoff. */
  async #drain(): Promise<void> {
    for (;;) {
      if (this.#closed) return;
      const { state, version } = await this.#loadState();
      if (state.plan !== null) {
        await this.#runPlan(state, version);
        continue;
      }
      const plan = await this.#buildPlan(state);
      if (plan === null) return;
      state.plan = plan;
      restamp(state, plan);
      await this.#store.putGroupState(OUTBOX_STATE_ID, state, version);
    }
  }

  async #localRecords(topic: string, from: number, to: number): Promise<Map<number, LogRecord>> {
    const out = new Map<number, LogRecord>();
    let offset = from;
    while (offset < to) {
      const { batches } = await this.#store.read(localTp(topic), { offset, maxBytes: MAX_BATCH_BYTES });
      if (batches.length === 0) break;
      for (const batch of batches) {
        decodeBatch(batch.payload).records.forEach((record, i) => {
          const at = batch.baseOffset + i;
          if (at >= offset && at < to) out.set(at, record);
        });
        offset = Math.max(offset, batch.lastOffset + 1);
      }
    }
    return out;
  }

  /** Upstream metadata for planning, reused briefly so a backlog drains without a metadata request per plan. */
  async #upstreamTopic(topic: string): Promise<TopicMetadata | null> {
    const cached = this.#upstreamMetadata.get(topic);
    if (cached !== undefined && this.#now() - cached.at < UPSTREAM_METADATA_MAX_AGE_MS) return cached.meta;
    const meta = await this.#upstream.getTopic(topic);
    // An unknown topic is never cached: records for it are refused, so the answer must be current.
    if (meta === null) this.#upstreamMetadata.delete(topic);
    else this.#upstreamMetadata.set(topic, { meta, at: this.#now() });
    return meta;
  }

  async #buildPlan(state: OutboxState): Promise<SyncPlan | null> {
    for (const topic of await this.#outboxTopics()) {
      const from = state.committed[topic] ?? 0;
      const { highWatermark } = await this.#store.offsets(localTp(topic));
      if (from >= highWatermark) continue;
      const records = await this.#localRecords(topic, from, Math.min(highWatermark, from + MAX_PLAN_RECORDS));
      const meta = await this.#upstreamTopic(topic);
      const batches: PlannedBatch[] = [];
      const byPartition = new Map<number, { batch: PlannedBatch; base: number; size: number }>();
      // Keyless records stick to one partition per plan (Kafka's sticky partitioner, KIP-480).
      const sticky = meta === null ? 0 : Math.floor(Math.random() * meta.partitions);
      const maxBytes = Math.min(MAX_BATCH_BYTES, meta?.config["max.message.bytes"] ?? MAX_BATCH_BYTES);
      const headerBytes = batchHeaderSize(state.producerId);
      let to = from;
      for (const [offset, record] of records) {
        if (meta === null) {
          const error = {
            code: "UNKNOWN_TOPIC_OR_PARTITION" as const,
            message: `upstream topic "${topic}" does not exist`,
          };
          batches.push({
            partition: 0,
            epoch: 0,
            baseSequence: 0,
            offsets: [offset],
            status: "refused",
            error,
          });
          to = offset + 1;
          continue;
        }
        const partition = record.key === null ? sticky : partitionForKey(record.key, meta.partitions);
        const alone = headerBytes + encodedRecordSize(record, record.timestamp);
        if (alone > maxBytes) {
          // Refused before sending, so it never takes a sequence and never blocks the rest.
          const message = `record of ${alone} bytes exceeds the upstream max.message.bytes ${maxBytes}`;
          batches.push({
            partition,
            epoch: 0,
            baseSequence: 0,
            offsets: [offset],
            status: "refused",
            error: { code: "MESSAGE_TOO_LARGE", message },
          });
          to = offset + 1;
          continue;
        }
        const open = byPartition.get(partition);
        if (open !== undefined) {
          const size = encodedRecordSize(record, open.base);
          // One batch per partition per plan: a full batch ends the plan here, the rest goes in the next one.
          if (open.size + size > maxBytes) break;
          open.size += size;
          open.batch.offsets.push(offset);
        } else {
          const batch: PlannedBatch = {
            partition,
            epoch: 0,
            baseSequence: 0,
            offsets: [offset],
            status: "pending",
          };
          batches.push(batch);
          byPartition.set(partition, { batch, base: record.timestamp, size: alone });
        }
        to = offset + 1;
      }
      return { topic, localFrom: from, localTo: to, batches };
    }
    return null;
  }

  /**
   * Sends the plan's pending batches one by one in plan order, persisting each outcome before the next send.
   * Invariant: every batch before the first pending one is acked or refused, and no batch after it was ever sent.
   */
  async #runPlan(state: OutboxState, startVersion: number | null): Promise<void> {
    const plan = state.plan as SyncPlan;
    let version = startVersion;
    const save = async (): Promise<void> => {
      version = await this.#store.putGroupState(OUTBOX_STATE_ID, state, version);
    };
    const records = await this.#localRecords(plan.topic, plan.localFrom, plan.localTo);
    let sent = 0;
    /** One epoch bump per pass: a server that refuses a fresh epoch at sequence 0 gets a backoff, not a spin. */
    let bumped = false;
    for (let i = 0; i < plan.batches.length; i++) {
      const batch = plan.batches[i] as PlannedBatch;
      if (batch.status !== "pending") continue;
      const tp = { topic: plan.topic, partition: batch.partition };
      // Re-read from the local log and re-encoded: same records, same stamp → the identical bytes as any earlier try.
      const bytes = encodeBatch(
        batch.offsets.map((o) => records.get(o) as LogRecord),
        { producerId: state.producerId, producerEpoch: batch.epoch, baseSequence: batch.baseSequence },
      );
      try {
        await this.#upstream.append(tp, bytes);
        batch.status = "acked";
        sent += batch.offsets.length;
        await save();
      } catch (error) {
        if (this.#closed || !isEdgeLogError(error)) throw error;
        const code = error.code;
        if (code === "UNKNOWN_TOPIC_OR_PARTITION") {
          // Re-check: only a topic or partition that is really gone refuses the records.
          this.#upstreamMetadata.delete(plan.topic);
          const meta = await this.#upstream.getTopic(plan.topic);
          if (meta !== null && batch.partition < meta.partitions) throw error;
        }
        if (SEQUENCE_CODES.has(code)) {
          if (bumped) throw error;
          bumped = true;
          // The partition answered for exactly this batch without storing it: were it stored, it would be this
          // producer's latest batch there (nothing later was sent) and come back as a duplicate. A new epoch
          // also fences any stale copy of it still travelling. Sequences restart at 0 on every partition.
          state.epoch += 1;
          state.sequences = {};
          restamp(state, plan);
          await save();
          i--;
          continue;
        }
        if (!REFUSAL_CODES.has(code)) throw error;
        if (batch.offsets.length > 1) {
          // Isolate the offending record(s): same first sequence, one record per batch, resent in order.
          const singles = batch.offsets.map((o, k) => ({
            partition: batch.partition,
            epoch: batch.epoch,
            baseSequence: (batch.baseSequence + k) % SEQUENCE_MODULUS,
            offsets: [o],
            status: "pending" as const,
          }));
          plan.batches.splice(i, 1, ...singles);
        } else {
          batch.status = "refused";
          batch.error = { code, message: error.message };
          // It took no sequence: the batches after it on that partition move down by one.
          restamp(state, plan);
        }
        await save();
        i--;
      }
    }
    // Every batch is acked or refused: set refused records aside, then commit and only then delete.
    const refused = plan.batches.filter((b) => b.status === "refused");
    if (refused.length > 0) {
      const name = `${REFUSED_PREFIX}${plan.topic}`;
      await this.#ensureLocalTopic(name);
      const aside = refused.flatMap((b) =>
        b.offsets.map((o) => {
          const r = records.get(o) as LogRecord;
          const headers = [
            ...r.headers,
            { key: "edgelog-error-code", value: toBytes(b.error?.code ?? "") },
            { key: "edgelog-error-message", value: toBytes(b.error?.message ?? "") },
            { key: "edgelog-local-offset", value: toBytes(String(o)) },
          ];
          return { ...r, headers };
        }),
      );
      await this.#store.append({ topic: name, partition: 0 }, encodeBatch(aside));
      const first = refused[0]?.error;
      this.#lastError = new EdgeLogError(
        first?.code ?? "INVALID_RECORD",
        `${aside.length} record(s) refused upstream and kept in ${name}: ${first?.message}`,
        { retriable: false },
      );
    }
    for (const b of plan.batches)
      if (b.status === "acked" && b.epoch === state.epoch)
        state.sequences[seqKey(plan.topic, b.partition)] =
          (b.baseSequence + b.offsets.length) % SEQUENCE_MODULUS;
    state.committed[plan.topic] = plan.localTo;
    state.plan = null;
    await save();
    await this.#store.deleteRecords(localTp(plan.topic), plan.localTo);
    // A refusal is reported through this plan's progress event (flush() callers reject on it).
    this.#report(sent);
  }
}

/** A signal that aborts when any of the given ones does. */
function anySignal(signals: readonly (AbortSignal | undefined)[]): AbortSignal {
  return AbortSignal.any(signals.filter((signal): signal is AbortSignal => signal !== undefined));
}
