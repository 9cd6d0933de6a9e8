// The leader's durability in workerd: it never pushes a batch before its own storage.sync() has confirmed it, an
// evicted leader resumes catching its followers up from its alarm (its retry timer died with it), and a replica
// whose leader-epoch table cannot be compared with its leader's is rebuilt from its log start.
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { makeBatch } from "@edgelog/core/testing";
import { describe, expect, it, vi } from "vitest";
import { unwrap } from "../src/index.ts";
import { createReplicated, newStore, replicaStub, storedLog } from "./replicas.ts";

describe("leader durability", () => {
  it("pushes nothing to a follower before the leader's own sync() is done", async () => {
    const store = newStore("durability");
    await createReplicated(store, "sync", { "replica.lag.time.max.ms": 60_000 });
    const tp = { topic: "sync", partition: 0 };
    await store.append(tp, makeBatch(1, "a"));
    // apac falls behind, so the leader's retry timer keeps running: it is what could push early.
    store.setRegionUnreachable("apac", true);
    await store.append(tp, makeBatch(1, "b"), { acks: 1 });
    // The leader's next sync() hangs until released.
    let release = (): void => undefined;
    const wnam = await replicaStub(store, "sync", 0, "wnam");
    await runInDurableObject(wnam, (_instance, state) => {
      const storage = state.storage as { sync: () => Promise<void> };
      const sync = storage.sync.bind(storage);
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      storage.sync = () => gate.then(sync);
    });
    try {
      const written = await store.append(tp, makeBatch(1, "c"), { acks: 1 });
      expect(written.baseOffset).toBe(2);
      expect((await storedLog(store, "sync", "wnam")).batches).toHaveLength(3);
      store.setRegionUnreachable("apac", false);
      // The retry timer (at most 1 s) catches apac up to what is durable — "b" — but not "c".
      await vi.waitFor(async () => expect((await storedLog(store, "sync", "apac")).batches).toHaveLength(2), {
        timeout: 5_000,
      });
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      expect((await storedLog(store, "sync", "apac")).batches).toHaveLength(2);
      expect((await storedLog(store, "sync", "weur")).batches).toHaveLength(2);
      expect((await store.offsets(tp)).highWatermark).toBe(2);
    } finally {
      store.setRegionUnreachable("apac", false);
      // Released from inside the object: a promise of the object's is settled in its own context.
      await runInDurableObject(wnam, () => release());
    }
    // Durable now: pushed at once.
    await vi.waitFor(async () => expect((await storedLog(store, "sync", "apac")).batches).toHaveLength(3));
    expect(await storedLog(store, "sync", "weur")).toEqual(await storedLog(store, "sync", "wnam"));
  });

  it("resumes catching a follower up from the alarm after the leader was evicted, with no new commit", async () => {
    const store = newStore("durability");
    await createReplicated(store, "evicted", { "replica.lag.time.max.ms": 60_000 });
    const tp = { topic: "evicted", partition: 0 };
    await store.append(tp, makeBatch(1, "a"));
    store.setRegionUnreachable("apac", true);
    await store.append(tp, makeBatch(1, "b"), { acks: 1 });
    const wnam = await replicaStub(store, "evicted", 0, "wnam");
    // A follower is behind: the alarm is armed, about when the retry timer fires.
    const { alarmAt } = await wnam.stats();
    expect(alarmAt).not.toBeNull();
    expect((alarmAt ?? 0) - Date.now()).toBeLessThanOrEqual(1_200);
    // Every object restarts (the retry timer is gone); apac comes back; nothing is written after.
    await abortAllDurableObjects();
    store.setRegionUnreachable("apac", false);
    await vi.waitFor(
      async () => expect((await storedLog(store, "evicted", "apac")).batches).toHaveLength(2),
      {
        timeout: 5_000,
        interval: 100,
      },
    );
    expect(await storedLog(store, "evicted", "apac")).toEqual(await storedLog(store, "evicted", "wnam"));
  });
});

describe("a replica that missed more elections than its epoch table keeps", () => {
  it("is cut to its log start (its whole log may have diverged) and rebuilt from the leader", async () => {
    const store = newStore("durability");
    const metadata = await createReplicated(store, "gap", { "replica.lag.time.max.ms": 60_000 });
    const tp = { topic: "gap", partition: 0 };
    await store.append(tp, makeBatch(2, "a"));
    await store.append(tp, makeBatch(2, "b"));
    const apac = await replicaStub(store, "gap", 0, "apac");
    await vi.waitFor(async () => expect((await storedLog(store, "gap", "apac")).batches).toHaveLength(2));
    // A push from a leader whose table starts 70 epochs later: apac's last epoch (0) cannot be compared.
    const push = await apac.replicate({
      topicId: metadata.topicId,
      leader: "weur",
      leaderEpoch: 71,
      batches: [],
      highWatermark: 0,
      logStartOffset: 0,
      leaderEpochs: [{ epoch: 70, startOffset: 1, leader: "weur" }],
      leaderLogEnd: 9,
    });
    expect(unwrap(push)).toEqual({ logEnd: 0 });
    expect((await apac.stats()).truncations).toBe(1);
    expect((await storedLog(store, "gap", "apac")).batches).toEqual([]);
  });
});
