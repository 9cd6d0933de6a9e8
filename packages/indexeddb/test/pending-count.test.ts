// PendingCount: exact increments, recounts that never overwrite an increment they did not see, one at a time.
import { describe, expect, it } from "vitest";
import { PendingCount } from "../src/pending-count.ts";

/** A count whose every read waits until the test answers it. */
function heldCount() {
  const reads: ((value: number) => void)[] = [];
  const count = () => new Promise<number>((resolve) => reads.push(resolve));
  const answer = async (value: number) => {
    while (reads.length === 0) await Promise.resolve();
    reads.shift()?.(value);
  };
  return { count, answer, reads };
}

describe("PendingCount", () => {
  it("takes a recount's figure when no increment landed while it read", async () => {
    const held = heldCount();
    const pending = new PendingCount(held.count);
    const refreshed = pending.refresh();
    await held.answer(7);
    await refreshed;
    expect(pending.value).toBe(7);
    pending.add(2);
    expect(pending.value).toBe(9);
  });

  it("counts again when an increment landed during the read, and keeps the increments if they keep landing", async () => {
    const held = heldCount();
    const pending = new PendingCount(held.count);
    pending.add(1);
    const refreshed = pending.refresh();
    pending.add(1); // lands while the first read is out: its figure may predate it
    await held.answer(1);
    await held.answer(2); // the second read saw both
    await refreshed;
    expect(pending.value).toBe(2);

    const again = pending.refresh();
    for (let read = 0; read < 3; read++) {
      pending.add(1);
      await held.answer(0); // stale every time
    }
    await again;
    expect(pending.value).toBe(5); // the increments stand
  });

  it("runs one recount at a time; calls made meanwhile share the next one", async () => {
    const held = heldCount();
    const pending = new PendingCount(held.count);
    const first = pending.refresh();
    const second = pending.refresh();
    const third = pending.refresh();
    expect(second).toBe(third);
    await held.answer(3);
    await first;
    expect(held.reads.length).toBeLessThanOrEqual(1);
    await held.answer(4);
    await second;
    expect(pending.value).toBe(4);
  });
});
