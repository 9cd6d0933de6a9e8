// The fault switch's slow regions in workerd: a region's latency is paid by every call into it — the store's
// calls to a leader, the leader's pushes to a follower, the controller's election messages — and not by calls
// within it; a region that goes down while a call is on its way never receives it; a follower slower than the
// replication timeout leaves the in-sync set like an unreachable one; bounds and the switch being off.
import { env } from "cloudflare:test";
import { DEFAULT_TOPIC_CONFIG } from "@edgelog/core";
import { expectEdgeLogError, makeBatch } from "@edgelog/core/testing";
import { describe, expect, it } from "vitest";
import { MAX_REGION_LATENCY_MS } from "../src/replication/fault-switch.ts";
import { createReplicated, newStore, storedLog } from "./replicas.ts";

/** How long `run` took, in ms: a lower bound is what these tests assert (a timer never fires early). */
async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await run();
  return { value, ms: Date.now() - started };
}

describe("slow regions", () => {
  it("delays the store's calls into the leader's region by its latency, and clears with 0", async () => {
    const store = newStore("faults");
    await store.createTopicIn({ name: "slow", partitions: 1, config: DEFAULT_TOPIC_CONFIG }, ["weur"]);
    store.setRegionLatency("weur", 250);
    expect(store.regionFaults("weur")).toEqual({
      unreachable: false,
      latencyMs: 250,
      dropReplication: false,
    });
    expect(store.regionFaults("wnam")).toEqual({ unreachable: false, latencyMs: 0, dropReplication: false });
    const slow = await timed(() => store.append({ topic: "slow", partition: 0 }, makeBatch(1)));
    expect(slow.value.baseOffset).toBe(0);
    expect(slow.ms).toBeGreaterThanOrEqual(250);
    const read = await timed(() => store.read({ topic: "slow", partition: 0 }, { offset: 0 }));
    expect(read.value.batches).toHaveLength(1);
    expect(read.ms).toBeGreaterThanOrEqual(250);
    store.setRegionLatency("weur", 0);
    expect(store.regionFaults("weur").latencyMs).toBe(0);
  });

  it("answers acks=1 before a slow follower holds the batch, and acks=all only after", async () => {
    const store = newStore("faults");
    await createReplicated(store, "acks");
    const tp = { topic: "acks", partition: 0 };
    await store.append(tp, makeBatch(1)); // every replica configured and in sync
    store.setRegionLatency("apac", 1_500);
    try {
      const one = await store.append(tp, makeBatch(1), { acks: 1 });
      expect(one.baseOffset).toBe(1);
      // The push to apac is still on its way: the leader answered on its own commit.
      expect((await storedLog(store, "acks", "apac")).batches).toHaveLength(1);
      const all = await timed(() => store.append(tp, makeBatch(1), { acks: "all" }));
      expect(all.value.baseOffset).toBe(2);
      expect(all.ms).toBeGreaterThanOrEqual(1_500);
      expect((await storedLog(store, "acks", "apac")).batches).toHaveLength(3);
      // The fast follower was never held up by the slow one.
      expect((await storedLog(store, "acks", "weur")).batches).toHaveLength(3);
    } finally {
      store.setRegionLatency("apac", 0);
    }
  });

  it("treats a follower slower than the replication timeout as unreachable: it leaves the in-sync set", async () => {
    const store = newStore("faults");
    await createReplicated(store, "hang", { "replica.lag.time.max.ms": 500 });
    const tp = { topic: "hang", partition: 0 };
    await store.append(tp, makeBatch(1));
    store.setRegionLatency("apac", MAX_REGION_LATENCY_MS);
    try {
      const result = await store.append(tp, makeBatch(1), { acks: "all" });
      expect(result).toMatchObject({ baseOffset: 1, highWatermark: 2 });
      const placement = await store.placement("hang");
      expect(placement[0]?.replication?.isr).toEqual(["wnam", "weur"]);
      expect((await storedLog(store, "hang", "weur")).batches).toHaveLength(2);
    } finally {
      store.setRegionLatency("apac", 0);
    }
  }, 20_000);

  it("delays the controller's election message to the new leader by its region's latency", async () => {
    const store = newStore("faults");
    await createReplicated(store, "elect");
    await store.append({ topic: "elect", partition: 0 }, makeBatch(1));
    store.setRegionLatency("weur", 300);
    try {
      const elected = await timed(() => store.electLeader({ topic: "elect", partition: 0 }, "weur"));
      expect(elected.value).toMatchObject({ leader: "weur", leaderEpoch: 1 });
      expect(elected.ms).toBeGreaterThanOrEqual(300);
    } finally {
      store.setRegionLatency("weur", 0);
    }
  });

  it("never delivers a call whose region went down while it was on its way", async () => {
    const store = newStore("faults");
    await store.createTopicIn({ name: "down", partitions: 1, config: DEFAULT_TOPIC_CONFIG }, ["apac"]);
    store.setRegionLatency("apac", 300);
    try {
      const appending = store.append({ topic: "down", partition: 0 }, makeBatch(1));
      await new Promise((resolve) => setTimeout(resolve, 50));
      store.setRegionUnreachable("apac", true);
      // Nothing was delivered, so the store can say so: the leader is not available (not "timed out", which
      // would mean the append may have been applied).
      await expectEdgeLogError(appending, "LEADER_NOT_AVAILABLE");
      store.setRegionUnreachable("apac", false);
      store.setRegionLatency("apac", 0);
      expect(await store.offsets({ topic: "down", partition: 0 })).toEqual({
        logStartOffset: 0,
        highWatermark: 0,
      });
    } finally {
      store.setRegionUnreachable("apac", false);
      store.setRegionLatency("apac", 0);
    }
  });

  it("refuses a latency that is not a whole number of ms from 0 to a minute", () => {
    const store = newStore("faults");
    for (const ms of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, MAX_REGION_LATENCY_MS + 1]) {
      expect(() => store.setRegionLatency("wnam", ms)).toThrowError(
        expect.objectContaining({ code: "INVALID_REQUEST" }),
      );
    }
    expect(store.regionFaults("wnam").latencyMs).toBe(0);
    store.setRegionLatency("wnam", MAX_REGION_LATENCY_MS);
    expect(store.regionFaults("wnam").latencyMs).toBe(MAX_REGION_LATENCY_MS);
    store.setRegionLatency("wnam", 0);
  });

  it("keeps faults of one namespace out of another's", async () => {
    const slow = newStore("faults");
    const other = newStore("faults");
    slow.setRegionLatency("weur", 5_000);
    slow.setReplicationDropped("weur", true);
    slow.setRegionUnreachable("weur", true);
    try {
      expect(other.regionFaults("weur")).toEqual({
        unreachable: false,
        latencyMs: 0,
        dropReplication: false,
      });
      await other.createTopicIn({ name: "t", partitions: 1, config: DEFAULT_TOPIC_CONFIG }, ["weur"]);
      const fast = await other.append({ topic: "t", partition: 0 }, makeBatch(1));
      expect(fast.baseOffset).toBe(0);
    } finally {
      slow.setRegionUnreachable("weur", false);
      slow.setRegionLatency("weur", 0);
      slow.setReplicationDropped("weur", false);
    }
  });

  it("does not exist without EDGELOG_FAULTS=true: setting refuses, nothing is reported", () => {
    const { EDGELOG_FAULTS: _on, ...off } = env;
    const store = newStore("faults", off);
    expect(() => store.setRegionLatency("wnam", 30)).toThrowError(
      expect.objectContaining({ code: "NOT_FOUND" }),
    );
    expect(() => store.setReplicationDropped("wnam", true)).toThrowError(
      expect.objectContaining({ code: "NOT_FOUND" }),
    );
    expect(store.regionFaults("wnam")).toEqual({ unreachable: false, latencyMs: 0, dropReplication: false });
  });
});
