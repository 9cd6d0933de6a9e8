/**
 * @module
 * Turning HTTP failures into `EdgeLogError`s. The choice that matters is retriability, because core's producer
 * acts on it: a retriable failure is retried with the *same* stamped batch (the server drops it as a duplicate if
 * the first attempt landed), and once retries run out the partition moves to a new epoch. A failure reported as
 * final instead leaves the sequence where it was, so the next batch would reuse a sequence the server may
 * already hold and be answered as a "duplicate" — silently dropped. Hence: whenever the outcome is unknown
 * (network error, timeout, any 5xx), the error is retriable.
 */
import { EdgeLogError, type ErrorCode, isEdgeLogError, isErrorCode } from "@edgelog/core";
import { readBatchHeader } from "@edgelog/core/store-kit";

const HTTP_SERVER_ERROR = 500;
const HTTP_GATEWAY_TIMEOUT = 504;

/** Codes for error responses that carry no edgelog error body (a proxy, a platform error page). */
const CODE_BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: "INVALID_REQUEST",
  401: "AUTHENTICATION_FAILED",
  // Without a body the server's resource is unknown; cluster is the widest of Kafka's three authorization codes.
  403: "CLUSTER_AUTHORIZATION_FAILED",
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  409: "INVALID_REQUEST",
  413: "MESSAGE_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  416: "OFFSET_OUT_OF_RANGE",
  429: "THROTTLING_QUOTA_EXCEEDED",
  504: "REQUEST_TIMED_OUT",
};

/**
 * The `EdgeLogError` for a non-2xx response. A JSON body `{ error: { code, ... } }` keeps the server's code and
 * context; anything else is classified by status. Every 5xx is retriable: the request may or may not have taken
 * effect, and edgelog's writes are safe to repeat (idempotent producer) while reads have no effect at all.
 * @example
 * if (!response.ok) throw await errorFromResponse(response);
 */
export async function errorFromResponse(response: Response): Promise<EdgeLogError> {
  const text = await response.text().catch(() => "");
  const serverError = response.status >= HTTP_SERVER_ERROR;
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  const wire = typeof body === "object" && body !== null && "error" in body ? body.error : undefined;
  const retryAfterMs = retryAfterHeaderMs(response.headers.get("retry-after"));
  if (typeof wire === "object" && wire !== null && "code" in wire && isErrorCode(wire.code)) {
    const parsed = EdgeLogError.fromJSON(wire);
    const { retriable, ...context } = parsed.context;
    // The server may say better (`retriable` in the body); otherwise the code's default, widened for 5xx.
    const retry = typeof retriable === "boolean" ? retriable : parsed.retriable || serverError;
    // The body's `retryAfterMs` is exact; the header (whole seconds) stands in when the body has none.
    if (typeof context.retryAfterMs !== "number" && retryAfterMs !== undefined)
      context.retryAfterMs = retryAfterMs;
    return new EdgeLogError(parsed.code, parsed.message, { retriable: retry, context });
  }
  const code: ErrorCode =
    CODE_BY_STATUS[response.status] ?? (serverError ? "UNKNOWN_SERVER_ERROR" : "INVALID_REQUEST");
  const detail = text.length > 0 ? `: ${text.slice(0, 200)}` : "";
  return new EdgeLogError(code, `HTTP ${response.status} ${response.statusText}${detail}`.trim(), {
    retriable:
      serverError || code === "THROTTLING_QUOTA_EXCEEDED" || response.status === HTTP_GATEWAY_TIMEOUT,
    context: { status: response.status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
  });
}

/**
 * `Retry-After` (RFC 9110 §10.2.3) in ms from now: delay-seconds, or an HTTP date; `undefined` when absent or
 * unreadable. Core's retry waits at least this long (`retryDelayMs`).
 */
export function retryAfterHeaderMs(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // HTTP dates start with the day's name; `Date.parse` alone would take "-1" for a year.
  if (!/^[A-Za-z]{3},? /.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * The error for a request that got no response: the network failed or our own timeout fired. Retriable —
 * the request may have reached the server, and retrying the same bytes is what lets it deduplicate.
 */
export function requestFailed(url: string, cause: unknown, timedOut: boolean): EdgeLogError {
  const why = timedOut ? "timed out" : `failed: ${cause instanceof Error ? cause.message : String(cause)}`;
  return new EdgeLogError("REQUEST_TIMED_OUT", `request to ${url} ${why}`, { cause, retriable: true });
}

/**
 * The error of a failed append, as its sender may act on it. The server says when the batch *was written* on a
 * leader that then lost leadership (`NOT_LEADER_OR_FOLLOWER` with `appended: true`) or before the in-sync set
 * shrank (`NOT_ENOUGH_REPLICAS_AFTER_APPEND`): it may or may not survive on the new leader. Sending it again is
 * safe only for a batch stamped by an idempotent producer — the partition answers `duplicate` if it holds it. An
 * unstamped batch sent again could be stored twice, so its error is made final: the caller decides (Kafka's
 * non-idempotent producer would retry and may duplicate; we refuse to do that silently).
 */
export function appendFailure(error: unknown, batch: Uint8Array): unknown {
  if (!isEdgeLogError(error) || !error.retriable || !writtenBeforeFailing(error)) return error;
  if (stamped(batch)) return error;
  return new EdgeLogError(
    error.code,
    `${error.message} (an unstamped batch is not resent: it may be stored)`,
    {
      retriable: false,
      context: error.context,
      cause: error,
    },
  );
}

function writtenBeforeFailing(error: EdgeLogError): boolean {
  return error.code === "NOT_ENOUGH_REPLICAS_AFTER_APPEND" || error.context.appended === true;
}

function stamped(batch: Uint8Array): boolean {
  try {
    return readBatchHeader(batch).producerId !== null;
  } catch {
    return false; // unreadable: no producer stamp to deduplicate a resend with either
  }
}
