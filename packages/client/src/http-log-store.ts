/**
 * @module
 * `HttpLogStore`: core's `LogStore` over edgelog's HTTP API (docs/http-api.md), so `new EdgeLog({ store })`
 * gives admins, producers and consumers that talk to a remote edgelog exactly as they would to a local store.
 * Only `fetch` is used, so it runs in Node, browsers and Workers.
 *
 * Appends and reads use the binary endpoints: the producer's encoded batch goes to the server unchanged (so its
 * idempotence stamp reaches the partition) and reads return the stored batches byte for byte. A `read` waiting at
 * the end of a partition long-polls (`wait`), is woken by a shared per-partition SSE feed (`live: "sse"`), or is
 * answered from the batches the partition pushes over a WebSocket (`live: "ws"`, `socket-feed.ts`); `tail()`
 * exposes the live tail itself, over SSE or a WebSocket.
 */
import {
  type AppendOptions,
  type AppendResult,
  type BatchInfo,
  type CommittedOffset,
  type ConsumedRecord,
  DEFAULT_TOPIC_CONFIG,
  decodeBatch,
  EdgeLogError,
  type GroupDescription,
  type GroupHeartbeatRequest,
  type GroupHeartbeatResponse,
  type GroupMemberRef,
  isEdgeLogError,
  type ListBatchesOptions,
  type LogStore,
  type PartitionOffsets,
  type ReadOptions,
  type ReadPreference,
  type ReadResult,
  type RecordHeader,
  type RetryOptions,
  type ShareFetchRequest,
  type ShareFetchResponse,
  type ShareGroupConfig,
  type ShareGroupDescription,
  type ShareGroupStore,
  type TopicConfig,
  type TopicMetadata,
  type TopicPartition,
  type TopicSpec,
} from "@edgelog/core";
import {
  assertValidGroupId,
  BATCH_CONTENT_TYPE,
  BATCHES_CONTENT_TYPE,
  backoffMs,
  DEFAULT_READ_MAX_BYTES,
  decodeFrames,
  MAX_SHARE_FETCH_WAIT_MS,
  retryDelayMs,
  sleep,
  untilAborted,
  validateHeartbeat,
  validateShareFetch,
} from "@edgelog/core/store-kit";
import { appendFailure, errorFromResponse, requestFailed } from "./http-errors.ts";
import { LiveFeed } from "./live-feed.ts";
import { type ShareFetchJson, toShareFetchResponse } from "./share-json.ts";
import { SharedWaits } from "./shared-waits.ts";
import { type LiveWebSocketConstructor, SocketFeed } from "./socket-feed.ts";
import { readSse } from "./sse.ts";
import { TailCursors } from "./tail-cursors.ts";
import { type TokenOption, TokenSource } from "./token-source.ts";

/** A replicated partition's leadership as the controller records it (the answer of `electLeader`). */
export interface PartitionLeadership {
  readonly leader: string;
  readonly replicas: readonly string[];
  readonly isr: readonly string[];
  readonly leaderEpoch: number;
}

export interface HttpLogStoreOptions {
  /** Base URL of the edgelog Worker, e.g. `https://edgelog.example.workers.dev`. */
  readonly url: string;
  /** Extra headers on every request (auth); a function is called per request, so tokens can rotate. */
  readonly headers?: Record<string, string> | (() => Record<string, string>);
  /**
   * The bearer token, sent as `Authorization: Bearer …` on every request (SSE tails included). A function (like
   * Ably's `authCallback`) is called for the first token, again when the cached one is within 30 s of its JWT
   * `exp` (a token without `exp` is kept until a 401), and after a 401, when the request is retried once with
   * the fresh token; a second 401 fails with `AUTHENTICATION_FAILED`. Concurrent requests share one call.
   */
  readonly token?: TokenOption;
  /** The `fetch` to use (a test double, a Worker service binding's `fetch`). Default: the global one. */
  readonly fetch?: typeof fetch;
  /**
   * How long one request may take, in ms, before it fails with a retriable `REQUEST_TIMED_OUT`; a long-poll
   * gets its `maxWaitMs` on top. Default 30 000.
   */
  readonly timeoutMs?: number;
  /**
   * How a `read` waits at the end of a partition. `"long-poll"` (default): the binary fetch with `wait`, one
   * request per wait. `"sse"`: one Server-Sent Events connection per partition, shared by every waiting read and
   * kept open while reads keep waiting (closed after 30 s without one), wakes the read, which then fetches the
   * new batches with the binary fetch — no gap between polls, fewer requests. Mind the browser's six
   * connections per origin over HTTP/1.1: one is used per live partition. `"shared"`: every waiting read joins
   * one multi-partition long-poll (`POST /v1/wait`), then the ready ones fetch — one connection however many
   * partitions wait, for consumers that own many in a browser or a Worker (falls back to `"long-poll"` against
   * a server without `/v1/wait`). `"ws"`: a read at the end of a partition opens (or joins) that partition's
   * WebSocket live tail and is answered from the batches the partition pushes — no request per read, and the
   * append's cost on the server does not grow with readers; catch-up reads below the end still use the binary
   * fetch. Falls back to `"long-poll"` where there is no WebSocket (Node < 22, a custom `fetch` without
   * `webSocket`) or the server does not offer it (tried again after a minute).
   */
  readonly live?: "long-poll" | "sse" | "shared" | "ws";
  /**
   * The `WebSocket` class for `live: "ws"` and WebSocket tails. Default: the global one — unless a custom `fetch`
   * is given (a service binding, an in-process app: a socket could not reach it), then none unless set here.
   * The token travels as `?access_token=` (browsers cannot set headers on a WebSocket); `headers` are not sent.
   */
  readonly webSocket?: LiveWebSocketConstructor;
  /**
   * The region this client reads near (a location hint such as `weur`; Kafka's `client.rack`, KafkaJS's `rackId`):
   * fetches, long-polls, the SSE tail and offset lookups add `?region=`, so a replicated partition's in-sync
   * replica there serves them (else the leader does). A consumer's own `region` wins over it. Writes and group
   * calls are unaffected. Default: none (reads go to the leader, or where the server's `EDGELOG_READ_NEAREST`
   * puts them).
   */
  readonly region?: string;
}

