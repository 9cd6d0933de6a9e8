/**
 * @module
 * `LiveFeed`: one Server-Sent Events subscription of a partition, kept open while readers wait at its end, used
 * by `HttpLogStore`'s `live: "sse"` mode as a wake-up signal. A read at the high watermark waits for the feed to
 * report an offset beyond it and then fetches the new batches with the binary fetch: the SSE rendering carries
 * keys and headers as text, so it says *that* records arrived, and the binary fetch returns them byte for byte.
 * One connection serves every waiting read of the partition, and stays open between reads (no gap between polls).
 */
import type { ConsumedRecord } from "@edgelog/core";
import { type ParkedWait, parkWait } from "@edgelog/core/store-kit";

/** A feed with no waiting reader for this long closes its connection. */
export const LIVE_FEED_IDLE_MS = 30_000;

interface Waiter {
  readonly offset: number;
  readonly parked: ParkedWait<boolean>;
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
    const waiter: Waiter = {
      offset,
      parked: parkWait({
        timeoutMs: waitMs,
        timeoutValue: false,
        signal,
        onSettle: () => {
          this.#waiters.delete(waiter);
          if (this.#waiters.size === 0) this.#armIdleTimer();
        },
      }),
    };
    this.#waiters.add(waiter);
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    return waiter.parked.promise;
  }

  /** Closes the connection; waiting reads reject with `reason`. */
  stop(reason: unknown): void {
    for (const waiter of [...this.#waiters]) waiter.parked.reject(reason);
    this.#end();
  }

  async #pump(records: AsyncIterable<ConsumedRecord[]>): Promise<void> {
    try {
      for await (const batch of records) {
        const last = batch.at(-1);
        if (last !== undefined) this.#nextOffset = Math.max(this.#nextOffset, last.offset + 1);
        for (const waiter of [...this.#waiters])
          if (this.#nextOffset > waiter.offset) waiter.parked.resolve(true);
      }
    } catch {
      // A final error (the topic was deleted, access revoked) ends the feed; the woken reads' own fetch reports it.
    }
    for (const waiter of [...this.#waiters]) waiter.parked.resolve(true);
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
