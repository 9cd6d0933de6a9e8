/**
 * @module
 * Turns whatever a failed call threw into what the console shows: the server's Kafka-style code and message for
 * an `EdgeLogError`, a plain "could not reach the server" for a network failure (fetch's `TypeError`), and the
 * message of anything else — never a stack, never a blank.
 */
import { EdgeLogError, isEdgeLogError } from "@edgelog/core";

export interface ShownError {
  /** The error code (`TOPIC_ALREADY_EXISTS`), or `NETWORK_ERROR` / `ERROR` for failures that carry none. */
  readonly code: string;
  readonly message: string;
}

export function describeError(error: unknown): ShownError {
  if (isEdgeLogError(error)) return { code: error.code, message: error.message };
  if (error instanceof TypeError)
    return { code: "NETWORK_ERROR", message: `the server could not be reached (${error.message})` };
  if (error instanceof Error) return { code: "ERROR", message: error.message };
  return { code: "ERROR", message: String(error) };
}

/** Whatever a call threw, as an `EdgeLogError`: its own, or `UNKNOWN_SERVER_ERROR` with what was thrown. */
export function asEdgeLogError(error: unknown): EdgeLogError {
  if (isEdgeLogError(error)) return error;
  return new EdgeLogError("UNKNOWN_SERVER_ERROR", error instanceof Error ? error.message : String(error));
}
