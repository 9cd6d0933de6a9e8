/**
 * @module
 * What a sync failure is. An `EdgeLogError` says so itself. Of anything else, only a network-level failure (a
 * `fetch` TypeError from an upstream call, an abort or a timeout) is a retriable `REQUEST_TIMED_OUT`: the request
 * may or may not have arrived, and resending the same bytes is how the server deduplicates it. Any other failure
 * (a bug, a store that throws what it should not) is reported as what it is, a non-retriable
 * `UNKNOWN_SERVER_ERROR` with the original as `cause`: dressing it as a timeout would retry it forever.
 */
import { EdgeLogError, isEdgeLogError } from "@edgelog/core";

/** Where a failure came from: `fetch` rejects with a TypeError when the network fails, so there it means that. */
export type FailureSource = "upstream" | "local";

/** The failure as an `EdgeLogError`, classified as above. */
export function toSyncError(error: unknown, source: FailureSource): EdgeLogError {
  if (isEdgeLogError(error)) return error;
  if (isNetworkFailure(error, source)) {
    return new EdgeLogError("REQUEST_TIMED_OUT", `sync request failed: ${describe(error)}`, {
      cause: error,
      retriable: true,
    });
  }
  return new EdgeLogError("UNKNOWN_SERVER_ERROR", `sync failed unexpectedly: ${describe(error)}`, {
    cause: error,
    retriable: false,
    context: { unexpected: true },
  });
}

/**
 * Whether `toSyncError` found the failure unexpected (neither an `EdgeLogError` nor a network failure): one that
 * would fail the same way again, so the sync loop does not retry it on a timer.
 */
export function isUnexpectedFailure(error: EdgeLogError): boolean {
  return error.code === "UNKNOWN_SERVER_ERROR" && error.context.unexpected === true;
}

function isNetworkFailure(error: unknown, source: FailureSource): boolean {
  // DOMException is an Error in browsers and Node alike; its name tells an abort or timeout apart.
  if (error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError")) return true;
  return source === "upstream" && error instanceof TypeError;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
