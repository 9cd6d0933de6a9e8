/**
 * @module
 * Long-poll support for stores: readers that found nothing at the high watermark park here and are woken by
 * the next append, by their timeout, by their abort signal, or by a failure (topic deleted, store closed).
 * Runtime-agnostic (timers and AbortSignal only), so the memory, Durable Object and IndexedDB stores share it.
 */

export type WaitOutcome = "appended" | "timeout";

interface Waiter {
  settle(outcome: WaitOutcome): void;
  fail(error: unknown): void;
}

export class AppendWaiters {
  readonly #waiters = new Set<Waiter>();

  /** Number of parked readers (for tests and metrics). */
  get size(): number {
    return this.#waiters.size;
  }

  /**
   * Resolves with `"appended"` on the next `notify()`, `"timeout"` after `timeoutMs`; rejects on `fail()` or
   * with `signal.reason` when aborted.
   */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<WaitOutcome> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (timeoutMs <= 0) return Promise.resolve("timeout");
    return new Promise<WaitOutcome>((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#waiters.delete(waiter);
      };
      const waiter: Waiter = {
        settle: (outcome) => {
          cleanup();
          resolve(outcome);
        },
        fail: (error) => {
          cleanup();
          reject(error);
        },
      };
      const onAbort = (): void => waiter.fail(signal?.reason);
      const timer = setTimeout(() => waiter.settle("timeout"), timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  /** Wakes every parked reader: new data is there. */
  notify(): void {
    for (const waiter of [...this.#waiters]) waiter.settle("appended");
  }

  /** Rejects every parked reader with `error`. */
  fail(error: unknown): void {
    for (const waiter of [...this.#waiters]) waiter.fail(error);
  }
}
