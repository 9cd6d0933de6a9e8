// What a heartbeat costs in copies of the group, counted: the memory store copies the group once per heartbeat
// (the copy it hands out), however many members the group has. Before, each heartbeat cloned it three times.
import { afterEach, describe, expect, it, vi } from "vitest";
import { MemoryStore } from "../../src/memory/memory-store.ts";
import { DEFAULT_TOPIC_CONFIG } from "../../src/topic-config.ts";

async function settled(members: number): Promise<{ store: MemoryStore; epochs: Map<string, number> }> {
  const store = new MemoryStore();
  await store.createTopic({ name: "t", partitions: 8, config: DEFAULT_TOPIC_CONFIG });
  const epochs = new Map<string, number>();
  for (let i = 0; i < members; i++) {
    const answer = await store.groupHeartbeat("g", { memberId: `m${i}`, memberEpoch: 0, topics: ["t"] });
    epochs.set(`m${i}`, answer.memberEpoch);
  }
  for (let round = 0; round < 4; round++) {
    for (const [memberId, memberEpoch] of epochs) {
      const answer = await store.groupHeartbeat("g", { memberId, memberEpoch });
      epochs.set(memberId, answer.memberEpoch);
    }
  }
  expect((await store.describeGroup("g")).state).toBe("Stable");
  return { store, epochs };
}

describe("heartbeat cost", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("copies the group once per steady heartbeat, at 3 members as at 60", async () => {
    for (const size of [3, 60]) {
      const { store, epochs } = await settled(size);
      const clone = vi.spyOn(globalThis, "structuredClone");
      const answer = await store.groupHeartbeat("g", { memberId: "m1", memberEpoch: epochs.get("m1") ?? -2 });
      expect(answer.memberEpoch).toBe(epochs.get("m1"));
      expect(clone).toHaveBeenCalledTimes(1);
      clone.mockRestore();
    }
  });

  it("copies the group once for a join, and leaves the stored state to the coordinator's write", async () => {
    const { store } = await settled(10);
    const clone = vi.spyOn(globalThis, "structuredClone");
    await store.groupHeartbeat("g", { memberId: "late", memberEpoch: 0, topics: ["t"] });
    expect(clone).toHaveBeenCalledTimes(1);
    clone.mockRestore();
    // What the store keeps is still its own: changing a copy handed out leaves it as it was.
    type Stored = { state: { members: Record<string, unknown> } };
    const read = (await store.getGroupState("g")) as Stored;
    read.state.members.late = null;
    const again = (await store.getGroupState("g")) as Stored;
    expect(again.state.members.late).not.toBeNull();
  });
});
