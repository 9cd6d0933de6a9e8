/**
 * @module
 * The exit codes scripts can rely on, and how an error is shown: `edgelog: CODE: message` on stderr. The code is
 * derived from the error's `code` through core's code → HTTP status table, so the CLI, the HTTP API and the
 * client agree on what kind of failure something is.
 */
import { EdgeLogError, isEdgeLogError } from "@edgelog/core";
import { HTTP_STATUS_BY_CODE } from "@edgelog/core/store-kit";

export const EXIT = {
  /** Done. */
  OK: 0,
  /** The server failed, could not be reached, timed out, or something unexpected happened. */
  ERROR: 1,
  /** The command line or the input was invalid: unknown flag, bad value, invalid topic name, record too large. */
  USAGE: 2,
  /** No or a refused token (401), or it lacks the right (403). */
  AUTH: 3,
  /** The topic, partition or group does not exist. */
  NOT_FOUND: 4,
  /** The state forbids it: the topic exists, the group has members, a producer was fenced. */
  CONFLICT: 5,
  /** Stopped by SIGINT / SIGTERM before the input was done (128 + SIGINT, as shells report it). */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const AUTH_CODES = new Set([
  "AUTHENTICATION_FAILED",
  "TOPIC_AUTHORIZATION_FAILED",
  "GROUP_AUTHORIZATION_FAILED",
  "CLUSTER_AUTHORIZATION_FAILED",
]);

/** The exit code for a failure. Only edgelog's own errors get a specific one; anything else is `ERROR`. */
export function exitCodeFor(error: unknown): ExitCode {
  if (!isEdgeLogError(error)) return EXIT.ERROR;
  if (AUTH_CODES.has(error.code)) return EXIT.AUTH;
  const status = HTTP_STATUS_BY_CODE[error.code];
  if (status === 404) return EXIT.NOT_FOUND;
  // A fenced producer is a 403 on the wire, but a conflict of producers, not a question of rights.
  if (status === 409 || error.code === "INVALID_PRODUCER_EPOCH") return EXIT.CONFLICT;
  if (status === 400 || status === 413 || status === 415 || status === 416) return EXIT.USAGE;
  return EXIT.ERROR;
}

/** A mistake on the command line: shown with a pointer to `--help`. */
export function usageError(message: string): EdgeLogError {
  return new EdgeLogError("INVALID_REQUEST", message, { context: { usage: true } });
}

/** `edgelog: CODE: message`, plus a hint where one helps; never a stack trace. */
export function formatError(error: unknown, command: string): string {
  if (!isEdgeLogError(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return `edgelog: ${message}\n`;
  }
  let line = `edgelog: ${error.code}: ${error.message}\n`;
  if (error.context.usage === true) line += `Run 'edgelog ${command} --help' for usage.\n`;
  if (error.code === "REQUEST_TIMED_OUT" && /failed/.test(error.message)) {
    const cause = rootCause(error);
    if (cause !== undefined) line += `  cause: ${cause}\n`;
    line += "  Is the server running? Set the URL with --url or EDGELOG_URL.\n";
  }
  if (error.code === "AUTHENTICATION_FAILED") line += "  Set a token with EDGELOG_TOKEN.\n";
  return line;
}

/** The innermost `cause` message (Node's fetch hides ECONNREFUSED two levels down). */
function rootCause(error: Error): string | undefined {
  let cause: unknown = error.cause;
  let message: string | undefined;
  for (let depth = 0; depth < 5 && cause instanceof Error; depth++) {
    message = cause.message;
    cause = cause.cause;
  }
  return message;
}
