// Replication across regions in workerd: replica sets recorded by the controller, identical logs on every replica
// (compared row for row, payload bytes included), acks=all waiting for the in-sync set, NOT_ENOUGH_REPLICAS, the
// high watermark capped by the in-sync replicas, the lag rule shrinking and growing the in-sync set, stale leader
// epochs refused, and the calls a batch costs with 1 and with 3 replicas. Regions are names here (Miniflare
// ignores location hints); the fault switch (EDGELOG_FAULTS=true in test/wrangler.toml) cuts one off.
import { abortAllDurableObjects } from "cloudflare:test";
import { DEFAULT_TOPIC_CONFIG } from "@edgelog/core";
import { checkProducerSequence, readBatchHeader } from "@edgelog/core/store-kit";
import { expectEdgeLogError, makeBatch, readAll } from "@edgelog/core/testing";
import { describe, expect, it, vi } from "vitest";
import { type DurableObjectLogStore, unwrap } from "../src/index.ts";
import { countingEnv } from "./counting-env.ts";
import { createReplicated, newStore, REPLICAS, replicaStub, storedLog } from "./replicas.ts";

async function isrOf(store: DurableObjectLogStore, topic: string, partition = 0): Promise<readonly string[]> {
  const placement = await store.placement(topic);
  return placement[partition]?.replication?.isr ?? [];
}

describe("replica sets", () => {
  it("records leader, replicas, in-sync set and leader epoch per partition; configures every replica", async () => {
    const store = newStore("replication");
    await createReplicated(store, "sets", {}, ["weur", "wnam", "apac"], 2);
    const placement = await store.placement("sets");
    expect(placement).toEqual(
      [0, 1].map((partition) => ({
        partition,
        region: "weur",
        replication: {
          leader: "weur",
          replicas: ["weur", "wnam", "apac"],
          isr: ["weur", "wnam", "apac"],
          leaderEpoch: 0,
        },
      })),
    );
    for (const region of ["weur", "wnam", "apac"]) {
      const stub = await replicaStub(store, "sets", 1, region);
      expect(unwrap(await stub.offsets())).toEqual({ logStartOffset: 0, highWatermark: 0 });
    }
    // Deleting the topic wipes every replica.
    await store.deleteTopic("sets");
    const apac = await replicaStub(store, "sets", 1, "apac");
    expect(apac).toBeDefined();
  });

  it("refuses min.insync.replicas above the replica count, and replicas outside the deployment", async () => {
    const store = newStore("replication");
    await expectEdgeLogError(
      createReplicated(store, "too-many", { "min.insync.replicas": 4 }),
      "INVALID_CONFIG",
    );
    await expectEdgeLogError(createReplicated(store, "far", {}, ["wnam", "eeur"]), "INVALID_REQUEST");
    expect(await store.getTopic("too-many")).toBeNull();
    // One replica is the unreplicated topic of today: no replica set is recorded.
    await createReplicated(store, "one", {}, ["apac"]);
    expect(await store.placement("one")).toEqual([{ partition: 0, region: "apac" }]);
  });
});

