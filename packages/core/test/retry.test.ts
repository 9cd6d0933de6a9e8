import { describe, expect, it, vi } from "vitest";
import { EdgeLogError } from "../src/index.ts";
import { backoffMs, retryAfterOf, retryDelayMs, withRetry } from "../src/store-kit/index.ts";

const throttled = (retryAfterMs: unknown) =>
  new EdgeLogError("THROTTLING_QUOTA_EXCEEDED", "slow down", {
    context: { retryAfterMs: retryAfterMs as number },
  });
const half = () => 0.5;

describe("retryDelayMs", () => {
  it("is the backoff when the server asked for nothing", () => {
    const timeout = new EdgeLogError("REQUEST_TIMED_OUT", "lost");
    expect(retryDelayMs(timeout, 3, {}, half)).toBe(backoffMs(3, {}, half));
    expect(retryDelayMs(new Error("plain"), 0, {}, half)).toBe(backoffMs(0, {}, half));
  });

  it("never retries sooner than the server's retryAfterMs", () => {
    expect(retryDelayMs(throttled(2_500), 0, {}, half)).toBe(2_500);
    // A longer backoff still wins.
    expect(retryDelayMs(throttled(10), 8, {}, half)).toBe(backoffMs(8, {}, half));
  });

  it("caps the server's wait at maxRetryTime", () => {
    expect(retryDelayMs(throttled(86_400_000), 0, {}, half)).toBe(30_000);
    expect(retryDelayMs(throttled(86_400_000), 0, { maxRetryTime: 5_000 }, half)).toBe(5_000);
  });

  it("ignores a retryAfterMs that is not a positive number", () => {
    for (const bad of ["1000", -5, 0, Number.NaN, Number.POSITIVE_INFINITY, null]) {
      expect(retryAfterOf(throttled(bad))).toBeUndefined();
    }
  });
});

describe("withRetry", () => {
  it("waits out Retry-After before the next attempt (counted attempts, fake clock)", async () => {
    vi.useFakeTimers();
    try {
      let attempts = 0;
      const done = withRetry(
        async () => {
          attempts++;
          if (attempts === 1) throw throttled(3_000);
          return "ok";
        },
        { initialRetryTime: 1 },
      );
      await vi.advanceTimersByTimeAsync(2_999);
      expect(attempts).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      await expect(done).resolves.toBe("ok");
      expect(attempts).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