export interface TailOptions {
  /** Where to start: an offset, `"earliest"` or `"latest"` (default). */
  readonly offset?: number | "earliest" | "latest";
  /** Aborting ends the iteration (without an error). */
  readonly signal?: AbortSignal;
  /** Backoff between reconnects after a retriable failure. */
  readonly retry?: RetryOptions;
  /** Tail the replica of this region (`?region=`); default: the store's `region`. */
  readonly region?: string;
  /**
   * `"ws"`: the WebSocket live tail — records byte for byte, pushed by the partition — falling back to SSE where
   * there is no WebSocket or the server does not offer it. `"sse"`: Server-Sent Events. Default: `"ws"` when the
   * store's `live` is `"ws"`, else `"sse"`.
   */
  readonly transport?: "sse" | "ws";
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** `listBatches`' default page, as the memory store's. */
const DEFAULT_LIST_BATCHES_LIMIT = 1_000;
/** The server clamps `wait` to this (docs/http-api.md "Limits"); waiting longer is split into polls. */
const MAX_SERVER_WAIT_MS = 30_000;
/** After a WebSocket tail could not open (not offered, refused), reads use long-polls this long before trying again. */
const SOCKET_RETRY_AFTER_MS = 60_000;
const JSON_TYPE = "application/json";
const SSE_TYPE = "text/event-stream";
const utf8 = new TextEncoder();

interface RequestOptions {
  readonly query?: Record<string, string | number | undefined>;
  readonly json?: unknown;
  readonly bytes?: Uint8Array;
  readonly accept?: string;
  readonly signal?: AbortSignal | undefined;
  readonly timeoutMs?: number;
}

/** A topic as `GET /v1/topics/{topic}` (partitions as a list) or `GET /v1/topics` (partitions as a count). */
interface TopicJson {
  name: string;
  topicId?: string;
  partitions: number | unknown[];
  config?: Partial<TopicConfig>;
  createdAt?: number;
}

/**
 * @example
 * const store = new HttpLogStore({ url: "https://edgelog.example.workers.dev", token: () => fetchToken() });
 * const log = new EdgeLog({ store });
 * await log.producer().send({ topic: "orders", messages: [{ key: "user-1", value: "created" }] });
 */
export class HttpLogStore implements LogStore, ShareGroupStore {
  readonly #base: string;
  readonly #headers: HttpLogStoreOptions["headers"];
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #token: TokenSource | undefined;
  /** One controller per request in flight, so `close()` can abort them all. */
  readonly #inFlight = new Set<AbortController>();
  #live: "long-poll" | "sse" | "shared" | "ws";
  /** `live: "ws"`: the `WebSocket` class, or `undefined` where there is none to use. */
  readonly #webSocket: LiveWebSocketConstructor | undefined;
  /** `live: "ws"`: the open live tail of each partition (and region) read at its end. */
  readonly #sockets = new Map<string, SocketFeed>();
  /** Until when WebSocket tails are not tried again (one could not open). */
  #socketsRefusedUntil = 0;
  /** The region reads prefer unless the read names its own (`HttpLogStoreOptions.region`). */
  readonly #region: string | undefined;
  /**
   * `live: "shared"`: the multi-partition long-poll that waiting reads join, one per region read from (`""`: none),
   * since one `POST /v1/wait` names one region.
   */
  readonly #sharedWaits = new Map<string, SharedWaits>();
  /** `live: "sse"`: the open feed of each partition (and region) that has waiting reads. */
  readonly #feeds = new Map<string, LiveFeed>();
  /** The tail cursor each partition's next long-poll echoes. */
  readonly #cursors = new TailCursors();
  #closed = false;

  constructor(options: HttpLogStoreOptions) {
    if (typeof options?.url !== "string" || options.url === "") {
      throw new EdgeLogError("INVALID_REQUEST", "HttpLogStore needs the `url` of an edgelog server");
    }
    this.#base = options.url.replace(/\/+$/, "");
    this.#headers = options.headers;
    // Wrapped, not stored bare: browsers throw "Illegal invocation" when `fetch` is called off `window`.
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#token = options.token === undefined ? undefined : new TokenSource(options.token);
    this.#live = options.live ?? "long-poll";
    const globalSocket = (globalThis as { WebSocket?: LiveWebSocketConstructor }).WebSocket;
    this.#webSocket = options.webSocket ?? (options.fetch === undefined ? globalSocket : undefined);
    if (options.region !== undefined && (typeof options.region !== "string" || options.region === "")) {
      throw new EdgeLogError("INVALID_REQUEST", "`region` must be a location hint such as weur");
    }
    this.#region = options.region;
  }

  // ── topics ────────────────────────────────────────────────────────────────────────────────────────────────

