import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SHARED_MISS_PATIENCE_MS, SharedMisses } from "../src/read-cache/shared-misses.ts";

describe("SharedMisses", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("identical misses share one read when its answer may be cached", async () => {
    const misses = new SharedMisses();
    let reads = 0;
    let answer!: (value: string) => void;
    const read = () => {
      reads++;
      return new Promise<string>((resolve) => {
        answer = resolve;
      });
    };
    const first = misses.read("k", read, () => true);
    const second = misses.read("k", read, () => true);
    answer("batch");
    expect(await first).toEqual({ answer: "batch", fresh: true });
    expect(await second).toEqual({ answer: "batch", fresh: false });
    expect(reads).toBe(1);
  });

  it("a joiner reads for itself when the shared read never settles (its request ended)", async () => {
    const misses = new SharedMisses();
    let reads = 0;
    const read = (): Promise<string> => {
      reads++;
      return reads === 1 ? new Promise<string>(() => undefined) : Promise.resolve("own");
    };
    void misses.read("k", read, () => true);
    const joiner = misses.read("k", read, () => true);
    await vi.advanceTimersByTimeAsync(SHARED_MISS_PATIENCE_MS - 1);
    expect(reads).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await joiner).toEqual({ answer: "own", fresh: true });
    expect(reads).toBe(2);
  });

  it("the maker leaving (its request's signal) ends the flight for its joiners at once: they read for themselves", async () => {
    const misses = new SharedMisses();
    let reads = 0;
    const read = (): Promise<string> => {
      reads++;
      return reads === 1 ? new Promise<string>(() => undefined) : Promise.resolve("own");
    };
    const maker = new AbortController();
    void misses.read("k", read, () => true, maker.signal);
    const joiners = [1, 2].map(() => misses.read("k", read, () => true));
    maker.abort(new Error("the maker's client went away"));
    expect(await Promise.all(joiners)).toEqual([
      { answer: "own", fresh: true },
      { answer: "own", fresh: true },
    ]);
    expect(reads).toBe(3);
  });
});
