// What the conformance suite cannot see: group commit, errors as data across RPC, a restart in the middle of
// concurrent appends, alarm-driven retention, region placement and object naming, and stale per-isolate caches
// after a topic is deleted and re-created.
import { abortAllDurableObjects, env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import {
  DEFAULT_TOPIC_CONFIG,
  decodeBatch,
  MAX_GROUP_MEMBERS,
  MAX_TOPICS,
  type TopicConfig,
} from "@edgelog/core";
import { expectEdgeLogError, makeBatch, readAll } from "@edgelog/core/testing";
import { describe, expect, it, vi } from "vitest";
import {
  DurableObjectLogStore,
  groupObjectName,
  partitionObjectName,
  topicsObjectName,
} from "../src/index.ts";

let worlds = 0;
const text = new TextDecoder();

function newStore(prefix = `objects-${++worlds}/`): DurableObjectLogStore {
  return new DurableObjectLogStore(env, { namespacePrefix: prefix });
}

async function createTopic(
  store: DurableObjectLogStore,
  name: string,
  partitions = 1,
  config: Partial<TopicConfig> = {},
  regions?: string[],
) {
  return store.createTopicIn({ name, partitions, config: { ...DEFAULT_TOPIC_CONFIG, ...config } }, regions);
}

/** The partition's leader object, addressed exactly as the store addresses it. */
async function partitionStub(store: DurableObjectLogStore, topic: string, partition: number) {
  const metadata = await store.getTopic(topic);
  const placement = await store.placement(topic);
  const region = placement[partition]?.region ?? "";
  const name = partitionObjectName(store.namespacePrefix, metadata?.topicId ?? "", partition, region);
  return env.PARTITIONS.get(env.PARTITIONS.idFromName(name));
}

/**
 * Alarms really fire in workerd, so a due alarm may already have run by itself; run it now if it has not, and
 * wait until `check` holds. Running an alarm early is harmless: retention re-plans from the clock.
 */
async function retentionSettles(stub: DurableObjectStub, check: () => Promise<void>): Promise<void> {
  await runDurableObjectAlarm(stub);
  await vi.waitFor(check, { timeout: 2000, interval: 20 });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("PartitionObject", () => {
  it("coalesces concurrent appends into fewer transactions (group commit), each with its own offsets", async () => {
    const store = newStore();
    const tp = { topic: "gc", partition: 0 };
    await createTopic(store, "gc");
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.append(tp, makeBatch(2, `g${i}`))),
    );
    const bases = results.map((r) => r.baseOffset).sort((a, b) => a - b);
    expect(bases).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
    const stats = await (await partitionStub(store, "gc", 0)).stats();
    expect(stats.appendedBatches).toBe(50);
    expect(stats.appendTransactions).toBeLessThan(50);
    expect(stats.appendTransactions).toBeGreaterThan(0);
  });

  it("fails only the bad batch of a coalesced group", async () => {
    const store = newStore();
    const tp = { topic: "mixed", partition: 0 };
    await createTopic(store, "mixed");
    const corrupt = makeBatch(3, "bad");
    corrupt[corrupt.length - 1] = (corrupt[corrupt.length - 1] ?? 0) ^ 0xff;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 21 }, (_, i) => store.append(tp, i === 10 ? corrupt : makeBatch(1, `ok${i}`))),
    );
    const rejected = outcomes.filter((o) => o.status === "rejected");
    expect(rejected).toHaveLength(1);
    expect((rejected[0] as PromiseRejectedResult).reason).toMatchObject({ code: "CORRUPT_MESSAGE" });
    expect(await store.offsets(tp)).toEqual({ logStartOffset: 0, highWatermark: 20 });
    // The corrupt batch shared its transaction with good ones (group commit) and did not fail them.
    expect((await (await partitionStub(store, "mixed", 0)).stats()).appendTransactions).toBeLessThan(21);
    expect((await readAll(store, tp)).map((r) => r.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("answers errors as data across RPC, with code and context", async () => {
    const store = newStore();
    await createTopic(store, "small", 1, { "max.message.bytes": 100 });
    const stub = await partitionStub(store, "small", 0);
    const result = await stub.append(makeBatch(50));
    expect(result).toMatchObject({
      ok: false,
      error: { code: "MESSAGE_TOO_LARGE", context: { topic: "small", partition: 0, maxBytes: 100 } },
    });
    const error = await expectEdgeLogError(
      store.append({ topic: "small", partition: 0 }, makeBatch(50)),
      "MESSAGE_TOO_LARGE",
    );
    expect(error.context).toMatchObject({ topic: "small", maxBytes: 100 });
    // An object nobody configured is no partition.
    const stray = env.PARTITIONS.get(env.PARTITIONS.idFromName(`${store.namespacePrefix}nope/0/wnam`));
    expect(await stray.offsets()).toMatchObject({ ok: false, error: { code: "UNKNOWN_TOPIC_OR_PARTITION" } });
  });

  it("survives a restart in the middle of concurrent appends: acknowledged appends kept, no partial batch", async () => {
    const store = newStore();
    const tp = { topic: "crash", partition: 0 };
    await createTopic(store, "crash");
    await store.append(tp, makeBatch(3, "before"));
    const sizes = Array.from({ length: 200 }, (_, i) => (i % 4) + 1);
    const pending = sizes.map((size, i) => store.append(tp, makeBatch(size, `c${i}`)));
    // Abort once the first appends are acknowledged, while the rest are still queued or in flight.
    await Promise.race(pending);
    await abortAllDurableObjects();
    const outcomes = await Promise.allSettled(pending);

    // The restart really cut through the appends: some were acknowledged, some were not.
    expect(outcomes.some((o) => o.status === "fulfilled")).toBe(true);
    expect(outcomes.some((o) => o.status === "rejected")).toBe(true);
    const reopened = newStore(store.namespacePrefix);
    const { logStartOffset, highWatermark } = await reopened.offsets(tp);
    expect(logStartOffset).toBe(0);
    const batches = await reopened.listBatches(tp);
    // Dense: each batch starts where the previous ended, and the high watermark ends the last.
    let next = 0;
    for (const batch of batches) {
      expect(batch.baseOffset).toBe(next);
      expect(batch.lastOffset - batch.baseOffset + 1).toBe(batch.recordCount);
      next = batch.lastOffset + 1;
    }
    expect(next).toBe(highWatermark);
    // Whole batches only: every batch present holds all the records its producer sent, nothing else.
    const records = await readAll(reopened, tp);
    expect(records).toHaveLength(highWatermark);
    const byPrefix = new Map<string, number>();
    for (const record of records) {
      const prefix = text.decode(record.value ?? new Uint8Array()).split("-")[0] ?? "";
      byPrefix.set(prefix, (byPrefix.get(prefix) ?? 0) + 1);
    }
    for (const [prefix, count] of byPrefix) {
      const expected = prefix === "before" ? 3 : (sizes[Number(prefix.slice(1))] ?? -1);
      expect(count).toBe(expected);
    }
    // Every acknowledged append is there, at the offsets it was given.
    outcomes.forEach((outcome, i) => {
      if (outcome.status !== "fulfilled") return;
      const slice = records.slice(outcome.value.baseOffset, outcome.value.lastOffset + 1);
      expect(slice.map((r) => text.decode(r.value ?? new Uint8Array()))).toEqual(
        Array.from({ length: sizes[i] ?? 0 }, (_, j) => `c${i}-${j}`),
      );
    });
    // And the log goes on from the high watermark.
    expect(await reopened.append(tp, makeBatch(1, "after"))).toMatchObject({ baseOffset: highWatermark });
  });

  it("costs one INSERT per batch and, per transaction, one read and one write per producer and one meta update", async () => {
    const store = newStore();
    const tp = { topic: "cost", partition: 0 };
    await createTopic(store, "cost", 1, { "retention.ms": -1 });
    const stub = await partitionStub(store, "cost", 0);
    const statements: string[] = [];
    await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql;
      const exec = sql.exec.bind(sql);
      sql.exec = ((query: string, ...bindings: unknown[]) => {
        statements.push(query.trim().split(/\s+/)[0] ?? "");
        return exec(query, ...bindings);
      }) as typeof sql.exec;
    });
    const before = await stub.stats();
    const batches = 20;
    await Promise.all(
      Array.from({ length: batches }, (_, i) =>
        store.append(tp, makeBatch(1, `c${i}`, { producerId: "p", producerEpoch: 0, baseSequence: i })),
      ),
    );
    const transactions = (await stub.stats()).appendTransactions - before.appendTransactions;
    const count = (verb: string) => statements.filter((s) => s === verb).length;
    expect(count("INSERT")).toBe(batches + transactions); // the batches, and each transaction's producer row
    expect(count("SELECT")).toBe(transactions); // the producer's state, once per transaction
    expect(count("UPDATE")).toBe(transactions); // the high watermark
    expect(statements).toHaveLength(batches + 3 * transactions);
  });

  it("rolls a failed transaction back and keeps memory in step with SQLite", async () => {
    const store = newStore();
    const tp = { topic: "fault", partition: 0 };
    await createTopic(store, "fault");
    await store.append(tp, makeBatch(2, "a"));
    const stub = await partitionStub(store, "fault", 0);
    // Inject a storage fault: a stray row where the next batch must go makes its INSERT fail.
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("INSERT INTO batches VALUES (2, 2, 1, 0, 0, 1, ?)", new Uint8Array([0]).buffer);
    });
    const producer = { producerId: "p", producerEpoch: 0, baseSequence: 0 };
    const outcomes = await Promise.allSettled([
      store.append(tp, makeBatch(3, "b", producer)),
      store.append(tp, makeBatch(1, "c")),
    ]);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ status: "rejected", reason: { code: "UNKNOWN_SERVER_ERROR" } });
    }
    // Nothing of the failed transaction is visible: not the high watermark, not the producer's state.
    expect(await store.offsets(tp)).toEqual({ logStartOffset: 0, highWatermark: 2 });
    await runInDurableObject(stub, (_instance, state) => {
      expect(state.storage.sql.exec("SELECT count(*) AS n FROM producers").one().n).toBe(0);
      state.storage.sql.exec("DELETE FROM batches WHERE base_offset = 2");
    });
    // Once the fault is gone the partition carries on where SQLite says it is.
    expect(await store.append(tp, makeBatch(3, "b", producer))).toMatchObject({
      baseOffset: 2,
      duplicate: false,
    });
    expect((await readAll(store, tp)).map((r) => r.offset)).toEqual([0, 1, 2, 3, 4]);
  });

  it("releases a parked long-poll in the object when its last reader aborts or the store closes", async () => {
    const store = newStore();
    const tp = { topic: "poll", partition: 0 };
    await createTopic(store, "poll");
    const stub = await partitionStub(store, "poll", 0);
    const controller = new AbortController();
    const alone = store.read(tp, { offset: 0, maxWaitMs: 30_000, signal: controller.signal });
    await vi.waitFor(async () => expect((await stub.stats()).waiters).toBe(1));
    controller.abort(new Error("gone"));
    await expect(alone).rejects.toThrow("gone");
    await vi.waitFor(async () => expect((await stub.stats()).waiters).toBe(0));
    // Two readers at one offset share one parked read. The one that made it leaving ends it in the object, and the
    // other parks one of its own.
    const leaving = new AbortController();
    const left = store.read(tp, { offset: 0, maxWaitMs: 30_000, signal: leaving.signal });
    const closed = store.read(tp, { offset: 0, maxWaitMs: 30_000 });
    await vi.waitFor(async () => expect((await stub.stats()).waiters).toBe(1));
    leaving.abort(new Error("gone too"));
    await expect(left).rejects.toThrow("gone too");
    await vi.waitFor(async () => expect((await stub.stats()).waiters).toBe(1));
    await store.close();
    await expectEdgeLogError(closed, "STORE_CLOSED");
    await vi.waitFor(async () => expect((await stub.stats()).waiters).toBe(0));
  });

  it("applies retention.bytes from its alarm", async () => {
    const store = newStore();
    const tp = { topic: "bytes", partition: 0 };
    await createTopic(store, "bytes");
    const size = makeBatch(5, "b0").byteLength;
    await store.deleteTopic("bytes");
    await createTopic(store, "bytes", 1, { "retention.bytes": size * 2 });
    for (let i = 0; i < 5; i++) await store.append(tp, makeBatch(5, `b${i}`));
    const stub = await partitionStub(store, "bytes", 0);
    await retentionSettles(stub, async () =>
      expect(await store.offsets(tp)).toEqual({ logStartOffset: 15, highWatermark: 25 }),
    );
    expect((await store.listBatches(tp)).map((b) => b.baseOffset)).toEqual([15, 20]);
  });

  it("applies retention.ms from its alarm and reschedules it for the next expiry", async () => {
    const store = newStore();
    const tp = { topic: "aged", partition: 0 };
    await createTopic(store, "aged", 1, { "retention.ms": 300 });
    const producer = { producerId: "p", producerEpoch: 0, baseSequence: 0 };
    await store.append(tp, makeBatch(2, "old", producer));
    await sleep(150);
    await store.append(tp, makeBatch(2, "new"));
    await sleep(200);
    const stub = await partitionStub(store, "aged", 0);
    await retentionSettles(stub, async () =>
      expect(await store.offsets(tp)).toEqual({ logStartOffset: 2, highWatermark: 4 }),
    );
    // Rescheduled for the younger batch's expiry.
    expect((await stub.stats()).alarmAt).toBeGreaterThan(Date.now() - 1000);
    // The producer's only batch is gone, so the partition forgot it.
    await expectEdgeLogError(
      store.append(tp, makeBatch(1, "x", { ...producer, baseSequence: 2 })),
      "UNKNOWN_PRODUCER_ID",
    );
    await sleep(350);
    await retentionSettles(stub, async () =>
      expect(await store.offsets(tp)).toEqual({ logStartOffset: 4, highWatermark: 4 }),
    );
    expect((await stub.stats()).alarmAt).toBeNull();
  });
});

