// HttpLogStore's share groups against the real server app (`@edgelog/server`) in-process over a MemoryStore: the
// shared conformance suite through the HTTP API ("reopening" is a new client of the same server), and a share
// consumer working a queue over HTTP.
import { MemoryStore } from "@edgelog/core";
import { runShareGroupConformance } from "@edgelog/core/testing";
import { createApp } from "@edgelog/server";
import { describe, expect, it } from "vitest";
import { createClient, HttpLogStore } from "../src/index.ts";

const servers = new WeakMap<HttpLogStore, typeof fetch>();
const clientOf = (serverFetch: typeof fetch): HttpLogStore => {
  const store = new HttpLogStore({ url: "http://edgelog.test", fetch: serverFetch });
  servers.set(store, serverFetch);
  return store;
};
/** The server's own store, for what a client does not ask for (a compaction pass). */
const memories = new WeakMap<typeof fetch, MemoryStore>();
const server = (): typeof fetch => {
  const memory = new MemoryStore();
  const worker = createApp({ auth: "none", store: () => memory });
  const env = {};
  const serverFetch: typeof fetch = async (input, init) => worker.fetch(new Request(input, init), env);
  memories.set(serverFetch, memory);
  return serverFetch;
};

runShareGroupConformance("HttpLogStore (server app over MemoryStore)", {
  createStore: () => clientOf(server()),
  reopenStore: async (store) => {
    const serverFetch = servers.get(store as HttpLogStore);
    if (serverFetch === undefined) throw new Error("not a store of this suite");
    await store.close();
    return clientOf(serverFetch);
  },
  compact: async (store, tp) => {
    const serverFetch = servers.get(store as HttpLogStore);
    await (serverFetch === undefined ? undefined : memories.get(serverFetch))?.compact(tp);
  },
});

describe("a share consumer over HTTP", () => {
  it("works a queue through the client: every record handled once, the exact bytes and headers", async () => {
    const log = createClient({ url: "http://edgelog.test", fetch: server() });
    await log.admin().createTopics({ topics: [{ topic: "jobs", numPartitions: 2 }] });
    await log.admin().alterShareGroupConfig("workers", { "share.auto.offset.reset": "earliest" });
    const values = Array.from({ length: 20 }, (_, i) => `v${i}`);
    await log.producer().send({
      topic: "jobs",
      messages: values.map((value) => ({
        value,
        headers: { repeated: ["a", "b"], bin: new Uint8Array([0xff]) },
      })),
    });
    const handled: string[] = [];
    const headers = new Set<string>();
    const consumers = [0, 1].map(() =>
      log.shareConsumer({ groupId: "workers", maxWaitTimeInMs: 200, maxRecords: 3 }),
    );
    for (const consumer of consumers) {
      await consumer.subscribe({ topics: ["jobs"] });
      await consumer.run({
        eachMessage: async ({ message }) => {
          handled.push(String(message.value));
          headers.add(JSON.stringify(message.headers.map((h) => [h.key, [...(h.value ?? [])]])));
        },
      });
    }
    const deadline = Date.now() + 5_000;
    while (handled.length < values.length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    for (const consumer of consumers) await consumer.stop();
    expect(handled.sort()).toEqual([...values].sort());
    // Repeated header keys and non-UTF-8 values arrive as produced: the client reads the stored batches.
    expect([...headers]).toEqual([
      JSON.stringify([
        ["repeated", [97]],
        ["repeated", [98]],
        ["bin", [255]],
      ]),
    ]);
    const { groups } = await log.admin().describeShareGroups(["workers"]);
    expect(groups[0]?.partitions.every((p) => p.startOffset === p.endOffset)).toBe(true);
  });
});
