/**
 * @module
 * `PUT /ds/{path}`: creates a stream — its single-partition topic and its state — with the initial body, or
 * answers 200 for an identical config and 409 for another. A fork (`Stream-Forked-From`) starts as a copy of
 * its source's records before the fork offset, so it shares the source's offsets and is a standalone topic.
 */
import { DEFAULT_READ_MAX_BYTES, encodeBatch, mediaType, type StreamState } from "@edgelog/core";
import { bad, body, isTrue, records, type StreamRequest, text } from "./http.ts";
import { topicForForkSource } from "./names.ts";
import { encodeStreamOffset, parseStreamOffset } from "./offsets.ts";
import { createStream, type FoundStream, findStream, readChunk, runCommand, toBatches } from "./streams.ts";
import { H, isJson } from "./wire.ts";

const DEFAULT_CONTENT_TYPE = "application/octet-stream";
/** Non-negative decimal without sign, leading zeros or fraction (`Stream-TTL`, `Stream-Fork-Sub-Offset`). */
const PLAIN_INTEGER = /^(0|[1-9]\d*)$/;
const CONTENT_TYPE_SHAPE = /^[\w.+-]+\/[\w.+-]+/;

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

export async function create(r: StreamRequest): Promise<Response> {
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
    if (!PLAIN_INTEGER.test(ttlHeader) || !Number.isSafeInteger(Number(ttlHeader)))
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
    if (!PLAIN_INTEGER.test(subHeader) || !Number.isSafeInteger(Number(subHeader))) {
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
