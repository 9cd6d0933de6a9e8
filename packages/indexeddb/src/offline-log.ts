/**
 * @module
 * `openOfflineLog`: the browser's offline producer (docs/browser-api.md). The local log is the outbox: `append`
 * writes one record to a local topic `__outbox.<topic>` of any `LogStore` with a private key space (IndexedDB by
 * default), and one syncing tab sends it upstream as a Kafka idempotent producer. This module is the shell: the
 * public API, tabs (Web Locks, BroadcastChannel), timers and `flush()`. The outbox's state lives in
 * `outbox-state.ts`, `pending()` in `pending-count.ts`; plans are built in `sync-plan.ts` and executed, exactly
 * once, in `sync-runner.ts`.
 */
import { HttpLogStore, type LiveWebSocketConstructor, type TokenOption } from "@edgelog/client";
import {
  type ConsumedRecord,
  DEFAULT_TOPIC_CONFIG,
  EdgeLogError,
  type ErrorCode,
  encodeBatch,
  encodeJson,
  isEdgeLogError,
  type LogRecord,
  type RecordHeader,
  toBytes,
} from "@edgelog/core";
import { assertRecordCaps, retryDelayMs } from "@edgelog/core/store-kit";
import { IndexedDbLogStore } from "./indexeddb-log-store.ts";
import {
  allCommitted,
  countPending,
  localTp,
  OUTBOX_PREFIX,
  type OutboxStore,
  outboxTargets,
} from "./outbox-state.ts";
import { PendingCount } from "./pending-count.ts";
import { isUnexpectedFailure, toSyncError } from "./sync-error.ts";
import { MAX_BATCH_BYTES } from "./sync-plan.ts";
import { OutboxSync, type PlanOutcome } from "./sync-runner.ts";
import { holdSyncLock, type OutboxMessage, openChannel, postQuietly } from "./tabs.ts";
import { type FollowOptions, UpstreamFollower } from "./upstream-follower.ts";

export { OUTBOX_PREFIX, OUTBOX_STATE_ID, REFUSED_PREFIX } from "./outbox-state.ts";

/** `OfflineLogOptions.flushTimeoutMs`: twice the client's request timeout, so one slow request never trips it. */
const DEFAULT_FLUSH_TIMEOUT_MS = 60_000;

export interface UpstreamOptions {
  /** Base URL of an edgelog Worker (v1 HTTP API). */
  readonly url: string;
  readonly headers?: Record<string, string> | (() => Record<string, string>);
  /**
   * The bearer token for the upstream, as `HttpLogStore`'s `token`: a JWT, or a function returning one, called
   * again before the cached one expires and after a 401. While the upstream refuses it (401, or 403 for a token
   * without the right), records stay pending and `onSync` reports the error as `lastError`; a later valid token
   * syncs them, exactly once.
   */
  readonly token?: TokenOption;
  /** Extension: a `fetch` to use (tests, Worker service bindings). */
  readonly fetch?: typeof fetch;
  /**
   * How `follow` waits for new upstream records: `"ws"` (default) on the partition's WebSocket live tail, which
   * pushes each commit — no request per wait, and no cost on the server per waiting tab — falling back to
   * long-polls where the browser or the server has no WebSocket; `"long-poll"` always long-polls.
   */
  readonly live?: "ws" | "long-poll";
  /** Extension: the `WebSocket` class to use (default the global one; with a custom `fetch`, none unless set). */
  readonly webSocket?: LiveWebSocketConstructor;
}

