// Reads near the reader (KIP-392) in workerd: a read naming its region is served by that region's in-sync
// follower up to the high watermark the follower has learned, with no call to the leader; a long-poll there wakes
// when the leader pushes it the new high watermark (only to followers with readers); the leader answers instead
// when the follower is out of the in-sync set or unreachable; after an election the old leader serves as a
// follower. Calls are counted per replica. Regions are names (Miniflare ignores location hints).
import { env } from "cloudflare:test";
import { type BatchInfo, DEFAULT_TOPIC_CONFIG, type ReadResult, type TopicPartition } from "@edgelog/core";
import { expectEdgeLogError, makeBatch } from "@edgelog/core/testing";
import { describe, expect, it, vi } from "vitest";
import { DurableObjectLogStore, type EdgeLogEnv, partitionObjectName } from "../src/index.ts";
import { createReplicated, newStore, replicaStub, storedLog } from "./replicas.ts";

/** `env` whose partition stubs count the store's calls per object name. */
function countingEnv(): { env: EdgeLogEnv; calls: (name: string) => number } {
  const counts = new Map<string, number>();
  const names = new Map<string, string>();
  const namespace = env.PARTITIONS;
  const partitions = new Proxy(namespace, {
    get(target, property) {
      if (property === "idFromName") {
        return (name: string) => {
          const id = target.idFromName(name);
          names.set(id.toString(), name);
          return id;
        };
      }
      if (property !== "get") return Reflect.get(target, property).bind(target);
      return (...args: Parameters<typeof namespace.get>) => {
        const name = names.get(args[0].toString()) ?? "?";
        const stub = target.get(...args);
        return new Proxy(stub, {
          get(s, method) {
            const value = Reflect.get(s, method);
            if (typeof value !== "function") return value;
            return (...callArgs: unknown[]) => {
              counts.set(name, (counts.get(name) ?? 0) + 1);
              return (s as unknown as Record<PropertyKey, (...a: unknown[]) => unknown>)[method]?.(
                ...callArgs,
              );
            };
          },
        });
      };
    },
  });
  return { env: { ...env, PARTITIONS: partitions }, calls: (name) => counts.get(name) ?? 0 };
}

/** The store's calls to each region's replica of partition 0 of `topic`. */
async function callsByRegion(
  store: DurableObjectLogStore,
  calls: (name: string) => number,
  topic: string,
): Promise<Record<"wnam" | "weur" | "apac", number>> {
  const topicId = (await store.getTopic(topic))?.topicId ?? "";
  const of = (region: string) => calls(partitionObjectName(store.namespacePrefix, topicId, 0, region));
  return { wnam: of("wnam"), weur: of("weur"), apac: of("apac") };
}

/** Batches as comparable data (offsets and bytes). */
function shape(batches: readonly (BatchInfo & { payload?: Uint8Array })[]) {
  return batches.map((b) => ({ base: b.baseOffset, last: b.lastOffset, bytes: [...(b.payload ?? [])] }));
}

async function statsOf(store: DurableObjectLogStore, topic: string, region: string) {
  return (await replicaStub(store, topic, 0, region)).stats();
}

