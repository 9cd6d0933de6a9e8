// Issue 12's member cap: a join past MAX_GROUP_MEMBERS is GROUP_MAX_SIZE_REACHED, written once in the state
// machine; a member already in the group always rejoins, and expired or departed members free their places.
import { describe, expect, it } from "vitest";
import { isEdgeLogError } from "../../src/errors.ts";
import {
  applyMembership,
  DEFAULT_COORDINATOR_CONFIG,
  emptyGroupState,
  MAX_GROUP_MEMBERS,
} from "../../src/groups/group-state-machine.ts";
import { codeOf, FakeGroupWorld } from "./support.ts";

const join = (memberId: string) => ({ memberId, memberEpoch: 0, topics: ["t"] });

describe("group size", () => {
  it(`holds ${MAX_GROUP_MEMBERS} members and refuses one more (the real limit, on the state machine)`, () => {
    const state = emptyGroupState();
    const config = DEFAULT_COORDINATOR_CONFIG;
    for (let i = 0; i < MAX_GROUP_MEMBERS; i++) applyMembership(state, "g", join(`m-${i}`), 0, config);
    expect(Object.keys(state.members)).toHaveLength(MAX_GROUP_MEMBERS);
    const epoch = state.groupEpoch;
    let refused: unknown;
    try {
      applyMembership(state, "g", join("one-more"), 0, config);
    } catch (error) {
      refused = error;
    }
    expect(isEdgeLogError(refused) && refused.toJSON()).toMatchObject({
      code: "GROUP_MAX_SIZE_REACHED",
      groupId: "g",
      memberId: "one-more",
      limit: MAX_GROUP_MEMBERS,
      actual: MAX_GROUP_MEMBERS,
    });
    // Refused before anything changed.
    expect(state.members["one-more"]).toBeUndefined();
    expect(state.groupEpoch).toBe(epoch);
    // A rejoin of a member in the group still works at the limit.
    expect(applyMembership(state, "g", join("m-7"), 0, config)?.memberId).toBe("m-7");
    expect(Object.keys(state.members)).toHaveLength(MAX_GROUP_MEMBERS);
  });

  it("counts members named like Object.prototype properties as members, never as inherited keys", () => {
    const state = emptyGroupState();
    const config = { ...DEFAULT_COORDINATOR_CONFIG, maxMembers: 2 };
    applyMembership(state, "g", join("constructor"), 0, config);
    applyMembership(state, "g", join("__proto__"), 0, config);
    expect(() => applyMembership(state, "g", join("toString"), 0, config)).toThrow(/limit is 2/);
    expect(applyMembership(state, "g", join("constructor"), 0, config)?.memberId).toBe("constructor");
  });

  it("frees the places of expired members before refusing a join", async () => {
    const world = new FakeGroupWorld();
    world.createTopic("t", 2);
    const coordinator = world.coordinator({ maxMembers: 2 });
    await coordinator.heartbeat("g", { ...join("a"), sessionTimeoutMs: 1_000 });
    await coordinator.heartbeat("g", { ...join("b"), sessionTimeoutMs: 60_000 });
    expect(await codeOf(coordinator.heartbeat("g", join("c")))).toBe("GROUP_MAX_SIZE_REACHED");
    world.now += 5_000; // a's session is over
    expect((await coordinator.heartbeat("g", join("c"))).memberEpoch).toBeGreaterThan(0);
    expect((await coordinator.describe("g"))?.members.map((m) => m.memberId).sort()).toEqual(["b", "c"]);
  });
});