export interface OfflineLogOptions {
  /** IndexedDB database name; also names the sync lock and the BroadcastChannel. */
  readonly name: string;
  readonly upstream: UpstreamOptions;
  /**
   * The local store, with a private key space for the outbox's state; default `new IndexedDbLogStore({ name })`
   * (closed by `close()`; an injected one is not).
   */
  readonly store?: OutboxStore;
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
   * Extension: the upstream token function now returns a different token (a user signed in again, or got the
   * right it lacked). The cached token is dropped and the sync tries again at once, without waiting out the
   * backoff of an auth failure; in a tab that does not sync, the syncing tab is told. Like Ably's
   * `auth.authorize()`: the app, not a timer, knows when a new token exists.
   */
  tokenChanged(): void;
  /**
   * Extension: follows an upstream topic into a local replica for offline reads, live (the upstream's WebSocket
   * live tail, or long-polls: `upstream.live`) and resumable across reloads. One tab follows a topic at a time (Web Locks); stop with `signal` or `close()`.
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

function toValue(value: OfflineValue): Uint8Array | null {
  if (value === null || value instanceof Uint8Array || typeof value === "string") return toBytes(value);
  return encodeJson(value);
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
  readonly #store: OutboxStore;
  readonly #ownsStore: boolean;
  readonly #upstream: HttpLogStore;
  readonly #sync: OutboxSync;
  readonly #channel: BroadcastChannel | null;
  readonly #now: () => number;
  readonly #listeners = new Set<(event: SyncEvent) => void>();
  /** Internal listeners also learn which pass an event came from (-1: another tab's). */
  readonly #passListeners = new Set<(event: SyncEvent, pass: number) => void>();
  /** Sync passes started by this instance; lets flush() ignore errors of passes that began before it. */
  #passNo = 0;
  readonly #abort = new AbortController();
  #releaseLock: () => void = () => undefined;
  readonly #pending: PendingCount;
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
      ...(options.upstream.token === undefined ? {} : { token: options.upstream.token }),
      ...(options.upstream.fetch === undefined ? {} : { fetch: options.upstream.fetch }),
      ...(options.upstream.webSocket === undefined ? {} : { webSocket: options.upstream.webSocket }),
      // Only `follow` waits on the upstream: the outbox's sync sends, and is unaffected.
      live: options.upstream.live ?? "ws",
    });
    this.#channel = openChannel(`edgelog-outbox:${options.name}`);
    this.#now = options.now ?? Date.now;
    this.#pending = new PendingCount(() => countPending(this.#store));
    this.#sync = new OutboxSync({
      store: this.#store,
      upstream: this.#upstream,
      ensureLocalTopic: (name) => this.#ensureLocalTopic(name),
      isClosed: () => this.#closed,
      onPlanDone: (outcome) => this.#planDone(outcome),
      now: this.#now,
    });
  }

  async open(): Promise<void> {
    await this.#pending.refresh();
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
    return this.#pending.value;
  }

  onSync(callback: (event: SyncEvent) => void): () => void {
    this.#listeners.add(callback);
    return () => this.#listeners.delete(callback);
  }

  tokenChanged(): void {
    if (this.#closed) return;
    if (!this.#isSyncer) {
      this.#post({ type: "token-changed" });
      return;
    }
    this.#retryWithNewToken();
  }

  /** A new token is a new situation: the backoff of the failures the old one caused starts over, from now. */
  #retryWithNewToken(): void {
    this.#upstream.tokenChanged();
    this.#attempt = 0;
    this.#kick();
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
      // Refused alone, now: in the store it would fail every record coalesced into its batch, and upstream
      // would refuse it anyway.
      assertRecordCaps(local, { topic });
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
      this.#pending.add(entry.records.length);
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
    const targets = await outboxTargets(this.#store);
    if (await allCommitted(this.#store, targets)) return this.#pending.refresh();
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
              { retriable: true, context: { pending: this.#pending.value } },
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
          } else if (await allCommitted(this.#store, targets)) {
            off();
            // The event that got here may carry a recount begun before the last plan committed: `pending()`
            // must not still count what this flush saw acknowledged once it resolves.
            await this.#pending.refresh();
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
    const event: SyncEvent = { sent: this.#sent, pending: this.#pending.value, lastError };
    for (const listener of [...this.#listeners]) listener(event);
    for (const listener of [...this.#passListeners]) listener(event, pass);
  }

  #post(message: OutboxMessage): void {
    postQuietly(this.#channel, message);
  }

  #onMessage(message: OutboxMessage): void {
    if (this.#closed) return;
    if (message.type === "token-changed") {
      if (this.#isSyncer) this.#retryWithNewToken();
      return;
    }
    if (message.type === "appended" || message.type === "flush") {
      if (message.type === "appended") this.#pending.add(message.count);
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
    this.#pending.refresh().then(
      () => this.#emit(error, pass),
      () => undefined,
    );
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
      await this.#sync.drain();
      this.#attempt = 0;
      this.#lastError = null;
      this.#report(0);
    } catch (error) {
      if (this.#closed) return;
      const failure = toSyncError(error, "local");
      this.#lastError = failure;
      this.#report(0);
      // A failure nobody understands (a bug) would fail the same way again: no retry timer. The next wake-up
      // (an append, going online, the interval, a flush, another tab) tries again; its error is reported anew.
      if (isUnexpectedFailure(failure)) return;
      // Core's one backoff policy (jittered, so browsers coming back together do not retry in step), and never
      // sooner than a throttled upstream's Retry-After.
      const delay = retryDelayMs(failure, this.#attempt++, {
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

  /** A plan completed: its refusal (if any) becomes the error of this pass, reported with its progress. */
  #planDone({ sent, refusal }: PlanOutcome): void {
    if (refusal !== null) this.#lastError = refusal;
    // A refusal is reported through this plan's progress event (flush() callers reject on it).
    this.#report(sent);
  }
}

/** A signal that aborts when any of the given ones does. */
function anySignal(signals: readonly (AbortSignal | undefined)[]): AbortSignal {
  return AbortSignal.any(signals.filter((signal): signal is AbortSignal => signal !== undefined));
}
