/**
 * @module
 * An API answer that is not 2xx, as the `EdgeLogError` the console's screens show: the server's code, message and
 * context (`limit`, `actual`, `partition`…), so a screen can say more than the message; a body that is not the
 * API's error shape (a proxy's HTML page) keeps the HTTP status.
 */
import { EdgeLogError, isErrorCode } from "@edgelog/core";

export async function errorOf(response: Response): Promise<EdgeLogError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    // not JSON: only the status is known
  }
  const error = typeof body === "object" && body !== null && "error" in body ? body.error : undefined;
  if (typeof error !== "object" || error === null) {
    return new EdgeLogError("UNKNOWN_SERVER_ERROR", `HTTP ${response.status}`);
  }
  if ("code" in error && isErrorCode(error.code)) return EdgeLogError.fromJSON(error);
  // A code this console does not know (a newer server): its message still says what happened.
  const message = "message" in error && typeof error.message === "string" ? error.message : undefined;
  return new EdgeLogError("UNKNOWN_SERVER_ERROR", message ?? `HTTP ${response.status}`);
}
