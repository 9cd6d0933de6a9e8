import { describe, expect, it } from "vitest";
import { median, pairedRatios, percentile } from "../src/stats.ts";

describe("median", () => {
  it("takes the middle of an odd count and the mean of the two middles of an even count, unsorted input", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it("is NaN for no values and leaves its input unsorted", () => {
    expect(median([])).toBeNaN();
    const input = [3, 1, 2];
    median(input);
    expect(input).toEqual([3, 1, 2]);
  });
});

describe("percentile (nearest rank)", () => {
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted

  it("returns a sample that happened: p50 of 1..100 is 50, p99 is 99, p100 the maximum", () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile(hundred, 0)).toBe(1);
  });

  it("with few samples p99 is the maximum", () => {
    expect(percentile([10, 30, 20], 99)).toBe(30);
    expect(percentile([10, 30, 20], 50)).toBe(20);
  });

  it("rejects a percentile outside 0..100 and is NaN for no samples", () => {
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe("pairedRatios", () => {
  it("divides repetition by repetition, over the shorter series", () => {
    expect(pairedRatios([10, 20, 30], [5, 40])).toEqual([2, 0.5]);
  });
});
