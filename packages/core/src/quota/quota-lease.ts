/**
 * @module
 * Quota leases: how a subject's two buckets (requests, produce bytes) hand out allowances. A Worker isolate does
 * not ask the subject's bucket for every request; it asks for a *lease* — what the request needs now (`need`)
 * plus some headroom (`want`) — and admits later requests from what it holds until that runs out. A lease is
 * taken from the bucket when granted, so the bucket never hands out more than its rate and burst allow; the cost
 * is that an isolate may sit on at most one unspent lease per subject. `grantLease` is the bucket side, applied
 * by the Durable Object `QuotaObject` and by the server's in-memory gate alike.
 */
import {
  type BucketLimit,
  type BucketState,
  fullBucket,
  isBucketLimit,
  msUntil,
  refill,
} from "./token-bucket.ts";

/** The two things a quota counts. */
export type QuotaDimension = "requests" | "bytes";

export const QUOTA_DIMENSIONS: readonly QuotaDimension[] = ["requests", "bytes"];

/** An amount per dimension. */
export type QuotaAmounts = Readonly<Record<QuotaDimension, number>>;

/** A subject's limits per dimension; `null` means unlimited (never counted). */
export type QuotaLimits = Readonly<Record<QuotaDimension, BucketLimit | null>>;

/** A request for a lease: `need` must all be granted or nothing is; up to `want` (≥ `need`) is granted. */
export interface LeaseRequest {
  readonly limits: QuotaLimits;
  readonly need: QuotaAmounts;
  readonly want: QuotaAmounts;
}

/** The answer: what was granted, or how long until `need` fits and which dimensions were short. */
export type LeaseAnswer =
  | { readonly granted: true; readonly amounts: QuotaAmounts }
  | {
      readonly granted: false;
      readonly retryAfterMs: number;
      readonly short: readonly QuotaDimension[];
    };

/** One subject's buckets, created full on first use. */
export type QuotaBuckets = Partial<Record<QuotaDimension, BucketState>>;

/**
 * Grants a lease from `buckets` at `now` (mutating them) or refuses it, taking nothing, with the longest wait
 * among the short dimensions. An unlimited dimension grants whatever is asked. Amounts that are not finite
 * non-negative numbers, and limits that are not positive, are a caller's bug: they throw.
 * @example
 * const buckets: QuotaBuckets = {};
 * grantLease(buckets, { limits, need: { requests: 1, bytes: 0 }, want: { requests: 20, bytes: 0 } }, Date.now());
 */
export function grantLease(buckets: QuotaBuckets, request: LeaseRequest, now: number): LeaseAnswer {
  const refilled: Partial<Record<QuotaDimension, BucketState>> = {};
  const short: QuotaDimension[] = [];
  let retryAfterMs = 0;
  for (const dimension of QUOTA_DIMENSIONS) {
    const need = request.need[dimension];
    const want = request.want[dimension];
    if (!isAmount(need) || !isAmount(want) || want < need) {
      throw new RangeError(`lease ${dimension}: need ${need} and want ${want} must be amounts, want ≥ need`);
    }
    const limit = request.limits[dimension];
    if (limit === null || want === 0) continue;
    if (!isBucketLimit(limit)) throw new RangeError(`lease ${dimension}: limit must be positive`);
    const state = refill(buckets[dimension] ?? fullBucket(limit, now), limit, now);
    refilled[dimension] = state;
    const wait = msUntil(state, need, limit);
    if (wait > 0) {
      short.push(dimension);
      retryAfterMs = Math.max(retryAfterMs, wait);
    }
  }
  if (short.length > 0) {
    // Keep the refill (it is the same state at a later time); take nothing.
    Object.assign(buckets, refilled);
    return { granted: false, retryAfterMs, short };
  }
  const amounts: Record<QuotaDimension, number> = { requests: 0, bytes: 0 };
  for (const dimension of QUOTA_DIMENSIONS) {
    const state = refilled[dimension];
    const { need, want } = { need: request.need[dimension], want: request.want[dimension] };
    if (state === undefined) {
      amounts[dimension] = want;
      continue;
    }
    // The need in full (even into debt, for a need over the burst), and headroom only from what is on hand.
    const grant = Math.max(need, Math.min(want, Math.floor(state.tokens)));
    amounts[dimension] = grant;
    buckets[dimension] = { tokens: state.tokens - grant, updatedAt: state.updatedAt };
  }
  return { granted: true, amounts };
}

function isAmount(value: number): boolean {
  return Number.isFinite(value) && value >= 0;
}
