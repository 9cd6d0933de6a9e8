/**
 * @module
 * Token-bucket arithmetic, pure (no clock, no runtime APIs): the one definition of refill, take-with-weight and
 * time-until-admissible that the server's in-memory quota gate and the Durable Object `QuotaObject` both apply.
 *
 * A weight larger than the burst can never fit a bucket capped at the burst, yet a request that size is valid
 * (one large produce under a small byte quota). Such a weight is admitted once the bucket is full and leaves it
 * in debt (negative), so the long-run rate still holds: the subject then waits until the debt is repaid.
 */

/** A bucket's shape: `rate` tokens per second, holding at most `burst`. Both positive and finite. */
export interface BucketLimit {
  readonly rate: number;
  readonly burst: number;
}

/** A bucket's state: `tokens` on hand (negative while in debt) as of `updatedAt` (ms). */
export interface BucketState {
  readonly tokens: number;
  readonly updatedAt: number;
}

/** What `take` decided: the state to keep, and when refused, how long until `weight` would be admitted. */
export type TakeResult =
  | { readonly admitted: true; readonly state: BucketState }
  | { readonly admitted: false; readonly state: BucketState; readonly retryAfterMs: number };

/** Whether `limit` is a usable bucket shape. */
export function isBucketLimit(limit: BucketLimit): boolean {
  return Number.isFinite(limit.rate) && limit.rate > 0 && Number.isFinite(limit.burst) && limit.burst > 0;
}

/** A bucket that starts full, as a subject never seen before (or whose bucket was forgotten) does. */
export function fullBucket(limit: BucketLimit, now: number): BucketState {
  return { tokens: limit.burst, updatedAt: now };
}

/** The bucket as of `now`. A clock that steps back adds nothing (and does not move `updatedAt` back). */
export function refill(state: BucketState, limit: BucketLimit, now: number): BucketState {
  if (now <= state.updatedAt) return state;
  const tokens = Math.min(limit.burst, state.tokens + (limit.rate * (now - state.updatedAt)) / 1000);
  return { tokens, updatedAt: now };
}

/** Tokens that must be on hand to admit `weight`: the weight itself, or a full bucket for one over the burst. */
export function threshold(weight: number, limit: BucketLimit): number {
  return Math.min(weight, limit.burst);
}

/** Milliseconds from `state.updatedAt` until `weight` is admissible (0: now); `state` must be refilled. */
export function msUntil(state: BucketState, weight: number, limit: BucketLimit): number {
  const missing = threshold(weight, limit) - state.tokens;
  if (missing <= 0) return 0;
  // Rounded up, and at least 1 ms: a retry at the answered time must find the tokens there.
  return Math.max(1, Math.ceil((missing * 1000) / limit.rate));
}

/**
 * Takes `weight` tokens at `now` if admissible, else refuses with the wait; a refusal takes nothing.
 * @example
 * let state = fullBucket({ rate: 10, burst: 10 }, 0);
 * const result = take(state, 1, { rate: 10, burst: 10 }, 0); // admitted, 9 tokens left
 */
export function take(state: BucketState, weight: number, limit: BucketLimit, now: number): TakeResult {
  const current = refill(state, limit, now);
  const wait = msUntil(current, weight, limit);
  if (wait > 0) return { admitted: false, state: current, retryAfterMs: wait };
  return { admitted: true, state: { tokens: current.tokens - weight, updatedAt: current.updatedAt } };
}
