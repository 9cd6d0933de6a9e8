/**
 * @module
 * The Durable Streams protocol at `/ds/...` (KAFKA-AND-DURABLE-STREAMS.md §C; apps/worker/README.md "Durable
 * Streams"): PUT creates (or forks), POST appends and closes, GET reads (catch-up, long-poll, SSE), HEAD
 * describes, DELETE deletes. Each stream is a single-partition topic (`names.ts`), its offsets are edgelog
 * offsets (`offsets.ts`), and its protocol state (content type, closed flag, TTL, forks, `Stream-Seq`,
 * idempotent producers) sits beside its batches in the partition and changes atomically with them (core's
 * `store-kit/stream-state.ts`). So a stream is an ordinary topic to `/v1`, and a one-partition `/v1` topic is a
 * JSON stream here: one log, two views.
 */
import {
  DEFAULT_READ_MAX_BYTES,
  EdgeLogError,
  encodeBatch,
  httpStatusFor,
  isEdgeLogError,
  type LogRecord,
  mediaType,
  type StreamOutcome,
  type StreamProducerTuple,
  type StreamState,
} from "@edgelog/core";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import { errorResponse } from "../errors.ts";
import { DS_PREFIX, topicForForkSource, topicForStream } from "./names.ts";
import { encodeStreamOffset, parseStreamOffset, type StreamOffsetSpec } from "./offsets.ts";
import {
  createStream,
  deleteStream,
  type FoundStream,
  findStream,
  readChunk,
  runCommand,
  type StreamStore,
  supportsStreams,
  toBatches,
} from "./streams.ts";
import {
  CACHEABLE,
  concatBytes,
  H,
  isJson,
  isTextual,
  jsonArrayOf,
  NO_STORE,
  recordsFromBody,
  responseCursor,
  sseEvent,
  toBase64,
  withStreamHeaders,
} from "./wire.ts";

/** How long a long-poll (or an idle SSE stream between keep-alives) waits for data by default. */
export const DEFAULT_DS_LONG_POLL_TIMEOUT_MS = 20_000;
/** SSE connections end after about this long, so CDNs can collapse them; clients resume from the last offset. */
export const DEFAULT_DS_SSE_MAX_CONNECTION_MS = 60_000;

export interface DurableStreamsOptions {
  readonly longPollTimeoutMs: number;
  readonly sseMaxConnectionMs: number;
}

const DEFAULT_CONTENT_TYPE = "application/octet-stream";
const STRICT_INTEGER = /^\d+$/;
const TTL_SHAPE = /^(0|[1-9]\d*)$/;
const CONTENT_TYPE_SHAPE = /^[\w.+-]+\/[\w.+-]+/;

type Ctx = Context<AppEnv>;

/**
 * The `/ds/*` handler: answers every request itself (it never calls `next`), with the protocol's headers.
 * @example
 * app.use("/ds/*", durableStreams({ longPollTimeoutMs: 20_000, sseMaxConnectionMs: 60_000 }));
 */
export function durableStreams(options: DurableStreamsOptions): MiddlewareHandler<AppEnv> {
  return async (c) => {
    const origin = c.req.header("Origin");
    let response: Response;
    try {
      response = await handle(c, options);
    } catch (error) {
      response = failed(c, error);
    }
    return withStreamHeaders(response, origin, c.env?.ALLOWED_ORIGINS);
  };
}

function failed(c: Ctx, error: unknown): Response {
  if (isEdgeLogError(error)) {
    // A read below the log start is "gone" in this protocol (§C2), not Kafka's 416.
    const status = error.code === "OFFSET_OUT_OF_RANGE" ? 410 : httpStatusFor(error.code);
    return errorResponse(error, status);
  }
  if (c.req.raw.signal.aborted) return new Response(null, { status: 499 });
  console.error("edgelog worker: unexpected error in /ds", error);
  return errorResponse(new EdgeLogError("UNKNOWN_SERVER_ERROR", "internal error"));
}

function text(status: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(message, {
    status,
    headers: { "Content-Type": "text/plain; charset=utf-8", ...headers },
  });
}

