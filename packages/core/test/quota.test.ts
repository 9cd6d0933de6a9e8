import { describe, expect, it } from "vitest";
import {
  type BucketLimit,
  fullBucket,
  grantLease,
  type LeaseRequest,
  msUntil,
  type QuotaBuckets,
  type QuotaLimits,
  refill,
  take,
} from "../src/store-kit/index.ts";

const TEN: BucketLimit = { rate: 10, burst: 10 };

describe("token bucket", () => {
  it("starts full, takes by weight and refuses with the exact wait", () => {
    let state = fullBucket(TEN, 0);
    for (let i = 0; i < 10; i++) {
      const result = take(state, 1, TEN, 0);
      expect(result.admitted).toBe(true);
      state = result.state;
    }
    const refused = take(state, 1, TEN, 0);
    expect(refused).toMatchObject({ admitted: false, retryAfterMs: 100 });
    // A refusal takes nothing: at the answered time the token is there.
    const later = take(refused.state, 1, TEN, 100);
    expect(later.admitted).toBe(true);
    expect(take(later.state, 1, TEN, 100).admitted).toBe(false);
  });

  it("refills at the rate, capped at the burst", () => {
    const empty = { tokens: 0, updatedAt: 0 };
    expect(refill(empty, TEN, 250).tokens).toBeCloseTo(2.5);
    expect(refill(empty, TEN, 60_000).tokens).toBe(10);
  });

  it("a clock that steps back neither adds tokens nor rewinds", () => {
    const state = { tokens: 3, updatedAt: 1_000 };
    expect(refill(state, TEN, 500)).toBe(state);
    expect(take(state, 1, TEN, 500)).toMatchObject({
      admitted: true,
      state: { tokens: 2, updatedAt: 1_000 },
    });
  });

  it("a fractional shortfall waits at least 1 ms, rounded up", () => {
    const bytes: BucketLimit = { rate: 3, burst: 3 };
    expect(msUntil({ tokens: 0, updatedAt: 0 }, 1, bytes)).toBe(334);
    expect(msUntil({ tokens: 0.999_999_9, updatedAt: 0 }, 1, bytes)).toBe(1);
  });

  it("a weight over the burst is admitted once the bucket is full, into debt that later requests wait out", () => {
    const bytes: BucketLimit = { rate: 1_000, burst: 1_000 };
    const half = { tokens: 500, updatedAt: 0 };
    // Not full: refused until it is (500 more tokens = 500 ms), never "forever".
    expect(take(half, 5_000, bytes, 0)).toMatchObject({ admitted: false, retryAfterMs: 500 });
    const admitted = take(half, 5_000, bytes, 500);
    expect(admitted).toMatchObject({ admitted: true, state: { tokens: -4_000 } });
    // The debt (4,000) plus one byte: 4.001 s at 1,000 B/s. The long-run rate holds.
    expect(take(admitted.state, 1, bytes, 500)).toMatchObject({ admitted: false, retryAfterMs: 4_001 });
    expect(take(admitted.state, 1, bytes, 4_501).admitted).toBe(true);
  });
});

describe("grantLease", () => {
  const limits: QuotaLimits = { requests: { rate: 100, burst: 100 }, bytes: { rate: 1_000, burst: 1_000 } };
  const lease = (need: [number, number], want: [number, number]): LeaseRequest => ({
    limits,
    need: { requests: need[0], bytes: need[1] },
    want: { requests: want[0], bytes: want[1] },
  });

  it("grants the need plus headroom from what is on hand", () => {
    const buckets: QuotaBuckets = {};
    expect(grantLease(buckets, lease([1, 200], [10, 300]), 0)).toEqual({
      granted: true,
      amounts: { requests: 10, bytes: 300 },
    });
    expect(buckets.requests?.tokens).toBe(90);
    expect(buckets.bytes?.tokens).toBe(700);
    // Headroom is capped by the tokens left; the need is still granted in full.
    expect(grantLease(buckets, lease([0, 600], [0, 1_000]), 0)).toEqual({
      granted: true,
      amounts: { requests: 0, bytes: 700 },
    });
  });

  it("refuses all or nothing with the longest wait and the short dimensions", () => {
    const buckets: QuotaBuckets = { bytes: { tokens: 0, updatedAt: 0 } };
    expect(grantLease(buckets, lease([1, 500], [1, 500]), 0)).toEqual({
      granted: false,
      retryAfterMs: 500,
      short: ["bytes"],
    });
    // The request token was not taken.
    expect(buckets.requests?.tokens).toBe(100);
  });

  it("never hands out more than burst + rate × time, whatever is wanted", () => {
    const buckets: QuotaBuckets = {};
    let handedOut = 0;
    for (let now = 0; now <= 1_000; now += 10) {
      const answer = grantLease(buckets, lease([1, 0], [50, 0]), now);
      if (answer.granted) handedOut += answer.amounts.requests;
    }
    expect(handedOut).toBeLessThanOrEqual(100 + 100);
    expect(handedOut).toBeGreaterThanOrEqual(199);
  });

  it("an unlimited dimension is granted as asked and keeps no bucket", () => {
    const buckets: QuotaBuckets = {};
    const open = { ...lease([1, 1e9], [1, 1e9]), limits: { ...limits, bytes: null } };
    expect(grantLease(buckets, open, 0)).toEqual({ granted: true, amounts: { requests: 1, bytes: 1e9 } });
    expect(buckets.bytes).toBeUndefined();
  });

  it("throws on amounts a caller cannot mean", () => {
    expect(() => grantLease({}, lease([-1, 0], [1, 0]), 0)).toThrow(RangeError);
    expect(() => grantLease({}, lease([2, 0], [1, 0]), 0)).toThrow(RangeError);
    expect(() => grantLease({}, lease([Number.NaN, 0], [1, 0]), 0)).toThrow(RangeError);
    const zero = { ...lease([1, 0], [1, 0]), limits: { ...limits, requests: { rate: 0, burst: 0 } } };
    expect(() => grantLease({}, zero, 0)).toThrow(RangeError);
  });
});
