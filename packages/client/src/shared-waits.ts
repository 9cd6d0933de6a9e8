/**
 * @module
 * `live: "shared"`: every read waiting at the end of a partition joins one multi-partition long-poll
 * (`POST /v1/wait`) instead of parking a request of its own, so a consumer owning many partitions holds one
 * connection while idle — a browser keeps six per origin over HTTP/1.1, a Worker six at once. The poll answers
 * which partitions are ready; their reads then fetch. A read that joins while a poll is out for other partitions
 * restarts it with everyone (waits carry no data, so a restart is cheap).
 */
import type { TopicPartition } from "@edgelog/core";
import { type ParkedWait, parkWait } from "@edgelog/core/store-kit";

/** One poll: the partitions (each with the offset it waits past) and for how long; resolves to the ready ones. */
export type SendWait = (
  partitions: readonly (TopicPartition & { offset: number })[],
  waitMs: number,
  signal: AbortSignal,
) => Promise<readonly TopicPartition[]>;

interface Waiter {
  readonly key: string;
  readonly tp: TopicPartition;
  readonly offset: number;
  readonly deadline: number;
  readonly parked: ParkedWait<boolean>;
}

const keyOf = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`;

export class SharedWaits {
  readonly #send: SendWait;
  readonly #maxServerWaitMs: number;
  readonly #waiters = new Set<Waiter>();
  /** The poll out now, with what it covers. */
  #poll: { controller: AbortController; covers: Set<string> } | null = null;
  #looping = false;

  constructor(send: SendWait, maxServerWaitMs: number) {
    this.#send = send;
    this.#maxServerWaitMs = maxServerWaitMs;
  }

  /** Resolves `true` once `tp` has something to read past `offset`, `false` when `maxWaitMs` ran out. */
  wait(tp: TopicPartition, offset: number, maxWaitMs: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const waiter: Waiter = {
      key: `${keyOf(tp)}\u0000${offset}`,
      tp,
      offset,
      deadline: Date.now() + maxWaitMs,
      // Each read keeps its own deadline: the poll out may have been sent for longer.
      parked: parkWait({
        timeoutMs: maxWaitMs,
        timeoutValue: false,
        signal,
        onSettle: () => {
          this.#waiters.delete(waiter);
          if (this.#waiters.size === 0) this.#poll?.controller.abort(new Error("no one waits"));
        },
      }),
    };
    this.#waiters.add(waiter);
    // A poll out for others does not cover this read: restart it with everyone.
    if (this.#poll !== null && !this.#poll.covers.has(waiter.key))
      this.#poll.controller.abort(new Error("restart"));
    if (!this.#looping) void this.#loop();
    return waiter.parked.promise;
  }

  /** Ends every wait with `error` (the store closed). */
  fail(error: unknown): void {
    const poll = this.#poll;
    for (const waiter of [...this.#waiters]) waiter.parked.reject(error);
    poll?.controller.abort(error);
  }

  async #loop(): Promise<void> {
    this.#looping = true;
    try {
      while (this.#waiters.size > 0) {
        const now = Date.now();
        const waiters = [...this.#waiters];
        // Several reads of one partition at different offsets: wait past the lowest, which wakes them all.
        const lowest = new Map<string, TopicPartition & { offset: number }>();
        for (const { tp, offset } of waiters) {
          const seen = lowest.get(keyOf(tp));
          if (seen === undefined || offset < seen.offset) lowest.set(keyOf(tp), { ...tp, offset });
        }
        // As long as the longest waiter wants: the others leave on their own timers.
        const waitMs = Math.min(
          this.#maxServerWaitMs,
          Math.max(0, Math.max(...waiters.map((w) => w.deadline)) - now),
        );
        const controller = new AbortController();
        this.#poll = { controller, covers: new Set(waiters.map((w) => w.key)) };
        let ready: readonly TopicPartition[];
        try {
          ready = await this.#send([...lowest.values()], waitMs, controller.signal);
        } catch (error) {
          if (controller.signal.aborted) continue; // restarted, or nobody waits any more
          // The poll itself failed (network, server): the waiting reads fail with it, so their callers' retry
          // policy (and backoff) applies, as it would to a long-poll of their own.
          for (const waiter of waiters) waiter.parked.reject(error);
          continue;
        } finally {
          this.#poll = null;
        }
        const woken = new Set(ready.map(keyOf));
        for (const waiter of waiters) {
          if (woken.has(keyOf(waiter.tp))) waiter.parked.resolve(true);
        }
      }
    } finally {
      this.#looping = false;
    }
  }
}