describe("TopicsObject placement", () => {
  it("puts every partition in the first region by default", async () => {
    const store = newStore();
    await createTopic(store, "home", 3);
    expect(await store.placement("home")).toEqual([
      { partition: 0, region: "wnam" },
      { partition: 1, region: "wnam" },
      { partition: 2, region: "wnam" },
    ]);
  });

  it("spreads partitions round-robin over the requested regions, also when the topic grows", async () => {
    const store = newStore();
    await store.createTopic({
      name: "spread",
      partitions: 3,
      config: DEFAULT_TOPIC_CONFIG,
      regions: ["weur", "wnam"],
    });
    await store.createPartitions("spread", 5);
    expect((await store.placement("spread")).map((p) => p.region)).toEqual([
      "weur",
      "wnam",
      "weur",
      "wnam",
      "weur",
    ]);
  });

  it("refuses regions the deployment does not have", async () => {
    const store = newStore();
    await expectEdgeLogError(createTopic(store, "far", 1, {}, ["eeur"]), "INVALID_REQUEST");
    await expectEdgeLogError(createTopic(store, "none", 1, {}, []), "INVALID_REQUEST");
    expect(await store.getTopic("far")).toBeNull();
  });

  it("names each partition's object topicId/partition/region", async () => {
    const store = newStore();
    const topic = await createTopic(store, "named", 2, {}, ["wnam", "weur"]);
    await store.append({ topic: "named", partition: 1 }, makeBatch(4));
    const name = `${store.namespacePrefix}${topic.topicId}/1/weur`;
    const leader = env.PARTITIONS.get(env.PARTITIONS.idFromName(name), { locationHint: "weur" });
    expect(await leader.offsets()).toEqual({ ok: true, value: { logStartOffset: 0, highWatermark: 4 } });
    const wrongRegion = env.PARTITIONS.getByName(`${store.namespacePrefix}${topic.topicId}/1/wnam`);
    expect(await wrongRegion.offsets()).toMatchObject({ ok: false });
  });
});

