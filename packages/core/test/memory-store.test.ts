import { describe, expect, it } from "vitest";
import { MAX_TOPICS, MemoryStore } from "../src/index.ts";
import {
  expectEdgeLogError,
  makeBatch,
  runCompactionConformance,
  runLogStoreConformance,
} from "../src/testing/index.ts";
import { DEFAULT_TOPIC_CONFIG } from "../src/topic-config.ts";

runLogStoreConformance("MemoryStore", {
  createStore: () => new MemoryStore(),
  createLimitedStore: ({ maxTopics, maxGroupMembers }) =>
    new MemoryStore({ maxTopics, groups: { maxMembers: maxGroupMembers } }),
});

runCompactionConformance("MemoryStore", {
  createStore: (clock) => new MemoryStore({ now: () => clock.now() }),
  compact: async (store, tp) => {
    await (store as MemoryStore).compact(tp);
  },
});

describe("MemoryStore retention", () => {
  it("drops batches older than retention.ms, counting from their arrival at the earliest", async () => {
    let now = 1_700_000_000_000;
    const store = new MemoryStore({ now: () => now });
    await store.createTopic({
      name: "t",
      partitions: 1,
      config: { ...DEFAULT_TOPIC_CONFIG, "retention.ms": 1000 },
    });
    const tp = { topic: "t", partition: 0 };
    await store.append(tp, makeBatch(3, "old")); // records stamped 1_700_000_000_000 + i
    now += 800;
    await store.append(tp, makeBatch(2, "new"));
    expect(await store.offsets(tp)).toEqual({ logStartOffset: 0, highWatermark: 5 });
    now += 500; // the first batch is now 1300 ms old, the second 500 ms
    await store.append(tp, makeBatch(1, "newest"));
    expect(await store.offsets(tp)).toEqual({ logStartOffset: 3, highWatermark: 6 });
  });

  it("keeps a backfill of old-stamped records for retention.ms after it arrives", async () => {
    let now = 1_800_000_000_000;
    const store = new MemoryStore({ now: () => now });
    await store.createTopic({
      name: "t",
      partitions: 1,
      config: { ...DEFAULT_TOPIC_CONFIG, "retention.ms": 1000 },
    });
    const tp = { topic: "t", partition: 0 };
    await store.append(tp, makeBatch(3, "backfill"));
    await store.append(tp, makeBatch(3, "backfill"));
    expect(await store.offsets(tp)).toEqual({ logStartOffset: 0, highWatermark: 6 });
    now += 1001;
    await store.append(tp, makeBatch(1, "later"));
    expect(await store.offsets(tp)).toEqual({ logStartOffset: 6, highWatermark: 7 });
  });

  it("keeps a partition under retention.bytes, oldest batches first", async () => {
    const store = new MemoryStore();
    const size = makeBatch(10).byteLength;
    await store.createTopic({
      name: "t",
      partitions: 1,
      config: { ...DEFAULT_TOPIC_CONFIG, "retention.ms": -1, "retention.bytes": size * 2 },
    });
    const tp = { topic: "t", partition: 0 };
    for (let i = 0; i < 5; i++) await store.append(tp, makeBatch(10));
    expect(await store.offsets(tp)).toEqual({ logStartOffset: 30, highWatermark: 50 });
    expect((await store.listBatches(tp)).map((b) => b.baseOffset)).toEqual([30, 40]);
  });
});

describe("MemoryStore deployment limits at their real values", () => {
  it("holds MAX_TOPICS topics and refuses one more with POLICY_VIOLATION", async () => {
    const store = new MemoryStore();
    const spec = (name: string) => ({ name, partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    for (let i = 0; i < MAX_TOPICS; i++) await store.createTopic(spec(`topic.${i}`));
    // A colliding name is still refused as one, and an existing one as such: the limit is checked last.
    await expectEdgeLogError(store.createTopic(spec("topic_1")), "INVALID_TOPIC");
    const error = await expectEdgeLogError(store.createTopic(spec("one-more")), "POLICY_VIOLATION");
    expect(error.context).toMatchObject({ limit: MAX_TOPICS, actual: MAX_TOPICS });
    expect(await store.listTopics()).toHaveLength(MAX_TOPICS);
  });
});
