/**
 * @module
 * Long-poll support for stores: readers that found nothing at the high watermark park here and are woken by
 * the next append, by their timeout, by their abort signal, or by a failure (topic deleted, store closed).
 * Runtime-agnostic (timers and AbortSignal only), so the memory, Durable Object and IndexedDB stores share it.
 */
import { type ParkedWait, parkWait } from "./parked-wait.ts";

export type WaitOutcome = "appended" | "timeout";

export class AppendWaiters {
  readonly #waiters = new Set<ParkedWait<WaitOutcome>>();

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
    const parked: ParkedWait<WaitOutcome> = parkWait<WaitOutcome>({
      timeoutMs,
      timeoutValue: "timeout",
      signal,
      onSettle: () => this.#waiters.delete(parked),
    });
    this.#waiters.add(parked);
    return parked.promise;
  }

  /** Wakes every parked reader: new data is there. */
  notify(): void {
    for (const waiter of [...this.#waiters]) waiter.resolve("appended");
  }

  /** Rejects every parked reader with `error`. */
  fail(error: unknown): void {
    for (const waiter of [...this.#waiters]) waiter.reject(error);
  }
}
