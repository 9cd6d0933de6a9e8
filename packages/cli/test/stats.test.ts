import { describe, expect, it } from "vitest";
import { formatBytes, formatRate, ProgressBar, percentile, Samples } from "../src/stats.ts";
import { capture } from "./support/harness.ts";

describe("stats", () => {
  it("percentiles by nearest rank", () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile(samples, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it("keeps a bounded, uniform sample of latencies", () => {
    const samples = new Samples(1000);
    for (let i = 0; i < 100_000; i++) samples.add(i);
    expect(samples.values).toHaveLength(1000);
    // A uniform sample of 0..99,999: its median is near 50,000, not in the first thousand.
    expect(Math.abs(percentile(samples.values, 50) - 50_000)).toBeLessThan(10_000);
    const few = new Samples(10);
    for (const v of [3, 1, 2]) few.add(v);
    expect(few.values).toEqual([3, 1, 2]);
  });

  it("formats rates and sizes", () => {
    expect(formatRate(12_345, 1)).toBe("12,345");
    expect(formatRate(1, 2.5)).toBe("0.4");
    expect(formatRate(1, 0)).toBe("-");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(3 * 1024 ** 3)).toBe("3.0 GiB");
  });

  it("draws a progress bar only on a terminal, at most every 100 ms, and clears it", () => {
    let now = 0;
    const pipe = capture();
    const quiet = new ProgressBar(pipe, { total: 10, label: "x", now: () => now });
    quiet.update(5);
    quiet.finish();
    expect(pipe.text()).toBe("");
    const tty = capture({ isTTY: true });
    const bar = new ProgressBar(tty, { total: 10, label: "produce", now: () => now });
    bar.update(1);
    now = 50;
    bar.update(2);
    now = 200;
    bar.update(5);
    bar.update(10);
    const drawn = tty
      .text()
      .split("\r")
      .filter((s) => s.trim() !== "");
    expect(drawn.map((s) => s.trimEnd())).toEqual([
      "produce [###...........................] 10% 1/10 -/s",
      "produce [###############...............] 50% 5/10 25/s",
      "produce [##############################] 100% 10/10 50/s",
    ]);
    bar.finish();
    expect(tty.text().endsWith(`\r${" ".repeat(79)}\r`)).toBe(true);
  });
});
