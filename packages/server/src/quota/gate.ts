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
  /** What requests waiting for the lease in flight will charge: the next lease asks for it too. */
  readonly queued: Record<QuotaDimension, number>;
  /** Until when (ms) the bucket said a dimension is short: asking again before then only costs a call. */
  readonly blockedUntil: Record<QuotaDimension, number>;
  /** The lease in flight for this subject, if any. */
  pending: Promise<void> | undefined;
}

/** How many leases in flight a request waits for before asking one of its own. */
const MAX_LEASE_WAITS = 4;

/**
 * @example
 * const gate = leasedQuotaGate((subject, request) => quotaObjectFor(subject).lease(request));
 * await gate.admit("sub:alice", { requests: 1, bytes: 0 }, limits, Date.now());
 */
export function leasedQuotaGate(leaser: QuotaLeaser, options: LeasedQuotaGateOptions = {}): QuotaGate {
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const maxSubjects = Math.max(1, options.maxSubjects ?? DEFAULT_MAX_SUBJECTS);
  const allowances = new Map<string, Allowance>();

  const allowanceOf = (subject: string): Allowance => {
    let allowance = allowances.get(subject);
    if (allowance === undefined) {
      allowance = {
        held: { requests: 0, bytes: 0 },
        queued: { requests: 0, bytes: 0 },
        blockedUntil: { requests: 0, bytes: 0 },
        pending: undefined,
      };
      if (allowances.size >= maxSubjects) {
        // Forgetting an allowance forgets tokens already taken: the subject only gets less, never more.
        const oldest = allowances.keys().next().value;
        if (oldest !== undefined) allowances.delete(oldest);
      }
    } else {
      allowances.delete(subject);
    }
    allowances.set(subject, allowance);
    return allowance;
  };

  return {
    async admit(subject, charge, limits, now) {
      const allowance = allowanceOf(subject);
      const counted = QUOTA_DIMENSIONS.filter((dimension) => limits[dimension] !== null);
      for (let waits = 0; ; waits++) {
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
        // Concurrent requests of a subject wait for the lease in flight instead of each calling the bucket, and
        // the next lease is sized for all of them. Bounded, so a waiter that keeps losing the race asks itself.
        const pending = allowance.pending;
        if (pending !== undefined && waits < MAX_LEASE_WAITS) {
          for (const dimension of counted) allowance.queued[dimension] += charge[dimension];
          await pending;
          for (const dimension of counted) allowance.queued[dimension] -= charge[dimension];
          continue;
        }
        return lease(subject, allowance, charge, limits, now);
      }
    },
  };

  /** Leases what `charge` lacks (plus headroom and the waiters' demand) and spends it, or refuses. */
  async function lease(
    subject: string,
    allowance: Allowance,
    charge: QuotaCharge,
    limits: QuotaLimits,
    now: number,
  ): Promise<QuotaVerdict> {
    // What is held goes to this request now, so nobody else can spend it while the lease is in flight.
    const reserved = { requests: 0, bytes: 0 };
    const need = { requests: 0, bytes: 0 };
    const want = { requests: 0, bytes: 0 };
    for (const dimension of QUOTA_DIMENSIONS) {
      const limit = limits[dimension];
      if (limit === null) continue;
      reserved[dimension] = Math.min(Math.max(0, allowance.held[dimension]), charge[dimension]);
      allowance.held[dimension] -= reserved[dimension];
      need[dimension] = charge[dimension] - reserved[dimension];
      const headroom = Math.floor((limit.rate * leaseMs) / 1000) + Math.max(0, allowance.queued[dimension]);
      want[dimension] = need[dimension] > 0 ? need[dimension] + headroom : 0;
    }
    const leased = leaser(subject, { limits, need, want });
    const pending = leased.then(
      () => undefined,
      () => undefined,
    );
    allowance.pending = pending;
    let answer: LeaseAnswer;
    try {
      answer = await leased;
    } catch (error) {
      // Quotas protect the service; an unreachable bucket must not take the API down with it: fail open.
      console.error("edgelog: quota lease failed; admitting the request", error);
      return { admitted: true };
    } finally {
      if (allowance.pending === pending) allowance.pending = undefined;
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