const bad = (message: string): Response => text(400, message);

async function handle(c: Ctx, options: DurableStreamsOptions): Promise<Response> {
  const method = c.req.method;
  if (method === "OPTIONS") return new Response(null, { status: 204 });
  const store = c.get("store");
  if (!supportsStreams(store)) return text(501, "this store does not support Durable Streams");
  const url = new URL(c.req.url);
  const path = url.pathname.slice(DS_PREFIX.length);
  const topic = topicForStream(path);
  if (topic === null) return bad("the stream path is empty or too long for a topic name");
  const request: StreamRequest = { c, store, url, path, topic, now: c.get("now")(), options };
  switch (method) {
    case "PUT":
      return create(request);
    case "POST":
      return append(request);
    case "GET":
      return read(request);
    case "HEAD":
      return head(request);
    case "DELETE":
      return remove(request);
    default:
      return text(405, "method not allowed", { Allow: "GET, POST, PUT, DELETE, HEAD, OPTIONS" });
  }
}

interface StreamRequest {
  readonly c: Ctx;
  readonly store: StreamStore;
  readonly url: URL;
  readonly path: string;
  readonly topic: string;
  readonly now: number;
  readonly options: DurableStreamsOptions;
}

async function body(c: Ctx): Promise<Uint8Array> {
  return new Uint8Array(await c.req.arrayBuffer());
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && value.trim().toLowerCase() === "true";
}

function records(
  bytes: Uint8Array,
  contentType: string,
  now: number,
  creating: boolean,
): LogRecord[] | Response {
  try {
    return recordsFromBody(bytes, contentType, now, creating);
  } catch (error) {
    if (isEdgeLogError(error)) return bad(error.message);
    throw error;
  }
}

// ── PUT ─────────────────────────────────────────────────────────────────────────────────────────────────────

interface CreateConfig {
  readonly contentType: string | null;
  readonly ttlSeconds: number | null;
  readonly expiresAt: string | null;
  readonly closed: boolean;
  readonly forkedFrom: string | null;
  readonly forkOffset: string | null;
  readonly forkSubOffset: number;
}

function sameConfig(state: StreamState, config: CreateConfig): boolean {
  return (
    (config.contentType === null || mediaType(config.contentType) === mediaType(state.contentType)) &&
    config.ttlSeconds === state.ttlSeconds &&
    config.expiresAt === state.expiresAt &&
    config.closed === state.closed &&
    config.forkedFrom === state.forkedFrom &&
    (config.forkOffset === null || config.forkOffset === state.forkOffset) &&
    config.forkSubOffset === state.forkSubOffset
  );
}

function createdHeaders(state: StreamState, highWatermark: number): Record<string, string> {
  return {
    "Content-Type": state.contentType,
    [H.nextOffset]: encodeStreamOffset(highWatermark),
    ...(state.closed ? { [H.closed]: "true" } : {}),
  };
}

