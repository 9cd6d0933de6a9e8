/**
 * @module
 * Multi-tab coordination for the offline log: one syncing tab per database, elected with Web Locks (held while the
 * tab lives, so the next tab in the queue takes over when it closes), and a BroadcastChannel for "records were
 * appended" / "sync progressed" messages. Where Web Locks are absent (Node tests, old browsers) an in-process
 * queue stands in, so exactly one `OfflineLog` per name syncs inside one JavaScript realm.
 */

/** Messages between tabs on `edgelog-outbox:${name}`. */
export type OutboxMessage =
  | { readonly type: "appended"; readonly count: number }
  | { readonly type: "flush" }
  /** `tokenChanged()` in a tab that does not sync: the syncing tab drops its cached token and retries now. */
  | { readonly type: "token-changed" }
  | {
      readonly type: "progress";
      readonly sent: number;
      readonly lastError: { code: string; message: string; retriable: boolean } | null;
    };

/** In-process stand-in for `navigator.locks`: a FIFO of holders per name. */
const localQueues = new Map<string, (() => void)[]>();

/**
 * Waits for the sync lock of `name`, calls `onAcquired`, and holds the lock until `release` resolves.
 * Aborting `signal` gives up waiting (a closed tab must not become the syncer later).
 */
export function holdSyncLock(
  name: string,
  onAcquired: () => void,
  release: Promise<void>,
  signal: AbortSignal,
): void {
  const lockName = `edgelog-sync:${name}`;
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (locks !== undefined && typeof locks.request === "function") {
    locks
      .request(lockName, { signal }, async () => {
        onAcquired();
        await release;
      })
      // Aborted while waiting: this tab closed before it got its turn.
      .catch(() => undefined);
    return;
  }
  const queue = localQueues.get(lockName) ?? [];
  localQueues.set(lockName, queue);
  const turn = (): void => {
    if (signal.aborted) {
      next();
      return;
    }
    onAcquired();
    void release.then(next);
  };
  const next = (): void => {
    queue.shift();
    const waiting = queue[0];
    if (waiting !== undefined) waiting();
    else localQueues.delete(lockName);
  };
  queue.push(turn);
  signal.addEventListener("abort", () => {
    const at = queue.indexOf(turn);
    if (at > 0) queue.splice(at, 1);
  });
  if (queue.length === 1) turn();
}

/** A BroadcastChannel to the other tabs of this origin, or `null` where BroadcastChannel does not exist. */
export function openChannel(channelName: string): BroadcastChannel | null {
  return typeof BroadcastChannel === "function" ? new BroadcastChannel(channelName) : null;
}

/**
 * Posts to the other tabs, never throwing: posting on a channel closed by a closing instance throws, and a lost
 * notification only means other tabs' waiters fall back to their timeouts and periodic syncs.
 */
export function postQuietly(channel: BroadcastChannel | null, message: unknown): void {
  try {
    channel?.postMessage(message);
  } catch {
    // see above
  }
}
