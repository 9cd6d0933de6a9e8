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
 * A call belongs to the read that made it (its maker), and nothing of it crosses to another read but plain data. In
 * a Worker, I/O objects (a Durable Object stub, an RPC in flight, a timer, a request's AbortSignal) belong to the
 * request that made them, and touching one from another request throws "Cannot perform I/O on behalf of a
 * different request"; a request cancelled without an abort (its client gone) simply stops, its promises unsettled.
 * So the maker makes the call in its own request, aborts it there when it leaves, and settles how the call ended
 * (the answer, `handoff` or `failed`) as plain data. Each read that followed it hears that through a reaction it
 * registered itself, which workerd runs in the follower's own request. A follower's patience is a timer of its own
 * request: a call silent past its end plus `CALL_GRACE_MS` (its maker was cancelled) is dropped from the table, and
 * the follower goes on with another call; a maker gives its own silent call up the same way. A follower never
 * aborts the maker's call nor settles anything of the maker's: either would run the maker's code (its stub, its
 * signal, its loop) on the follower's behalf. A call that failed fails only its maker; its followers read once each
 * on their own, since the error may be the maker's request's own.
 */
import type { ReadResult } from "../store.ts";
import { ReadBudget } from "./read-budget.ts";
import { untilAborted } from "./until-aborted.ts";

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

/** Why a maker aborts its own call that stayed silent past its end: it then goes on with another. */
const OVERDUE = Symbol("overdue");

/**
 * How a call ended, as its followers learn it: plain data only, settled in the maker's request. `handoff`: the
 * maker left, or its call is overdue — go on with another call; `failed`: the call failed in the maker's request,
 * whose error may be that request's own — read once alone.
 */
type Outcome =
  | { readonly kind: "answer"; readonly result: ReadResult }
  | { readonly kind: "handoff" }
  | { readonly kind: "failed" };

interface SharedCall {
  readonly key: string;
  readonly maxBytes: number;
  /** When the call stops waiting. */
  readonly endsAt: number;
  /** How the call ended: settled by its maker, in the maker's request, with plain data; it never rejects. */
  readonly ended: Promise<Outcome>;
  readonly end: (outcome: Outcome) => void;
  /** Ended, or given up: no read joins it any more. */
  done: boolean;
}

export class WaitCoalescer {
  /** Calls in flight per key (partition and offset): usually one. */
  readonly #calls = new Map<string, SharedCall[]>();
  readonly #now: () => number;
  #started = 0;
  #sweptAt = 0;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Calls made into the store since this coalescer was made (tests count them). */
  get callsStarted(): number {
    return this.#started;
  }