async function create(r: StreamRequest): Promise<Response> {
  const { c } = r;
  const forkedFrom = c.req.header(H.forkedFrom) ?? null;
  const forkOffsetHeader = c.req.header(H.forkOffset) ?? null;
  const subHeader = c.req.header(H.forkSubOffset);
  let contentType = c.req.header("Content-Type") ?? "";
  if (contentType.trim() === "" || !CONTENT_TYPE_SHAPE.test(contentType.trim())) {
    contentType = forkedFrom === null ? DEFAULT_CONTENT_TYPE : "";
  }
  const ttlHeader = c.req.header(H.ttl);
  const expiresHeader = c.req.header(H.expiresAt);
  if (ttlHeader !== undefined && expiresHeader !== undefined)
    return bad("Stream-TTL and Stream-Expires-At exclude each other");
  let ttlSeconds: number | null = null;
  if (ttlHeader !== undefined) {
    if (!TTL_SHAPE.test(ttlHeader) || !Number.isSafeInteger(Number(ttlHeader)))
      return bad("invalid Stream-TTL");
    ttlSeconds = Number(ttlHeader);
  }
  if (expiresHeader !== undefined && !Number.isFinite(Date.parse(expiresHeader))) {
    return bad("invalid Stream-Expires-At");
  }
  let forkOffset: number | null = null;
  if (forkOffsetHeader !== null) {
    const parsed = /^\d+_\d+$/.test(forkOffsetHeader) ? parseStreamOffset(forkOffsetHeader) : null;
    if (typeof parsed !== "number") return bad("invalid Stream-Fork-Offset");
    forkOffset = parsed;
  }
  let forkSubOffset = 0;
  if (subHeader !== undefined) {
    if (forkedFrom === null) return bad("Stream-Fork-Sub-Offset needs Stream-Forked-From");
    if (!TTL_SHAPE.test(subHeader) || !Number.isSafeInteger(Number(subHeader))) {
      return bad("invalid Stream-Fork-Sub-Offset");
    }
    forkSubOffset = Number(subHeader);
  }
  const config: CreateConfig = {
    contentType: contentType === "" ? null : contentType,
    ttlSeconds,
    expiresAt: expiresHeader ?? null,
    closed: isTrue(c.req.header(H.closed)),
    forkedFrom,
    forkOffset: forkOffsetHeader,
    forkSubOffset,
  };
  const initial = await body(c);

  const existing = await findStream(r.store, r.topic, r.now, false);
  if (existing.kind === "gone") return text(409, "a deleted stream with live forks still holds this path");
  if (existing.kind === "found") return answerExisting(existing.stream, config);

  let state: StreamState = {
    contentType: config.contentType ?? DEFAULT_CONTENT_TYPE,
    ttlSeconds,
    expiresAt: config.expiresAt,
    createdAt: r.now,
    lastAccessedAt: r.now,
    closed: config.closed,
    closedBy: null,
    lastStreamSeq: null,
    producers: {},
    forkedFrom,
    forkOffset: null,
    forkSubOffset,
    forks: 0,
    softDeleted: false,
  };
  let inherited: Uint8Array[] = [];
  if (forkedFrom !== null) {
    const fork = await planFork(r, state, config, forkOffset);
    if (fork instanceof Response) return fork;
    state = fork.state;
    inherited = fork.batches;
  }
  const own = records(initial, state.contentType, r.now, true);
  if (own instanceof Response) return own;
  const created = await createStream(r.store, r.topic, state, [...inherited, ...toBatches(own)]);
  if (created.kind === "exists") {
    // Someone created it meanwhile: answer as an idempotent create would.
    const again = await findStream(r.store, r.topic, r.now, false);
    if (again.kind !== "found") return text(409, "the stream is being created or deleted concurrently");
    return answerExisting(again.stream, config);
  }
  if (forkedFrom !== null) {
    const source = topicForForkSource(forkedFrom);
    if (source !== null) await runCommand(r.store, source, { kind: "update", forksDelta: 1 });
  }
  const location = new URL(r.url.pathname, r.url).toString();
  return new Response(null, {
    status: 201,
    headers: { ...createdHeaders(state, created.outcome.highWatermark), Location: location },
  });
}

function answerExisting(stream: FoundStream, config: CreateConfig): Response {
  if (!sameConfig(stream.state, config)) return text(409, "the stream exists with a different configuration");
  return new Response(null, { status: 200, headers: createdHeaders(stream.state, stream.highWatermark) });
}

/**
 * A fork is a new topic that starts with a copy of its source's records before the fork offset (plus, with a
 * sub-offset, a prefix of the next append), so it shares the source's offsets and is a standalone topic.
 */
