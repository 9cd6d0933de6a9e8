/**
 * @module
 * The errors this package raises itself, worded once.
 */
import { EdgeLogError } from "@edgelog/core";

export function storeClosedError(): EdgeLogError {
  return new EdgeLogError("STORE_CLOSED", "the store is closed");
}