  async createTopic(spec: TopicSpec): Promise<TopicMetadata> {
    const body = { name: spec.name, partitions: spec.partitions, config: spec.config };
    return toTopicMetadata(await this.#json<TopicJson>("POST", "/v1/topics", { json: body }));
  }

  async getTopic(name: string): Promise<TopicMetadata | null> {
    if (name === "" || name === "." || name === "..") return null; // cannot exist, and cannot be addressed
    try {
      return toTopicMetadata(await this.#json<TopicJson>("GET", topicPath(name)));
    } catch (error) {
      // A missing topic is an answer here, not an error (the `LogStore` contract).
      if (
        isEdgeLogError(error) &&
        (error.code === "UNKNOWN_TOPIC_OR_PARTITION" || error.code === "NOT_FOUND")
      )
        return null;
      throw error;
    }
  }

  async listTopics(): Promise<TopicMetadata[]> {
    const { topics } = await this.#json<{ topics: TopicJson[] }>("GET", "/v1/topics");
    return topics.map(toTopicMetadata).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async deleteTopic(name: string): Promise<void> {
    await this.#request("DELETE", topicPath(name), {}, async () => undefined);
  }

  async createPartitions(name: string, count: number): Promise<TopicMetadata> {
    const path = `${topicPath(name)}/partitions`;
    return toTopicMetadata(await this.#json<TopicJson>("POST", path, { json: { count } }));
  }

  /** `PATCH /v1/topics/{topic}`: the server validates and applies the change, and answers the topic. */
  async alterTopicConfig(name: string, changes: Readonly<Record<string, unknown>>): Promise<TopicMetadata> {
    return toTopicMetadata(
      await this.#json<TopicJson>("PATCH", topicPath(name), { json: { config: changes } }),
    );
  }

  // ── partitions ────────────────────────────────────────────────────────────────────────────────────────────

  /** `checkRecordCaps` does not travel: the server applies the record caps to every client write. */
  async append(tp: TopicPartition, batch: Uint8Array, options?: AppendOptions): Promise<AppendResult> {
    // Absent: the topic's default (`all`); sent only when the caller chose, so the request is today's otherwise.
    const acks = options?.acks === undefined ? "" : `?acks=${options.acks}`;
    const result = await this.#json<AppendResult>("POST", `${partitionPath(tp)}/batches${acks}`, {
      bytes: batch,
    }).catch((error: unknown) => {
      throw appendFailure(error, batch);
    });
    return {
      baseOffset: result.baseOffset,
      lastOffset: result.lastOffset,
      logAppendTime: result.logAppendTime,
      duplicate: result.duplicate,
      logStartOffset: result.logStartOffset,
      highWatermark: result.highWatermark,
    };
  }

  async read(tp: TopicPartition, readOptions: ReadOptions): Promise<ReadResult> {
    const options = this.#near(readOptions);
    if (this.#live === "sse" && (options.maxWaitMs ?? 0) > 0) return this.#readLive(tp, options);
    if (this.#live === "shared" && (options.maxWaitMs ?? 0) > 0) return this.#readShared(tp, options);
    if (this.#live === "ws" && (options.maxWaitMs ?? 0) > 0 && this.#socketsUsable()) {
      return this.#readSocket(tp, options);
    }
    return this.#longPoll(tp, options);
  }

  /** `live: "sse"`: fetch what is there; at the end of the log, wait for the partition's feed, then fetch. */
  async #readLive(tp: TopicPartition, options: ReadOptions): Promise<ReadResult> {
    const now = await this.#readOnce(tp, options, 0);
    if (now.batches.length > 0 || now.highWatermark > options.offset) return now;
    const { region } = options;
    const key = `${tp.topic}\u0000${tp.partition}\u0000${region ?? ""}`;
    let feed = this.#feeds.get(key);
    if (feed === undefined || feed.ended) {
      // Subscribing from the offset we stand at (not "latest") catches records appended since our fetch.
      const created: LiveFeed = new LiveFeed(
        (fromOffset, signal) =>
          this.tail(tp, { offset: fromOffset, signal, ...(region === undefined ? {} : { region }) }),
        options.offset,
        () => {
          if (this.#feeds.get(key) === created) this.#feeds.delete(key);
        },
      );
      feed = created;
      this.#feeds.set(key, feed);
    }
    const woke = await feed.waitBeyond(options.offset, options.maxWaitMs ?? 0, options.signal);
    this.#assertOpen();
    return woke ? this.#readOnce(tp, options, 0) : now;
  }

  /**
   * `live: "ws"`: a read the partition's open socket covers is answered from what it pushed; otherwise fetch what
   * is there, and at the end of the log (re)open the socket there and wait for its push. A socket that cannot
   * open sends this read — and, for a minute, every read — to long-polls.
   */
  async #readSocket(tp: TopicPartition, options: ReadOptions): Promise<ReadResult> {
    const key = `${tp.topic}\u0000${tp.partition}\u0000${options.region ?? ""}`;
    const maxBytes = options.maxBytes ?? DEFAULT_READ_MAX_BYTES;
    const deadline = Date.now() + (options.maxWaitMs ?? 0);
    const left = (): number => Math.max(0, deadline - Date.now());
    let feed = this.#sockets.get(key);
    if (feed?.covers(options.offset)) {
      const pushed = await feed.read(options.offset, maxBytes, left(), options.signal);
      this.#assertOpen();
      if (pushed !== null) return pushed;
    }
    const now = await this.#readOnce(tp, options, 0);
    if (now.batches.length > 0 || now.highWatermark > options.offset || left() === 0) return now;
    feed?.close();
    if (this.#socketsUsable()) {
      feed = await this.#openFeed(tp, options.offset, options.region);
      this.#sockets.set(key, feed);
      const pushed = await feed.read(options.offset, maxBytes, left(), options.signal);
      this.#assertOpen();
      if (pushed !== null) return pushed;
    }
    // No socket, or it ended without an answer: long-polls finish the wait (and report any error of the partition).
    return this.#longPoll(tp, { ...options, maxWaitMs: left() });
  }

  /** A socket on `tp` from `offset`, forgotten (and refused for a while, if it never opened) when it ends. */
  async #openFeed(tp: TopicPartition, offset: number, region: string | undefined): Promise<SocketFeed> {
    const WebSocketClass = this.#webSocket as LiveWebSocketConstructor;
    const url = await this.#socketUrl(tp, offset, region);
    const key = `${tp.topic}\u0000${tp.partition}\u0000${region ?? ""}`;
    const feed: SocketFeed = new SocketFeed(WebSocketClass, url, offset, (end) => {
      if (this.#sockets.get(key) === feed) this.#sockets.delete(key);
      if (end === "unopened") this.#socketsRefusedUntil = Date.now() + SOCKET_RETRY_AFTER_MS;
    });
    return feed;
  }

  /** Whether WebSocket tails may be tried: a `WebSocket` class, and none refused within the last minute. */
  #socketsUsable(): boolean {
    return this.#webSocket !== undefined && Date.now() >= this.#socketsRefusedUntil;
  }

  /** The live tail's URL: ws(s), the offset, the region and the token (browsers cannot set headers on it). */
  async #socketUrl(tp: TopicPartition, offset: number, region: string | undefined): Promise<string> {
    const token = this.#token === undefined ? undefined : await this.#token.get();
    const url = this.#url(`${partitionPath(tp)}/records`, { offset, region, access_token: token });
    return url.replace(/^http/, "ws");
  }

  /** `read` by long-polls: the server clamps each wait, so a longer one is several polls. */
  async #longPoll(tp: TopicPartition, options: ReadOptions): Promise<ReadResult> {
    const deadline = Date.now() + Math.max(0, options.maxWaitMs ?? 0);
    for (;;) {
      const waitMs = Math.min(MAX_SERVER_WAIT_MS, Math.max(0, Math.ceil(deadline - Date.now())));
      const result = await this.#readOnce(tp, options, waitMs);
      if (result.batches.length > 0 || result.highWatermark > options.offset || Date.now() >= deadline)
        return result;
    }
  }