async function planFork(
  r: StreamRequest,
  state: StreamState,
  config: CreateConfig,
  requestedOffset: number | null,
): Promise<{ state: StreamState; batches: Uint8Array[] } | Response> {
  const sourceName = topicForForkSource(config.forkedFrom as string);
  if (sourceName === null) return text(404, "source stream not found");
  const found = await findStream(r.store, sourceName, r.now, false);
  if (found.kind === "missing") return text(404, "source stream not found");
  if (found.kind === "gone") return text(409, "the source stream was deleted");
  const source = found.stream;
  if (config.contentType !== null && mediaType(config.contentType) !== mediaType(source.state.contentType)) {
    return text(409, "a fork keeps its source's content type");
  }
  const forkOffset = requestedOffset ?? source.highWatermark;
  if (forkOffset > source.highWatermark || forkOffset < source.logStartOffset || source.logStartOffset > 0) {
    return bad("Stream-Fork-Offset is outside the source stream");
  }
  const json = isJson(source.state.contentType);
  const values: (Uint8Array | null)[] = [];
  let at = 0;
  while (at < forkOffset) {
    const chunk = await readChunk(r.store, sourceName, at, {
      maxBytes: DEFAULT_READ_MAX_BYTES,
      maxWaitMs: 0,
      until: forkOffset,
    });
    if (chunk.nextOffset <= at) break;
    values.push(...chunk.values);
    at = chunk.nextOffset;
  }
  const batches = toBatches(values.map((value) => ({ key: null, value, headers: [], timestamp: r.now })));
  if (config.forkSubOffset > 0) {
    // The append right after the fork offset: its whole batch (a one-byte budget still returns it).
    const next = await readChunk(r.store, sourceName, forkOffset, { maxBytes: 1, maxWaitMs: 0 });
    const first = next.values[0];
    if (first === undefined) return bad("Stream-Fork-Sub-Offset: no data after the fork offset");
    let prefix: (Uint8Array | null)[];
    if (json) {
      if (config.forkSubOffset > next.values.length)
        return bad("Stream-Fork-Sub-Offset overshoots the append");
      prefix = next.values.slice(0, config.forkSubOffset);
    } else {
      if (first === null || config.forkSubOffset > first.byteLength) {
        return bad("Stream-Fork-Sub-Offset overshoots the append");
      }
      prefix = [first.slice(0, config.forkSubOffset)];
    }
    batches.push(encodeBatch(prefix.map((value) => ({ key: null, value, headers: [], timestamp: r.now }))));
  }
  // Expiry (§C8): the fork's own TTL or Expires-At, else the source's.
  const expiry =
    config.ttlSeconds !== null || config.expiresAt !== null
      ? { ttlSeconds: config.ttlSeconds, expiresAt: config.expiresAt }
      : { ttlSeconds: source.state.ttlSeconds, expiresAt: source.state.expiresAt };
  return {
    state: {
      ...state,
      ...expiry,
      contentType: source.state.contentType,
      forkedFrom: config.forkedFrom,
      forkOffset: config.forkOffset ?? encodeStreamOffset(forkOffset),
    },
    batches,
  };
}

// ── POST ────────────────────────────────────────────────────────────────────────────────────────────────────

function parseProducer(c: Ctx): StreamProducerTuple | null | Response {
  const id = c.req.header(H.producerId);
  const epoch = c.req.header(H.producerEpoch);
  const seq = c.req.header(H.producerSeq);
  if (id === undefined && epoch === undefined && seq === undefined) return null;
  if (id === undefined || epoch === undefined || seq === undefined) {
    return bad("Producer-Id, Producer-Epoch and Producer-Seq go together");
  }
  if (id === "") return bad("Producer-Id must not be empty");
  const numbers = [epoch, seq].map((value) => (STRICT_INTEGER.test(value) ? Number(value) : Number.NaN));
  if (!numbers.every((n) => Number.isSafeInteger(n)))
    return bad("Producer-Epoch and Producer-Seq are integers");
  return { id, epoch: numbers[0] as number, seq: numbers[1] as number };
}

