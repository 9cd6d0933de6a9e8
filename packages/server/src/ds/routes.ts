/**
 * @module
 * The Durable Streams protocol at `/ds/...` (docs/semantics.md §C; docs/http-api.md "Durable
 * Streams"): PUT creates (or forks), POST appends and closes, GET reads (catch-up, long-poll, SSE), HEAD
 * describes, DELETE deletes. Each stream is a single-partition topic (`names.ts`), its offsets are edgelog
 * offsets (`offsets.ts`), and its protocol state (content type, closed flag, TTL, forks, `Stream-Seq`,
 * idempotent producers) sits beside its batches in the partition and changes atomically with them (core's
 * `store-kit/stream-state.ts`). So a stream is an ordinary topic to `/v1`, and a one-partition `/v1` topic is a
 * JSON stream here: one log, two views.
 */
import { isEdgeLogError } from "@edgelog/core";
import { httpStatusFor } from "@edgelog/core/store-kit";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import { errorResponse, publicError } from "../errors.ts";
import { append } from "./append.ts";
import { create } from "./create.ts";
import { bad, type Ctx, type DurableStreamsOptions, etag, type StreamRequest, text } from "./http.ts";
import { DS_PREFIX, topicForStream } from "./names.ts";
import { encodeStreamOffset } from "./offsets.ts";
import { read } from "./read.ts";
import { deleteStream, findStream, supportsStreams } from "./streams.ts";
import { H, NO_STORE, withStreamHeaders } from "./wire.ts";

const RESERVED_PREFIX = "__ds";

export {
  DEFAULT_DS_LONG_POLL_TIMEOUT_MS,
  DEFAULT_DS_SSE_MAX_CONNECTION_MS,
  type DurableStreamsOptions,
} from "./http.ts";

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
    return withStreamHeaders(response, origin, c.env?.ALLOWED_ORIGINS, c.req.method === "OPTIONS");
  };
}

function failed(c: Ctx, error: unknown): Response {
  if (isEdgeLogError(error) && error.code !== "UNKNOWN_SERVER_ERROR") {
    // A read below the log start is "gone" in this protocol (§C2), not Kafka's 416.
    const status = error.code === "OFFSET_OUT_OF_RANGE" ? 410 : httpStatusFor(error.code);
    return errorResponse(error, status);
  }
  if (!isEdgeLogError(error) && c.req.raw.signal.aborted) return new Response(null, { status: 499 });
  return errorResponse(publicError(error, c));
}

async function handle(c: Ctx, options: DurableStreamsOptions): Promise<Response> {
  const method = c.req.method;
  if (method === "OPTIONS") return new Response(null, { status: 204 });
  const store = c.get("store");
  if (!supportsStreams(store)) return text(501, "this store does not support Durable Streams");
  const url = new URL(c.req.url);
  // Under the app's mount path, if the host mounted it under one of its own.
  const dsPrefix = `${c.get("mountPath")}${DS_PREFIX}`;
  const path = url.pathname.slice(dsPrefix.length);
  // The protocol reserves `__ds` for its optional subscription and JWKS APIs, which edgelog does not offer:
  // such a path is never a stream.
  if (path === RESERVED_PREFIX || path.startsWith(`${RESERVED_PREFIX}/`)) {
    return text(
      404,
      "paths under __ds are reserved for the optional subscription APIs, which are not offered",
    );
  }
  const topic = topicForStream(path);
  if (topic === null) return bad("the stream path is empty or too long for a topic name");
  const scope = { store, dsPrefix };
  const request: StreamRequest = { c, scope, url, path, topic, now: c.get("now")(), options };
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

// ── HEAD and DELETE ─────────────────────────────────────────────────────────────────────────────────────────

async function head(r: StreamRequest): Promise<Response> {
  const found = await findStream(r.scope, r.topic, r.now, false);
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
  const found = await findStream(r.scope, r.topic, r.now, false);
  if (found.kind === "missing") return text(404, "stream not found");
  if (found.kind === "gone") return text(410, "stream deleted");
  await deleteStream(r.scope, found.stream);
  return new Response(null, { status: 204 });
}
