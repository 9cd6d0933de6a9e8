/**
 * @module
 * The API's limits (docs/http-api.md "Limits"), named once, and the request-body guard that enforces the byte
 * limit before buffering when `Content-Length` declares the size and while streaming when it does not.
 */
import { EdgeLogError } from "@edgelog/core";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";

/** Largest request body, JSON or binary. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** Most records one produce request may carry. */
export const MAX_RECORDS_PER_REQUEST = 10_000;
/** Fetch `limit` when none is given. */
export const DEFAULT_FETCH_LIMIT = 500;
/** Largest fetch `limit`; more is a 400, not a silent clamp, so a client never mistakes a cap for the end. */
export const MAX_FETCH_LIMIT = 10_000;
/** Longest long-poll; larger `wait` values are clamped (a Worker request should not hang for minutes). */
export const MAX_WAIT_MS = 30_000;
/** Binary fetch byte budget when `maxBytes` is absent. */
export const DEFAULT_FETCH_MAX_BYTES = 1024 * 1024;
/** Largest binary fetch byte budget; larger values are clamped. */
export const MAX_FETCH_MAX_BYTES = 8 * 1024 * 1024;
/** Most topics one committed-offsets query names (as many as a subscription may). */
export const MAX_OFFSETS_QUERY_TOPICS = 1_000;
/** How often an idle SSE stream sends a `: keep-alive` comment, so proxies do not close it. */
export const SSE_KEEP_ALIVE_MS = 15_000;

/**
 * Hono's `bodyLimit`, answering with edgelog's error instead of a plain-text 413. It rejects on a declared
 * `Content-Length` without reading, and counts bytes while reading a body of unknown length.
 * @example
 * app.post("/v1/topics", limitBody(), handler)
 */
export function limitBody(maxBytes: number = MAX_BODY_BYTES): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw bodyTooLarge(maxBytes);
    },
  });
}

/** The 413 for a request body over `maxBytes`. */
export function bodyTooLarge(maxBytes: number = MAX_BODY_BYTES): EdgeLogError {
  return new EdgeLogError("MESSAGE_TOO_LARGE", `request body is larger than ${maxBytes} bytes`, {
    context: { maxBytes },
  });
}
