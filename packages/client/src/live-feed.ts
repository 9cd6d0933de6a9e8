/**
 * @module
 * `LiveFeed`: one Server-Sent Events subscription of a partition, kept open while readers wait at its end, used
 * by `HttpLogStore`'s `live: "sse"` mode as a wake-up signal. A read at the high watermark waits for the feed to
 * report an offset beyond it and then fetches the new batches with the binary fetch: the SSE rendering carries
 * keys and headers as text, so it says *that* records arrived, and the binary fetch returns them byte for byte.
 * One connection serves every waiting read of the partition, and stays open between reads (no gap between polls).
 */
import type { ConsumedRecord } from "@edgelog/core";

/** A feed with no waiting reader for this long closes its connection. */
export const LIVE_FEED_IDLE_MS = 30_000;

interface Waiter {
  readonly offset: number;
  resolve(woke: boolean): void;
  reject(error: unknown): void;
}

export class LiveFeed {
  /** The next offset after the newest record the feed has seen; a read at a lower offset has data. */
  #nextOffset: number;
  readonly #waiters = new Set<Waiter>();
  readonly #controller = new AbortController();
  readonly #onEnd: () => void;
  #idleTimer: ReturnType<typeof setTimeout> | null = null;
  #ended = false;

  /**
   * @param subscribe opens the SSE tail from `fromOffset` (`HttpLogStore.tail`, reconnecting on its own).
   * @param onEnd called once when the feed stops, so its owner can forget it.
   */
  constructor(
    subscribe: (fromOffset: number, signal: AbortSignal) => AsyncIterable<ConsumedRecord[]>,
    fromOffset: number,
    onEnd: () => void,
  ) {
    this.#nextOffset = fromOffset;
    this.#onEnd = onEnd;
    this.#armIdleTimer();
    void this.#pump(subscribe(fromOffset, this.#controller.signal));
  }

  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Resolves `true` once the feed has seen a record at or after `offset` (or ended, so the caller looks for
   * itself), `false` after `waitMs`; rejects with `signal.reason` on abort.
   */
  waitBeyond(offset: number, waitMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.#ended || this.#nextOffset > offset) return Promise.resolve(true);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<boolean>((resolve, reject) => {
      const settle = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#waiters.delete(waiter);
        if (this.#waiters.size === 0) this.#armIdleTimer();
      };
      const waiter: Waiter = {
        offset,
        resolve: (woke) => {
          settle();
          resolve(woke);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      };
      const onAbort = (): void => waiter.reject(signal?.reason);
      const timer = setTimeout(() => waiter.resolve(false), waitMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.add(waiter);
      if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
      this.#idleTimer = null;
    });
  }

  /** Closes the connection; waiting reads reject with `reason`. */
  stop(reason: unknown): void {
    for (const waiter of [...this.#waiters]) waiter.reject(reason);
    this.#end();
  }

  async #pump(records: AsyncIterable<ConsumedRecord[]>): Promise<void> {
    try {
      for await (const batch of records) {
        const last = batch.at(-1);
        if (last !== undefined) this.#nextOffset = Math.max(this.#nextOffset, last.offset + 1);
        for (const waiter of [...this.#waiters]) if (this.#nextOffset > waiter.offset) waiter.resolve(true);
      }
    } catch {
      // A final error (the topic was deleted, access revoked) ends the feed; the woken reads' own fetch reports it.
    }
    for (const waiter of [...this.#waiters]) waiter.resolve(true);
    this.#end();
  }

  #armIdleTimer(): void {
    if (this.#ended) return;
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => this.#end(), LIVE_FEED_IDLE_MS);
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    this.#controller.abort();
    this.#onEnd();
  }
}