describe("deleting topics", () => {
  it("destroys the partition objects; a re-created topic gets new, empty partitions", async () => {
    const store = newStore();
    const tp = { topic: "again", partition: 0 };
    await createTopic(store, "again");
    await store.append(tp, makeBatch(5));
    const oldStub = await partitionStub(store, "again", 0);
    await store.deleteTopic("again");
    expect(await oldStub.offsets()).toMatchObject({
      ok: false,
      error: { code: "UNKNOWN_TOPIC_OR_PARTITION" },
    });
    await createTopic(store, "again");
    expect(await store.offsets(tp)).toEqual({ logStartOffset: 0, highWatermark: 0 });
    expect(await store.read(tp, { offset: 0 })).toEqual({ batches: [], logStartOffset: 0, highWatermark: 0 });
  });

  it("keeps another isolate's cached metadata correct after delete and re-create", async () => {
    const writer = newStore();
    const other = newStore(writer.namespacePrefix);
    const tp = { topic: "cached", partition: 0 };
    await createTopic(writer, "cached");
    await other.append(tp, makeBatch(2, "first")); // `other` now caches the first topic id
    await writer.deleteTopic("cached");
    await createTopic(writer, "cached");
    // `other` still holds the old topic id: the destroyed object says so, and the store looks again.
    await other.append(tp, makeBatch(1, "second"));
    const records = await readAll(writer, tp);
    expect(records.map((r) => text.decode(r.value ?? new Uint8Array()))).toEqual(["second-0"]);
    expect(
      decodeBatch((await writer.read(tp, { offset: 0 })).batches[0]?.payload ?? new Uint8Array()).records,
    ).toHaveLength(1);
    await writer.deleteTopic("cached");
    await expectEdgeLogError(other.offsets(tp), "UNKNOWN_TOPIC_OR_PARTITION");
  });

  it("drops the topic's committed offsets from every group and forgets groups left empty", async () => {
    const store = newStore();
    await createTopic(store, "a");
    await createTopic(store, "b");
    await store.commitOffsets("only-a", [{ topic: "a", partition: 0, offset: 1, metadata: null }]);
    await store.commitOffsets("both", [
      { topic: "a", partition: 0, offset: 1, metadata: null },
      { topic: "b", partition: 0, offset: 2, metadata: null },
    ]);
    expect(await store.listGroups()).toEqual(["both", "only-a"]);
    await store.deleteTopic("a");
    expect(await store.listGroups()).toEqual(["both"]);
    expect(await store.fetchOffsets("both")).toEqual([
      { topic: "b", partition: 0, offset: 2, metadata: null },
    ]);
  });
});

