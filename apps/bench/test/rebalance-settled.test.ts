import { describe, expect, it } from "vitest";
import { settled } from "../../worker/bench/rebalance.ts";

describe("rebalance: when a group counts as settled", () => {
  it("needs disjoint assignments that together cover every partition", () => {
    expect(
      settled(
        [
          [0, 2],
          [1, 3],
        ],
        4,
      ),
    ).toBe(true);
    expect(settled([[0, 1, 2, 3]], 4)).toBe(true);
  });

  it("is not settled while an old owner still holds a partition the new member has, or one is unowned", () => {
    expect(
      settled(
        [
          [0, 1, 2, 3],
          [1, 3],
        ],
        4,
      ),
    ).toBe(false);
    expect(settled([[0, 2], [1]], 4)).toBe(false);
    expect(settled([[0, 2], []], 4)).toBe(false);
    expect(
      settled(
        [
          [0, 2],
          [1, 5],
        ],
        4,
      ),
    ).toBe(false);
  });
});