  /** Calls in flight that a read may still join. */
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
    this.#sweep();
    const deadline = this.#now() + Math.max(0, wait.maxWaitMs);
    let alone = false;
    for (;;) {
      if (wait.signal?.aborted) throw wait.signal.reason;
      const shared = alone ? undefined : this.#joinable(key, wait, deadline);
      if (shared === undefined) {
        const result = await this.#lead(key, wait, deadline, call, !alone);
        if (result === OVERDUE) continue;
        return result;
      }
      const outcome = await this.#follow(shared, wait.signal);
      if (outcome.kind === "handoff") continue;
      if (outcome.kind === "failed") {
        alone = true;
        continue;
      }
      // As the store would: an answer with records, or past the high watermark, or a wait that ended early (the
      // store decided), is the answer; a call that waited its full time while this read may wait longer goes on.
      const { result } = outcome;
      const now = this.#now();
      const answered = result.batches.length > 0 || wait.offset < result.highWatermark;
      if (answered || now >= deadline || now < shared.endsAt) return trim(result, wait.maxBytes);
    }
  }

  /** The call `wait` fits (the latest-ending one): budget no smaller, end no later than the read's deadline. */
  #joinable(key: string, wait: CoalescedWait, deadline: number): SharedCall | undefined {
    let best: SharedCall | undefined;
    for (const candidate of this.#calls.get(key) ?? []) {
      if (candidate.done || candidate.maxBytes < wait.maxBytes || candidate.endsAt > deadline) continue;
      if (best === undefined || candidate.endsAt > best.endsAt) best = candidate;
    }
    return best;
  }

  /**
   * Makes the call, in this read's own request, for the rest of its time; `shareable` lets later reads follow it.
   * Its end — answer, failure, or this read leaving — is handed to the followers as plain data.
   */
  async #lead(
    key: string,
    wait: CoalescedWait,
    deadline: number,
    call: WaitCall,
    shareable: boolean,
  ): Promise<ReadResult | typeof OVERDUE> {
    let end: (outcome: Outcome) => void = () => undefined;
    const ended = new Promise<Outcome>((resolve) => {
      end = resolve;
    });
    const shared: SharedCall = { key, maxBytes: wait.maxBytes, endsAt: deadline, ended, end, done: false };
    if (shareable) this.#calls.set(key, [...(this.#calls.get(key) ?? []), shared]);
    const controller = new AbortController();
    const { signal } = wait;
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    this.#started++;
    const request = {
      offset: wait.offset,
      maxBytes: wait.maxBytes,
      maxWaitMs: Math.max(0, deadline - this.#now()),
    };
    // Patience, as a follower's: a call silent past its end is given up (and ended in the store).
    const timer = setTimeout(() => controller.abort(OVERDUE), request.maxWaitMs + CALL_GRACE_MS);
    try {
      const result = await untilAborted(call(request, controller.signal), controller.signal);
      this.#end(shared, { kind: "answer", result });
      return result;
    } catch (error) {
      const overdue = controller.signal.reason === OVERDUE && signal?.aborted !== true;
      this.#end(shared, overdue || signal?.aborted === true ? { kind: "handoff" } : { kind: "failed" });
      if (overdue) return OVERDUE;
      throw error;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Waits, in this read's own request, for the end of a call another read made: its answer, `handoff` when that
   * read left or the call is overdue (a timer of this request's: a maker whose request was cancelled without an
   * abort never answers), or this read's own abort.
   *
   * The wake-up is a reaction this read registers itself on the call's `ended` (`then`, called here): workerd runs
   * it in this read's request, whatever request settles `ended`. (Had the maker called a resolver of this read's
   * instead, what follows would have run in the maker's request, and answering this read's request from there
   * throws "Cannot perform I/O on behalf of a different request".)
   */
  async #follow(shared: SharedCall, signal: AbortSignal | undefined): Promise<Outcome> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const woken = new Promise<Outcome>((resolve, reject) => {
      timer = setTimeout(
        () => {
          this.#giveUp(shared);
          resolve({ kind: "handoff" });
        },
        Math.max(0, shared.endsAt - this.#now()) + CALL_GRACE_MS,
      );
      onAbort = () => reject(signal?.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      void shared.ended.then(resolve);
    });
    try {
      return await woken;
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) signal?.removeEventListener("abort", onAbort);
    }
  }

  /** The maker's call ended: no read joins it any more, and its followers learn how. */
  #end(shared: SharedCall, outcome: Outcome): void {
    shared.done = true;
    this.#remove(shared);
    shared.end(outcome);
  }

  /**
   * An overdue call is given up by a follower: it leaves the table, so no read joins it again. Nothing of its
   * maker's is touched (that request may be gone); the other followers' own timers end their waits.
   */
  #giveUp(shared: SharedCall): void {
    shared.done = true;
    this.#remove(shared);
  }

  /**
   * Drops calls overdue by more than the grace, at most once per grace period: a maker cancelled without an abort,
   * and followed by nobody, would otherwise stay in the table for good.
   */
  #sweep(): void {
    const now = this.#now();
    if (now - this.#sweptAt < CALL_GRACE_MS) return;
    this.#sweptAt = now;
    for (const calls of [...this.#calls.values()]) {
      for (const shared of calls) if (now > shared.endsAt + CALL_GRACE_MS) this.#giveUp(shared);
    }
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
