/**
 * @module
 * Coalescing of waiting reads (docs/architecture.md "Coalesced waits"): reads that wait at the same offset of the
 * same partition share one call into the store behind, however many readers park there — a thousand long-polls or
 * SSE tails of one partition in one Worker isolate cost one parked call, not a thousand, and one wake-up answers
 * them all. Runtime-agnostic (timers and AbortSignal only).
 *
 * A read joins a call only when that call's answer is exactly what its own call would have been: the call's byte
 * budget is at least the read's (the answer is then cut to the read's budget with core's `ReadBudget`, which keeps
 * the same prefix of batches), and the call waits no longer than the read may. A read whose deadline outlasts an
 * empty answer (the call timed out) waits on in the next call for what is left of its time.
 *
 * A call belongs to the read that made it. In a Worker, I/O belongs to the request that began it: once that
 * request ends, the call is cancelled and a promise another request awaits on it never settles (workerd then fails
 * that request as hung). So when the read that made a call leaves before its answer (its reader went away), the
 * call is given up and the reads still on it go on with a call of their own; and a read that hears nothing from a
 * call by the time it should have answered (its maker's request ended without an abort) gives it up too.
 */
import type { ReadResult } from "../store.ts";
import { ReadBudget } from "./read-budget.ts";

/** One call into the store: read `offset` within `maxBytes`, waiting up to `maxWaitMs`; ends early on `signal`. */
export type WaitCall = (
  request: { readonly offset: number; readonly maxBytes: number; readonly maxWaitMs: number },
  signal: AbortSignal,
) => Promise<ReadResult>;

export interface CoalescedWait {
  readonly offset: number;
  readonly maxBytes: number;
  readonly maxWaitMs: number;
  readonly signal?: AbortSignal | undefined;
}

/** How long past its end a call may take to answer before its readers give it up (a slow answer, not a lost one). */
export const CALL_GRACE_MS = 5_000;

/** What a read gets from a call that was given up: it goes on with another. */
const ABANDONED = Symbol("abandoned");

interface SharedCall {
  readonly key: string;
  /** The read that made the call: the call lives in its request, and ends when it leaves. */
  readonly owner: object;
  readonly maxBytes: number;
  /** When the call stops waiting. */
  readonly endsAt: number;
  readonly controller: AbortController;
  readonly result: Promise<ReadResult>;
  readers: number;
  settled: boolean;
  /** Whether the call was given up before it answered. */
  abandoned: boolean;
  /** Settles when the call is given up, so that its readers go on at once. */
  readonly givenUp: Promise<typeof ABANDONED>;
  readonly giveUp: () => void;
}

export class WaitCoalescer {
  /** Calls in flight per key (partition and offset): usually one. */
  readonly #calls = new Map<string, SharedCall[]>();
  readonly #now: () => number;
  #started = 0;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Calls made into the store since this coalescer was made (tests count them). */
  get callsStarted(): number {
    return this.#started;
  }