async function append(r: StreamRequest): Promise<Response> {
  const { c } = r;
  const producer = parseProducer(c);
  if (producer instanceof Response) return producer;
  const close = isTrue(c.req.header(H.closed));
  const streamSeq = c.req.header(H.seq) ?? null;
  const contentType = c.req.header("Content-Type");
  const bytes = await body(c);
  if (bytes.byteLength === 0 && !close) return bad("an append needs a body");
  if (bytes.byteLength > 0 && (contentType === undefined || contentType.trim() === "")) {
    return bad("an append needs a Content-Type");
  }
  const found = await findStream(r.store, r.topic, r.now, true);
  if (found.kind === "missing") return text(404, "stream not found");
  if (found.kind === "gone") return text(410, "stream deleted");
  const stream = found.stream;
  let batches: Uint8Array[] = [];
  const closeOnly = bytes.byteLength === 0;
  // Closed first, then content type (§C2): only an open stream of the same type gets its body parsed.
  if (!closeOnly && !stream.state.closed) {
    if (mediaType(contentType) !== mediaType(stream.state.contentType)) {
      return text(409, "Content-Type does not match the stream's");
    }
    const parsed = records(bytes, stream.state.contentType, r.now, false);
    if (parsed instanceof Response) return parsed;
    batches = toBatches(parsed);
  }
  if (!stream.initialised) {
    // A /v1 topic written over /ds for the first time: give it its (default) stream state.
    await r.store.stream(
      { topic: r.topic, partition: 0 },
      { kind: "create", state: stream.state, batches: [] },
    );
  }
  const outcome = await runCommand(r.store, r.topic, {
    kind: "append",
    batches,
    contentType: closeOnly ? null : mediaType(contentType),
    streamSeq,
    producer,
    close,
  });
  return appendAnswer(outcome, producer, closeOnly);
}

function appendAnswer(
  outcome: StreamOutcome,
  producer: StreamProducerTuple | null,
  closeOnly: boolean,
): Response {
  const next = encodeStreamOffset(outcome.highWatermark);
  const closed = outcome.state?.closed === true ? { [H.closed]: "true" } : {};
  const verdict = outcome.verdict;
  switch (verdict.kind) {
    case "ok": {
      const headers: Record<string, string> = { [H.nextOffset]: next, ...closed };
      if (producer === null) return new Response(null, { status: 204, headers });
      headers[H.producerEpoch] = String(producer.epoch);
      headers[H.producerSeq] = String(producer.seq);
      // A producer's append answers 200; its close-only request has nothing to report but the close.
      return new Response(null, { status: closeOnly ? 204 : 200, headers });
    }
    case "duplicate":
      return new Response(null, {
        status: 204,
        headers: {
          [H.producerEpoch]: String(producer?.epoch ?? 0),
          [H.producerSeq]: String(verdict.lastSeq),
          ...(outcome.state?.closed === true ? { [H.closed]: "true", [H.nextOffset]: next } : {}),
        },
      });
    case "closed":
      return text(409, "the stream is closed", { [H.closed]: "true", [H.nextOffset]: next });
    case "content-type-mismatch":
      return text(409, "Content-Type does not match the stream's");
    case "stream-seq-conflict":
      return text(409, `Stream-Seq must exceed ${verdict.lastStreamSeq}`);
    case "stale-epoch":
      return text(403, "stale producer epoch", { [H.producerEpoch]: String(verdict.currentEpoch) });
    case "new-epoch-seq":
      return bad("a new producer epoch starts at sequence 0");
    case "sequence-gap":
      return text(409, "producer sequence gap", {
        [H.expectedSeq]: String(verdict.expectedSeq),
        [H.receivedSeq]: String(verdict.receivedSeq),
      });
    case "missing":
    case "exists":
      return text(404, "stream not found");
  }
}

// ── HEAD and DELETE ─────────────────────────────────────────────────────────────────────────────────────────

async function head(r: StreamRequest): Promise<Response> {
  const found = await findStream(r.store, r.topic, r.now, false);
  if (found.kind === "missing") return new Response(null, { status: 404 });
  if (found.kind === "gone") return new Response(null, { status: 410 });
  const { state, highWatermark, topic } = found.stream;
  const headers: Record<string, string> = {
    "Content-Type": state.contentType,
    [H.nextOffset]: encodeStreamOffset(highWatermark),
    "Cache-Control": NO_STORE,
    ETag: etag(topic.topicId, "-1", highWatermark, state.closed),
  };
  if (state.closed) headers[H.closed] = "true";
  if (state.ttlSeconds !== null) headers[H.ttl] = String(state.ttlSeconds);
  if (state.expiresAt !== null) headers[H.expiresAt] = state.expiresAt;
  return new Response(null, { status: 200, headers });
}

