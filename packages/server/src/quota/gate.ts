/**
 * @module
 * The quota gate a server asks before serving: `QuotaGate`, and `leasedQuotaGate`, which admits from a small
 * allowance per subject held in this isolate and leases more from the subject's bucket (a `QuotaLeaser`: the
 * Durable Object `QuotaObject` in a Worker, in-memory buckets in Node) only when it runs out. Leases are taken
 * from the bucket when granted, so admissions never exceed what the buckets hand out; what an isolate holds
 * unspent (at most one lease per subject) is the bound on over-admission in a window: isolates × lease size.
 */
import {
  type LeaseAnswer,
  type LeaseRequest,
  QUOTA_DIMENSIONS,
  type QuotaAmounts,
  type QuotaDimension,
  type QuotaLimits,
} from "@edgelog/core/store-kit";
import { recentEntry } from "./recent-subjects.ts";

/** What one request costs: 1 request, plus its body's bytes for a produce. */
export type QuotaCharge = QuotaAmounts;

export type QuotaVerdict =
  | { readonly admitted: true }
  | { readonly admitted: false; readonly retryAfterMs: number; readonly short: readonly QuotaDimension[] };

/** Admits or refuses a subject's request; `now` is the app's clock (ms). */
export interface QuotaGate {
  admit(subject: string, charge: QuotaCharge, limits: QuotaLimits, now: number): Promise<QuotaVerdict>;
}

/** Asks a subject's bucket for a lease. */
export type QuotaLeaser = (subject: string, request: LeaseRequest) => Promise<LeaseAnswer>;

export interface LeasedQuotaGateOptions {
  /** Headroom asked per lease, as milliseconds of the rate. Default 100 (a tenth of a second); 0 leases exactly. */
  readonly leaseMs?: number;
  /** Subjects whose allowance this isolate remembers; the least recently used is forgotten. Default 10,000. */
  readonly maxSubjects?: number;
}

export const DEFAULT_LEASE_MS = 100;
export const DEFAULT_MAX_SUBJECTS = 10_000;

interface Allowance {
  /** Tokens leased and not yet spent. */
  readonly held: Record<QuotaDimension, number>;
  /** Until when (ms) the bucket said a dimension is short: asking again before then only costs a call. */
  readonly blockedUntil: Record<QuotaDimension, number>;
  /** The last admission of this subject still being decided: the next one is decided after it. */
  turn: Promise<void> | undefined;
}

/**
 * @example
 * const gate = leasedQuotaGate((subject, request) => quotaObjectFor(subject).lease(request));
 * await gate.admit("sub:alice", { requests: 1, bytes: 0 }, limits, Date.now());
 */
export function leasedQuotaGate(leaser: QuotaLeaser, options: LeasedQuotaGateOptions = {}): QuotaGate {
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const maxSubjects = Math.max(1, options.maxSubjects ?? DEFAULT_MAX_SUBJECTS);
  const allowances = new Map<string, Allowance>();

  // Forgetting an allowance forgets tokens already taken: the subject only gets less, never more.
  const allowanceOf = (subject: string): Allowance =>
    recentEntry(allowances, subject, maxSubjects, () => ({
      held: { requests: 0, bytes: 0 },
      blockedUntil: { requests: 0, bytes: 0 },
      turn: undefined,
    }));

  return {
    async admit(subject, charge, limits, now) {
      // A subject's admissions are decided in the order they were asked. Otherwise a request admitted from the
      // allowance would overtake one waiting for a lease, reordering requests the client sent in order — an
      // idempotent producer's pipelined batches would then arrive out of sequence.
      const allowance = allowanceOf(subject);
      const previous = allowance.turn;
      let done = (): void => undefined;
      const turn = new Promise<void>((resolve) => {
        done = resolve;
      });
      allowance.turn = turn;
      try {
        if (previous !== undefined) await previous;
        return await decide(subject, allowance, charge, limits, now);
      } finally {
        done();
        if (allowance.turn === turn) allowance.turn = undefined;
      }
    },
  };

  /** Admits from what is held, refuses while the bucket said it is short, or leases. */
  function decide(
    subject: string,
    allowance: Allowance,
    charge: QuotaCharge,
    limits: QuotaLimits,
    now: number,
  ): Promise<QuotaVerdict> | QuotaVerdict {
    const counted = QUOTA_DIMENSIONS.filter((dimension) => limits[dimension] !== null);
    let blocked = 0;
    const short: QuotaDimension[] = [];
    let covered = true;
    for (const dimension of counted) {
      if (charge[dimension] <= allowance.held[dimension]) continue;
      covered = false;
      const until = allowance.blockedUntil[dimension];
      if (until > now) {
        blocked = Math.max(blocked, until - now);
        short.push(dimension);
      }
    }
    if (covered) {
      for (const dimension of counted) allowance.held[dimension] -= charge[dimension];
      return { admitted: true };
    }
    if (blocked > 0) return { admitted: false, retryAfterMs: blocked, short };
    // Requests behind this one wait for its turn, so the lease carries headroom for them: a burst of one
    // subject costs one call to the bucket, not one per request.
    return lease(subject, allowance, charge, limits, now);
  }

  /** Leases what `charge` lacks (plus headroom and the waiters' demand) and spends it, or refuses. */
  async function lease(
    subject: string,
    allowance: Allowance,
    charge: QuotaCharge,
    limits: QuotaLimits,
    now: number,
  ): Promise<QuotaVerdict> {
    // What is held goes to this request; the lease asks only for the rest.
    const reserved = { requests: 0, bytes: 0 };
    const need = { requests: 0, bytes: 0 };
    const want = { requests: 0, bytes: 0 };
    for (const dimension of QUOTA_DIMENSIONS) {
      const limit = limits[dimension];
      if (limit === null) continue;
      reserved[dimension] = Math.min(Math.max(0, allowance.held[dimension]), charge[dimension]);
      allowance.held[dimension] -= reserved[dimension];
      need[dimension] = charge[dimension] - reserved[dimension];
      const headroom = Math.floor((limit.rate * leaseMs) / 1000);
      want[dimension] = need[dimension] > 0 ? need[dimension] + headroom : 0;
    }
    let answer: LeaseAnswer;
    try {
      answer = await leaser(subject, { limits, need, want });
    } catch (error) {
      // Quotas protect the service; an unreachable bucket must not take the API down with it: fail open.
      console.error("edgelog: quota lease failed; admitting the request", error);
      return { admitted: true };
    }
    if (!answer.granted) {
      for (const dimension of QUOTA_DIMENSIONS) allowance.held[dimension] += reserved[dimension];
      for (const dimension of answer.short) allowance.blockedUntil[dimension] = now + answer.retryAfterMs;
      return { admitted: false, retryAfterMs: answer.retryAfterMs, short: answer.short };
    }
    for (const dimension of QUOTA_DIMENSIONS) {
      if (limits[dimension] !== null)
        allowance.held[dimension] += answer.amounts[dimension] - need[dimension];
    }
    return { admitted: true };
  }
}