describe("reads near the reader", () => {
  it("serves a read from the region's in-sync follower up to the high watermark it learned, calling no leader", async () => {
    const counted = countingEnv();
    const store = newStore("freads", counted.env);
    await createReplicated(store, "near");
    const tp = { topic: "near", partition: 0 };
    for (let i = 0; i < 3; i++) await store.append(tp, makeBatch(2, `n${i}`));
    // Nobody reads from weur: it learned the high watermark with each push, one commit behind the leader.
    const before = await callsByRegion(store, counted.calls, "near");
    const near = await store.read(tp, { offset: 0, region: "weur" });
    const bounds = await store.offsets(tp, { region: "weur" });
    const listed = await store.listBatches(tp, { region: "weur" });
    const found = await store.offsetForTimestamp(tp, 0, { region: "weur" });
    const after = await callsByRegion(store, counted.calls, "near");
    expect(after.wnam - before.wnam).toBe(0);
    expect(after.weur - before.weur).toBe(4);
    expect(near.highWatermark).toBe(4);
    expect(bounds).toEqual({ logStartOffset: 0, highWatermark: 4 });
    expect(listed.map((b) => b.baseOffset)).toEqual([0, 2]);
    expect(found).toBe(0);
    // The follower holds the third batch but shows nothing past what it knows is committed.
    expect((await storedLog(store, "near", "weur")).batches.length).toBe(3);
    // What it shows is the leader's log: the same batches at the same offsets, byte for byte.
    const leader = await store.read(tp, { offset: 0 });
    expect(leader.highWatermark).toBe(6);
    expect(shape(near.batches)).toEqual(shape(leader.batches.slice(0, 2)));
    // A read between the follower's high watermark and its log end answers nothing (yet), not out of range.
    expect((await store.read(tp, { offset: 4, region: "weur" })).batches).toEqual([]);
    // The leader's own region, a region without a replica: the leader answers.
    expect((await store.read(tp, { offset: 0, region: "wnam" })).highWatermark).toBe(6);
    expect((await store.read(tp, { offset: 0, region: "eeur" })).highWatermark).toBe(6);
  });

  it("wakes a long-poll on a follower when its high watermark moves; only followers with readers get the extra push", async () => {
    const store = newStore("freads");
    await createReplicated(store, "wake");
    const tp = { topic: "wake", partition: 0 };
    await store.append(tp, makeBatch(2, "w0"));
    // weur holds offsets 0–1 but learned high watermark 0: a reader parks, and weur asks the leader once.
    const first = await store.read(tp, { offset: 0, maxWaitMs: 20_000, region: "weur" });
    expect(first).toMatchObject({ highWatermark: 2 });
    expect(first.batches.map((b) => b.baseOffset)).toEqual([0]);
    expect((await statsOf(store, "wake", "weur")).readerCalls).toBe(1);
    // A reader waiting at the end wakes with the next write: the leader pushes the high watermark once it moves.
    const waiting = store.read(tp, { offset: 2, maxWaitMs: 20_000, region: "weur" });
    await vi.waitFor(async () => expect((await statsOf(store, "wake", "weur")).waiters).toBe(1));
    await store.append(tp, makeBatch(3, "w1"));
    const woken = await waiting;
    expect(woken.batches.map((b) => b.baseOffset)).toEqual([2]);
    expect(woken.highWatermark).toBe(5);
    expect((await statsOf(store, "wake", "weur")).readerCalls).toBe(1);
  });

  it("costs one watermark-only push per commit to a follower with a reader tailing it, none to the others", async () => {
    const store = newStore("freads");
    await createReplicated(store, "cost");
    const tp = { topic: "cost", partition: 0 };
    const batches = 10;
    // A tail on weur (a long-poll after each answer), as an SSE stream or consumer there makes.
    let tailing = true;
    const seen: number[] = [];
    const tail = (async () => {
      let offset = 0;
      while (tailing) {
        const read = await store.read(tp, { offset, maxWaitMs: 2_000, region: "weur" });
        for (const b of read.batches) seen.push(b.baseOffset);
        offset =
          read.batches.at(-1)?.lastOffset === undefined ? offset : (read.batches.at(-1)?.lastOffset ?? 0) + 1;
      }
    })();
    await vi.waitFor(async () => expect((await statsOf(store, "cost", "weur")).waiters).toBe(1));
    const before = (await statsOf(store, "cost", "wnam")).replicationCalls;
    for (let i = 0; i < batches; i++) {
      const result = await store.append(tp, makeBatch(1, `c${i}`));
      // The tail sees each record before the next is written: it never waits for the next push.
      await vi.waitFor(() => expect(seen.at(-1)).toBe(result.baseOffset));
    }
    const pushes = (await statsOf(store, "cost", "wnam")).replicationCalls - before;
    tailing = false;
    await tail;
    console.log(
      `replication calls per batch with a reader tailing one follower: ${pushes / batches} (2 without readers)`,
    );
    // Per commit: one push to each follower, plus one watermark-only push to weur, which serves a reader.
    expect(pushes).toBe(3 * batches);
    expect(seen).toEqual(Array.from({ length: batches }, (_, i) => i));
    expect((await statsOf(store, "cost", "weur")).readerCalls).toBe(0);
  });

  it("falls back to the leader when the follower is unreachable, and serves from the follower while the leader is", async () => {
    const counted = countingEnv();
    const store = newStore("freads", counted.env);
    await createReplicated(store, "cut");
    const tp = { topic: "cut", partition: 0 };
    for (let i = 0; i < 2; i++) await store.append(tp, makeBatch(1, `u${i}`));
    store.setRegionUnreachable("weur", true);
    try {
      const before = await callsByRegion(store, counted.calls, "cut");
      const read = await store.read(tp, { offset: 0, region: "weur" });
      const after = await callsByRegion(store, counted.calls, "cut");
      expect(read.highWatermark).toBe(2);
      expect(after.weur - before.weur).toBe(0);
      expect(after.wnam - before.wnam).toBe(1);
    } finally {
      store.setRegionUnreachable("weur", false);
    }
    store.setRegionUnreachable("wnam", true);
    try {
      // The leader's region is down: a reader naming apac still reads what apac knows is committed.
      const read = await store.read(tp, { offset: 0, region: "apac" });
      expect(read.highWatermark).toBe(1);
      expect(read.batches.map((b) => b.baseOffset)).toEqual([0]);
      // A read for the leader cannot be sent at all: the leader is not available (and the controller is told).
      await expectEdgeLogError(store.read(tp, { offset: 0 }), "LEADER_NOT_AVAILABLE");
    } finally {
      store.setRegionUnreachable("wnam", false);
    }
  });

  it("falls back to the leader when the follower has left the in-sync set", async () => {
    const store = new DurableObjectLogStore(env, {
      namespacePrefix: `freads-isr-${crypto.randomUUID()}/`,
      metadataMaxAgeMs: 0,
    });
    await createReplicated(store, "lag", { "replica.lag.time.max.ms": 60 });
    const tp = { topic: "lag", partition: 0 };
    await store.append(tp, makeBatch(1, "l0"));
    store.setReplicationDropped("weur", true);
    try {
      await store.append(tp, makeBatch(1, "l1"));
      await vi.waitFor(async () => {
        expect((await store.placement("lag"))[0]?.replication?.isr).toEqual(["wnam", "apac"]);
      });
      const third = await store.append(tp, makeBatch(1, "l2"));
      // weur lacks l1 and l2; the leader answers with everything committed.
      const read = await store.read(tp, { offset: 0, region: "weur" });
      expect(read.highWatermark).toBe(third.lastOffset + 1);
      expect(read.batches.map((b) => b.baseOffset)).toEqual([0, 1, 2]);
      expect((await storedLog(store, "lag", "weur")).batches.length).toBe(1);
    } finally {
      store.setReplicationDropped("weur", false);
    }
  });

  it("asks the leader when a follower cannot answer an offset past its log end", async () => {
    const store = newStore("freads");
    await createReplicated(store, "past", { "replica.lag.time.max.ms": 60_000 });
    const tp = { topic: "past", partition: 0 };
    await store.append(tp, makeBatch(1, "p0"));
    // weur misses the next batches but stays in the ISR (long lag time): acks=1 does not wait for it.
    store.setReplicationDropped("weur", true);
    try {
      await store.append(tp, makeBatch(1, "p1"), { acks: 1 });
      await store.append(tp, makeBatch(1, "p2"), { acks: 1 });
      // Past weur's log end (1) and below the leader's: the leader's answer, not OFFSET_OUT_OF_RANGE.
      const read = await store.read(tp, { offset: 2, region: "weur" });
      expect(read.batches.map((b) => b.baseOffset)).toEqual([]);
      expect(read.highWatermark).toBeLessThanOrEqual(3);
      // Past every replica's log: the leader says so.
      await expectEdgeLogError(store.read(tp, { offset: 9, region: "weur" }), "OFFSET_OUT_OF_RANGE");
    } finally {
      store.setReplicationDropped("weur", false);
    }
  });

  it("reads a re-created topic, not the deleted one, through a stale placement that named a follower", async () => {
    const prefix = `freads-stale-${crypto.randomUUID()}/`;
    const stale = new DurableObjectLogStore(env, { namespacePrefix: prefix, metadataMaxAgeMs: 60_000 });
    const other = new DurableObjectLogStore(env, { namespacePrefix: prefix });
    await createReplicated(stale, "again");
    const tp = { topic: "again", partition: 0 };
    await stale.append(tp, makeBatch(1, "old"));
    await stale.read(tp, { offset: 0, region: "weur" }); // the placement is now cached
    // Another isolate deletes it and creates it again, unreplicated: weur holds no replica any more.
    await other.deleteTopic("again");
    await other.createTopicIn({ name: "again", partitions: 1, config: DEFAULT_TOPIC_CONFIG }, ["wnam"]);
    await other.append(tp, makeBatch(2, "new"));
    const read = await stale.read(tp, { offset: 0, region: "weur" });
    expect(read.highWatermark).toBe(2);
    expect(read.batches.map((b) => b.lastOffset)).toEqual([1]);
  });

  it("ends a cancelled long-poll on the follower without starting one on the leader", async () => {
    const store = newStore("freads");
    await createReplicated(store, "cancel");
    const tp = { topic: "cancel", partition: 0 };
    await store.append(tp, makeBatch(1, "x"));
    await store.read(tp, { offset: 0, maxWaitMs: 20_000, region: "weur" });
    const controller = new AbortController();
    const parked = store.read(tp, {
      offset: 1,
      maxWaitMs: 20_000,
      region: "weur",
      signal: controller.signal,
    });
    await vi.waitFor(async () => expect((await statsOf(store, "cancel", "weur")).waiters).toBe(1));
    controller.abort(new Error("reader left"));
    await expect(parked).rejects.toThrow("reader left");
    await vi.waitFor(async () => expect((await statsOf(store, "cancel", "weur")).waiters).toBe(0));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await statsOf(store, "cancel", "wnam")).waiters).toBe(0);
  });

  it("keeps serving reads by region through an election: the old leader is a follower, the new one the leader", async () => {
    const counted = countingEnv();
    const store = newStore("freads", counted.env);
    await createReplicated(store, "elect");
    const tp = { topic: "elect", partition: 0 };
    for (let i = 0; i < 3; i++) await store.append(tp, makeBatch(2, `e${i}`));
    await store.electLeader(tp, "weur");
    const after = await store.append(tp, makeBatch(2, "e3"));
    const before = await callsByRegion(store, counted.calls, "elect");
    const fromOld = await store.read(tp, { offset: 0, region: "wnam" });
    const fromNew = await store.read(tp, { offset: 0, region: "weur" });
    const calls = await callsByRegion(store, counted.calls, "elect");
    expect(calls.wnam - before.wnam).toBe(1);
    expect(calls.weur - before.weur).toBe(1);
    expect(fromNew.highWatermark).toBe(after.lastOffset + 1);
    expect(fromOld.highWatermark).toBeLessThanOrEqual(fromNew.highWatermark);
    expect(fromOld.highWatermark).toBeGreaterThanOrEqual(6);
    const prefix = fromOld.batches.length;
    expect(shape(fromOld.batches)).toEqual(shape(fromNew.batches.slice(0, prefix)));
  });

  it("never shows a record past the high watermark from any replica; every replica shows the same record at an offset", async () => {
    const store = newStore("freads");
    await createReplicated(store, "prop", {}, undefined, 1);
    const tp: TopicPartition = { topic: "prop", partition: 0 };
    const seen = new Map<number, string>();
    const check = (region: string, read: ReadResult, leaderEnd: number) => {
      expect(read.highWatermark, region).toBeLessThanOrEqual(leaderEnd);
      for (const b of read.batches) {
        expect(b.lastOffset, region).toBeLessThan(read.highWatermark);
        const bytes = [...b.payload].join(",");
        const known = seen.get(b.baseOffset);
        if (known !== undefined) expect(bytes, `${region} at ${b.baseOffset}`).toBe(known);
        seen.set(b.baseOffset, bytes);
      }
    };
    const writes = Array.from({ length: 30 }, (_, i) =>
      store.append(tp, makeBatch(1 + (i % 3), `p${i}`), { acks: i % 2 === 0 ? "all" : 1 }),
    );
    for (let round = 0; round < 20; round++) {
      for (const region of ["weur", "apac", "wnam", undefined]) {
        const read = await store.read(tp, { offset: 0, ...(region === undefined ? {} : { region }) });
        // The leader's high watermark, read after: a replica never shows more than it.
        const leaderEnd = (await store.offsets(tp)).highWatermark;
        check(region ?? "leader", read, leaderEnd);
      }
    }
    await Promise.all(writes);
    for (const region of ["weur", "apac"]) {
      await vi.waitFor(async () => {
        const read = await store.read(tp, { offset: 0, region });
        check(region, read, (await store.offsets(tp)).highWatermark);
      });
    }
  });
});
