// The client's `region` (reads near the reader) against the real server app in-process: the client-wide option
// and a consumer's own reach every read path the server offers — fetches, long-polls in each live mode, the SSE
// tail, offsets — as `?region=`, and the server hands it to the store; writes and group calls carry none, and a
// consumer group commits the same offsets whichever replica served it.
import {
  DEFAULT_TOPIC_CONFIG,
  type ListBatchesOptions,
  MemoryStore,
  type PartitionOffsets,
  type ReadOptions,
  type ReadPreference,
  type ReadResult,
  type TopicPartition,
} from "@edgelog/core";
import { makeBatch } from "@edgelog/core/testing";
import { createApp } from "@edgelog/server";
import { describe, expect, it } from "vitest";
import { createClient, HttpLogStore, type HttpLogStoreOptions } from "../src/index.ts";

/** The server's store: records the region of each read-side call (`-` for none). */
class RecordingStore extends MemoryStore {
  readonly regions: string[] = [];
  override read(tp: TopicPartition, options: ReadOptions): Promise<ReadResult> {
    this.regions.push(`read:${options.region ?? "-"}`);
    return super.read(tp, options);
  }
  override offsets(tp: TopicPartition, options?: ReadPreference): Promise<PartitionOffsets> {
    this.regions.push(`offsets:${options?.region ?? "-"}`);
    return super.offsets(tp);
  }
  override listBatches(tp: TopicPartition, options?: ListBatchesOptions) {
    this.regions.push(`listBatches:${options?.region ?? "-"}`);
    return super.listBatches(tp, options);
  }
}

async function setup(options: Partial<HttpLogStoreOptions> = {}) {
  const memory = new RecordingStore();
  await memory.createTopic({ name: "t", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
  await memory.append({ topic: "t", partition: 0 }, makeBatch(2, "a"));
  const worker = createApp({ auth: "none", store: () => memory });
  const env = { REGIONS: "wnam,weur,apac" };
  const urls: string[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    urls.push(`${request.method} ${new URL(request.url).pathname}${new URL(request.url).search}`);
    return worker.fetch(request, env);
  };
  const store = new HttpLogStore({ url: "http://edgelog.test", fetch, ...options });
  return { memory, store, urls, fetch };
}

const tp = { topic: "t", partition: 0 };

describe("HttpLogStore region", () => {
  it("adds ?region= to fetches and offset lookups, and nothing to writes", async () => {
    const { memory, store, urls } = await setup({ region: "weur" });
    expect((await store.read(tp, { offset: 0 })).batches.length).toBe(1);
    expect(await store.offsets(tp)).toEqual({ logStartOffset: 0, highWatermark: 2 });
    expect(await store.offsetForTimestamp(tp, 0)).toBe(0);
    expect((await store.listBatches(tp)).length).toBe(1);
    await store.append(tp, makeBatch(1, "w"));
    expect(memory.regions.every((entry) => entry.endsWith(":weur"))).toBe(true);
    expect(memory.regions.length).toBeGreaterThanOrEqual(4);
    expect(urls.filter((u) => u.startsWith("POST")).every((u) => !u.includes("region"))).toBe(true);
    // A read's own region wins over the store's.
    memory.regions.length = 0;
    await store.read(tp, { offset: 0, region: "apac" });
    expect(memory.regions).toEqual(["read:apac"]);
  });

  it.each(["long-poll", "sse", "shared"] as const)("waits near the reader with live: %s", async (live) => {
    const { memory, store } = await setup({ region: "apac", live });
    const waiting = store.read(tp, { offset: 2, maxWaitMs: 10_000 });
    // Once a wait is parked on the server, write: the wait wakes and the read returns the new batch.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await memory.append(tp, makeBatch(1, "late"));
    const read = await waiting;
    expect(read.batches.map((b) => b.baseOffset)).toEqual([2]);
    expect(memory.regions.length).toBeGreaterThanOrEqual(1);
    expect(memory.regions.every((entry) => entry.endsWith(":apac"))).toBe(true);
    await store.close();
  });

  it("tails over SSE near the reader (the store's region, or the tail's own)", async () => {
    const { memory, store, urls } = await setup({ region: "weur" });
    const controller = new AbortController();
    for await (const records of store.tail(tp, { offset: 0, signal: controller.signal, region: "apac" })) {
      expect(records.map((r) => r.offset)).toEqual([0, 1]);
      controller.abort();
    }
    expect(urls.some((u) => u.includes("/records?") && u.includes("region=apac"))).toBe(true);
    expect(memory.regions.every((entry) => entry.endsWith(":apac"))).toBe(true);
  });

  it("refuses an empty or non-string region when created", () => {
    for (const region of ["", 7, null]) {
      expect(() => new HttpLogStore({ url: "http://edgelog.test", region: region as never })).toThrow(
        /region/,
      );
    }
  });

  it("surfaces the server's 400 for a region the deployment does not have", async () => {
    const { store } = await setup({ region: "eeur" });
    await expect(store.read(tp, { offset: 0 })).rejects.toMatchObject({ code: "INVALID_REQUEST" });
  });
});

describe("a consumer's region", () => {
  it("reads near its own region; the group's committed offsets are the same as anyone's", async () => {
    const { memory, fetch } = await setup();
    const log = createClient({ url: "http://edgelog.test", fetch, region: "weur" });
    const consumer = log.consumer({ groupId: "g", region: "apac", maxWaitTimeInMs: 100 });
    await consumer.subscribe({ topic: "t", fromBeginning: true });
    const seen: number[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            seen.push(Number(message.offset));
            if (seen.length === 2) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.stop();
    expect(seen).toEqual([0, 1]);
    // Its fetches and its offset reset go near it; the group's own offsets route (lag) asks the leader.
    const reads = memory.regions.filter((entry) => entry.startsWith("read:"));
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((entry) => entry === "read:apac")).toBe(true);
    expect(memory.regions).toContain("offsets:apac");
    const [committed] = await log.admin().fetchOffsets({ groupId: "g", topics: ["t"] });
    expect(committed?.partitions[0]?.offset).toBe(2);
    // A second member without a region resumes where the group committed: offsets do not depend on the replica.
    memory.regions.length = 0;
    await memory.append(tp, makeBatch(1, "next"));
    const plain = createClient({ url: "http://edgelog.test", fetch }).consumer({
      groupId: "g",
      maxWaitTimeInMs: 100,
    });
    await plain.subscribe({ topic: "t" });
    const resumed = await new Promise<number>((resolve, reject) => {
      plain.run({ eachMessage: async ({ message }) => resolve(Number(message.offset)) }).catch(reject);
    });
    await plain.stop();
    expect(resumed).toBe(2);
    expect(memory.regions.filter((entry) => entry.startsWith("read:")).every((e) => e === "read:-")).toBe(
      true,
    );
    await log.close();
  });
});
