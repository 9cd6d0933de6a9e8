/**
 * @module
 * The compare-and-set rule of `LogStore.putGroupState`, once for every store: a write names the version it read
 * (`null`: none yet) and wins only if that is still the current one.
 */
import { EdgeLogError } from "../errors.ts";

/** The version a successful write gets, or `CONCURRENT_TRANSACTIONS` (retriable) when someone else wrote first. */
export function nextGroupStateVersion(
  groupId: string,
  currentVersion: number | null,
  expectedVersion: number | null,
): number {
  if (currentVersion !== expectedVersion) {
    throw new EdgeLogError(
      "CONCURRENT_TRANSACTIONS",
      `group "${groupId}" state is at version ${String(currentVersion)}, not ${String(expectedVersion)}`,
      { context: { groupId } },
    );
  }
  return (currentVersion ?? 0) + 1;
}
