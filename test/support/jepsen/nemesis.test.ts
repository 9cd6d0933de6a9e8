// The controller-failover wait as a liveness check, against a fake deployment whose leadership never moves: with an
// in-sync replica reachable all along, not failing over is a failure; with none, staying leaderless is right.
import { describe, expect, it } from "vitest";
import { awaitControllerFailover, type FaultTarget, type PartitionLeadership } from "./nemesis.ts";

function stuck(isr: string[]): FaultTarget {
  const leadership: PartitionLeadership = {
    leader: "wnam",
    replicas: ["wnam", "weur", "apac"],
    isr,
    leaderEpoch: 0,
  };
  return {
    leadership: async () => leadership,
    setRegionUnreachable: async () => undefined,
    elect: async () => leadership,
  };
}

const context = (target: FaultTarget, down: string[]) => ({
  target,
  down: new Set(down),
  recordElection: () => undefined,
});

describe("awaitControllerFailover", () => {
  it("fails the run when a reachable in-sync replica was never elected", async () => {
    const wait = awaitControllerFailover(300);
    await expect(wait(context(stuck(["wnam", "weur", "apac"]), ["wnam"]), 0, "wnam")).rejects.toThrow(
      /liveness: .* weur,apac stayed in sync and reachable/,
    );
  });

  it("accepts a partition left leaderless when no in-sync replica is reachable", async () => {
    const wait = awaitControllerFailover(300);
    await expect(wait(context(stuck(["wnam", "weur"]), ["wnam", "weur"]), 0, "wnam")).resolves.toMatch(
      /no reachable in-sync replica/,
    );
  });
});
