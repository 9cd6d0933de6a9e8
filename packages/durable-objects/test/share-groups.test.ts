// Share groups on the Durable Object store, inside workerd: the shared conformance suite (each store in its own
// namespace; a reopen aborts every object, so only SQLite survives), and what only the object does — its alarm
// gives back records whose lock ran out with no request in flight, and an evicted object loses nothing.
import { abortAllDurableObjects, env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { DEFAULT_TOPIC_CONFIG, encodeBatch } from "@edgelog/core";
import { runShareGroupConformance } from "@edgelog/core/testing";
import { describe, expect, it } from "vitest";
import { DurableObjectLogStore, shareGroupObjectName } from "../src/index.ts";

let worlds = 0;
const fresh = () => new DurableObjectLogStore(env, { namespacePrefix: `share-${++worlds}/` });

runShareGroupConformance("DurableObjectLogStore", {
  createStore: fresh,
  reopenStore: async (store) => {
    const prefix = (store as DurableObjectLogStore).namespacePrefix;
    await store.close();
    await abortAllDurableObjects();
    return new DurableObjectLogStore(env, { namespacePrefix: prefix });
  },
  compact: async (store, tp) => {
    await (store as DurableObjectLogStore).compact(tp);
  },
});

describe("ShareGroupObject", () => {
  const encoder = new TextEncoder();
  const setUp = async () => {
    const store = fresh();
    await store.createTopic({ name: "jobs", partitions: 1, config: { ...DEFAULT_TOPIC_CONFIG } });
    await store.createTopic({ name: "dlq", partitions: 1, config: { ...DEFAULT_TOPIC_CONFIG } });
    await store.alterShareGroupConfig("g", {
      "share.auto.offset.reset": "earliest",
      "share.record.lock.duration.ms": 200,
      "share.delivery.count.limit": 2,
      "errors.deadletterqueue.topic.name": "dlq",
    });
    await store.append(
      { topic: "jobs", partition: 0 },
      encodeBatch([{ key: null, value: encoder.encode("stuck"), headers: [], timestamp: 1 }]),
    );
    return store;
  };

  it("archives a record whose last lock ran out from its alarm, with no request, even after eviction", async () => {
    const store = await setUp();
    const first = await store.shareFetch("g", { memberId: "m", sessionEpoch: 0, topics: ["jobs"] });
    const second = await store.shareFetch("g", {
      memberId: "m",
      sessionEpoch: first.sessionEpoch,
      topics: ["jobs"],
      acknowledgements: [{ topic: "jobs", partition: 0, firstOffset: 0, lastOffset: 0, type: "release" }],
    });
    expect(second.partitions[0]?.acquired).toEqual([{ firstOffset: 0, lastOffset: 0, deliveryCount: 2 }]);
    // Every object loses its memory; only SQLite and the armed alarm remain.
    await store.close();
    await abortAllDurableObjects();
    const after = new DurableObjectLogStore(env, { namespacePrefix: store.namespacePrefix });
    // No request reaches the group again: the copy appears when its alarm runs the expired lock out.
    const copy = await after.read({ topic: "dlq", partition: 0 }, { offset: 0, maxWaitMs: 10_000 });
    expect(copy.highWatermark).toBe(1);
    const described = await after.describeShareGroup("g");
    expect(described.partitions[0]).toMatchObject({ startOffset: 1, pendingDeadLetters: 0 });
  });

  it("arms its alarm for the next lock deadline, and clears it when nothing is left to watch", async () => {
    const store = await setUp();
    const stub = env.SHARE_GROUPS.getByName(shareGroupObjectName(store.namespacePrefix, "g"));
    const held = await store.shareFetch("g", { memberId: "m", sessionEpoch: 0, topics: ["jobs"] });
    const alarm = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    await store.shareFetch("g", {
      memberId: "m",
      sessionEpoch: -1,
      acknowledgements: [{ topic: "jobs", partition: 0, firstOffset: 0, lastOffset: 0, type: "accept" }],
    });
    expect(held.partitions).toHaveLength(1);
    expect(await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm())).toBeNull();
    // An alarm with nothing to do changes nothing.
    expect(await runDurableObjectAlarm(stub)).toBe(false);
  });

  it("keeps share groups apart from consumer groups in the registry", async () => {
    const store = await setUp();
    await store.commitOffsets("g", [{ topic: "jobs", partition: 0, offset: 0, metadata: null }]);
    expect(await store.listShareGroups()).toEqual(["g"]);
    expect(await store.listGroups()).toEqual(["g"]);
    await store.deleteShareGroup("g");
    expect(await store.listShareGroups()).toEqual([]);
    expect(await store.listGroups()).toEqual(["g"]);
  });
});
