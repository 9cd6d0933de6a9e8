// Compaction in the PartitionObject, where the conformance suite cannot look: passes run from the alarm by
// themselves, in slices no larger than COMPACTION_SLICE_BYTES of batches (the longest an append waits behind
// compaction), with appends answered between slices, and a topic made compacted after it was written.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import {
  DEFAULT_TOPIC_CONFIG,
  decodeBatch,
  encodeBatch,
  type LogRecord,
  type TopicConfig,
} from "@edgelog/core";
import { expectEdgeLogError, readAll } from "@edgelog/core/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DurableObjectLogStore, partitionObjectName } from "../src/index.ts";
import { COMPACTION_RETRY_MS, COMPACTION_SLICE_BYTES } from "../src/partition-compaction.ts";

let worlds = 0;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const tp = { topic: "state", partition: 0 };

function newStore(): DurableObjectLogStore {
  return new DurableObjectLogStore(env, { namespacePrefix: `compaction-objects-${++worlds}/` });
}

async function partitionStub(store: DurableObjectLogStore) {
  const metadata = await store.getTopic(tp.topic);
  const region = (await store.placement(tp.topic))[0]?.region ?? "";
  return env.PARTITIONS.get(
    env.PARTITIONS.idFromName(partitionObjectName(store.namespacePrefix, metadata?.topicId ?? "", 0, region)),
  );
}

/** `count` records over `keys` keys, each value `size` bytes: every batch after the first supersedes it all. */
function batchOf(round: number, keys: number, size: number): Uint8Array {
  const records: LogRecord[] = Array.from({ length: keys }, (_, k) => ({
    key: encoder.encode(`key-${k}`),
    value: encoder.encode(`${round}:`.padEnd(size, "x")),
    headers: [],
    timestamp: 1_700_000_000_000 + round,
  }));
  return encodeBatch(records);
}

async function createCompacted(store: DurableObjectLogStore, config: Partial<TopicConfig> = {}) {
  await store.createTopicIn({
    name: tp.topic,
    partitions: 1,
    config: { ...DEFAULT_TOPIC_CONFIG, "cleanup.policy": "compact", ...config },
  });
}

/** The latest value per key as read back. */
async function latest(store: DurableObjectLogStore): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  for (const record of await readAll(store, tp)) {
    values.set(
      decoder.decode(record.key ?? new Uint8Array()),
      decoder.decode(record.value ?? new Uint8Array()),
    );
  }
  return values;
}

afterEach(() => vi.restoreAllMocks());

