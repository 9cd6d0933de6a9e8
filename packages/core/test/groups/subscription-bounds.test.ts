// Finding 1 of issue 12: a subscription naming thousands of topics must neither be accepted without bound nor
// make every heartbeat cost a metadata lookup per name. These tests count lookups and stored state, not time.
import { describe, expect, it } from "vitest";
import { MAX_SUBSCRIBED_TOPICS } from "../../src/groups/group-coordinator.ts";
import type { TopicMetadata } from "../../src/store.ts";
import { codeOf, FakeGroupWorld } from "./support.ts";

/** A world that counts the metadata calls the coordinator makes. */
class CountingWorld extends FakeGroupWorld {
  getTopicCalls = 0;
  listTopicsCalls = 0;
  override async getTopic(name: string): Promise<TopicMetadata | null> {
    this.getTopicCalls++;
    return super.getTopic(name);
  }
  async listTopics(): Promise<TopicMetadata[]> {
    this.listTopicsCalls++;
    return [...this.topics.values()];
  }
}

const names = (count: number, prefix = "missing-"): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}${i}`);

describe("subscription bounds", () => {
  it(`refuses a subscription of more than ${MAX_SUBSCRIBED_TOPICS} topics with INVALID_REQUEST`, async () => {
    const world = new CountingWorld();
    const coordinator = world.coordinator();
    const topics = names(MAX_SUBSCRIBED_TOPICS + 1);
    expect(await codeOf(coordinator.heartbeat("g", { memberId: "m", memberEpoch: 0, topics }))).toBe(
      "INVALID_REQUEST",
    );
    expect(world.states.size).toBe(0);
    expect(world.getTopicCalls + world.listTopicsCalls).toBe(0);
  });

  it("looks metadata up in one listing, not once per named topic, and keeps snapshots of existing topics only", async () => {
    const world = new CountingWorld();
    world.createTopic("orders", 3);
    const coordinator = world.coordinator();
    const topics = [...names(MAX_SUBSCRIBED_TOPICS - 1), "orders"];
    const joined = await coordinator.heartbeat("g", { memberId: "m", memberEpoch: 0, topics });
    expect(joined.assignment).toEqual([{ topic: "orders", partitions: [0, 1, 2] }]);
    await coordinator.heartbeat("g", { memberId: "m", memberEpoch: joined.memberEpoch });
    expect(world.getTopicCalls).toBe(0);
    expect(world.listTopicsCalls).toBe(2);
    const stored = world.states.get("g")?.state as { topics: Record<string, unknown> };
    expect(Object.keys(stored.topics)).toEqual(["orders"]);
  });

  it("still looks a few topics up one by one (cached per name where the store caches)", async () => {
    const world = new CountingWorld();
    world.createTopic("orders", 1);
    const coordinator = world.coordinator();
    await coordinator.heartbeat("g", { memberId: "m", memberEpoch: 0, topics: ["orders", "other"] });
    expect(world.getTopicCalls).toBe(2);
    expect(world.listTopicsCalls).toBe(0);
  });

  it("a port without listTopics still works with many names", async () => {
    const world = new FakeGroupWorld();
    world.createTopic("orders", 2);
    const joined = await world
      .coordinator()
      .heartbeat("g", { memberId: "m", memberEpoch: 0, topics: [...names(50), "orders"] });
    expect(joined.assignment).toEqual([{ topic: "orders", partitions: [0, 1] }]);
  });
});
