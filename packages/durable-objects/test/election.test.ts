// Leader election in workerd: the controller moves leadership to an in-sync replica under epoch + 1 and back
// (preferred-leader election), refuses what it cannot do, fences the old leader, and an old leader truncates
// what only it wrote to the new leader's end of its last epoch (KIP-101 — not to the high watermark). Producers
// with acks=all run through elections: every acknowledged record is on every replica exactly once at its offset.
// Regions are names (Miniflare ignores location hints); the fault switch (EDGELOG_FAULTS=true) cuts one off.
import { env } from "cloudflare:test";
import { DEFAULT_TOPIC_CONFIG, EdgeLog } from "@edgelog/core";
import { expectEdgeLogError, makeBatch, readAll } from "@edgelog/core/testing";
import { describe, expect, it, vi } from "vitest";
import { type DurableObjectLogStore, unwrap } from "../src/index.ts";
import {
  countingAppends,
  createReplicated,
  expectAckedExactlyOnce,
  newStore,
  REPLICAS,
  replicaStub,
  storedLog,
} from "./replicas.ts";

const decoder = new TextDecoder();

async function replicationOf(store: DurableObjectLogStore, topic: string, partition = 0) {
  return (await store.placement(topic))[partition]?.replication;
}

async function epochsOf(store: DurableObjectLogStore, topic: string, region: string, partition = 0) {
  return unwrap(await (await replicaStub(store, topic, partition, region)).leaderEpochs());
}

/**
 * The epochs that wrote records. A leader records its epoch when elected; followers learn an epoch from its
 * batches — so an epoch that has not written yet is in the leader's table only (as in Kafka).
 */
async function writtenEpochs(store: DurableObjectLogStore, topic: string, region: string, partition = 0) {
  const { entries, logEnd } = await epochsOf(store, topic, region, partition);
  return entries.filter((e) => e.startOffset < logEnd);
}

/** Every replica holds the same log, producers and leader-epoch table. */
async function expectConverged(store: DurableObjectLogStore, topic: string, partition = 0) {
  await vi.waitFor(
    async () => {
      const first = await storedLog(store, topic, REPLICAS[0] as string, partition);
      const epochs = await writtenEpochs(store, topic, REPLICAS[0] as string, partition);
      for (const region of REPLICAS.slice(1)) {
        expect(await storedLog(store, topic, region, partition), region).toEqual(first);
        expect(await writtenEpochs(store, topic, region, partition), region).toEqual(epochs);
      }
    },
    { timeout: 10_000, interval: 100 },
  );
}

