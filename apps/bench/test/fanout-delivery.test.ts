// The fan-out benchmark's bookkeeping: who holds which batch, when the last reader got it, and every way a reader
// can get it wrong (a repeat, a gap, a reordering) counted rather than hidden.
import { describe, expect, it } from "vitest";
import { Deliveries } from "../../worker/bench/fanout-delivery.ts";

describe("Deliveries", () => {
  it("resolves a batch once every reader holds it, at the last reader's time", async () => {
    const d = new Deliveries(3, 2);
    const delivered = d.delivered(0, 1_000);
    d.receive(0, 0, 10);
    d.receive(2, 0, 30);
    expect(d.holders(0)).toBe(2);
    expect(d.deliveredAt(0)).toBeNaN();
    d.receive(1, 0, 20);
    await expect(delivered).resolves.toBe(20);
    expect(d.firstAt(0)).toBe(10);
    expect(d.firstAt(1)).toBeNaN();
    // Already delivered: answered at once.
    await expect(d.delivered(0, 1)).resolves.toBe(20);
    expect(d.violations).toEqual({ duplicates: 0, missed: 0 });
  });

  it("counts a repeat as a duplicate without counting the reader twice", () => {
    const d = new Deliveries(2, 3);
    d.receive(0, 0, 1);
    d.receive(0, 0, 2);
    expect(d.holders(0)).toBe(1);
    d.receive(0, 1, 3);
    d.receive(0, 0, 4); // an older batch after a newer one
    expect(d.violations).toEqual({ duplicates: 2, missed: 0 });
  });

  it("counts every batch skipped before a later one as missed, and the batch still never completes", async () => {
    const d = new Deliveries(1, 4);
    d.receive(0, 0, 1);
    d.receive(0, 3, 2);
    expect(d.violations).toEqual({ duplicates: 0, missed: 2 });
    expect(d.holders(1)).toBe(0);
    await expect(d.delivered(1, 5)).rejects.toThrow("batch 1 reached 0 of 1 readers in 5 ms");
  });

  it("ignores offsets outside the run and refuses readers it does not have", () => {
    const d = new Deliveries(1, 2);
    d.receive(0, 7, 1);
    d.receive(0, -1, 1);
    expect(d.holders(0)).toBe(0);
    expect(d.violations).toEqual({ duplicates: 0, missed: 0 });
    expect(() => d.receive(1, 0, 1)).toThrow(RangeError);
    expect(() => new Deliveries(0, 1)).toThrow(RangeError);
    expect(() => new Deliveries(1, 0)).toThrow(RangeError);
  });
});
