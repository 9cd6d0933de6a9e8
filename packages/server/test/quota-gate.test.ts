// The isolate side of quotas: `leasedQuotaGate` over a counting leaser (the bucket rule of core), so what the
// Durable Object would be asked is counted, not timed.
import { grantLease, type LeaseRequest, type QuotaBuckets, type QuotaLimits } from "@edgelog/core/store-kit";
import { describe, expect, it } from "vitest";
import { leasedQuotaGate, type QuotaLeaser } from "../src/quota/gate.ts";
import { quotaLimits } from "../src/quota/limits.ts";

function countingLeaser(clock: { now: number }) {
  const buckets = new Map<string, QuotaBuckets>();
  const calls: { subject: string; request: LeaseRequest }[] = [];
  const leaser: QuotaLeaser = async (subject, request) => {
    calls.push({ subject, request });
    const b = buckets.get(subject) ?? {};
    buckets.set(subject, b);
    return grantLease(b, request, clock.now);
  };
  return { leaser, calls };
}

const limits: QuotaLimits = {
  requests: { rate: 1_000, burst: 1_000 },
  bytes: { rate: 100_000, burst: 100_000 },
};
const ONE = { requests: 1, bytes: 0 };

describe("leasedQuotaGate", () => {
  it("admits 1,000 requests under the rate with one lease call per tenth of a second of rate", async () => {
    const clock = { now: 0 };
    const { leaser, calls } = countingLeaser(clock);
    const gate = leasedQuotaGate(leaser);
    for (let i = 0; i < 1_000; i++) {
      clock.now = i; // 1,000 requests over 1 s: exactly the rate
      expect((await gate.admit("sub:a", ONE, limits, clock.now)).admitted).toBe(true);
    }
    // A lease is 1 + 100 ms of rate (100): ≤ ~1,000 / 100 calls.
    expect(calls.length).toBeLessThanOrEqual(11);
  });

  it("concurrent requests of one subject share the lease in flight", async () => {
    const clock = { now: 0 };
    const { leaser, calls } = countingLeaser(clock);
    const gate = leasedQuotaGate(leaser);
    const verdicts = await Promise.all(Array.from({ length: 50 }, () => gate.admit("sub:a", ONE, limits, 0)));
    expect(verdicts.every((v) => v.admitted)).toBe(true);
    // One lease of 1 + 100 covers all 50 that waited for it.
    expect(calls).toHaveLength(1);
    // 300 at once: more than one lease's headroom, still admitted (within the burst) with a few calls.
    const more = await Promise.all(Array.from({ length: 300 }, () => gate.admit("sub:a", ONE, limits, 0)));
    expect(more.filter((v) => v.admitted)).toHaveLength(300);
    expect(calls.length).toBeLessThanOrEqual(10);
  });

  it("decides a subject's requests in the order they arrived, whichever needs a lease", async () => {
    const clock = { now: 0 };
    const { leaser } = countingLeaser(clock);
    // A slow bucket: the first request's lease is still in flight when the others arrive.
    const slow: QuotaLeaser = async (subject, request) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return leaser(subject, request);
    };
    const gate = leasedQuotaGate(slow, { leaseMs: 0 });
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        // Mixed charges: some covered by what is held, some needing a lease of their own.
        gate.admit("sub:a", i % 2 === 0 ? { requests: 1, bytes: 500 } : ONE, limits, 0).then((verdict) => {
          expect(verdict.admitted).toBe(true);
          order.push(i);
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it("charges produce bytes from the same leases", async () => {
    const clock = { now: 0 };
    const { leaser, calls } = countingLeaser(clock);
    const gate = leasedQuotaGate(leaser);
    for (let i = 0; i < 100; i++) {
      expect((await gate.admit("sub:a", { requests: 1, bytes: 500 }, limits, 0)).admitted).toBe(true);
    }
    // 50,000 bytes in leases of 500 + 10,000: ≤ 5 calls for bytes, 1 for requests (all under the burst).
    expect(calls.length).toBeLessThanOrEqual(6);
  });

  it("after a refusal, asks no more until the bucket said there is room", async () => {
    const clock = { now: 0 };
    const { leaser, calls } = countingLeaser(clock);
    const gate = leasedQuotaGate(leaser);
    const small: QuotaLimits = { requests: { rate: 10, burst: 10 }, bytes: null };
    let admitted = 0;
    for (let i = 0; i < 1_000; i++) if ((await gate.admit("sub:a", ONE, small, 0)).admitted) admitted++;
    expect(admitted).toBe(10);
    const callsWhileRefused = calls.length;
    // Five leases of 2 (1 + 100 ms of 10/s), then one refusal: the other 989 refused requests cost no call.
    expect(callsWhileRefused).toBe(6);
    const refused = await gate.admit("sub:a", ONE, small, 50);
    expect(refused).toEqual({ admitted: false, retryAfterMs: 50, short: ["requests"] });
    expect(calls.length).toBe(callsWhileRefused);
    clock.now = 100;
    expect((await gate.admit("sub:a", ONE, small, 100)).admitted).toBe(true);
    // Another subject was never blocked by the first.
    expect((await gate.admit("sub:b", ONE, small, 100)).admitted).toBe(true);
  });

  it("over-admission across isolates is bounded by isolates × lease", async () => {
    const clock = { now: 0 };
    const { leaser } = countingLeaser(clock);
    const isolates = [leasedQuotaGate(leaser), leasedQuotaGate(leaser), leasedQuotaGate(leaser)];
    let admitted = 0;
    for (let t = 0; t < 1_000; t += 10) {
      clock.now = t;
      for (const gate of isolates) {
        for (let i = 0; i < 20; i++) if ((await gate.admit("sub:a", ONE, limits, t)).admitted) admitted++;
      }
    }
    // The bucket hands out at most burst + rate × 0.99 s; admissions never exceed what was handed out.
    expect(admitted).toBeLessThanOrEqual(1_000 + 990);
    expect(admitted).toBeGreaterThan(1_500);
  });

  it("unlimited dimensions never call the leaser", async () => {
    const { leaser, calls } = countingLeaser({ now: 0 });
    const gate = leasedQuotaGate(leaser);
    const open = quotaLimits({ requestsPerSec: "unlimited", produceBytesPerSec: "unlimited" }, undefined);
    for (let i = 0; i < 100; i++) await gate.admit("sub:a", { requests: 1, bytes: 1e6 }, open, 0);
    expect(calls).toHaveLength(0);
  });

  it("remembers a bounded number of subjects", async () => {
    const { leaser, calls } = countingLeaser({ now: 0 });
    const gate = leasedQuotaGate(leaser, { maxSubjects: 2 });
    await gate.admit("sub:a", ONE, limits, 0);
    await gate.admit("sub:b", ONE, limits, 0);
    await gate.admit("sub:a", ONE, limits, 0); // from a's lease
    await gate.admit("sub:c", ONE, limits, 0); // forgets b, the least recently used
    await gate.admit("sub:a", ONE, limits, 0);
    expect(calls.map((c) => c.subject)).toEqual(["sub:a", "sub:b", "sub:c"]);
    await gate.admit("sub:b", ONE, limits, 0);
    expect(calls.map((c) => c.subject)).toEqual(["sub:a", "sub:b", "sub:c", "sub:b"]);
  });
});

describe("quotaLimits", () => {
  it("reads the env: absent or 0 is the default, `unlimited` is off, garbage is the default", () => {
    expect(quotaLimits({}, undefined)).toEqual({
      requests: { rate: 200, burst: 200 },
      bytes: { rate: 4 * 1024 * 1024, burst: 4 * 1024 * 1024 },
    });
    const env = { EDGELOG_QUOTA_REQUESTS_PER_SEC: "0", EDGELOG_QUOTA_PRODUCE_BYTES_PER_SEC: " Unlimited " };
    expect(quotaLimits({}, env)).toEqual({ requests: { rate: 200, burst: 200 }, bytes: null });
    expect(quotaLimits({}, { EDGELOG_QUOTA_REQUESTS_PER_SEC: "fast" }).requests).toEqual({
      rate: 200,
      burst: 200,
    });
    expect(quotaLimits({}, { EDGELOG_QUOTA_REQUESTS_PER_SEC: "2.5" }).requests).toEqual({
      rate: 2.5,
      burst: 2.5,
    });
    // The option wins over the env.
    expect(quotaLimits({ requestsPerSec: 7 }, { EDGELOG_QUOTA_REQUESTS_PER_SEC: "3" }).requests?.rate).toBe(
      7,
    );
  });
});