describe("POST …/elect (controller)", () => {
  it("moves leadership to an in-sync follower under epoch + 1 and back; the old leader follows and is fenced", async () => {
    const store = newStore("election");
    const metadata = await createReplicated(store, "move");
    const tp = { topic: "move", partition: 0 };
    await store.append(tp, makeBatch(2, "e0"));
    expect(await store.electLeader(tp, "weur")).toEqual({
      leader: "weur",
      replicas: REPLICAS,
      isr: REPLICAS,
      leaderEpoch: 1,
    });
    expect(await store.placement("move")).toMatchObject([{ partition: 0, region: "weur" }]);
    // The store follows the controller at once (its metadata cache was dropped).
    const e1 = await store.append(tp, makeBatch(3, "e1"));
    expect(e1).toMatchObject({ baseOffset: 2, lastOffset: 4, highWatermark: 5 });
    // The old leader refuses client appends, and its pushes at the old epoch are fenced by every replica.
    const wnam = await replicaStub(store, "move", 0, "wnam");
    expect(await wnam.append(makeBatch(1, "stale"))).toMatchObject({
      ok: false,
      error: { code: "NOT_LEADER_OR_FOLLOWER", context: { leader: "weur", leaderEpoch: 1 } },
    });
    expect(await wnam.deleteRecords(1)).toMatchObject({
      ok: false,
      error: { code: "NOT_LEADER_OR_FOLLOWER" },
    });
    const apac = await replicaStub(store, "move", 0, "apac");
    const stalePush = await apac.replicate({
      topicId: metadata.topicId,
      leader: "wnam",
      leaderEpoch: 0,
      batches: [],
      highWatermark: 0,
      logStartOffset: 0,
      leaderEpochs: [],
      leaderLogEnd: 0,
    });
    expect(stalePush).toMatchObject({ ok: false, error: { code: "FENCED_LEADER_EPOCH" } });
    // A controller message from an older epoch is refused too (messages may arrive out of order).
    const staleControl = await apac.becomeFollower(metadata.topicId, {
      leader: "wnam",
      replicas: REPLICAS,
      isr: REPLICAS,
      leaderEpoch: 0,
    });
    expect(staleControl).toMatchObject({ ok: false, error: { code: "FENCED_LEADER_EPOCH" } });
    // So is an in-sync-set change from the old leader's epoch.
    const topics = env.TOPICS.getByName(`${store.namespacePrefix}topics`);
    const staleIsr = await topics.alterIsr(
      { prefix: store.namespacePrefix, region: "wnam" },
      "move",
      metadata.topicId,
      0,
      0,
      ["wnam"],
    );
    expect(staleIsr).toMatchObject({ ok: false, error: { code: "FENCED_LEADER_EPOCH" } });

    // Preferred-leader election: back to the first replica, under epoch 2.
    expect(await store.electLeader(tp, "wnam")).toMatchObject({ leader: "wnam", leaderEpoch: 2 });
    const e2 = await store.append(tp, makeBatch(1, "e2"));
    expect(e2).toMatchObject({ baseOffset: 5, highWatermark: 6 });
    await expectConverged(store, "move");
    // Each epoch has one leader and one start offset, the same on every replica.
    expect((await epochsOf(store, "move", "apac")).entries).toEqual([
      { epoch: 0, startOffset: 0, leader: "wnam" },
      { epoch: 1, startOffset: 2, leader: "weur" },
      { epoch: 2, startOffset: 5, leader: "wnam" },
    ]);
    expect((await readAll(store, tp)).map((r) => decoder.decode(r.value ?? new Uint8Array()))).toEqual([
      "e0-0",
      "e0-1",
      "e1-0",
      "e1-1",
      "e1-2",
      "e2-0",
    ]);
  });

  it("refuses the current leader (ELECTION_NOT_NEEDED), an out-of-sync replica (ELIGIBLE_LEADERS_NOT_AVAILABLE), a region without a replica", async () => {
    const store = newStore("election");
    await createReplicated(store, "refuse", { "replica.lag.time.max.ms": 100, "min.insync.replicas": 1 });
    const tp = { topic: "refuse", partition: 0 };
    await expectEdgeLogError(store.electLeader(tp, "wnam"), "ELECTION_NOT_NEEDED");
    for (const region of ["enam", "constructor", "__proto__"]) {
      await expectEdgeLogError(store.electLeader(tp, region), "INVALID_REQUEST");
    }
    await expectEdgeLogError(
      store.electLeader({ topic: "refuse", partition: 1 }, "weur"),
      "UNKNOWN_TOPIC_OR_PARTITION",
    );
    await expectEdgeLogError(
      store.electLeader({ topic: "nope", partition: 0 }, "weur"),
      "UNKNOWN_TOPIC_OR_PARTITION",
    );
    // apac falls behind and leaves the in-sync set: it may hold less than was acknowledged, so it cannot lead.
    store.setRegionUnreachable("apac", true);
    try {
      await store.append(tp, makeBatch(1, "behind"));
      await vi.waitFor(async () =>
        expect((await replicationOf(store, "refuse"))?.isr).toEqual(["wnam", "weur"]),
      );
      await expectEdgeLogError(store.electLeader(tp, "apac"), "ELIGIBLE_LEADERS_NOT_AVAILABLE");
      // An unreachable in-sync replica cannot be told it leads: refused, nothing recorded.
      store.setRegionUnreachable("weur", true);
      await expectEdgeLogError(store.electLeader(tp, "weur"), "REQUEST_TIMED_OUT");
      expect(await replicationOf(store, "refuse")).toMatchObject({ leader: "wnam", leaderEpoch: 0 });
    } finally {
      store.setRegionUnreachable("apac", false);
      store.setRegionUnreachable("weur", false);
    }
    // An unreplicated topic has nobody to elect.
    await store.createTopicIn({ name: "single", partitions: 1, config: DEFAULT_TOPIC_CONFIG }, ["wnam"]);
    await expectEdgeLogError(store.electLeader({ topic: "single", partition: 0 }, "weur"), "INVALID_REQUEST");
  });
});