describe("GroupObject", () => {
  it("lets exactly one of concurrent compare-and-set writers win", async () => {
    const store = newStore();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => store.putGroupState("race", { writer: i }, null)),
    );
    const won = outcomes.filter((o) => o.status === "fulfilled");
    expect(won).toEqual([{ status: "fulfilled", value: 1 }]);
    for (const lost of outcomes.filter((o) => o.status === "rejected")) {
      expect(lost.reason).toMatchObject({ code: "CONCURRENT_TRANSACTIONS", retriable: true });
    }
    expect((await store.getGroupState("race"))?.version).toBe(1);
  });

  it("does not list a group whose only write lost its compare-and-set", async () => {
    const store = newStore();
    await expectEdgeLogError(store.putGroupState("ghost", {}, 3), "CONCURRENT_TRANSACTIONS");
    expect(await store.listGroups()).toEqual([]);
  });

  it("removes a silent member from its alarm, with no other heartbeat arriving", async () => {
    const store = newStore();
    await createTopic(store, "t", 2);
    const joined = await store.groupHeartbeat("quiet", {
      memberId: "m",
      memberEpoch: 0,
      topics: ["t"],
      sessionTimeoutMs: 1_000,
    });
    expect(joined.heartbeatIntervalMs).toBe(333);
    const stub = env.GROUPS.get(env.GROUPS.idFromName(groupObjectName(store.namespacePrefix, "quiet")));
    const alarmAt = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(alarmAt).toBeGreaterThan(Date.now());
    expect(alarmAt).toBeLessThanOrEqual(Date.now() + 1_001);
    await vi.waitFor(
      async () => {
        await runDurableObjectAlarm(stub);
        expect((await store.describeGroup("quiet")).state).toBe("Empty");
      },
      { timeout: 10_000, interval: 200 },
    );
    // The state itself changed (not just the view): the member is gone and must rejoin.
    await expectEdgeLogError(
      store.groupHeartbeat("quiet", { memberId: "m", memberEpoch: joined.memberEpoch }),
      "UNKNOWN_MEMBER_ID",
    );
    expect(await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm())).toBeNull();
  });

  it("serialises concurrent joins: every member gets an epoch and the partitions end up with one owner each", async () => {
    const store = newStore();
    await createTopic(store, "t", 4);
    const joins = await Promise.all(
      ["a", "b", "c", "d"].map((memberId) =>
        store.groupHeartbeat("busy", { memberId, memberEpoch: 0, topics: ["t"] }),
      ),
    );
    let views = joins;
    for (let round = 0; round < 4; round++) {
      views = await Promise.all(
        views.map((v) =>
          store.groupHeartbeat("busy", {
            memberId: v.memberId,
            memberEpoch: v.memberEpoch,
            ownedPartitions: v.assignment,
          }),
        ),
      );
    }
    const owned = views.flatMap((v) => v.assignment.flatMap((tp) => tp.partitions));
    expect(owned.sort()).toEqual([0, 1, 2, 3]);
    expect((await store.describeGroup("busy")).state).toBe("Stable");
  });
});

