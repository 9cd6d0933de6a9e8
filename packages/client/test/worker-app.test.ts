// HttpLogStore against the real server app (`@edgelog/server`) in-process over a MemoryStore: the shared store
// conformance suite, the HTTP round trips, and consumer groups through the server's coordinator.
import { DEFAULT_TOPIC_CONFIG, encodeBatch, MemoryStore, RECORD_CAPS } from "@edgelog/core";
import { expectEdgeLogError, runCompactionConformance, runLogStoreConformance } from "@edgelog/core/testing";
import { createApp } from "@edgelog/server";
import { describe, expect, it } from "vitest";
import { createClient, HttpLogStore } from "../src/index.ts";
import { runRoundTrips } from "./support/round-trip-suite.ts";

runRoundTrips("Worker app", {
  createStore: () => new MemoryStore(),
  fetchFor: (store) => {
    const worker = createApp({ auth: "none", store: () => store });
    // A fresh env object per server: the app keeps one store per env.
    const env = {};
    return async (input, init) => worker.fetch(new Request(input, init), env);
  },
});

describe("HttpLogStore consumer groups against the Worker app", () => {
  const setup = () => {
    const memory = new MemoryStore();
    const worker = createApp({ auth: "none", store: () => memory });
    const env = {};
    const store = new HttpLogStore({
      url: "http://edgelog.test",
      fetch: async (input, init) => worker.fetch(new Request(input, init), env),
    });
    return { memory, store };
  };

  it("heartbeats, commits as a member, fetches, describes, lists and deletes through the server's coordinator", async () => {
    const { memory, store } = setup();
    await memory.createTopic({ name: "orders", partitions: 2, config: DEFAULT_TOPIC_CONFIG });
    const m = await store.groupHeartbeat("g", { memberId: "m", memberEpoch: 0, topics: ["orders"] });
    expect(m.assignment).toEqual([{ topic: "orders", partitions: [0, 1] }]);
    await store.commitOffsets("g", [{ topic: "orders", partition: 1, offset: 7, metadata: "note" }], {
      memberId: "m",
      memberEpoch: m.memberEpoch,
    });
    await expectEdgeLogError(
      store.commitOffsets("g", [{ topic: "orders", partition: 0, offset: 1, metadata: null }], {
        memberId: "m",
        memberEpoch: m.memberEpoch - 1,
      }),
      "STALE_MEMBER_EPOCH",
    );
    expect(await store.fetchOffsets("g")).toEqual([
      { topic: "orders", partition: 1, offset: 7, metadata: "note" },
    ]);
    expect(await store.fetchOffsets("g", ["orders"])).toEqual(await memory.fetchOffsets("g"));
    const described = await store.describeGroup("g");
    expect(described).toMatchObject({ groupId: "g", state: "Stable" });
    expect(described.members[0]).toMatchObject({ memberId: "m", memberEpoch: m.memberEpoch });
    expect(await store.listGroups()).toEqual(["g"]);
    await expectEdgeLogError(store.deleteGroup("g"), "NON_EMPTY_GROUP");
    await store.groupHeartbeat("g", { memberId: "m", memberEpoch: -1 });
    await store.deleteGroup("g");
    await expectEdgeLogError(store.describeGroup("g"), "GROUP_ID_NOT_FOUND");
    await store.close();
  });
});

// The client-facing contract, checked by the same suite as every other store. Group state and Durable Streams
// commands stay on the server (the HTTP API exposes them only as heartbeats and /ds), so those capabilities are
// declared absent. "Reopening" is a new client of the same server: what the server holds must be there for it.
const servers = new WeakMap<HttpLogStore, typeof fetch>();
const clientOf = (serverFetch: typeof fetch): HttpLogStore => {
  const store = new HttpLogStore({ url: "http://edgelog.test", fetch: serverFetch });
  servers.set(store, serverFetch);
  return store;
};
runLogStoreConformance("HttpLogStore (server app over MemoryStore)", {
  capabilities: {
    groupState: false,
    streams: false,
    privateState: false,
    uncheckedCopies: false,
    sizes: false,
  },
  createStore: () => {
    const worker = createApp({ auth: "none", store: () => new MemoryStore() });
    const env = {};
    return clientOf(async (input, init) => worker.fetch(new Request(input, init), env));
  },
  createLimitedStore: ({ maxTopics, maxGroupMembers }) => {
    const limits = { maxTopics, groups: { maxMembers: maxGroupMembers } };
    const worker = createApp({ auth: "none", store: () => new MemoryStore(limits) });
    const env = {};
    return clientOf(async (input, init) => worker.fetch(new Request(input, init), env));
  },
  reopenStore: async (store) => {
    const serverFetch = servers.get(store as HttpLogStore);
    if (serverFetch === undefined) throw new Error("not a store of this suite");
    await store.close();
    return clientOf(serverFetch);
  },
});

// Compacted topics read over HTTP (binary fetch of the batches a pass rewrote, the gaps between them), compacted by
// the server's store: a pass is not something a client asks for.
const memories = new WeakMap<HttpLogStore, MemoryStore>();
runCompactionConformance("HttpLogStore (server app over MemoryStore)", {
  runs: 2,
  createStore: (clock) => {
    const memory = new MemoryStore({ now: () => clock.now() });
    const worker = createApp({ auth: "none", store: () => memory, now: () => clock.now() });
    const env = {};
    const store = clientOf(async (input, init) => worker.fetch(new Request(input, init), env));
    memories.set(store, memory);
    return store;
  },
  compact: async (store, tp) => {
    await memories.get(store as HttpLogStore)?.compact(tp);
  },
});

describe("record caps through the client", () => {
  it("the producer refuses a record over a cap before sending anything; a raw batch is refused by the server", async () => {
    const memory = new MemoryStore();
    await memory.createTopic({ name: "t", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    const worker = createApp({ auth: "none", store: () => memory });
    const env = {};
    const writes: string[] = [];
    const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      if (init?.method === "POST") writes.push(String(input));
      return worker.fetch(new Request(input, init), env);
    };
    const log = createClient({ url: "http://edgelog.test", fetch });
    const producer = log.producer();
    await producer.connect();
    const headers = Object.fromEntries(
      Array.from({ length: RECORD_CAPS.maxHeaders + 1 }, (_, i) => [`h${i}`, "v"]),
    );
    const error = await expectEdgeLogError(
      producer.send({ topic: "t", messages: [{ value: "v", headers }] }),
      "INVALID_RECORD",
    );
    expect(error.context).toMatchObject({ topic: "t", index: 0, cap: "maxHeaders" });
    expect(writes).toEqual([]);
    // A batch encoded without the producer's check meets the server's: the same code, over HTTP.
    const store = new HttpLogStore({ url: "http://edgelog.test", fetch });
    const over = encodeBatch([
      { key: new Uint8Array(RECORD_CAPS.maxKeyBytes + 1), value: null, headers: [], timestamp: 1 },
    ]);
    const refused = await expectEdgeLogError(
      store.append({ topic: "t", partition: 0 }, over),
      "INVALID_RECORD",
    );
    expect(refused.context).toMatchObject({ topic: "t", partition: 0, offsetDelta: 0, cap: "maxKeyBytes" });
    expect((await memory.offsets({ topic: "t", partition: 0 })).highWatermark).toBe(0);
    await producer.disconnect();
    await store.close();
    await log.close();
  });
});