describe("elections and other controller changes", () => {
  it("keeps an election recorded while partitions are being added (the grow does not write back its old copy)", async () => {
    const store = newStore("election");
    await createReplicated(store, "grow");
    const tp = { topic: "grow", partition: 0 };
    await store.append(tp, makeBatch(1, "g"));
    // The grow configures the new partition's replicas (awaits) while the election is recorded.
    const growing = store.createPartitions("grow", 3);
    const elected = store.electLeader(tp, "apac");
    await Promise.all([growing, elected]);
    const placement = await store.placement("grow");
    expect(placement.map((p) => [p.region, p.replication?.leaderEpoch])).toEqual([
      ["apac", 1],
      ["wnam", 0],
      ["wnam", 0],
    ]);
    expect((await store.append(tp, makeBatch(1, "after"))).baseOffset).toBe(1);
    expect((await store.append({ topic: "grow", partition: 2 }, makeBatch(1, "new"))).baseOffset).toBe(0);
  });
});

describe("readers through an election", () => {
  it("keeps a consumer at the old leader's high watermark in range on the new leader (it waits, it is not reset)", async () => {
    const store = newStore("election");
    await createReplicated(store, "readers");
    const tp = { topic: "readers", partition: 0 };
    const written = await store.append(tp, makeBatch(3, "r"));
    expect(written.highWatermark).toBe(3);
    // The followers learned the high watermark one push behind: weur's is still 0 when it is elected, and with its
    // pushes dropped it stays there for now.
    store.setReplicationDropped("wnam", true);
    store.setReplicationDropped("apac", true);
    try {
      await store.electLeader(tp, "weur");
      expect(await store.offsets(tp)).toEqual({ logStartOffset: 0, highWatermark: 0 });
      const read = await store.read(tp, { offset: 3 });
      expect(read).toMatchObject({ batches: [], highWatermark: 0 });
    } finally {
      store.setReplicationDropped("wnam", false);
      store.setReplicationDropped("apac", false);
    }
    // It catches up from its followers' answers, and a long-poll at the old high watermark wakes on the next write.
    // (weur's retry timer resends within a second.)
    await vi.waitFor(async () => expect((await store.offsets(tp)).highWatermark).toBe(3), { timeout: 5_000 });
    const parked = store.read(tp, { offset: 3, maxWaitMs: 5_000 });
    await store.append(tp, makeBatch(1, "next"));
    expect((await parked).batches.map((b) => b.baseOffset)).toEqual([3]);
    // Past the log end is still out of range.
    await expectEdgeLogError(store.read(tp, { offset: 99 }), "OFFSET_OUT_OF_RANGE");
  });
});