  /** Calls in flight now. */
  get callsInFlight(): number {
    let n = 0;
    for (const calls of this.#calls.values()) n += calls.length;
    return n;
  }

  /**
   * Reads as `call` would, sharing the call with every read of `key` (one partition and offset) that it fits.
   * @example
   * const result = await waits.read(`${topic}\u0000${partition}\u0000${offset}`, { offset, maxBytes, maxWaitMs, signal }, call);
   */
  async read(key: string, wait: CoalescedWait, call: WaitCall): Promise<ReadResult> {
    const deadline = this.#now() + Math.max(0, wait.maxWaitMs);
    const me = {};
    for (;;) {
      const shared = this.#join(key, wait, deadline, call, me);
      let result: ReadResult | typeof ABANDONED;
      try {
        result = await this.#await(shared, wait.signal);
      } finally {
        this.#leave(shared, me);
      }
      // Given up by its maker: a call of this read's own (with no wait once its time is up) answers instead.
      if (result === ABANDONED) continue;
      // As the store would: an answer with records, or past the high watermark, or a wait that ended early (the
      // store decided), is the answer; a call that waited its full time while this read may wait longer goes on.
      const now = this.#now();
      const answered = result.batches.length > 0 || wait.offset < result.highWatermark;
      if (answered || now >= deadline || now < shared.endsAt) return trim(result, wait.maxBytes);
    }
  }

  /** The call `wait` fits (the latest-ending one), or a new one for it. */
  #join(key: string, wait: CoalescedWait, deadline: number, call: WaitCall, me: object): SharedCall {
    const calls = this.#calls.get(key) ?? [];
    let best: SharedCall | undefined;
    for (const candidate of calls) {
      if (candidate.settled || candidate.maxBytes < wait.maxBytes || candidate.endsAt > deadline) continue;
      if (best === undefined || candidate.endsAt > best.endsAt) best = candidate;
    }
    if (best !== undefined) {
      best.readers++;
      return best;
    }
    const now = this.#now();
    const controller = new AbortController();
    const request = { offset: wait.offset, maxBytes: wait.maxBytes, maxWaitMs: Math.max(0, deadline - now) };
    this.#started++;
    let giveUp = (): void => undefined;
    const givenUp = new Promise<typeof ABANDONED>((resolve) => {
      giveUp = () => resolve(ABANDONED);
    });
    const shared: SharedCall = {
      key,
      owner: me,
      maxBytes: wait.maxBytes,
      endsAt: deadline,
      controller,
      result: call(request, controller.signal),
      readers: 1,
      settled: false,
      abandoned: false,
      givenUp,
      giveUp,
    };
    const forget = (): void => {
      shared.settled = true;
      this.#remove(shared);
    };
    shared.result.then(forget, forget);
    calls.push(shared);
    this.#calls.set(key, calls);
    return shared;
  }

  /**
   * The shared answer; `ABANDONED` when the call was given up (by its maker leaving, or by this read's patience
   * running out: a timer of this read's own request, which also keeps that request from looking hung); or the
   * reader's own abort.
   *
   * The call's promise settles in its maker's request. What runs there on this read's behalf only settles this
   * read's own promise: the timer and the abort listener belong to this read's request (in workerd, touching
   * another request's I/O objects throws), so they are cleared once this read runs again, in its own request.
   */
  async #await(shared: SharedCall, signal: AbortSignal | undefined): Promise<ReadResult | typeof ABANDONED> {
    if (signal?.aborted) throw signal.reason;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const outcome = new Promise<ReadResult | typeof ABANDONED>((resolve, reject) => {
      timer = setTimeout(
        () => {
          this.#abandon(shared);
          resolve(ABANDONED);
        },
        Math.max(0, shared.endsAt - this.#now()) + CALL_GRACE_MS,
      );
      onAbort = () => reject(signal?.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      void shared.givenUp.then(resolve);
      shared.result.then(resolve, (error: unknown) => {
        if (shared.abandoned) resolve(ABANDONED);
        else reject(error);
      });
    });
    try {
      return await outcome;
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * A reader is done with `shared`. The last one to leave an unfinished call ends it; its maker leaving ends it
   * too, and the others go on with calls of their own.
   */
  #leave(shared: SharedCall, me: object): void {
    shared.readers--;
    if (shared.settled) return;
    if (shared.readers > 0 && shared.owner !== me) return;
    this.#abandon(shared);
  }

  /** Gives `shared` up: no read joins it any more, its readers go on, and the store frees its parked reader. */
  #abandon(shared: SharedCall): void {
    if (shared.abandoned) return;
    shared.abandoned = true;
    shared.settled = true;
    this.#remove(shared);
    shared.giveUp();
    shared.controller.abort(new Error("no reader waits on this call any more"));
    shared.result.catch(() => undefined);
  }

  #remove(shared: SharedCall): void {
    const calls = this.#calls.get(shared.key);
    if (calls === undefined) return;
    const kept = calls.filter((c) => c !== shared);
    if (kept.length === 0) this.#calls.delete(shared.key);
    else this.#calls.set(shared.key, kept);
  }
}

/** `result` cut to what a read with `maxBytes` would have returned: the same prefix of whole batches. */
function trim(result: ReadResult, maxBytes: number): ReadResult {
  const budget = new ReadBudget(maxBytes);
  let kept = 0;
  for (const batch of result.batches) {
    if (!budget.admits(batch.sizeBytes)) break;
    kept++;
  }
  return kept === result.batches.length ? result : { ...result, batches: result.batches.slice(0, kept) };
}