describe("replication", () => {
  it("holds the identical log on every replica after concurrent produces (same batches, offsets, bytes, producers)", async () => {
    const store = newStore("replication");
    await createReplicated(store, "same");
    const tp = { topic: "same", partition: 0 };
    const results = await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => store.append(tp, makeBatch(1 + (i % 3), `plain-${i}`))),
      ...Array.from({ length: 5 }, (_, i) =>
        store.append(
          tp,
          makeBatch(2, `idem-${i}`, { producerId: "p", producerEpoch: 0, baseSequence: i * 2 }),
        ),
      ),
    ]);
    // Pipelined idempotent batches may arrive out of order and be refused; every accepted one is on every replica.
    expect(results.length).toBe(25);
    const leader = await storedLog(store, "same", "wnam");
    expect(leader.batches.length).toBeGreaterThanOrEqual(20);
    for (const region of ["weur", "apac"]) expect(await storedLog(store, "same", region)).toEqual(leader);
    // What a reader sees on the leader is what was acknowledged.
    expect((await store.offsets(tp)).highWatermark).toBe((leader.batches.at(-1)?.last_offset ?? -1) + 1);
  });

  it("answers acks=all only once every in-sync replica holds the batch; acks=1 on the leader's commit", async () => {
    const store = newStore("replication");
    await createReplicated(store, "acks");
    const tp = { topic: "acks", partition: 0 };
    for (let i = 0; i < 5; i++) {
      const result = await store.append(tp, makeBatch(2, `a${i}`), { acks: "all" });
      expect(result.highWatermark).toBe(result.lastOffset + 1);
      // Right when the answer arrives, not eventually.
      for (const region of ["weur", "apac"]) {
        const log = await storedLog(store, "acks", region);
        expect(log.batches.at(-1)?.last_offset).toBe(result.lastOffset);
      }
    }
    const one = await store.append(tp, makeBatch(1, "one"), { acks: 1 });
    expect(one.baseOffset).toBe(10);
    await vi.waitFor(async () => {
      expect((await storedLog(store, "acks", "apac")).batches.length).toBe(6);
    });
  });

  it("keeps an acks=all produce waiting while an in-sync follower does not hold the batch", async () => {
    const store = newStore("replication");
    await createReplicated(store, "waits", { "replica.lag.time.max.ms": 60_000 });
    const tp = { topic: "waits", partition: 0 };
    store.setRegionUnreachable("apac", true);
    let answered = false;
    const all = store.append(tp, makeBatch(1, "w")).finally(() => {
      answered = true;
    });
    try {
      // The leader and weur hold it; apac is still in the ISR (the lag time is long), so no answer yet.
      await vi.waitFor(async () => expect((await storedLog(store, "waits", "weur")).batches.length).toBe(1));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(answered).toBe(false);
      expect((await store.offsets(tp)).highWatermark).toBe(0);
    } finally {
      store.setRegionUnreachable("apac", false);
    }
    expect(await all).toMatchObject({ baseOffset: 0, highWatermark: 1 });
    expect((await storedLog(store, "waits", "apac")).batches.length).toBe(1);
  });

  it("detects an idempotent producer's retry on a follower's copy of the producer state", async () => {
    const store = newStore("replication");
    await createReplicated(store, "dedupe");
    const tp = { topic: "dedupe", partition: 0 };
    const stamp = { producerId: "idem", producerEpoch: 3, baseSequence: 0 };
    const batch = makeBatch(3, "x", stamp);
    const first = await store.append(tp, batch);
    const retry = await store.append(tp, batch);
    expect(retry).toMatchObject({ duplicate: true, baseOffset: first.baseOffset });
    const follower = await storedLog(store, "dedupe", "apac");
    const state = follower.producers.find((p) => p.id === "idem")?.state;
    const verdict = checkProducerSequence(tp, state, readBatchHeader(batch));
    expect(verdict).toMatchObject({ kind: "duplicate", entry: { baseOffset: first.baseOffset } });
    expect(follower.producers).toEqual((await storedLog(store, "dedupe", "wnam")).producers);
  });

  it("refuses client appends on a follower (NOT_LEADER_OR_FOLLOWER) and replication from a stale leader epoch", async () => {
    const store = newStore("replication");
    const metadata = await createReplicated(store, "fence");
    await store.append({ topic: "fence", partition: 0 }, makeBatch(1));
    const follower = await replicaStub(store, "fence", 0, "weur");
    expect(await follower.append(makeBatch(1))).toMatchObject({
      ok: false,
      error: { code: "NOT_LEADER_OR_FOLLOWER" },
    });
    const stale = await follower.replicate({
      topicId: metadata.topicId,
      leader: "apac",
      leaderEpoch: -1,
      batches: [],
      highWatermark: 0,
      logStartOffset: 0,
      leaderEpochs: [],
      leaderLogEnd: 0,
    });
    expect(stale).toMatchObject({ ok: false, error: { code: "FENCED_LEADER_EPOCH" } });
    // Same epoch, another leader: two leaders in one epoch cannot both be right.
    const usurper = await follower.replicate({
      topicId: metadata.topicId,
      leader: "apac",
      leaderEpoch: 0,
      batches: [],
      highWatermark: 0,
      logStartOffset: 0,
      leaderEpochs: [],
      leaderLogEnd: 0,
    });
    expect(usurper).toMatchObject({ ok: false, error: { code: "FENCED_LEADER_EPOCH" } });
    // A replayed replication is a no-op, not a second copy.
    const log = await storedLog(store, "fence", "weur");
    const replay = await follower.replicate({
      topicId: metadata.topicId,
      leader: "wnam",
      leaderEpoch: 0,
      batches: log.batches.map((b) => ({
        baseOffset: b.base_offset,
        logAppendTime: b.append_time,
        payload: new Uint8Array(b.payload),
      })),
      highWatermark: 1,
      logStartOffset: 0,
      leaderEpochs: [{ epoch: 0, startOffset: 0, leader: "wnam" }],
      leaderLogEnd: 1,
    });
    expect(replay).toEqual({ ok: true, value: { logEnd: 1 } });
    expect(await storedLog(store, "fence", "weur")).toEqual(log);
  });

  it("carries the leader's log start to the followers (DeleteRecords, retention)", async () => {
    const store = newStore("replication");
    await createReplicated(store, "trim");
    const tp = { topic: "trim", partition: 0 };
    for (let i = 0; i < 3; i++) await store.append(tp, makeBatch(2, `t${i}`));
    await store.deleteRecords(tp, 4);
    await store.append(tp, makeBatch(1, "after"));
    for (const region of ["weur", "apac"]) {
      const stub = await replicaStub(store, "trim", 0, region);
      expect(unwrap(await stub.offsets())).toMatchObject({ logStartOffset: 4 });
      expect(await storedLog(store, "trim", region)).toEqual(await storedLog(store, "trim", "wnam"));
    }
  });
});