async function remove(r: StreamRequest): Promise<Response> {
  const found = await findStream(r.store, r.topic, r.now, false);
  if (found.kind === "missing") return text(404, "stream not found");
  if (found.kind === "gone") return text(410, "stream deleted");
  await deleteStream(r.store, found.stream);
  return new Response(null, { status: 204 });
}

// ── GET ─────────────────────────────────────────────────────────────────────────────────────────────────────

/** Strong ETag of a read: the topic's incarnation, the range and whether it reached a closed end. */
function etag(topicId: string, start: string, end: number, closedAtEnd: boolean): string {
  return `"${topicId}:${start}:${end}${closedAtEnd ? ":c" : ""}"`;
}

function parseOffsetParam(
  url: URL,
): { spec: StreamOffsetSpec | undefined; raw: string | undefined } | Response {
  const all = url.searchParams.getAll("offset");
  if (all.length === 0) return { spec: undefined, raw: undefined };
  if (all.length > 1) return bad("one offset, please");
  const raw = all[0] as string;
  const spec = parseStreamOffset(raw);
  if (raw === "" || spec === null) return bad("invalid offset");
  return { spec, raw };
}

function body200(state: StreamState, values: readonly (Uint8Array | null)[]): BodyInit {
  return isJson(state.contentType) ? jsonArrayOf(values) : concatBytes(values);
}

async function read(r: StreamRequest): Promise<Response> {
  const { c, url } = r;
  const offset = parseOffsetParam(url);
  if (offset instanceof Response) return offset;
  const live = url.searchParams.get("live");
  const cursor = url.searchParams.get("cursor") ?? undefined;
  if ((live === "long-poll" || live === "sse") && offset.spec === undefined) {
    return bad(`live=${live} needs an offset`);
  }
  const found = await findStream(r.store, r.topic, r.now, true);
  if (found.kind === "missing") return text(404, "stream not found");
  if (found.kind === "gone") return text(410, "stream deleted");
  const stream = found.stream;
  const { state, highWatermark, logStartOffset } = stream;
  let start: number;
  if (offset.spec === undefined || offset.spec === "start") start = logStartOffset;
  else if (offset.spec === "now") start = highWatermark;
  else start = Math.min(offset.spec, highWatermark);
  if (start < logStartOffset) return text(410, "that offset is before the retained data");

  if (live === "sse") return sse(r, stream, start, cursor);
  if (offset.spec === "now" && live !== "long-poll") {
    return new Response(isJson(state.contentType) ? "[]" : null, {
      status: 200,
      headers: {
        "Content-Type": state.contentType,
        [H.nextOffset]: encodeStreamOffset(highWatermark),
        [H.upToDate]: "true",
        "Cache-Control": NO_STORE,
        ...(state.closed ? { [H.closed]: "true" } : {}),
      },
    });
  }
  const longPoll = live === "long-poll";
  let chunk = await readChunk(r.store, r.topic, start, { maxBytes: DEFAULT_READ_MAX_BYTES, maxWaitMs: 0 });
  let closed = state.closed;
  if (longPoll && chunk.values.length === 0 && start >= chunk.highWatermark) {
    if (closed) {
      return new Response(null, {
        status: 204,
        headers: { [H.nextOffset]: encodeStreamOffset(start), [H.upToDate]: "true", [H.closed]: "true" },
      });
    }
    chunk = await readChunk(r.store, r.topic, start, {
      maxBytes: DEFAULT_READ_MAX_BYTES,
      maxWaitMs: r.options.longPollTimeoutMs,
      signal: c.req.raw.signal,
    });
    const after = await findStream(r.store, r.topic, c.get("now")(), true);
    if (after.kind === "missing") return text(404, "stream not found");
    if (after.kind === "gone") return text(410, "stream deleted");
    closed = after.stream.state.closed;
    if (chunk.values.length === 0) {
      const atTail = start >= after.stream.highWatermark;
      return new Response(null, {
        status: 204,
        headers: {
          [H.nextOffset]: encodeStreamOffset(start),
          [H.upToDate]: "true",
          [H.cursor]: responseCursor(cursor, c.get("now")(), c.get("random")),
          ...(closed && atTail ? { [H.closed]: "true" } : {}),
        },
      });
    }
  }
  const upToDate = chunk.nextOffset >= chunk.highWatermark;
  const closedAtEnd = closed && upToDate;
  const tag = etag(stream.topic.topicId, offset.raw ?? "-1", chunk.nextOffset, closedAtEnd);
  if (c.req.header("If-None-Match") === tag)
    return new Response(null, { status: 304, headers: { ETag: tag } });
  const headers: Record<string, string> = {
    "Content-Type": state.contentType,
    [H.nextOffset]: encodeStreamOffset(chunk.nextOffset),
    ETag: tag,
    "Cache-Control": CACHEABLE,
  };
  if (upToDate) headers[H.upToDate] = "true";
  if (closedAtEnd) headers[H.closed] = "true";
  if (longPoll) headers[H.cursor] = responseCursor(cursor, c.get("now")(), c.get("random"));
  return new Response(body200(state, chunk.values), { status: 200, headers });
}

