/**
 * The lease path inside workerd: `leasedQuotaGate` (one per simulated isolate) over the real `QuotaObject`s of
 * wrangler.toml's `QUOTAS` binding. Durable Object calls are counted, not timed: requests under the rate are
 * admitted from leases with about one call per lease, a subject over its quota is refused with the bucket's
 * wait, and another subject is not affected.
 */
import { env } from "cloudflare:test";
import type { LeaseRequest, QuotaLimits } from "@edgelog/core/store-kit";
import { type QuotaObject, quotaObjectLeaser } from "@edgelog/durable-objects";
import { leasedQuotaGate, type QuotaLeaser } from "@edgelog/server";
import { describe, expect, it } from "vitest";

const QUOTAS = (env as unknown as { QUOTAS: DurableObjectNamespace<QuotaObject> }).QUOTAS;
let run = 0;

function counted(prefix: string): { leaser: QuotaLeaser; calls: LeaseRequest[] } {
  const calls: LeaseRequest[] = [];
  const leaser = quotaObjectLeaser(QUOTAS, prefix);
  return {
    calls,
    leaser: (subject, request) => {
      calls.push(request);
      return leaser(subject, request);
    },
  };
}

const ONE = { requests: 1, bytes: 0 };

describe("QuotaObject leases", () => {
  it("1,000 requests under the rate cost about one Durable Object call per lease", async () => {
    const prefix = `lease-${run++}-${Date.now()}/`;
    const { leaser, calls } = counted(prefix);
    const gate = leasedQuotaGate(leaser);
    // 1,000 requests/s with a burst of 1,000: all 1,000 fit even if no time passes; a lease is 1 + 100.
    const limits: QuotaLimits = { requests: { rate: 1_000, burst: 1_000 }, bytes: null };
    for (let i = 0; i < 1_000; i++) {
      expect((await gate.admit("sub:steady", ONE, limits, Date.now())).admitted).toBe(true);
    }
    expect(calls.length).toBeGreaterThanOrEqual(10);
    expect(calls.length).toBeLessThanOrEqual(11);
  });

  it("refuses a subject over its quota with the bucket's wait, asks once while refused, serves others", async () => {
    const prefix = `over-${run++}-${Date.now()}/`;
    const { leaser, calls } = counted(prefix);
    const gate = leasedQuotaGate(leaser);
    const limits: QuotaLimits = { requests: { rate: 1, burst: 1 }, bytes: { rate: 1_000, burst: 1_000 } };
    const now = Date.now();
    expect((await gate.admit("sub:greedy", ONE, limits, now)).admitted).toBe(true);
    const refused = await gate.admit("sub:greedy", ONE, limits, now);
    expect(refused.admitted).toBe(false);
    if (refused.admitted) return;
    expect(refused.short).toEqual(["requests"]);
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(1_000);
    const callsSoFar = calls.length;
    for (let i = 0; i < 50; i++)
      expect((await gate.admit("sub:greedy", ONE, limits, now)).admitted).toBe(false);
    expect(calls.length).toBe(callsSoFar);
    // Another subject has its own object and bucket.
    expect((await gate.admit("sub:other", { requests: 1, bytes: 900 }, limits, now)).admitted).toBe(true);
    // Bytes: what is left of that subject's 1,000 is not enough for 200 more.
    const bytes = await gate.admit("sub:other", { requests: 0, bytes: 200 }, limits, now);
    expect(bytes).toMatchObject({ admitted: false, short: ["bytes"] });
  });

  it("two isolates share one bucket: together they are admitted no more than it hands out", async () => {
    const prefix = `shared-${run++}-${Date.now()}/`;
    const { leaser } = counted(prefix);
    const isolates = [leasedQuotaGate(leaser), leasedQuotaGate(leaser)];
    const limits: QuotaLimits = { requests: { rate: 100, burst: 100 }, bytes: null };
    const started = Date.now();
    let admitted = 0;
    for (let i = 0; i < 150; i++) {
      for (const gate of isolates)
        if ((await gate.admit("sub:shared", ONE, limits, Date.now())).admitted) admitted++;
    }
    const elapsedS = (Date.now() - started) / 1000;
    expect(admitted).toBeGreaterThanOrEqual(100);
    expect(admitted).toBeLessThanOrEqual(100 + Math.ceil(100 * elapsedS) + 1);
  });
});