describe("PartitionObject compaction", () => {
  it("compacts from its alarm, in slices of at most COMPACTION_SLICE_BYTES, down to the latest record per key", async () => {
    const store = newStore();
    // Written before it is compacted, so the first pass has the whole log to do, in many slices.
    await store.createTopicIn({ name: tp.topic, partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    const rounds = 24;
    const batchBytes = batchOf(0, 16, 1024).byteLength;
    for (let round = 0; round < rounds; round++) await store.append(tp, batchOf(round, 16, 1024));
    await store.alterTopicConfig(tp.topic, { "cleanup.policy": "compact" });
    const stub = await partitionStub(store);
    // All of it dirty: due at once. Run the alarm until the pass is done (it re-arms itself per slice).
    await vi.waitFor(
      async () => {
        await runDurableObjectAlarm(stub);
        expect((await stub.stats()).compaction.passes).toBeGreaterThan(0);
      },
      { timeout: 10_000, interval: 10 },
    );
    const { compaction, sizeBytes } = await stub.stats();
    // Indexing 24 batches of ~16.6 KiB and cleaning them takes several slices, none over the budget.
    expect(compaction.slices).toBeGreaterThanOrEqual(
      Math.ceil((2 * rounds * batchBytes) / COMPACTION_SLICE_BYTES),
    );
    expect(compaction.maxSliceBytes).toBeLessThanOrEqual(COMPACTION_SLICE_BYTES);
    expect(compaction.maxSliceBatches).toBeLessThanOrEqual(Math.floor(COMPACTION_SLICE_BYTES / batchBytes));
    expect(compaction.lastPass).toMatchObject({
      rewrittenBatches: rounds - 1,
      removedRecords: (rounds - 1) * 16,
    });
    expect(sizeBytes).toBe(batchBytes);
    const values = await latest(store);
    expect(values.size).toBe(16);
    for (const value of values.values()) expect(value.startsWith(`${rounds - 1}:`)).toBe(true);
    expect((await store.listBatches(tp)).map((b) => [b.baseOffset, b.lastOffset])).toEqual([
      [(rounds - 1) * 16, rounds * 16 - 1],
    ]);
  });

  it("answers appends between the slices of a pass", async () => {
    const store = newStore();
    await createCompacted(store);
    for (let round = 0; round < 40; round++) await store.append(tp, batchOf(round, 16, 1024));
    const order: string[] = [];
    const compacting = store.compact(tp).then((stats) => {
      order.push("compacted");
      return stats;
    });
    const appended = await store.append(tp, batchOf(40, 16, 1024));
    order.push("appended");
    const stats = await compacting;
    expect(order).toEqual(["appended", "compacted"]);
    expect(appended.baseOffset).toBe(40 * 16);
    expect(stats?.cleanedBatches).toBeGreaterThan(0);
    // The batch appended mid-pass is newer than the pass: it stays whole, and so do the keys' previous values.
    const values = await latest(store);
    for (const value of values.values()) expect(value.startsWith("40:")).toBe(true);
  });

  it("compacts a topic made compacted after it was written, by itself", async () => {
    const store = newStore();
    await store.createTopicIn({ name: tp.topic, partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    for (let round = 0; round < 3; round++) await store.append(tp, batchOf(round, 4, 16));
    await store.alterTopicConfig(tp.topic, { "cleanup.policy": "compact" });
    const stub = await partitionStub(store);
    await vi.waitFor(
      async () => {
        await runDurableObjectAlarm(stub);
        expect((await readAll(store, tp)).map((r) => r.offset)).toEqual([8, 9, 10, 11]);
      },
      { timeout: 5_000, interval: 10 },
    );
    const survivors = (await store.read(tp, { offset: 0 })).batches.map(
      (b) => decodeBatch(b.payload).records.length,
    );
    expect(survivors).toEqual([4]);
  });

  it("counts records deleted while the topic was `delete` off its clean section: compacted again, it compacts when due", async () => {
    const store = newStore();
    await createCompacted(store);
    for (let round = 0; round < 4; round++) await store.append(tp, batchOf(round, 8, 64));
    await store.compact(tp);
    await store.alterTopicConfig(tp.topic, { "cleanup.policy": "delete" });
    const { highWatermark } = await store.offsets(tp);
    await store.deleteRecords(tp, highWatermark);
    await store.alterTopicConfig(tp.topic, { "cleanup.policy": "compact" });
    // Smaller together than the clean section was: counted against it, these would never look dirty enough.
    await store.append(tp, batchOf(4, 2, 16));
    await store.append(tp, batchOf(5, 2, 16));
    const stub = await partitionStub(store);
    await vi.waitFor(
      async () => {
        await runDurableObjectAlarm(stub);
        expect((await readAll(store, tp)).map((r) => r.offset)).toEqual([
          highWatermark + 2,
          highWatermark + 3,
        ]);
      },
      { timeout: 5_000, interval: 10 },
    );
  });

  it("a topic deleted while a forced pass runs: the pass ends, nothing is left, no alarm stays armed", async () => {
    const store = newStore();
    await createCompacted(store);
    for (let round = 0; round < 24; round++) await store.append(tp, batchOf(round, 16, 1024));
    const stub = await partitionStub(store);
    const passing = store.compact(tp).then(
      () => "finished",
      (error: { code?: string }) => error.code,
    );
    // Let a slice or two run, then delete the topic under the pass.
    await vi.waitFor(async () => expect((await stub.stats()).compaction.slices).toBeGreaterThan(0), {
      interval: 1,
    });
    await store.deleteTopic(tp.topic);
    // Unknown once the topic went under it (or finished first, on a fast day).
    expect(["UNKNOWN_TOPIC_OR_PARTITION", "finished"]).toContain(await passing);
    expect((await stub.stats()).alarmAt).toBeNull();
    // No slice wrote after the wipe: the object's storage holds no table at all.
    const tables = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray(),
    );
    expect(tables).toEqual([]);
    expect(await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm())).toBeNull();
    expect(await store.getTopic(tp.topic)).toBeNull();
  });

  it("a forced pass under a config change goes on under the new config and answers what it did", async () => {
    const store = newStore();
    await createCompacted(store);
    const rounds = 48;
    for (let round = 0; round < rounds; round++) await store.append(tp, batchOf(round, 16, 1024));
    const stub = await partitionStub(store);
    const passing = store.compact(tp);
    await vi.waitFor(async () => expect((await stub.stats()).compaction.slices).toBeGreaterThan(0), {
      interval: 1,
    });
    await store.alterTopicConfig(tp.topic, { "delete.retention.ms": 1_000 });
    const answered = await passing;
    expect(answered).toMatchObject({ removedRecords: expect.any(Number) });
    // Answered once a whole pass ran: nothing but the latest record per key is left.
    expect((await readAll(store, tp)).map((r) => r.offset)).toEqual(
      Array.from({ length: 16 }, (_, k) => (rounds - 1) * 16 + k),
    );
    await store.alterTopicConfig(tp.topic, { "cleanup.policy": "delete" });
    await expectEdgeLogError(store.compact(tp), "INVALID_REQUEST");
  });

  it("a slice that fails is logged and held back a while; the alarm's other work goes on", async () => {
    const store = newStore();
    await createCompacted(store, {
      "cleanup.policy": "compact,delete",
      "retention.bytes": 4 * batchOf(0, 4, 16).byteLength,
    });
    for (let round = 0; round < 3; round++) await store.append(tp, batchOf(round, 4, 16));
    const stub = await partitionStub(store);
    // A batch that no longer decodes: indexing it throws.
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE batches SET payload = x'00' WHERE base_offset = 4");
    });
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const before = Date.now();
    await runDurableObjectAlarm(stub);
    expect(errors).toHaveBeenCalledWith(
      "edgelog: a compaction slice failed; the next pass waits",
      expect.anything(),
    );
    const { alarmAt, compaction } = await stub.stats();
    expect(compaction.passes).toBe(0);
    // Not re-armed at once (a failing slice per alarm): the next pass waits a minute.
    expect(alarmAt).toBeGreaterThanOrEqual(before + COMPACTION_RETRY_MS);
    // Retention still runs from the same alarm: over retention.bytes now, the oldest batch goes.
    for (let round = 3; round < 6; round++) await store.append(tp, batchOf(round, 4, 16));
    await vi.waitFor(
      async () => {
        await runDurableObjectAlarm(stub);
        expect((await store.offsets(tp)).logStartOffset).toBeGreaterThan(0);
      },
      { timeout: 5_000, interval: 10 },
    );
  });

  it("refuses compaction of a replicated topic, at creation and as a change", async () => {
    const store = newStore();
    const spec = (name: string, config: Partial<TopicConfig>) => ({
      name,
      partitions: 1,
      config: { ...DEFAULT_TOPIC_CONFIG, ...config },
    });
    const replicas = ["wnam", "weur"];
    await expectEdgeLogError(
      store.createTopicIn(spec("replicated", { "cleanup.policy": "compact" }), undefined, replicas),
      "INVALID_CONFIG",
    );
    expect(await store.getTopic("replicated")).toBeNull();
    await store.createTopicIn(spec("replicated", {}), undefined, replicas);
    await expectEdgeLogError(
      store.alterTopicConfig("replicated", { "cleanup.policy": "compact,delete" }),
      "INVALID_CONFIG",
    );
    expect((await store.getTopic("replicated"))?.config["cleanup.policy"]).toBe("delete");
  });
});
