/**
 * @module
 * How errors cross Workers RPC. An exception thrown by a Durable Object reaches the caller with its message but
 * without custom fields (`code`, `context`, `retriable` are lost; see
 * https://developers.cloudflare.com/workers/runtime-apis/rpc/error-handling/), so every RPC method of our
 * objects returns a result value instead, and the store side turns a failure back into an `EdgeLogError`.
 */
import { EdgeLogError, type ErrorCode, type ErrorContext, isEdgeLogError } from "@edgelog/core";

/** An `EdgeLogError` as plain data, structured-clone safe. */
export interface RpcError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly context: ErrorContext;
}

export type RpcResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: RpcError };

export function ok<T>(value: T): RpcResult<T> {
  return { ok: true, value };
}

/** A failure as data. Anything that is not an `EdgeLogError` (a storage fault) becomes `UNKNOWN_SERVER_ERROR`. */
export function failure(error: unknown): { readonly ok: false; readonly error: RpcError } {
  if (isEdgeLogError(error)) {
    return { ok: false, error: { code: error.code, message: error.message, context: { ...error.context } } };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { ok: false, error: { code: "UNKNOWN_SERVER_ERROR", message, context: {} } };
}

/** Runs `body` inside an object and packs its outcome for RPC. */
export async function toResult<T>(body: () => T | Promise<T>): Promise<RpcResult<T>> {
  try {
    return ok(await body());
  } catch (error) {
    return failure(error);
  }
}

/** The caller's side: the value, or the object's `EdgeLogError` rebuilt with its code and context. */
export function unwrap<T>(result: RpcResult<T>): T {
  if (result.ok) return result.value;
  throw errorFromRpc(result.error);
}

export function errorFromRpc(error: RpcError): EdgeLogError {
  return EdgeLogError.fromJSON({ ...error.context, code: error.code, message: error.message });
}

/** The replica answered that it no longer leads, or that the caller's leader epoch is stale: refresh and retry. */
export function leadershipMoved(error: RpcError): boolean {
  return error.code === "NOT_LEADER_OR_FOLLOWER" || error.code === "FENCED_LEADER_EPOCH";
}
