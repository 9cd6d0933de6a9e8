/**
 * @module
 * How native IndexedDB failures reach callers of `IndexedDbLogStore`: as an `EdgeLogError` whose `cause` is the
 * native `DOMException`, so callers match on one error type and can still see what the browser said.
 */
import { EdgeLogError, isEdgeLogError } from "@edgelog/core";

/** `context.storage` of an error caused by a full origin quota, for callers and UIs that want to tell it apart. */
export const QUOTA_EXCEEDED = "QuotaExceededError";

function nameOf(error: unknown): unknown {
  return typeof error === "object" && error !== null && "name" in error ? error.name : undefined;
}

/**
 * Whether `error` (or, for an `AbortError`, the error of the aborted transaction) is a quota failure.
 * Browsers report a full origin either on the request or only when the transaction commits, as an abort whose
 * `transaction.error` is the `QuotaExceededError`.
 */
export function isQuotaError(error: unknown, transactionError?: unknown): boolean {
  return (
    nameOf(error) === QUOTA_EXCEEDED ||
    (nameOf(error) === "AbortError" && nameOf(transactionError) === QUOTA_EXCEEDED)
  );
}

/**
 * The `EdgeLogError` for any failure. `EdgeLogError`s pass unchanged. A quota failure gets its own message and
 * `context.storage` under STORAGE_QUOTA_EXCEEDED, not retriable: a retry only helps once space is freed, which the
 * caller must decide.
 * Anything else native is UNKNOWN_SERVER_ERROR with the native error as `cause`.
 */
export function toEdgeLogError(error: unknown, transactionError?: unknown): EdgeLogError {
  if (isEdgeLogError(error)) return error;
  const native =
    nameOf(error) === "AbortError" && transactionError !== undefined && transactionError !== null
      ? transactionError
      : error;
  if (isQuotaError(error, transactionError)) {
    return new EdgeLogError(
      "STORAGE_QUOTA_EXCEEDED",
      "IndexedDB storage quota exceeded: nothing of this call was stored; free space and retry",
      { cause: native, context: { storage: QUOTA_EXCEEDED } },
    );
  }
  const name = nameOf(native);
  const message = native instanceof Error ? native.message : String(native);
  return new EdgeLogError(
    "UNKNOWN_SERVER_ERROR",
    `IndexedDB failed: ${typeof name === "string" ? `${name}: ` : ""}${message}`,
    { cause: native },
  );
}
