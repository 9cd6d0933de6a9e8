/**
 * @module
 * Errors on the wire (docs/http-api.md "Errors", fixed): every failure answers the status of its code from
 * core's one table and the body `{ "error": { code, message, ...context } }`. Anything that is not an
 * `EdgeLogError` (or is an `UNKNOWN_SERVER_ERROR`) is a bug or a fault below: it is logged once with its route
 * and answered as a 500 with a generic message, never its own.
 */
import { EdgeLogError, isEdgeLogError } from "@edgelog/core";
import { httpStatusFor } from "@edgelog/core/store-kit";
import type { Context } from "hono";

/** The JSON error body for an `EdgeLogError`, with its status (or `status` when a route knows better). */
export function errorResponse(error: EdgeLogError, status?: number): Response {
  const headers = new Headers({ "Content-Type": "application/json; charset=utf-8" });
  const { retryAfterMs } = error.context;
  // A throttled client is told when to come back, in whole seconds (RFC 9110 §10.2.3), never "now".
  if (error.code === "THROTTLING_QUOTA_EXCEEDED" && typeof retryAfterMs === "number") {
    headers.set("Retry-After", String(retryAfterSeconds(retryAfterMs)));
  }
  return new Response(JSON.stringify({ error: error.toJSON() }), {
    status: status ?? httpStatusFor(error.code),
    headers,
  });
}

/** `Retry-After` in whole seconds: rounded up, at least 1. */
export function retryAfterSeconds(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000));
}

/** Hono's `onError`: known errors keep their code; unknown ones become `UNKNOWN_SERVER_ERROR`. */
export function handleError(error: unknown, c: Context): Response {
  // The client went away (a long-poll it gave up on): the store read was aborted with it. Nothing failed and
  // nobody will read the answer, so it is not logged as a bug.
  if (!isEdgeLogError(error) && c.req.raw.signal.aborted) {
    return errorResponse(new EdgeLogError("REQUEST_TIMED_OUT", "the client closed the request"));
  }
  return errorResponse(publicError(error, c));
}

/**
 * What a client may see of `error`. An `EdgeLogError` with a code of its own is the API's answer and passes;
 * anything else is a bug or a fault below us (a storage error, or one a Durable Object sent back as
 * `UNKNOWN_SERVER_ERROR` with the runtime's raw message): it is logged here, once, with its route, and the
 * client gets the generic `UNKNOWN_SERVER_ERROR` — never an internal message.
 */
export function publicError(error: unknown, c: Context): EdgeLogError {
  if (isEdgeLogError(error) && error.code !== "UNKNOWN_SERVER_ERROR") return error;
  console.error(`edgelog: unexpected error on ${c.req.method} ${new URL(c.req.url).pathname}`, error);
  return new EdgeLogError("UNKNOWN_SERVER_ERROR", "internal error");
}

/** Hono's `notFound`: the fixed `NOT_FOUND` code for any unknown route. */
export function handleNotFound(c: Context): Response {
  return errorResponse(
    new EdgeLogError("NOT_FOUND", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`),
  );
}

/**
 * A known path asked with a method it does not serve: 405 `METHOD_NOT_ALLOWED` with `Allow` (docs/http-api.md
 * "Errors"), its status from the one code table like every other error.
 */
export function methodNotAllowed(c: Context, allowed: readonly string[]): Response {
  const response = errorResponse(
    new EdgeLogError("METHOD_NOT_ALLOWED", `method ${c.req.method} is not allowed here`, {
      context: { allowed: allowed.join(", ") },
    }),
  );
  response.headers.set("Allow", allowed.join(", "));
  return response;
}

/** Shorthand for a 400 about the request's shape. */
export function invalidRequest(message: string, context: EdgeLogError["context"] = {}): EdgeLogError {
  return new EdgeLogError("INVALID_REQUEST", message, { context });
}