describe("in-sync set and high watermark", () => {
  it("keeps the high watermark at the in-sync replicas' committed offset while a follower is cut off", async () => {
    const store = newStore("replication");
    // A long lag time: the cut-off follower stays in sync for the whole test.
    await createReplicated(store, "hw", { "replica.lag.time.max.ms": 60_000 });
    const tp = { topic: "hw", partition: 0 };
    await store.append(tp, makeBatch(2, "before"));
    store.setRegionUnreachable("apac", true);
    try {
      const written = await store.append(tp, makeBatch(3, "during"), { acks: 1 });
      expect(written.highWatermark).toBe(2);
      // A long-poll parked at the high watermark waits …
      const parked = store.read(tp, { offset: 2, maxWaitMs: 5_000 });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await store.offsets(tp)).toEqual({ logStartOffset: 0, highWatermark: 2 });
      expect((await readAll(store, tp)).map((r) => r.offset)).toEqual([0, 1]);
      expect((await store.listBatches(tp)).map((b) => b.baseOffset)).toEqual([0]);
      expect(await store.offsetForTimestamp(tp, 0)).toBe(0);
      expect((await storedLog(store, "hw", "wnam")).batches.length).toBe(2);
      expect((await storedLog(store, "hw", "weur")).batches.length).toBe(2);
      expect((await storedLog(store, "hw", "apac")).batches.length).toBe(1);
      store.setRegionUnreachable("apac", false);
      // … and wakes once the cut-off replica has caught up and the high watermark moves.
      const woken = await parked;
      expect(woken.batches.map((b) => b.baseOffset)).toEqual([2]);
      expect(woken.highWatermark).toBe(5);
      expect(await storedLog(store, "hw", "apac")).toEqual(await storedLog(store, "hw", "wnam"));
    } finally {
      store.setRegionUnreachable("apac", false);
    }
  });

  it("drops a follower lagging past replica.lag.time.max.ms, refuses acks=all below min.insync.replicas, takes it back once caught up", async () => {
    const store = newStore("replication");
    await createReplicated(store, "isr", { "replica.lag.time.max.ms": 150, "min.insync.replicas": 3 });
    const tp = { topic: "isr", partition: 0 };
    await store.append(tp, makeBatch(1, "all-in"));
    store.setRegionUnreachable("apac", true);
    try {
      // Written on the leader and weur, then apac leaves the ISR: too few replicas for the minimum.
      await expectEdgeLogError(store.append(tp, makeBatch(1, "shrinks")), "NOT_ENOUGH_REPLICAS_AFTER_APPEND");
      expect(await isrOf(store, "isr")).toEqual(["wnam", "weur"]);
      // Now refused before anything is written; acks=1 still goes through.
      await expectEdgeLogError(store.append(tp, makeBatch(1, "refused")), "NOT_ENOUGH_REPLICAS");
      const one = await store.append(tp, makeBatch(1, "acks-1"), { acks: 1 });
      expect(one.baseOffset).toBe(2);
      // With apac out of the ISR the high watermark follows the two in-sync replicas.
      await vi.waitFor(async () => expect((await store.offsets(tp)).highWatermark).toBe(3));
    } finally {
      store.setRegionUnreachable("apac", false);
    }
    await vi.waitFor(async () => expect(await isrOf(store, "isr")).toEqual(REPLICAS), { timeout: 5_000 });
    const back = await store.append(tp, makeBatch(1, "back"));
    expect(back.baseOffset).toBe(3);
    expect(await storedLog(store, "isr", "apac")).toEqual(await storedLog(store, "isr", "wnam"));
  });

  it("lets acks=all through with a follower out of the ISR while min.insync.replicas is met", async () => {
    const store = newStore("replication");
    await createReplicated(store, "min2", { "replica.lag.time.max.ms": 100, "min.insync.replicas": 2 });
    const tp = { topic: "min2", partition: 0 };
    store.setRegionUnreachable("weur", true);
    try {
      const result = await store.append(tp, makeBatch(2, "w"));
      expect(result).toMatchObject({ baseOffset: 0, highWatermark: 2 });
      expect(await isrOf(store, "min2")).toEqual(["wnam", "apac"]);
      expect((await storedLog(store, "min2", "apac")).batches.length).toBe(1);
    } finally {
      store.setRegionUnreachable("weur", false);
    }
  });
});

