// Which replica serves a read preferring a region (store-kit/read-replica.ts), and a consumer's region reaching
// the store's reads.
import { describe, expect, it } from "vitest";
import { EdgeLog, type LogStore, MemoryStore, type ReadOptions, type ReadPreference } from "../src/index.ts";
import { followerForRead } from "../src/store-kit/index.ts";

const replication = {
  leader: "wnam",
  replicas: ["wnam", "weur", "apac"],
  isr: ["wnam", "weur"],
  leaderEpoch: 3,
};

describe("followerForRead", () => {
  it("picks the region's in-sync follower, the leader for everything else", () => {
    expect(followerForRead(replication, "weur")).toBe("weur");
    // No preference, the leader's own region, out of the ISR, no replica there, an unreplicated partition.
    expect(followerForRead(replication, undefined)).toBeUndefined();
    expect(followerForRead(replication, "wnam")).toBeUndefined();
    expect(followerForRead(replication, "apac")).toBeUndefined();
    expect(followerForRead(replication, "eeur")).toBeUndefined();
    expect(followerForRead(null, "weur")).toBeUndefined();
    expect(followerForRead(undefined, "weur")).toBeUndefined();
    // Names that are properties of every object are just regions without a replica.
    expect(followerForRead(replication, "constructor")).toBeUndefined();
    expect(followerForRead(replication, "__proto__")).toBeUndefined();
  });

  it("falls back to the leader when the follower is unreachable", () => {
    expect(followerForRead(replication, "weur", (region) => region !== "weur")).toBeUndefined();
    expect(followerForRead(replication, "weur", () => true)).toBe("weur");
  });
});

describe("a consumer's region", () => {
  it("goes with every fetch and offsets lookup it makes, and nothing else changes", async () => {
    const inner = new MemoryStore();
    const seen: string[] = [];
    const store = new Proxy(inner, {
      get(target, property, receiver) {
        if (property === "read") {
          return (tp: unknown, options: ReadOptions) => {
            seen.push(`read:${options.region}`);
            return inner.read(tp as never, options);
          };
        }
        if (property === "offsets") {
          return (tp: unknown, options?: ReadPreference) => {
            seen.push(`offsets:${options?.region}`);
            return inner.offsets(tp as never);
          };
        }
        const value = Reflect.get(target, property, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    }) as LogStore;
    const log = new EdgeLog({ store });
    await log.admin().createTopics({ topics: [{ topic: "near", numPartitions: 1 }] });
    await log.producer().send({ topic: "near", messages: [{ value: "a" }, { value: "b" }] });
    const consumer = log.consumer({ groupId: "g", region: "weur", maxWaitTimeInMs: 50 });
    await consumer.subscribe({ topic: "near", fromBeginning: true });
    const values: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            values.push(String(message.value));
            if (values.length === 2) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.stop();
    expect(values).toEqual(["a", "b"]);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((entry) => entry.endsWith(":weur"))).toBe(true);
    // The group's committed offset is the same as any consumer's: the region is no part of it.
    const [committed] = await log.admin().fetchOffsets({ groupId: "g", topics: ["near"] });
    expect(committed?.partitions[0]?.offset).toBe(2);
    await log.close();
  });
});
