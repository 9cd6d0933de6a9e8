/**
 * @module
 * The in-memory quota gate: every subject's buckets in this process, for `createApp` in Node, tests and any host
 * that runs one process. It leases exactly what each request needs (there is no round trip to save), applying
 * the same lease rule as the Durable Object `QuotaObject`.
 */
import { grantLease, type QuotaBuckets } from "@edgelog/core/store-kit";
import { DEFAULT_MAX_SUBJECTS, leasedQuotaGate, type QuotaGate } from "./gate.ts";
import { recentEntry } from "./recent-subjects.ts";

export interface MemoryQuotaGateOptions {
  /** Subjects whose buckets are kept; the least recently used is forgotten (its bucket starts full again). */
  readonly maxSubjects?: number;
  /** The buckets' clock (ms); `createApp` passes its own. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * @example
 * createApp({ store: () => new MemoryStore(), quota: { gate: () => memoryQuotaGate() } });
 */
export function memoryQuotaGate(options: MemoryQuotaGateOptions = {}): QuotaGate {
  const maxSubjects = Math.max(1, options.maxSubjects ?? DEFAULT_MAX_SUBJECTS);
  const now = options.now ?? Date.now;
  const buckets = new Map<string, QuotaBuckets>();
  return leasedQuotaGate(
    async (subject, request) => {
      // A forgotten subject's buckets start full again.
      const subjectBuckets = recentEntry(buckets, subject, maxSubjects, (): QuotaBuckets => ({}));
      return grantLease(subjectBuckets, request, now());
    },
    { leaseMs: 0, maxSubjects },
  );
}