  /** `live: "shared"`: fetch what is there; at the end of the log, join the shared wait, then fetch. */
  async #readShared(tp: TopicPartition, options: ReadOptions): Promise<ReadResult> {
    const deadline = Date.now() + (options.maxWaitMs ?? 0);
    for (;;) {
      const now = await this.#readOnce(tp, options, 0);
      const left = deadline - Date.now();
      if (now.batches.length > 0 || now.highWatermark > options.offset || left <= 0) return now;
      let woken: boolean;
      try {
        woken = await this.#sharedWaitsIn(options.region).wait(tp, options.offset, left, options.signal);
      } catch (error) {
        if (!(error instanceof SharedWaitUnsupported)) throw error;
        this.#live = "long-poll"; // an older server: one long-poll per partition it is
        return this.read(tp, { ...options, maxWaitMs: Math.max(0, deadline - Date.now()) });
      }
      this.#assertOpen();
      if (!woken) return now;
    }
  }

  #sharedWaitsIn(region: string | undefined): SharedWaits {
    const key = region ?? "";
    let waits = this.#sharedWaits.get(key);
    if (waits === undefined) {
      waits = new SharedWaits(
        (partitions, waitMs, signal) => this.#waitFor(partitions, waitMs, signal, region),
        MAX_SERVER_WAIT_MS,
      );
      this.#sharedWaits.set(key, waits);
    }
    return waits;
  }

  /** One multi-partition long-poll: which of `partitions` have something to read past their offset. */
  async #waitFor(
    partitions: readonly (TopicPartition & { offset: number })[],
    waitMs: number,
    signal: AbortSignal,
    region: string | undefined,
  ): Promise<readonly TopicPartition[]> {
    try {
      const { ready } = await this.#json<{ ready: TopicPartition[] }>("POST", "/v1/wait", {
        query: { region },
        json: { partitions, wait: waitMs },
        signal,
        timeoutMs: this.#timeoutMs + waitMs,
      });
      return ready;
    } catch (error) {
      if (isEdgeLogError(error) && error.code === "NOT_FOUND") {
        const unsupported = new SharedWaitUnsupported();
        for (const waits of this.#sharedWaits.values()) waits.fail(unsupported);
        throw unsupported;
      }
      throw error;
    }
  }

  async #readOnce(tp: TopicPartition, options: ReadOptions, waitMs: number): Promise<ReadResult> {
    const { region } = options;
    // A long-poll echoes the tail cursor of the partition's last one (docs/http-api.md "Tail cursors").
    const query = {
      offset: options.offset,
      maxBytes: options.maxBytes ?? DEFAULT_READ_MAX_BYTES,
      wait: waitMs > 0 ? waitMs : undefined,
      region,
      cursor: waitMs > 0 ? this.#cursors.get(tp, region) : undefined,
    };
    return this.#request(
      "GET",
      `${partitionPath(tp)}/batches`,
      { query, accept: BATCHES_CONTENT_TYPE, signal: options.signal, timeoutMs: this.#timeoutMs + waitMs },
      async (response) => {
        this.#cursors.set(tp, region, response.headers.get("edgelog-cursor"));
        const batches = decodeFrames(new Uint8Array(await response.arrayBuffer()));
        return {
          batches,
          highWatermark: offsetHeader(response, "edgelog-high-watermark"),
          logStartOffset: offsetHeader(response, "edgelog-log-start-offset"),
        };
      },
    );
  }

  async offsets(tp: TopicPartition, options: ReadPreference = {}): Promise<PartitionOffsets> {
    const { logStartOffset, highWatermark } = await this.#json<PartitionOffsets>(
      "GET",
      `${partitionPath(tp)}/offsets`,
      { query: { region: this.#near(options).region } },
    );
    return { logStartOffset, highWatermark };
  }

  async offsetForTimestamp(
    tp: TopicPartition,
    timestamp: number,
    options: ReadPreference = {},
  ): Promise<number | null> {
    const { offset, found } = await this.#json<{ offset: number; found: boolean }>(
      "GET",
      `${partitionPath(tp)}/offsets`,
      { query: { timestamp, region: this.#near(options).region } },
    );
    return found ? offset : null;
  }

  /**
   * There is no batch-listing endpoint yet, so this reads the batches (payloads included) with the binary fetch
   * and drops the payloads: correct, but it moves the data. `logAppendTime` is `-1` (the frames do not carry it).
   */
  async listBatches(tp: TopicPartition, listOptions: ListBatchesOptions = {}): Promise<BatchInfo[]> {
    const options = this.#near(listOptions);
    const near = options.region === undefined ? {} : { region: options.region };
    const limit = options.limit ?? DEFAULT_LIST_BATCHES_LIMIT;
    const bounds = await this.offsets(tp, near);
    const infos: BatchInfo[] = [];
    let offset = Math.max(options.fromOffset ?? bounds.logStartOffset, bounds.logStartOffset);
    while (infos.length < limit && offset < bounds.highWatermark) {
      const { batches } = await this.#readOnce(tp, { offset, ...near }, 0);
      const last = batches.at(-1);
      if (last === undefined) break;
      for (const { payload: _payload, ...info } of batches) if (infos.length < limit) infos.push(info);
      offset = last.lastOffset + 1;
    }
    return infos;
  }

  async deleteRecords(tp: TopicPartition, beforeOffset: number): Promise<PartitionOffsets> {
    const { logStartOffset, highWatermark } = await this.#json<PartitionOffsets>(
      "POST",
      `${partitionPath(tp)}/delete-records`,
      { json: { beforeOffset } },
    );
    return { logStartOffset, highWatermark };
  }

  /**
   * Moves a replicated partition's leadership to `region`'s in-sync replica (`POST …/elect`, admin): Kafka's
   * leader election; electing the first replica is preferred-leader election. Answers the new replica state.
   * `ELECTION_NOT_NEEDED` when it already leads, `ELIGIBLE_LEADERS_NOT_AVAILABLE` when it is not in sync.
   */
  async electLeader(tp: TopicPartition, region: string): Promise<PartitionLeadership> {
    const { leader, replicas, isr, leaderEpoch } = await this.#json<PartitionLeadership>(
      "POST",
      `${partitionPath(tp)}/elect`,
      { json: { region } },
    );
    return { leader, replicas, isr, leaderEpoch };
  }

  /**
   * Live tail: yields each batch of new records as the server pushes it, reconnecting after network failures from
   * the next offset, so nothing is skipped or repeated. Over a WebSocket (`transport: "ws"`, the default when the
   * store's `live` is `"ws"`) records are the stored batches byte for byte. Over Server-Sent Events values are
   * exact bytes (requested as base64) but keys and header values travel as UTF-8 text (the JSON rendering of the
   * records endpoint), so a non-UTF-8 key or header is not byte-exact, and a repeated header key keeps its last
   * value; use the WebSocket, `read` or a consumer when that matters.
   * @example
   * for await (const records of store.tail({ topic: "orders", partition: 0 }, { signal })) render(records);
   */
  async *tail(
    tp: TopicPartition,
    options: TailOptions = {},
  ): AsyncGenerator<ConsumedRecord[], void, undefined> {
    const transport = options.transport ?? (this.#live === "ws" ? "ws" : "sse");
    if (transport === "ws" && this.#socketsUsable()) {
      const from = yield* this.#tailSocket(tp, options);
      // The socket could not open: the same tail continues over SSE from where it got to.
      if (from !== null) yield* this.#tailSse(tp, { ...options, offset: from });
      return;
    }
    yield* this.#tailSse(tp, options);
  }

  /**
   * The WebSocket tail: reads from the partition's pushes, reconnecting from the next offset when the socket ends
   * (after a backoff when it said nothing). Answers `null` when stopped, or the offset to go on from over SSE when
   * a socket could not open. A socket the partition closed for a final reason (the topic deleted, retention passed
   * the reader) ends the tail with that error, learnt by reading there over HTTP.
   */
  async *#tailSocket(
    tp: TopicPartition,
    options: TailOptions,
  ): AsyncGenerator<ConsumedRecord[], number | null, undefined> {
    const { signal } = options;
    const region = options.region ?? this.#region;
    const spec = options.offset ?? "latest";
    let next: number;
    if (typeof spec === "number") next = spec;
    else {
      const bounds = await this.offsets(tp, region === undefined ? {} : { region });
      next = spec === "earliest" ? bounds.logStartOffset : bounds.highWatermark;
    }
    let failures = 0;
    while (!signal?.aborted) {
      this.#assertOpen();
      const feed = await this.#openFeed(tp, next, region);
      const stop = (): void => feed.close();
      signal?.addEventListener("abort", stop, { once: true });
      let received = false;
      try {
        for (;;) {
          const pushed = await feed.read(next, DEFAULT_READ_MAX_BYTES, MAX_SERVER_WAIT_MS);
          if (pushed === null) break;
          const records: ConsumedRecord[] = [];
          for (const batch of pushed.batches) {
            decodeBatch(batch.payload).records.forEach((record, i) => {
              const offset = batch.baseOffset + i;
              if (offset >= next) records.push({ ...record, offset });
            });
          }
          const last = records.at(-1);
          if (last === undefined) continue;
          received = true;
          failures = 0;
          next = last.offset + 1;
          yield records;
        }
      } finally {
        signal?.removeEventListener("abort", stop);
        feed.close();
      }
      if (signal?.aborted) return null;
      if (this.#closed) throw storeClosed();
      if (feed.ended === "unopened") return next;
      // Closed by the partition: a final reason (deleted, out of range, access) is the HTTP read's error here.
      if (feed.closeCode !== undefined && feed.closeCode >= 4400 && feed.closeCode !== 4401) {
        await this.#readOnce(
          tp,
          { offset: next, maxBytes: 1, ...(region === undefined ? {} : { region }) },
          0,
        );
      }
      if (!received) await sleep(backoffMs(failures++, options.retry), signal).catch(() => undefined);
    }
    return null;
  }

  /** The SSE tail (`Accept: text/event-stream` on the records path). */
  async *#tailSse(
    tp: TopicPartition,
    options: TailOptions,
  ): AsyncGenerator<ConsumedRecord[], void, undefined> {
    let from: string = String(options.offset ?? "latest");
    const region = options.region ?? this.#region;
    let failures = 0;
    const { signal } = options;
    while (!signal?.aborted) {
      this.#assertOpen();
      const controller = this.#track(signal);
      try {
        const response = await untilAborted(
          this.#send(
            this.#url(`${partitionPath(tp)}/records`, { offset: from, valueFormat: "base64", region }),
            {
              method: "GET",
              headers: this.#requestHeaders(SSE_TYPE),
              signal: controller.signal,
            },
          ),
          controller.signal,
        );
        if (!response.ok) throw await errorFromResponse(response);
        const type = response.headers.get("content-type") ?? "";
        if (response.body === null || !type.startsWith(SSE_TYPE)) {
          // Not a tail (a server without SSE answering JSON): final, or we would reconnect forever.
          throw new EdgeLogError("UNSUPPORTED_VERSION", `expected ${SSE_TYPE} from the tail, got "${type}"`);
        }
        let events = 0;
        for await (const event of readSse(response.body, controller.signal)) {
          events++;
          if (event.event !== "records") continue;
          const data = JSON.parse(event.data) as { records: RecordJson[]; nextOffset: number };
          // The event id is the next offset; resuming from it neither skips nor repeats (docs/http-api.md
          // "SSE live tail").
          from = event.id !== "" ? event.id : String(data.nextOffset);
          failures = 0;
          if (data.records.length > 0) yield data.records.map((record) => toConsumedRecord(record));
        }
        // The server ended the stream (a redeploy, a platform time limit): reconnect from where we are, backing
        // off when the stream said nothing at all, so a server that keeps hanging up is not hammered.
        if (events === 0) await sleep(backoffMs(failures++, options.retry), signal).catch(() => undefined);
      } catch (error) {
        if (signal?.aborted) return;
        if (this.#closed) throw storeClosed();
        const retriable = !isEdgeLogError(error) || error.retriable;
        if (!retriable || failures >= (options.retry?.retries ?? Number.POSITIVE_INFINITY)) throw error;
        await sleep(retryDelayMs(error, failures++, options.retry), signal).catch(() => undefined);
      } finally {
        this.#untrack(controller, signal);
      }
    }
  }

  // ── consumer groups: the server's coordinator (docs/http-api.md "Consumer groups") ───────────────────────

  async groupHeartbeat(groupId: string, request: GroupHeartbeatRequest): Promise<GroupHeartbeatResponse> {
    validateHeartbeat(request);
    return this.#json<GroupHeartbeatResponse>("POST", `${groupPath(groupId)}/heartbeat`, { json: request });
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    const body = await this.#json<GroupDescription & { group: string }>("GET", groupPath(groupId));
    const { state, groupEpoch, assignmentEpoch, assignor, members } = body;
    return { groupId: body.group, state, groupEpoch, assignmentEpoch, assignor, members };
  }

  async commitOffsets(
    groupId: string,
    offsets: readonly CommittedOffset[],
    member?: GroupMemberRef,
  ): Promise<void> {
    if (offsets.length === 0) return;
    const json = {
      ...(member === undefined ? {} : { memberId: member.memberId, memberEpoch: member.memberEpoch }),
      offsets: offsets.map(({ topic, partition, offset, metadata }) => ({
        topic,
        partition,
        offset,
        metadata,
      })),
    };
    await this.#request("POST", `${groupPath(groupId)}/offsets`, { json }, async () => undefined);
  }

  async fetchOffsets(groupId: string, topics?: readonly string[]): Promise<CommittedOffset[]> {
    const query =
      topics === undefined ? "" : `?${topics.map((t) => `topic=${encodeURIComponent(t)}`).join("&")}`;
    if (topics !== undefined && topics.length === 0) return [];
    const { offsets } = await this.#json<{ offsets: (CommittedOffset & { lag: number })[] }>(
      "GET",
      `${groupPath(groupId)}/offsets${query}`,
    );
    return offsets
      .filter((o) => o.offset >= 0)
      .map(({ topic, partition, offset, metadata }) => ({
        topic,
        partition,
        offset,
        metadata: metadata ?? null,
      }));
  }

  async listGroups(): Promise<string[]> {
    const { groups } = await this.#json<{ groups: { group: string }[] }>("GET", "/v1/groups");
    return groups.map((g) => g.group);
  }

  async deleteGroup(groupId: string): Promise<void> {
    await this.#request("DELETE", groupPath(groupId), {}, async () => undefined);
  }

  // ── share groups: the server's coordinator (docs/http-api.md "Share groups") ─────────────────────────────

  async shareFetch(
    groupId: string,
    request: ShareFetchRequest,
    signal?: AbortSignal,
  ): Promise<ShareFetchResponse> {
    validateShareFetch(request);
    const waitMs = Math.min(request.maxWaitMs ?? 0, MAX_SHARE_FETCH_WAIT_MS);
    const { maxWaitMs: _wait, ...rest } = request;
    const json = { ...rest, wait: waitMs, format: "batches" };
    const answer = await this.#json<ShareFetchJson>("POST", `${shareGroupPath(groupId)}/fetch`, {
      json,
      signal,
      timeoutMs: this.#timeoutMs + waitMs,
    });
    return toShareFetchResponse(answer);
  }

  async describeShareGroup(groupId: string): Promise<ShareGroupDescription> {
    const { group, state, config, members, partitions } = await this.#json<
      Omit<ShareGroupDescription, "groupId"> & { group: string }
    >("GET", shareGroupPath(groupId));
    return {
      groupId: group,
      state,
      config,
      members,
      // The server adds each partition's high watermark and lag: not part of the store's description.
      partitions: partitions.map(
        ({ topic, partition, startOffset, endOffset, inFlight, pendingDeadLetters, nextLockDeadline }) => ({
          topic,
          partition,
          startOffset,
          endOffset,
          inFlight,
          pendingDeadLetters,
          nextLockDeadline,
        }),
      ),
    };
  }

  async alterShareGroupConfig(
    groupId: string,
    changes: Readonly<Record<string, unknown>>,
  ): Promise<ShareGroupConfig> {
    const { config } = await this.#json<{ config: ShareGroupConfig }>(
      "PATCH",
      `${shareGroupPath(groupId)}/config`,
      {
        json: { config: changes },
      },
    );
    return config;
  }

  async listShareGroups(): Promise<string[]> {
    const { groups } = await this.#json<{ groups: { group: string }[] }>("GET", "/v1/share-groups");
    return groups.map((g) => g.group);
  }

  async deleteShareGroup(groupId: string): Promise<void> {
    await this.#request("DELETE", shareGroupPath(groupId), {}, async () => undefined);
  }

  /**
   * Extension: the token function now returns a different token (signed in again, other rights): the cached one is
   * dropped and the next request calls the function. Without a token function this does nothing. Like Ably's
   * `auth.authorize()` or Firebase's `getIdToken(true)`, for a change the app learns of before any `exp` or 401.
   */
  tokenChanged(): void {
    this.#token?.invalidate();
  }

  // ── lifecycle ─────────────────────────────────────────────────────────────────────────────────────────────

  /** Aborts every request in flight (they reject with `STORE_CLOSED`, tails end) and refuses later calls. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const feed of [...this.#feeds.values()]) feed.stop(storeClosed());
    this.#feeds.clear();
    for (const feed of [...this.#sockets.values()]) feed.close();
    this.#sockets.clear();
    for (const waits of this.#sharedWaits.values()) waits.fail(storeClosed());
    for (const controller of this.#inFlight) controller.abort(storeClosed());
    this.#inFlight.clear();
  }

  // ── plumbing ──────────────────────────────────────────────────────────────────────────────────────────────

  #assertOpen(): void {
    if (this.#closed) throw storeClosed();
  }

  /** `options` with the region the read prefers: its own, else the store's. */
  #near<T extends ReadPreference>(options: T): T {
    return options.region !== undefined || this.#region === undefined
      ? options
      : { ...options, region: this.#region };
  }

  #url(path: string, query: RequestOptions["query"] = {}): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query))
      if (value !== undefined) params.set(name, String(value));
    const search = params.toString();
    return `${this.#base}${path}${search === "" ? "" : `?${search}`}`;
  }

  #requestHeaders(accept: string, contentType?: string): Record<string, string> {
    const extra = typeof this.#headers === "function" ? this.#headers() : (this.#headers ?? {});
    return { ...extra, accept, ...(contentType === undefined ? {} : { "content-type": contentType }) };
  }

  /** A controller for one request, aborted by `close()` and by the caller's signal. */
  #track(signal: AbortSignal | undefined): AbortController {
    const controller = new AbortController();
    const forward = (): void => controller.abort(signal?.reason);
    forwarders.set(controller, forward);
    signal?.addEventListener("abort", forward, { once: true });
    if (signal?.aborted) forward();
    this.#inFlight.add(controller);
    return controller;
  }

  #untrack(controller: AbortController, signal: AbortSignal | undefined): void {
    const forward = forwarders.get(controller);
    if (forward !== undefined) signal?.removeEventListener("abort", forward);
    this.#inFlight.delete(controller);
  }

  /**
   * `fetch` with the bearer token. A 401 is retried once with a fresh token from the token function: the token
   * may have expired in flight or been revoked. The caller turns a second 401 into `AUTHENTICATION_FAILED`.
   */
  async #send(url: string, init: RequestInit): Promise<Response> {
    const source = this.#token;
    if (source === undefined) return this.#fetch(url, init);
    const token = await source.get();
    const response = await this.#fetch(url, withBearer(init, token));
    if (response.status !== HTTP_UNAUTHORIZED || !source.refreshable) return response;
    await response.body?.cancel().catch(() => undefined);
    return this.#fetch(url, withBearer(init, await source.refresh(token)));
  }

  async #json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    return this.#request(method, path, options, async (response) => (await response.json()) as T);
  }

  /**
   * One request: sends it, turns a non-2xx answer into an `EdgeLogError`, and hands a 2xx one to `handle`
   * (reading the body is part of the request, so a connection lost mid-body fails the same way).
   */
  async #request<T>(
    method: string,
    path: string,
    options: RequestOptions,
    handle: (response: Response) => Promise<T>,
  ): Promise<T> {
    this.#assertOpen();
    const { signal } = options;
    if (signal?.aborted) throw signal.reason;
    const url = this.#url(path, options.query);
    const controller = this.#track(signal);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error("timeout"));
    }, options.timeoutMs ?? this.#timeoutMs);
    const contentType =
      options.bytes !== undefined ? BATCH_CONTENT_TYPE : options.json !== undefined ? JSON_TYPE : undefined;
    const init: RequestInit = {
      method,
      headers: this.#requestHeaders(options.accept ?? JSON_TYPE, contentType),
      signal: controller.signal,
    };
    // Batches are plain ArrayBuffer views (encodeBatch), never shared memory, whatever the type says.
    if (options.bytes !== undefined) init.body = options.bytes as Uint8Array<ArrayBuffer>;
    else if (options.json !== undefined) init.body = JSON.stringify(options.json);
    try {
      return await untilAborted(
        (async () => {
          const response = await this.#send(url, init);
          if (!response.ok) throw await errorFromResponse(response);
          return handle(response);
        })(),
        controller.signal,
      );
    } catch (error) {
      if (this.#closed) throw storeClosed();
      if (signal?.aborted) throw signal.reason;
      if (timedOut) throw requestFailed(url, error, true);
      if (isEdgeLogError(error)) throw error;
      throw requestFailed(url, error, false);
    } finally {
      clearTimeout(timer);
      this.#untrack(controller, signal);
    }
  }
}

