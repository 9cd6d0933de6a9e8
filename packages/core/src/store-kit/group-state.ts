/**
 * @module
 * The compare-and-set rule of `LogStore.putGroupState` and `PrivateStateStore.putPrivateState`, once for every
 * store: a write names the version it read (`null`: none yet) and wins only if that is still the current one.
 */
import { EdgeLogError, type ErrorContext } from "../errors.ts";

/** The version a successful write gets, or `CONCURRENT_TRANSACTIONS` (retriable) when someone else wrote first. */
export function nextGroupStateVersion(
  groupId: string,
  currentVersion: number | null,
  expectedVersion: number | null,
): number {
  return nextVersion(`group "${groupId}" state`, { groupId }, currentVersion, expectedVersion);
}

/** `nextGroupStateVersion` for a private state document (`PrivateStateStore`): the same rule, its own message. */
export function nextPrivateStateVersion(
  key: string,
  currentVersion: number | null,
  expectedVersion: number | null,
): number {
  return nextVersion(`private state "${key}"`, { key }, currentVersion, expectedVersion);
}

function nextVersion(
  what: string,
  context: ErrorContext,
  currentVersion: number | null,
  expectedVersion: number | null,
): number {
  if (currentVersion !== expectedVersion) {
    throw new EdgeLogError(
      "CONCURRENT_TRANSACTIONS",
      `${what} is at version ${String(currentVersion)}, not ${String(expectedVersion)}`,
      { context },
    );
  }
  return (currentVersion ?? 0) + 1;
}
