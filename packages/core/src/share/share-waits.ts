/**
 * @module
 * Share fetches waiting for records (a fetch's `maxWaitMs`): each waits, outside its group's turn, for the first of
 * an append to a partition worth waiting on (a parked read at its end), records this process gave back (`wake`),
 * or a deadline — a lock running out, or the end of its wait — and then looks again.
 */
import type { TopicPartition } from "../store.ts";
import type { ShareLogPort } from "./share-coordinator.ts";

export class ShareWaits {
  /** Waiting fetches by group, woken when this process makes records available again. */
  readonly #waiters = new Map<string, Set<() => void>>();

  /**
   * Resolves after `waitMs` at most, or sooner: an append at one of `waitOn`, a `wake` of the group, at `wakeInMs`
   * (the next lock deadline), or `signal` aborting — which rejects with its reason.
   */
  async wait(
    log: ShareLogPort,
    groupId: string,
    waitOn: readonly { tp: TopicPartition; offset: number }[],
    waitMs: number,
    wakeInMs: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const stop = new AbortController();
    const onAbort = (): void => stop.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    let timer: ReturnType<typeof setTimeout> | undefined;
    let wake = (): void => {};
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, Math.max(0, Math.min(waitMs, wakeInMs)));
      stop.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    let waiters = this.#waiters.get(groupId);
    if (waiters === undefined) {
      waiters = new Set();
      this.#waiters.set(groupId, waiters);
    }
    waiters.add(wake);
    try {
      // An append answers a parked read; a failed read (the topic deleted) ends the wait too: the next pass sees why.
      const appends = waitOn.map(({ tp, offset }) =>
        log.read(tp, { offset, maxBytes: 1, maxWaitMs: Math.max(0, waitMs), signal: stop.signal }).then(
          () => undefined,
          () => undefined,
        ),
      );
      await Promise.race([woken, ...appends]);
    } finally {
      clearTimeout(timer);
      this.#waiters.get(groupId)?.delete(wake);
      signal?.removeEventListener("abort", onAbort);
      stop.abort(new Error("share fetch woke"));
    }
    if (signal?.aborted) throw signal.reason;
  }

  /** Records came back in this process: every fetch of the group waiting here looks again. */
  wake(groupId: string): void {
    const waiters = this.#waiters.get(groupId);
    if (waiters === undefined) return;
    this.#waiters.delete(groupId);
    for (const wake of waiters) wake();
  }
}