/**
 * SSE (§C5): each chunk read is one `data` event followed by its own `control` event; at the tail the stream
 * waits (a keep-alive control after each empty wait), ends with `streamClosed` once the stream is closed and
 * read to its end, and otherwise after `sseMaxConnectionMs`, for the client to resume.
 */
function sse(r: StreamRequest, stream: FoundStream, start: number, cursor: string | undefined): Response {
  const { c, store, topic, options } = r;
  const { state } = stream;
  const base64 = !isTextual(state.contentType);
  const json = isJson(state.contentType);
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const abort = new AbortController();
  const onClientGone = (): void => abort.abort(new EdgeLogError("REQUEST_TIMED_OUT", "the client went away"));
  c.req.raw.signal.addEventListener("abort", onClientGone, { once: true });
  const deadline = Date.now() + options.sseMaxConnectionMs;
  const now = c.get("now");
  const random = c.get("random");

  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const control = (next: number, upToDate: boolean, closed: boolean): string => {
        const fields: Record<string, unknown> = { streamNextOffset: encodeStreamOffset(next) };
        if (closed) fields.streamClosed = true;
        else {
          fields.streamCursor = responseCursor(cursor, now(), random);
          if (upToDate) fields.upToDate = true;
        }
        return sseEvent("control", JSON.stringify(fields));
      };
      let offset = start;
      let wait = 0;
      try {
        while (!abort.signal.aborted) {
          const chunk = await readChunk(store, topic, offset, {
            maxBytes: DEFAULT_READ_MAX_BYTES,
            maxWaitMs: wait,
            signal: abort.signal,
          });
          const found = await findStream(store, topic, now(), true);
          if (found.kind !== "found") break;
          const closed = found.stream.state.closed;
          // A data event and its control event go out in one write, so no reader sees one without the other.
          let events = "";
          if (chunk.values.length > 0) {
            let payload: string;
            if (base64) payload = toBase64(concatBytes(chunk.values));
            else if (json) payload = jsonArrayOf(chunk.values);
            else payload = decoder.decode(concatBytes(chunk.values));
            events += sseEvent("data", payload);
            offset = chunk.nextOffset;
          }
          const upToDate = offset >= Math.max(chunk.highWatermark, found.stream.highWatermark);
          const done = closed && upToDate;
          controller.enqueue(encoder.encode(events + control(offset, upToDate, done)));
          if (done || Date.now() >= deadline) break;
          wait = upToDate ? Math.min(options.longPollTimeoutMs, Math.max(1, deadline - Date.now())) : 0;
        }
      } catch (error) {
        if (!abort.signal.aborted) console.error("edgelog worker: /ds SSE failed", error);
      } finally {
        c.req.raw.signal.removeEventListener("abort", onClientGone);
        try {
          controller.close();
        } catch {
          // already closed by the client
        }
      }
    },
    cancel() {
      abort.abort(new EdgeLogError("REQUEST_TIMED_OUT", "the client went away"));
    },
  });
  const headers: Record<string, string> = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
  };
  if (base64) headers[H.sseEncoding] = "base64";
  return new Response(body, { status: 200, headers });
}