describe("TopicsObject topic limit", () => {
  it("holds MAX_TOPICS topics and refuses one more with POLICY_VIOLATION; a deletion makes room", async () => {
    const store = newStore();
    const stub = env.TOPICS.get(env.TOPICS.idFromName(topicsObjectName(store.namespacePrefix)));
    // The real limit, without configuring 9,999 partition objects: rows seeded straight into the table.
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO registers (kind, key, promised, accepted, value, seq)
         SELECT 'topic', 'seeded-' || i, 0, 0, json_object('name', 'seeded-' || i, 'topic_id', 'seeded-id-' || i,
           'partitions', 1, 'config', '{}', 'created_at', 0, 'placement', '[]', 'regions', '[]', 'replication', NULL), i
         FROM n`,
        MAX_TOPICS - 1,
      );
    });
    await createTopic(store, "last");
    const error = await expectEdgeLogError(createTopic(store, "one-more"), "POLICY_VIOLATION");
    expect(error.context).toMatchObject({ topic: "one-more", limit: MAX_TOPICS, actual: MAX_TOPICS });
    // The count is kept by creates and deletes, not re-read: a deletion frees exactly one place.
    await store.deleteTopic("last");
    await createTopic(store, "one-more");
    await expectEdgeLogError(createTopic(store, "again"), "POLICY_VIOLATION");
    // Concurrent creates past the limit: names still being configured count, so none overshoots.
    await store.deleteTopic("one-more");
    const settled = await Promise.allSettled(["x", "y", "z"].map((name) => createTopic(store, name)));
    expect(settled.filter((s) => s.status === "fulfilled")).toHaveLength(1);
    const count = await runInDurableObject(
      stub,
      (_instance, state) =>
        state.storage.sql
          .exec<{ n: number }>(
            "SELECT COUNT(*) AS n FROM registers WHERE kind = 'topic' AND value IS NOT NULL",
          )
          .one().n,
    );
    expect(count).toBe(MAX_TOPICS);
    // The seeded rows were on the first controller replica only: its first change brought the others up to date
    // (10,000 registers each), so a majority holds the whole table.
    const peer = env.TOPICS.getByName(`${store.namespacePrefix}topics/weur`);
    const peerCount = await runInDurableObject(
      peer,
      (_instance, state) =>
        state.storage.sql
          .exec<{ n: number }>(
            "SELECT COUNT(*) AS n FROM registers WHERE kind = 'topic' AND value IS NOT NULL",
          )
          .one().n,
    );
    expect(peerCount).toBe(MAX_TOPICS);
  }, 30_000);
});

describe("GroupObject member limit", () => {
  it("refuses a new member of a group holding MAX_GROUP_MEMBERS with GROUP_MAX_SIZE_REACHED; members rejoin", async () => {
    const store = newStore();
    await createTopic(store, "t", 2);
    // The real limit without 1,000 heartbeats: the coordinator's stored state, written as it would write it.
    const now = Date.now();
    const members: Record<string, unknown> = {};
    for (let i = 0; i < MAX_GROUP_MEMBERS; i++) {
      members[`m-${i}`] = {
        memberId: `m-${i}`,
        memberEpoch: 1,
        previousMemberEpoch: 0,
        clientId: null,
        topics: ["t"],
        serverAssignor: null,
        assigned: {},
        pendingRevocation: {},
        sessionTimeoutMs: 60_000,
        rebalanceTimeoutMs: 60_000,
        lastHeartbeatMs: now,
        revocationDeadlineMs: null,
      };
    }
    const state = {
      kind: "edgelog.consumer-group.v1",
      groupEpoch: 1,
      assignmentEpoch: 0,
      assignor: "uniform",
      topics: {},
      members,
      target: {},
    };
    await store.putGroupState("full", state, null);
    const error = await expectEdgeLogError(
      store.groupHeartbeat("full", { memberId: "one-more", memberEpoch: 0, topics: ["t"] }),
      "GROUP_MAX_SIZE_REACHED",
    );
    expect(error.context).toMatchObject({
      groupId: "full",
      limit: MAX_GROUP_MEMBERS,
      actual: MAX_GROUP_MEMBERS,
    });
    const rejoined = await store.groupHeartbeat("full", { memberId: "m-0", memberEpoch: 0, topics: ["t"] });
    expect(rejoined.memberEpoch).toBeGreaterThan(1);
    await store.groupHeartbeat("full", { memberId: "m-1", memberEpoch: -1 }); // leaves
    await store.groupHeartbeat("full", { memberId: "one-more", memberEpoch: 0, topics: ["t"] });
    expect((await store.describeGroup("full")).members).toHaveLength(MAX_GROUP_MEMBERS);
  });
});