describe("calls per batch", () => {
  it("costs one store call per batch unreplicated, plus one replication call per follower per commit with 3 replicas", async () => {
    const counted = countingEnv();
    const store = newStore("replication", counted.env);
    const batches = 10;
    await store.createTopicIn({ name: "one", partitions: 1, config: DEFAULT_TOPIC_CONFIG }, ["wnam"]);
    await createReplicated(store, "three");
    const before = counted.calls();
    for (let i = 0; i < batches; i++) await store.append({ topic: "one", partition: 0 }, makeBatch(1));
    const unreplicated = counted.calls() - before;
    for (let i = 0; i < batches; i++) await store.append({ topic: "three", partition: 0 }, makeBatch(1));
    const replicated = counted.calls() - before - unreplicated;
    const oneStats = await (await replicaStub(store, "one", 0, "wnam")).stats();
    const leaderStats = await (await replicaStub(store, "three", 0, "wnam")).stats();
    const followerStats = await (await replicaStub(store, "three", 0, "apac")).stats();
    console.log(
      `calls per batch — 1 replica: ${unreplicated / batches} store call(s), ${oneStats.replicationCalls} replication; ` +
        `3 replicas (acks=all, sequential): ${replicated / batches} store call(s), ` +
        `${leaderStats.replicationCalls / batches} replication call(s)`,
    );
    expect(unreplicated).toBe(batches);
    expect(oneStats.replicationCalls).toBe(0);
    expect(replicated).toBe(batches);
    // Sequential acks=all produces: one push per follower per commit, nothing else.
    expect(leaderStats.replicationCalls).toBe(2 * batches);
    expect(followerStats.replicationCalls).toBe(0);
    expect(followerStats.appendedBatches).toBe(batches);
  });
});

describe("under faults", () => {
  it("never lets the leader's high watermark pass an in-sync replica's log, while a follower flaps", async () => {
    const store = newStore("replication");
    await createReplicated(store, "flap", { "replica.lag.time.max.ms": 60 });
    const tp = { topic: "flap", partition: 0 };
    // A fixed schedule (seeded): produce with acks 1 or all, and cut apac off or reconnect it between rounds.
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const acknowledged: number[] = [];
    try {
      for (let round = 0; round < 12; round++) {
        store.setRegionUnreachable("apac", next() < 0.5);
        const sends = Array.from({ length: 3 }, (_, i) =>
          store
            .append(tp, makeBatch(1, `r${round}-${i}`), { acks: next() < 0.5 ? 1 : "all" })
            .then((r) => acknowledged.push(r.baseOffset))
            .catch(() => undefined),
        );
        await Promise.all(sends);
        const { highWatermark } = await store.offsets(tp);
        const isr = await isrOf(store, "flap");
        for (const region of isr) {
          const log = await storedLog(store, "flap", region);
          const logEnd = (log.batches.at(-1)?.last_offset ?? -1) + 1;
          expect(highWatermark, `round ${round}: ${region} in ISR ${isr.join(",")}`).toBeLessThanOrEqual(
            logEnd,
          );
        }
      }
    } finally {
      store.setRegionUnreachable("apac", false);
    }
    // Once reachable for good, every replica converges on the same log, holding every acknowledged offset.
    await store.append(tp, makeBatch(1, "last"));
    await vi.waitFor(async () => expect(await isrOf(store, "flap")).toEqual(REPLICAS), { timeout: 5_000 });
    const leader = await storedLog(store, "flap", "wnam");
    for (const region of ["weur", "apac"]) expect(await storedLog(store, "flap", region)).toEqual(leader);
    const held = new Set(leader.batches.map((b) => b.base_offset));
    for (const offset of acknowledged) expect(held.has(offset)).toBe(true);
  });

  it("resumes replication after the objects restart: a lagging follower catches up from its own log end", async () => {
    const store = newStore("replication");
    await createReplicated(store, "restart", { "replica.lag.time.max.ms": 60_000 });
    const tp = { topic: "restart", partition: 0 };
    await store.append(tp, makeBatch(2, "a"));
    store.setRegionUnreachable("apac", true);
    try {
      await store.append(tp, makeBatch(2, "b"), { acks: 1 });
      await store.append(tp, makeBatch(2, "c"), { acks: 1 });
    } finally {
      store.setRegionUnreachable("apac", false);
    }
    // Every object restarts: in-memory replication state is gone, only SQLite remains.
    await abortAllDurableObjects();
    const after = await store.append(tp, makeBatch(1, "d"));
    expect(after).toMatchObject({ baseOffset: 6, highWatermark: 7 });
    const leader = await storedLog(store, "restart", "wnam");
    expect(leader.batches.length).toBe(4);
    for (const region of ["weur", "apac"]) expect(await storedLog(store, "restart", region)).toEqual(leader);
  });
});