const HTTP_UNAUTHORIZED = 401;

function withBearer(init: RequestInit, token: string): RequestInit {
  return {
    ...init,
    headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` },
  };
}

/** The listener each tracked controller added to its caller's signal, so it can be removed afterwards. */
const forwarders = new WeakMap<AbortController, () => void>();

function topicPath(name: string): string {
  // URL parsing resolves "." and ".." (also percent-encoded) as path segments: they would address another route.
  if (name === "" || name === "." || name === "..") {
    throw new EdgeLogError("INVALID_TOPIC", `invalid topic name "${name}"`, { context: { topic: name } });
  }
  return `/v1/topics/${encodeURIComponent(name)}`;
}

function partitionPath(tp: TopicPartition): string {
  // The contract's answer for a partition outside the topic, given here: such a path would be a malformed URL
  // to the server (400), and no topic has a partition that is not a whole number from 0.
  if (!Number.isSafeInteger(tp.partition) || tp.partition < 0) {
    throw new EdgeLogError(
      "UNKNOWN_TOPIC_OR_PARTITION",
      `topic "${tp.topic}" has no partition ${String(tp.partition)}: partitions are numbered from 0`,
      { context: { topic: tp.topic, partition: tp.partition } },
    );
  }
  return `${topicPath(tp.topic)}/partitions/${encodeURIComponent(String(tp.partition))}`;
}

function offsetHeader(response: Response, name: string): number {
  const value = Number(response.headers.get(name) ?? Number.NaN);
  if (!Number.isSafeInteger(value)) {
    throw new EdgeLogError("UNKNOWN_SERVER_ERROR", `binary fetch response lacks a valid ${name} header`, {
      retriable: true,
    });
  }
  return value;
}

function toTopicMetadata(json: TopicJson): TopicMetadata {
  return {
    name: json.name,
    topicId: json.topicId ?? "",
    partitions: Array.isArray(json.partitions) ? json.partitions.length : json.partitions,
    config: { ...DEFAULT_TOPIC_CONFIG, ...json.config },
    // The API does not return a creation time yet; 0 says "unknown" rather than inventing one.
    createdAt: typeof json.createdAt === "number" ? json.createdAt : 0,
  };
}

/** A record as the records endpoint and the SSE tail render it. */
interface RecordJson {
  offset: number;
  key: string | null;
  value: unknown;
  headers?: Record<string, string> | null;
  timestamp: number;
  valueFormat?: "json" | "text" | "base64";
}

function toConsumedRecord(json: RecordJson): ConsumedRecord {
  const headers: RecordHeader[] = Object.entries(json.headers ?? {}).map(([key, value]) => ({
    key,
    value: value === null ? null : utf8.encode(value),
  }));
  return {
    offset: json.offset,
    key: json.key === null ? null : utf8.encode(json.key),
    value: recordValue(json),
    headers,
    timestamp: json.timestamp,
  };
}

/** Bytes of a rendered value: we ask for base64, but honour a per-record `valueFormat` if the server sends one. */
function recordValue(json: RecordJson): Uint8Array | null {
  if (json.value === null) return null;
  const format = json.valueFormat ?? "base64";
  if (format === "base64" && typeof json.value === "string") return fromBase64(json.value);
  if (format === "text" && typeof json.value === "string") return utf8.encode(json.value);
  return utf8.encode(JSON.stringify(json.value));
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function storeClosed(): EdgeLogError {
  return new EdgeLogError("STORE_CLOSED", "the HTTP log store is closed");
}

function shareGroupPath(groupId: string): string {
  return `/v1/share-groups/${groupPath(groupId).slice("/v1/groups/".length)}`;
}

function groupPath(groupId: string): string {
  assertValidGroupId(groupId);
  // As for topics: "." and ".." would be resolved as path segments and address another route.
  if (groupId === "." || groupId === "..") {
    throw new EdgeLogError("INVALID_GROUP_ID", `invalid group id "${groupId}"`, { context: { groupId } });
  }
  return `/v1/groups/${encodeURIComponent(groupId)}`;
}

/** The server has no `/v1/wait` (an older Worker): shared waits fall back to one long-poll per partition. */
class SharedWaitUnsupported extends Error {
  constructor() {
    super("the server does not offer POST /v1/wait");
  }
}