describe("KIP-101 truncation", () => {
  it("cuts an old leader's unreplicated suffix at the new leader's end of its epoch — above the high watermark — and converges", async () => {
    const store = newStore("election");
    await createReplicated(store, "cut", { "replica.lag.time.max.ms": 60_000 });
    const tp = { topic: "cut", partition: 0 };
    const idem = (i: number, prefix: string) =>
      makeBatch(1, prefix, { producerId: "p", producerEpoch: 0, baseSequence: i });
    await store.append(tp, idem(0, "acked"));
    // apac is cut off: the next acks=all batch reaches wnam and weur, but apac (still in sync) holds the HW back.
    store.setRegionUnreachable("apac", true);
    const pending = store.append(tp, idem(1, "pending")).then(
      (r) => ({ ok: true as const, r }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    await vi.waitFor(async () => expect((await storedLog(store, "cut", "weur")).batches).toHaveLength(2), {
      timeout: 5_000,
    });
    // weur is cut off too: wnam writes acks=1 batches nobody else gets.
    store.setRegionUnreachable("weur", true);
    await store.append(tp, idem(2, "lost"), { acks: 1 });
    await store.append(tp, makeBatch(2, "lost-plain"), { acks: 1 });
    expect((await storedLog(store, "cut", "wnam")).batches).toHaveLength(4);
    // wnam's region goes down; weur and apac come back; weur is elected (wnam cannot be told).
    store.setRegionUnreachable("wnam", true);
    store.setRegionUnreachable("weur", false);
    store.setRegionUnreachable("apac", false);
    try {
      expect(await store.electLeader(tp, "weur")).toMatchObject({ leader: "weur", leaderEpoch: 1 });
      const after = await store.append(tp, makeBatch(1, "new-leader"), { acks: 1 });
      // The new epoch starts at weur's log end (2 batches), not at the old high watermark (1).
      expect(after.baseOffset).toBe(2);
    } finally {
      store.setRegionUnreachable("wnam", false);
    }
    // wnam is back: its pushes at epoch 0 are fenced, weur's push (epoch 1, with its epoch table) makes it cut
    // offsets 2.. (what only it wrote) and take weur's batches there.
    await store.append(tp, makeBatch(1, "after-return"));
    await expectConverged(store, "cut");
    const wnam = await replicaStub(store, "cut", 0, "wnam");
    expect((await wnam.stats()).truncations).toBe(1);
    const values = (await readAll(store, tp)).map((r) => decoder.decode(r.value ?? new Uint8Array()));
    expect(values).toEqual(["acked-0", "pending-0", "new-leader-0", "after-return-0"]);
    // The acks=all produce that was waiting on the old leader was answered with an error, not dropped: it is on
    // the new leader, so the idempotent retry is answered duplicate at its offset.
    const outcome = await pending;
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? null : outcome.error).toMatchObject({ code: "NOT_LEADER_OR_FOLLOWER" });
    const retry = await store.append(tp, idem(1, "pending"));
    expect(retry).toMatchObject({ baseOffset: 1, duplicate: true });
    // The truncated idempotent batch was forgotten by the old leader's producer memory: its retry is appended.
    const lostRetry = await store.append(tp, idem(2, "lost"));
    expect(lostRetry).toMatchObject({ baseOffset: 4 });
    expect(lostRetry.duplicate ?? false).toBe(false);
    await expectConverged(store, "cut");
  });
});

describe("KIP-101 truncation on becoming a follower", () => {
  it("cuts at once when the old leader is told (it asks the new leader), answering its waiting acks=all append", async () => {
    const store = newStore("election");
    await createReplicated(store, "told", { "replica.lag.time.max.ms": 60_000 });
    const tp = { topic: "told", partition: 0 };
    await store.append(tp, makeBatch(1, "acked"));
    // apac misses the next batches: one acks=1 and one acks=all (which waits, apac being in sync).
    store.setRegionUnreachable("apac", true);
    await store.append(tp, makeBatch(1, "only-leader-and-weur"), { acks: 1 });
    const waiting = store.append(tp, makeBatch(1, "waiting")).catch((error: unknown) => error);
    await vi.waitFor(async () => expect((await storedLog(store, "told", "weur")).batches).toHaveLength(3), {
      timeout: 5_000,
    });
    // Replication stops getting through (clients and the controller still do); wnam writes one more alone.
    for (const region of REPLICAS) store.setReplicationDropped(region, true);
    try {
      await store.append(tp, makeBatch(1, "only-leader"), { acks: 1 });
      store.setRegionUnreachable("apac", false);
      expect(await store.electLeader(tp, "weur")).toMatchObject({ leader: "weur", leaderEpoch: 1 });
      // No push reached wnam: becomeFollower itself asked weur and cut at weur's end of epoch 0 (3) — above the
      // high watermark (1), so the records weur holds stay.
      const wnamLog = await storedLog(store, "told", "wnam");
      expect(wnamLog.batches.map((b) => b.base_offset)).toEqual([0, 1, 2]);
      expect(wnamLog).toEqual(await storedLog(store, "told", "weur"));
      expect((await (await replicaStub(store, "told", 0, "wnam")).stats()).truncations).toBe(1);
      expect(await waiting).toMatchObject({ code: "NOT_LEADER_OR_FOLLOWER", context: { appended: true } });
    } finally {
      store.setRegionUnreachable("apac", false);
      for (const region of REPLICAS) store.setReplicationDropped(region, false);
    }
    await store.append(tp, makeBatch(1, "next"));
    await expectConverged(store, "told");
    expect((await readAll(store, tp)).map((r) => decoder.decode(r.value ?? new Uint8Array()))).toEqual([
      "acked-0",
      "only-leader-and-weur-0",
      "waiting-0",
      "next-0",
    ]);
  });
});

describe("a deposed leader that was not told", () => {
  it("learns the election from the controller once a follower fences its push, steps down and truncates", async () => {
    const store = newStore("election");
    await createReplicated(store, "deposed", { "replica.lag.time.max.ms": 60_000 });
    const tp = { topic: "deposed", partition: 0 };
    await store.append(tp, makeBatch(1, "acked"));
    const wnam = await replicaStub(store, "deposed", 0, "wnam");
    // wnam is cut off during the election, and weur's pushes to it are dropped afterwards: nobody tells it.
    store.setRegionUnreachable("wnam", true);
    store.setReplicationDropped("wnam", true);
    try {
      expect(await store.electLeader(tp, "weur")).toMatchObject({ leader: "weur", leaderEpoch: 1 });
      store.setRegionUnreachable("wnam", false);
      // A client with stale metadata still reaches wnam, which believes it leads epoch 0 and takes an acks=1 write.
      const stale = await wnam.append(makeBatch(1, "stale"), { acks: 1 });
      expect(stale).toMatchObject({ ok: true, value: { baseOffset: 1 } });
      // Its push is refused by the followers at epoch 1: it asks the controller, follows weur and truncates.
      await vi.waitFor(async () => expect((await wnam.stats()).truncations).toBe(1), { timeout: 5_000 });
      expect(await wnam.append(makeBatch(1, "again"))).toMatchObject({
        ok: false,
        error: { code: "NOT_LEADER_OR_FOLLOWER", context: { leader: "weur", leaderEpoch: 1 } },
      });
      expect((await storedLog(store, "deposed", "wnam")).batches.map((b) => b.base_offset)).toEqual([0]);
      expect((await epochsOf(store, "deposed", "wnam")).leaderEpoch).toBe(1);
    } finally {
      store.setRegionUnreachable("wnam", false);
      store.setReplicationDropped("wnam", false);
    }
    await store.append(tp, makeBatch(1, "new"));
    await expectConverged(store, "deposed");
    expect((await readAll(store, tp)).map((r) => decoder.decode(r.value ?? new Uint8Array()))).toEqual([
      "acked-0",
      "new-0",
    ]);
  });
});

describe("producers through elections", () => {
  it("loses, duplicates and reorders nothing acknowledged with acks=all while leadership moves and moves back", async () => {
    const store = newStore("election");
    await createReplicated(store, "jepsen", { "replica.lag.time.max.ms": 60_000 }, REPLICAS, 2);
    const { counted, seen } = countingAppends(store);
    const log = new EdgeLog({ store: counted });
    const producers = 3;
    const perProducer = 40;
    const keys = 4;
    const acked = new Map<string, { partition: number; offset: number }>();
    const progress: (() => void)[] = [];
    const run = async (p: number) => {
      const producer = log.producer({ acks: "all", retry: { retries: 10, initialRetryTime: 20 } });
      for (let i = 0; i < perProducer; i++) {
        const value = `p${p}-${i}`;
        const [meta] = await producer.send({
          topic: "jepsen",
          messages: [{ key: `k${p}-${i % keys}`, value }],
        });
        if (meta === undefined) throw new Error("no metadata");
        acked.set(value, { partition: meta.partition, offset: meta.baseOffset });
        for (const wake of progress.splice(0)) wake();
      }
      await producer.disconnect();
    };
    const elections = async () => {
      // A fixed schedule over both partitions — away from the preferred leader and back — each election
      // started once a number of sends were acknowledged, so it lands among the producers' sends.
      const schedule: [number, number, string][] = [
        [10, 0, "weur"],
        [30, 1, "apac"],
        [50, 0, "apac"],
        [70, 1, "wnam"],
        [90, 0, "wnam"],
      ];
      for (const [after, partition, region] of schedule) {
        while (acked.size < after) await new Promise<void>((resolve) => progress.push(resolve));
        const before = acked.size;
        await store.electLeader({ topic: "jepsen", partition }, region);
        console.log(`elected ${region} for partition ${partition}: ${before} → ${acked.size} acks meanwhile`);
      }
    };
    const started = Date.now();
    await Promise.all([...Array.from({ length: producers }, (_, p) => run(p)), elections()]);
    console.log(`sends done in ${Date.now() - started} ms`);
    expect(acked.size).toBe(producers * perProducer);
    expect(await replicationOf(store, "jepsen", 0)).toMatchObject({ leader: "wnam", leaderEpoch: 3 });
    expect(await replicationOf(store, "jepsen", 1)).toMatchObject({ leader: "wnam", leaderEpoch: 2 });

    for (const partition of [0, 1]) {
      await expectConverged(store, "jepsen", partition);
      const records = await readAll(store, { topic: "jepsen", partition });
      expectAckedExactlyOnce(records, acked, partition);
      // No two leaders in one epoch, and epochs ascend in offset: one table, identical on every replica.
      const { entries } = await epochsOf(store, "jepsen", "apac", partition);
      for (let i = 1; i < entries.length; i++) {
        const [prev, next] = [entries[i - 1], entries[i]];
        expect(next?.epoch).toBeGreaterThan(prev?.epoch ?? -1);
        expect(next?.startOffset).toBeGreaterThanOrEqual(prev?.startOffset ?? 0);
      }
      expect(new Set(entries.map((e) => e.epoch)).size).toBe(entries.length);
    }
    console.log(
      `elections under load: ${producers * perProducer} acks=all sends, 5 elections, ${seen.appends} appends ` +
        `reached the store, failures the producers retried: ${JSON.stringify([...seen.failures])}`,
    );
  }, 60_000);
});
