import { describe, expect, it } from "vitest";
import type { BatchInfo } from "../src/index.ts";
import { AppendWaiters, planRetention } from "../src/store-kit/index.ts";

const batch = (
  baseOffset: number,
  count: number,
  maxTimestamp: number,
  sizeBytes = 100,
  logAppendTime = 0,
): BatchInfo => ({
  baseOffset,
  lastOffset: baseOffset + count - 1,
  recordCount: count,
  maxTimestamp,
  logAppendTime,
  sizeBytes,
});

describe("planRetention", () => {
  const batches = [batch(0, 10, 1_000), batch(10, 10, 2_000), batch(20, 10, 3_000)];

  it("moves the log start past batches older than retention.ms", () => {
    expect(planRetention(batches, { "retention.ms": 1_500, "retention.bytes": -1 }, 3_600)).toBe(20);
    expect(planRetention(batches, { "retention.ms": 5_000, "retention.bytes": -1 }, 3_600)).toBeNull();
    expect(planRetention(batches, { "retention.ms": -1, "retention.bytes": -1 }, 1e15)).toBeNull();
  });

  it("stops at the first batch that is still young, even if later ones are older", () => {
    const unordered = [batch(0, 1, 5_000), batch(1, 1, 1_000)];
    expect(planRetention(unordered, { "retention.ms": 1_000, "retention.bytes": -1 }, 5_500)).toBeNull();
  });

  it("drops the oldest batches while the partition exceeds retention.bytes", () => {
    expect(planRetention(batches, { "retention.ms": -1, "retention.bytes": 250 }, 0)).toBe(10);
    expect(planRetention(batches, { "retention.ms": -1, "retention.bytes": 100 }, 0)).toBe(20);
    expect(planRetention(batches, { "retention.ms": -1, "retention.bytes": 0 }, 0)).toBe(30);
    expect(planRetention(batches, { "retention.ms": -1, "retention.bytes": 300 }, 0)).toBeNull();
  });

  it("counts age from the append time when records carry older timestamps", () => {
    const backfill = [batch(0, 5, 1_000, 100, 10_000)];
    expect(planRetention(backfill, { "retention.ms": 1_000, "retention.bytes": -1 }, 10_500)).toBeNull();
    expect(planRetention(backfill, { "retention.ms": 1_000, "retention.bytes": -1 }, 11_001)).toBe(5);
  });
});

describe("AppendWaiters", () => {
  it("wakes every waiter on notify and forgets them", async () => {
    const waiters = new AppendWaiters();
    const pending = [waiters.wait(10_000), waiters.wait(10_000)];
    expect(waiters.size).toBe(2);
    waiters.notify();
    expect(await Promise.all(pending)).toEqual(["appended", "appended"]);
    expect(waiters.size).toBe(0);
  });

  it("times out, and answers a zero wait at once", async () => {
    const waiters = new AppendWaiters();
    expect(await waiters.wait(0)).toBe("timeout");
    expect(await waiters.wait(10)).toBe("timeout");
    expect(waiters.size).toBe(0);
  });

  it("rejects on fail and on abort, including an already aborted signal", async () => {
    const waiters = new AppendWaiters();
    const failing = waiters.wait(10_000);
    waiters.fail(new Error("gone"));
    await expect(failing).rejects.toThrow("gone");
    const controller = new AbortController();
    const aborted = waiters.wait(10_000, controller.signal);
    controller.abort(new Error("stop"));
    await expect(aborted).rejects.toThrow("stop");
    await expect(waiters.wait(10, controller.signal)).rejects.toThrow("stop");
    expect(waiters.size).toBe(0);
  });
});
