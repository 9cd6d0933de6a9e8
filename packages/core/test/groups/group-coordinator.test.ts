// Scenario tests of the group coordinator: the wire behaviour docs/http-api.md fixes (join, leave, fencing),
// the incremental hand-over of a partition, lost answers, session and revocation timeouts, commits' epoch
// checks.
import { describe, expect, it } from "vitest";
import { rangeAssignor, uniformAssignor } from "../../src/groups/assignors.ts";
import { codeOf as errorCodeOf, FakeGroupWorld } from "./support.ts";

function setup(partitions = 4) {
  const world = new FakeGroupWorld();
  world.createTopic("orders", partitions);
  const coordinator = world.coordinator({ sessionTimeoutMs: 10_000 });
  return { world, coordinator };
}

describe("GroupCoordinator", () => {
  it("gives a lone member every partition, answers leave with epoch -1 and empties the group", async () => {
    const { coordinator } = setup();
    const joined = await coordinator.heartbeat("g", { memberId: "m1", memberEpoch: 0, topics: ["orders"] });
    expect(joined.memberEpoch).toBeGreaterThan(0);
    expect(joined.assignment).toEqual([{ topic: "orders", partitions: [0, 1, 2, 3] }]);
    expect(joined.heartbeatIntervalMs).toBe(3_000);
    expect((await coordinator.describe("g"))?.state).toBe("Stable");
    const leave = await coordinator.heartbeat("g", { memberId: "m1", memberEpoch: -1 });
    expect(leave).toMatchObject({ memberId: "m1", memberEpoch: -1, assignment: [] });
    expect((await coordinator.describe("g"))?.state).toBe("Empty");
  });

  it("moves a partition only after its old owner released it", async () => {
    const { coordinator } = setup(2);
    const a = await coordinator.heartbeat("g", { memberId: "a", memberEpoch: 0, topics: ["orders"] });
    const b = await coordinator.heartbeat("g", { memberId: "b", memberEpoch: 0, topics: ["orders"] });
    // b is in the target for one partition, but a still owns both.
    expect(b.assignment).toEqual([]);
    expect((await coordinator.describe("g"))?.state).toBe("Reconciling");
    // a is told to give one up; its epoch stays until it has.
    const a2 = await coordinator.heartbeat("g", {
      memberId: "a",
      memberEpoch: a.memberEpoch,
      ownedPartitions: a.assignment,
    });
    expect(a2.memberEpoch).toBe(a.memberEpoch);
    expect(a2.assignment).toHaveLength(1);
    const kept = a2.assignment[0]?.partitions ?? [];
    expect(kept).toHaveLength(1);
    // Still holding both (a slow handler): nothing moves.
    const a3 = await coordinator.heartbeat("g", {
      memberId: "a",
      memberEpoch: a.memberEpoch,
      ownedPartitions: a.assignment,
    });
    expect(a3.memberEpoch).toBe(a.memberEpoch);
    expect(
      (await coordinator.heartbeat("g", { memberId: "b", memberEpoch: b.memberEpoch })).assignment,
    ).toEqual([]);
    // Released: a moves to the new epoch, and b receives the partition on its next heartbeat.
    const a4 = await coordinator.heartbeat("g", {
      memberId: "a",
      memberEpoch: a.memberEpoch,
      ownedPartitions: a2.assignment,
    });
    expect(a4.memberEpoch).toBeGreaterThan(a.memberEpoch);
    const b2 = await coordinator.heartbeat("g", { memberId: "b", memberEpoch: b.memberEpoch });
    expect(b2.assignment).toEqual([{ topic: "orders", partitions: [1 - (kept[0] as number)] }]);
    expect((await coordinator.describe("g"))?.state).toBe("Stable");
  });

  it("fences a stale epoch, and a rejoin with epoch 0 starts over", async () => {
    const { coordinator } = setup();
    const m = await coordinator.heartbeat("g", { memberId: "m", memberEpoch: 0, topics: ["orders"] });
    expect(
      await errorCodeOf(coordinator.heartbeat("g", { memberId: "m", memberEpoch: m.memberEpoch + 5 })),
    ).toBe("FENCED_MEMBER_EPOCH");
    expect(await errorCodeOf(coordinator.heartbeat("g", { memberId: "x", memberEpoch: 3 }))).toBe(
      "UNKNOWN_MEMBER_ID",
    );
    const again = await coordinator.heartbeat("g", { memberId: "m", memberEpoch: 0, topics: ["orders"] });
    expect(again.memberEpoch).toBeGreaterThan(m.memberEpoch);
    expect(again.assignment).toEqual(m.assignment);
  });

  it("accepts the previous epoch when the answer that moved it was lost", async () => {
    const { coordinator } = setup(2);
    const a = await coordinator.heartbeat("g", { memberId: "a", memberEpoch: 0, topics: ["orders"] });
    await coordinator.heartbeat("g", { memberId: "b", memberEpoch: 0, topics: ["orders"] });
    const revoking = await coordinator.heartbeat("g", {
      memberId: "a",
      memberEpoch: a.memberEpoch,
      ownedPartitions: a.assignment,
    });
    const moved = await coordinator.heartbeat("g", {
      memberId: "a",
      memberEpoch: a.memberEpoch,
      ownedPartitions: revoking.assignment,
    });
    expect(moved.memberEpoch).toBeGreaterThan(a.memberEpoch);
    // That answer is lost: the member retries with its old epoch and what it owns.
    const retried = await coordinator.heartbeat("g", {
      memberId: "a",
      memberEpoch: a.memberEpoch,
      ownedPartitions: revoking.assignment,
    });
    expect(retried.memberEpoch).toBe(moved.memberEpoch);
    // Without proof of what it owns, an old epoch is fenced.
    expect(await errorCodeOf(coordinator.heartbeat("g", { memberId: "a", memberEpoch: a.memberEpoch }))).toBe(
      "FENCED_MEMBER_EPOCH",
    );
  });

  it("removes a silent member after its session timeout, and its partitions move", async () => {
    const { world, coordinator } = setup(2);
    const a = await coordinator.heartbeat("g", { memberId: "a", memberEpoch: 0, topics: ["orders"] });
    const b = await coordinator.heartbeat("g", { memberId: "b", memberEpoch: 0, topics: ["orders"] });
    await coordinator.heartbeat("g", {
      memberId: "a",
      memberEpoch: a.memberEpoch,
      ownedPartitions: a.assignment,
    });
    world.now += 9_000;
    const b2 = await coordinator.heartbeat("g", { memberId: "b", memberEpoch: b.memberEpoch });
    expect(b2.assignment).toEqual([]);
    expect(await coordinator.nextDeadline("g")).toBe(world.now - 9_000 + 10_000);
    world.now += 1_001;
    const b3 = await coordinator.heartbeat("g", { memberId: "b", memberEpoch: b2.memberEpoch });
    expect(b3.assignment).toEqual([{ topic: "orders", partitions: [0, 1] }]);
    expect((await coordinator.describe("g"))?.members.map((m) => m.memberId)).toEqual(["b"]);
    expect(await errorCodeOf(coordinator.heartbeat("g", { memberId: "a", memberEpoch: a.memberEpoch }))).toBe(
      "UNKNOWN_MEMBER_ID",
    );
  });

  it("expires members on its own (for alarms) and says when to look again", async () => {
    const { world, coordinator } = setup();
    await coordinator.heartbeat("g", {
      memberId: "a",
      memberEpoch: 0,
      topics: ["orders"],
      sessionTimeoutMs: 5_000,
    });
    expect(await coordinator.expire("g")).toBe(world.now + 5_000);
    world.now += 5_001;
    expect(await coordinator.expire("g")).toBeNull();
    expect((await coordinator.describe("g"))?.state).toBe("Empty");
  });

  it("removes a member that does not release revoked partitions within its rebalance timeout", async () => {
    const { world, coordinator } = setup(2);
    const a = await coordinator.heartbeat("g", {
      memberId: "a",
      memberEpoch: 0,
      topics: ["orders"],
      rebalanceTimeoutMs: 4_000,
    });
    const b = await coordinator.heartbeat("g", { memberId: "b", memberEpoch: 0, topics: ["orders"] });
    await coordinator.heartbeat("g", {
      memberId: "a",
      memberEpoch: a.memberEpoch,
      ownedPartitions: a.assignment,
    });
    world.now += 3_000;
    await coordinator.heartbeat("g", {
      memberId: "a",
      memberEpoch: a.memberEpoch,
      ownedPartitions: a.assignment,
    });
    world.now += 1_500;
    expect(
      await errorCodeOf(
        coordinator.heartbeat("g", {
          memberId: "a",
          memberEpoch: a.memberEpoch,
          ownedPartitions: a.assignment,
        }),
      ),
    ).toBe("UNKNOWN_MEMBER_ID");
    const b2 = await coordinator.heartbeat("g", { memberId: "b", memberEpoch: b.memberEpoch });
    expect(b2.assignment).toEqual([{ topic: "orders", partitions: [0, 1] }]);
  });

  it("re-assigns when a topic gains partitions or is deleted", async () => {
    const { world, coordinator } = setup(2);
    world.createTopic("audit", 1);
    const m = await coordinator.heartbeat("g", {
      memberId: "m",
      memberEpoch: 0,
      topics: ["orders", "audit"],
    });
    world.growTopic("orders", 3);
    const grown = await coordinator.heartbeat("g", { memberId: "m", memberEpoch: m.memberEpoch });
    expect(grown.memberEpoch).toBeGreaterThan(m.memberEpoch);
    expect(grown.assignment).toEqual([
      { topic: "audit", partitions: [0] },
      { topic: "orders", partitions: [0, 1, 2] },
    ]);
    world.topics.delete("audit");
    const shrunk = await coordinator.heartbeat("g", { memberId: "m", memberEpoch: grown.memberEpoch });
    expect(shrunk.assignment).toEqual([{ topic: "orders", partitions: [0, 1, 2] }]);
  });

  it("checks commits against the member's epoch", async () => {
    const { coordinator } = setup();
    await coordinator.checkCommit("g", undefined);
    const m = await coordinator.heartbeat("g", { memberId: "m", memberEpoch: 0, topics: ["orders"] });
    await coordinator.checkCommit("g", { memberId: "m", memberEpoch: m.memberEpoch });
    expect(
      await errorCodeOf(coordinator.checkCommit("g", { memberId: "m", memberEpoch: m.memberEpoch - 1 })),
    ).toBe("STALE_MEMBER_EPOCH");
    expect(
      await errorCodeOf(coordinator.checkCommit("g", { memberId: "m", memberEpoch: m.memberEpoch + 1 })),
    ).toBe("FENCED_MEMBER_EPOCH");
    expect(await errorCodeOf(coordinator.checkCommit("g", { memberId: "z", memberEpoch: 1 }))).toBe(
      "UNKNOWN_MEMBER_ID",
    );
    expect(await errorCodeOf(coordinator.checkCommit("g", undefined))).toBe("NON_EMPTY_GROUP");
  });

  it("rejects malformed heartbeats with INVALID_REQUEST and illegal topic names with INVALID_TOPIC", async () => {
    const { coordinator } = setup();
    const bad = [
      { memberId: "", memberEpoch: 0, topics: ["orders"] },
      { memberId: "m", memberEpoch: -2, topics: ["orders"] },
      { memberId: "m", memberEpoch: 1.5 },
      { memberId: "m", memberEpoch: 0 },
      { memberId: "m", memberEpoch: 0, topics: "orders" },
      { memberId: "m", memberEpoch: 0, topics: ["orders"], ownedPartitions: [{ topic: "orders" }] },
      { memberId: "m", memberEpoch: 0, topics: ["orders"], serverAssignor: "sticky" },
    ];
    for (const request of bad) {
      expect(await errorCodeOf(coordinator.heartbeat("g", request as never))).toBe("INVALID_REQUEST");
    }
    expect(
      await errorCodeOf(coordinator.heartbeat("g", { memberId: "m", memberEpoch: 0, topics: ["a/b"] })),
    ).toBe("INVALID_TOPIC");
    expect(await errorCodeOf(coordinator.heartbeat("", { memberId: "m", memberEpoch: 0, topics: [] }))).toBe(
      "INVALID_GROUP_ID",
    );
  });
});

describe("assignors", () => {
  const members = (ids: string[], topics = ["t"]) =>
    ids.map((memberId) => ({ memberId, topics, previous: {} }));

  it("range gives contiguous shares, the first members one extra", () => {
    expect(rangeAssignor.assign(members(["b", "a", "c"]), new Map([["t", 7]]))).toEqual({
      a: { t: [0, 1, 2] },
      b: { t: [3, 4] },
      c: { t: [5, 6] },
    });
  });

  it("uniform keeps previous owners when balance allows", () => {
    const previous = uniformAssignor.assign(members(["a", "b"]), new Map([["t", 6]]));
    const next = uniformAssignor.assign(
      ["a", "b", "c"].map((memberId) => ({ memberId, topics: ["t"], previous: previous[memberId] ?? {} })),
      new Map([["t", 6]]),
    );
    for (const id of ["a", "b"]) {
      const kept = (next[id]?.t ?? []).filter((p) => previous[id]?.t?.includes(p));
      expect(kept).toHaveLength(2);
    }
    expect(next.c?.t).toHaveLength(2);
  });
});
