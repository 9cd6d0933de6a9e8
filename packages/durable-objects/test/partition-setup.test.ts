// Issue 12 finding 4: partition objects are configured in bounded steps, and a create that fails part-way
// destroys every object it reached (no orphans). Counted with fakes, no timing.
import { describe, expect, it } from "vitest";
import { configurePartitions } from "../src/partition-setup.ts";

function world(failAt: number | null) {
  const live = new Set<number>();
  let inFlight = 0;
  let maxInFlight = 0;
  const setup = {
    step: 10,
    configure: async (p: number) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await Promise.resolve();
      live.add(p); // even a failing configure may have created its object
      inFlight--;
      if (p === failAt) throw new Error(`partition ${p} failed`);
    },
    destroy: async (p: number) => {
      live.delete(p);
    },
  };
  return { live, setup, maxInFlight: () => maxInFlight };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe("configurePartitions", () => {
  it("configures every partition, never more than a step at once", async () => {
    const { live, setup, maxInFlight } = world(null);
    await configurePartitions(range(95), setup);
    expect(live.size).toBe(95);
    expect(maxInFlight()).toBe(10);
  });

  it("on a failure part-way destroys every object it reached, leaves none, and rethrows", async () => {
    const { live, setup } = world(47);
    await expect(configurePartitions(range(95), setup)).rejects.toThrow("partition 47 failed");
    expect(live.size).toBe(0);
  });

  it("undoes only the partitions it was given (a grow keeps the existing ones)", async () => {
    const { live, setup } = world(23);
    for (const p of range(5)) live.add(p);
    await expect(configurePartitions(range(30).slice(5), setup)).rejects.toThrow();
    expect([...live].sort((a, b) => a - b)).toEqual(range(5));
  });
});
