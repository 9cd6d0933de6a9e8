// IndexedDbLogStore in Node over fake-indexeddb: the store conformance suite, group commit, two instances on one
// database (two tabs), cross-instance wake-ups, the quota path and durability across a reopen.
// idb checks values against the global IDB classes, so the globals come from fake-indexeddb/auto; each test still
// gets its own fresh factory.
import "fake-indexeddb/auto";
import { DEFAULT_TOPIC_CONFIG, encodeBatch, isEdgeLogError, type LogStore } from "@edgelog/core";
import {
  expectEdgeLogError,
  expectTwoWritersGetDenseOffsets,
  makeBatch,
  readAll,
  runCompactionConformance,
  runLogStoreConformance,
} from "@edgelog/core/testing";
import { IDBFactory, IDBObjectStore } from "fake-indexeddb";
import { afterEach, describe, expect, it, vi } from "vitest";
import { toEdgeLogError } from "../src/idb-errors.ts";
import { IndexedDbLogStore, QUOTA_EXCEEDED } from "../src/index.ts";

const enc = new TextEncoder();
let sequence = 0;
/** Unique names: BroadcastChannel is per process in Node, and stores of other tests must not hear each other. */
const uniqueName = (): string => `edgelog-test-${++sequence}-${Math.random().toString(36).slice(2)}`;
const factories = new WeakMap<LogStore, { factory: IDBFactory; name: string }>();

function openStore(factory: IDBFactory, name: string): IndexedDbLogStore {
  const store = new IndexedDbLogStore({ name, indexedDB: factory });
  factories.set(store, { factory, name });
  return store;
}

runLogStoreConformance("IndexedDbLogStore (fake-indexeddb)", {
  createStore: () => openStore(new IDBFactory(), uniqueName()),
  createLimitedStore: ({ maxTopics, maxGroupMembers }) =>
    new IndexedDbLogStore({
      name: uniqueName(),
      indexedDB: new IDBFactory(),
      maxTopics,
      groups: { maxMembers: maxGroupMembers },
    }),
  reopenStore: async (store) => {
    const where = factories.get(store);
    if (where === undefined) throw new Error("not a store of this file");
    await store.close();
    return openStore(where.factory, where.name);
  },
});

runCompactionConformance("IndexedDbLogStore (fake-indexeddb)", {
  createStore: (clock) =>
    new IndexedDbLogStore({ name: uniqueName(), indexedDB: new IDBFactory(), now: () => clock.now() }),
  compact: async (store, tp) => {
    await (store as IndexedDbLogStore).compact(tp);
  },
});

describe("IndexedDbLogStore compaction", () => {
  it("runs a pass max.compaction.lag.ms after the oldest uncompacted write, whatever the ratio", async () => {
    let now = 1_700_000_000_000;
    const store = new IndexedDbLogStore({ name: uniqueName(), indexedDB: new IDBFactory(), now: () => now });
    const config = {
      ...DEFAULT_TOPIC_CONFIG,
      "cleanup.policy": "compact" as const,
      "max.compaction.lag.ms": 1000,
      "min.cleanable.dirty.ratio": 1,
    };
    await store.createTopic({ name: "t", partitions: 1, config });
    const tp = { topic: "t", partition: 0 };
    const put = (key: string, value: string) =>
      store.append(
        tp,
        encodeBatch([{ key: enc.encode(key), value: enc.encode(value), headers: [], timestamp: now }]),
      );
    const offsets = async () => (await readAll(store, tp)).map((r) => r.offset);
    await put("a", "1");
    await store.compact(tp); // from now on the partition has a clean section: ratio 1 is never met
    await put("a", "2");
    now += 500;
    await put("b", "1"); // within the lag: no pass, though a=1 is superseded
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await offsets()).toEqual([0, 1, 2]);
    now += 600; // the oldest uncompacted write (a=2) is now 1,100 ms old
    await put("c", "1");
    await vi.waitFor(async () => expect(await offsets()).toEqual([1, 2, 3]));
    await store.close();
  });
});

describe("IndexedDbLogStore", () => {
  const stores: LogStore[] = [];
  const open = (factory: IDBFactory, name: string): IndexedDbLogStore => {
    const store = openStore(factory, name);
    stores.push(store);
    return store;
  };
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });
  const tp = { topic: "t", partition: 0 };
  const createTopic = (store: LogStore, partitions = 1) =>
    store.createTopic({ name: "t", partitions, config: { ...DEFAULT_TOPIC_CONFIG, "retention.ms": -1 } });

  it("coalesces appends of the same tick into one transaction, each with its own answer", async () => {
    const store = open(new IDBFactory(), uniqueName());
    await createTopic(store);
    await store.append(tp, makeBatch(1)); // warms the topic cache
    const before = store.stats().appendTransactions;
    const stamp = (baseSequence: number) => ({ producerId: "p", producerEpoch: 0, baseSequence });
    const corrupt = makeBatch(2);
    corrupt[corrupt.length - 1] = (corrupt[corrupt.length - 1] ?? 0) ^ 0xff;
    const results = await Promise.allSettled([
      store.append(tp, makeBatch(2, "a", stamp(0))),
      store.append(tp, corrupt),
      store.append(tp, makeBatch(3, "b", stamp(2))), // checked against the batch just before it in the group
      store.append(tp, makeBatch(1, "gap", stamp(9))),
      store.append(tp, makeBatch(2, "a", stamp(0))), // a duplicate of the group's first batch
      store.append({ topic: "t", partition: 7 }, makeBatch(1)),
      store.append(tp, makeBatch(1, "c")),
    ]);
    expect(store.stats().appendTransactions - before).toBe(1);
    const summary = results.map((r) =>
      r.status === "fulfilled"
        ? [r.value.baseOffset, r.value.duplicate]
        : isEdgeLogError(r.reason)
          ? r.reason.code
          : String(r.reason),
    );
    expect(summary).toEqual([
      [1, false],
      "CORRUPT_MESSAGE",
      [3, false],
      "OUT_OF_ORDER_SEQUENCE_NUMBER",
      [1, true],
      "UNKNOWN_TOPIC_OR_PARTITION",
      [6, false],
    ]);
    expect(await store.offsets(tp)).toEqual({ logStartOffset: 0, highWatermark: 7 });
    // A single awaited append is a transaction of its own.
    await store.append(tp, makeBatch(1));
    expect(store.stats().appendTransactions - before).toBe(2);
  });

  it("costs one add per batch and one read and one write per topic, partition and producer in a group commit", async () => {
    const store = open(new IDBFactory(), uniqueName());
    await createTopic(store);
    await store.append(tp, makeBatch(1)); // warms the topic cache
    const requests = countRequests();
    try {
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.append(tp, makeBatch(1, `r${i}`, { producerId: "p", producerEpoch: 0, baseSequence: i })),
        ),
      );
    } finally {
      requests.uninstall();
    }
    expect(Object.fromEntries(requests.counts)).toEqual({
      "topics.get": 1,
      "partitions.get": 1,
      "producers.get": 1,
      "batches.add": 10,
      "producers.put": 1,
      "partitions.put": 1,
    });
  });

  it("gives two instances on one database (two tabs) dense, unique offsets", async () => {
    const factory = new IDBFactory();
    const name = uniqueName();
    const tabA = open(factory, name);
    const tabB = open(factory, name);
    await createTopic(tabA);
    await expectTwoWritersGetDenseOffsets(tabA, tabB, tp);
  });

  it("checks an idempotent producer's sequence against the database, not one instance's memory", async () => {
    const factory = new IDBFactory();
    const name = uniqueName();
    const tabA = open(factory, name);
    const tabB = open(factory, name);
    await createTopic(tabA);
    const stamp = (baseSequence: number) => ({ producerId: "shared", producerEpoch: 0, baseSequence });
    const first = makeBatch(2, "a", stamp(0));
    const results = await Promise.all([tabA.append(tp, first), tabB.append(tp, first)]);
    expect(results.map((r) => r.duplicate).sort()).toEqual([false, true]);
    expect(await tabB.append(tp, makeBatch(1, "b", stamp(2)))).toMatchObject({ baseOffset: 2 });
    // Tab A never saw "b": only the database knows that sequence 2 is taken and 3 comes next.
    expect(await tabA.append(tp, makeBatch(1, "b", stamp(2)))).toMatchObject({
      baseOffset: 2,
      duplicate: true,
    });
    await expectEdgeLogError(tabA.append(tp, makeBatch(1, "c", stamp(5))), "OUT_OF_ORDER_SEQUENCE_NUMBER");
    expect(await tabA.append(tp, makeBatch(1, "c", stamp(3)))).toMatchObject({ baseOffset: 3 });
  });

  it("wakes a reader of one instance on an append through another (BroadcastChannel)", async () => {
    const factory = new IDBFactory();
    const name = uniqueName();
    const tabA = open(factory, name);
    const tabB = open(factory, name);
    await createTopic(tabA);
    const started = Date.now();
    const read = tabA.read(tp, { offset: 0, maxWaitMs: 10_000 });
    await new Promise((r) => setTimeout(r, 20));
    expect(tabA.stats().waiters).toBe(1);
    await tabB.append(tp, makeBatch(2));
    const result = await read;
    expect(result.batches.map((b) => b.recordCount)).toEqual([2]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("fails readers of other instances when a topic is deleted", async () => {
    const factory = new IDBFactory();
    const name = uniqueName();
    const tabA = open(factory, name);
    const tabB = open(factory, name);
    await createTopic(tabA);
    const read = expectEdgeLogError(
      tabA.read(tp, { offset: 0, maxWaitMs: 10_000 }),
      "UNKNOWN_TOPIC_OR_PARTITION",
    );
    await new Promise((r) => setTimeout(r, 20));
    await tabB.deleteTopic("t");
    await read;
  });

  it("reports a full quota as a clear error, loses nothing stored and keeps going once there is room", async () => {
    const quota = installFakeQuota();
    try {
      const store = open(new IDBFactory(), uniqueName());
      await createTopic(store);
      await store.append(tp, makeBatch(3, "kept"));
      await store.append(
        tp,
        makeBatch(1, "producer", { producerId: "p", producerEpoch: 0, baseSequence: 0 }),
      );
      quota.remainingBytes = 300;
      const big = makeBatch(40, "big");
      expect(big.byteLength).toBeGreaterThan(300);
      const error = await expectEdgeLogError(store.append(tp, big), "STORAGE_QUOTA_EXCEEDED");
      expect(error.context.storage).toBe(QUOTA_EXCEEDED);
      expect(error.message).toMatch(/quota/i);
      expect((error.cause as { name?: string }).name).toBe(QUOTA_EXCEEDED);
      // In one group: the small batch fits and is stored, the big one fails alone.
      const [small, tooBig] = await Promise.allSettled([
        store.append(tp, makeBatch(1, "small", { producerId: "p", producerEpoch: 0, baseSequence: 1 })),
        store.append(tp, big),
      ]);
      expect(small).toMatchObject({ status: "fulfilled", value: { baseOffset: 4, duplicate: false } });
      expect(tooBig.status).toBe("rejected");
      quota.remainingBytes = Number.POSITIVE_INFINITY;
      expect(await store.append(tp, big)).toMatchObject({ baseOffset: 5 });
      const values = (await readAll(store, tp)).map((r) => new TextDecoder().decode(r.value ?? undefined));
      expect(values.slice(0, 5)).toEqual(["kept-0", "kept-1", "kept-2", "producer-0", "small-0"]);
      expect(await store.offsets(tp)).toEqual({ logStartOffset: 0, highWatermark: 45 });
    } finally {
      quota.uninstall();
    }
  });

  it("recognises a quota failure reported only as the abort of its transaction", () => {
    const quota = new DOMException("full", QUOTA_EXCEEDED);
    const atCommit = toEdgeLogError(new DOMException("aborted", "AbortError"), quota);
    expect(atCommit).toMatchObject({ code: "STORAGE_QUOTA_EXCEEDED", context: { storage: QUOTA_EXCEEDED } });
    expect(atCommit.cause).toBe(quota);
    const other = toEdgeLogError(new DOMException("bad key", "DataError"));
    expect(other.context.storage).toBeUndefined();
    expect(other.message).toMatch(/DataError: bad key/);
  });

  it("keeps everything across close and reopen, and refuses calls on the closed instance", async () => {
    const factory = new IDBFactory();
    const name = uniqueName();
    const first = open(factory, name);
    await createTopic(first, 2);
    await Promise.all([first.append(tp, makeBatch(3, "a")), first.append(tp, makeBatch(2, "b"))]);
    await first.commitOffsets("g", [{ topic: "t", partition: 0, offset: 3, metadata: null }]);
    await first.close();
    await expectEdgeLogError(first.offsets(tp), "STORE_CLOSED");
    const second = open(factory, name);
    expect(await second.offsets(tp)).toEqual({ logStartOffset: 0, highWatermark: 5 });
    expect((await readAll(second, tp)).map((r) => new TextDecoder().decode(r.value ?? undefined))).toEqual([
      "a-0",
      "a-1",
      "a-2",
      "b-0",
      "b-1",
    ]);
    expect(await second.fetchOffsets("g")).toEqual([{ topic: "t", partition: 0, offset: 3, metadata: null }]);
  });

  it("applies retention.bytes after appends", async () => {
    const store = open(new IDBFactory(), uniqueName());
    const size = makeBatch(5).byteLength;
    await store.createTopic({
      name: "t",
      partitions: 1,
      config: { ...DEFAULT_TOPIC_CONFIG, "retention.bytes": size * 2 },
    });
    for (let i = 0; i < 5; i++) await store.append(tp, makeBatch(5));
    expect(await store.offsets(tp)).toEqual({ logStartOffset: 15, highWatermark: 25 });
    expect((await store.listBatches(tp)).map((b) => b.baseOffset)).toEqual([15, 20]);
  });

  it("stores only the bytes of a view, not its whole buffer", async () => {
    const store = open(new IDBFactory(), uniqueName());
    await createTopic(store);
    const batch = makeBatch(2);
    const padded = new Uint8Array(batch.byteLength + 100);
    padded.set(batch, 50);
    await store.append(tp, padded.subarray(50, 50 + batch.byteLength));
    const [stored] = (await store.read(tp, { offset: 0 })).batches;
    expect(stored?.payload.buffer.byteLength).toBe(batch.byteLength);
    expect(stored?.payload).toEqual(batch);
  });

  it("copies a batch when append is called: reusing the buffer in the same tick changes nothing", async () => {
    const store = open(new IDBFactory(), uniqueName());
    await createTopic(store);
    const buffer = makeBatch(2, "orig");
    const appended = store.append(tp, buffer);
    buffer.set(makeBatch(2, "next")); // same length: only the values differ
    await appended;
    const values = (await readAll(store, tp)).map((r) => new TextDecoder().decode(r.value ?? undefined));
    expect(values).toEqual(["orig-0", "orig-1"]);
  });
});

/** Counts the requests made on object stores (`store.method`) until `uninstall()`. */
function countRequests(): { counts: Map<string, number>; uninstall(): void } {
  type Method = (this: { name: string }, ...args: unknown[]) => unknown;
  const proto = IDBObjectStore.prototype as unknown as Record<string, Method>;
  const methods = ["get", "getAll", "getKey", "getAllKeys", "count", "add", "put", "delete", "openCursor"];
  const originals = new Map(methods.map((m) => [m, proto[m] as Method]));
  const counts = new Map<string, number>();
  for (const [method, original] of originals) {
    proto[method] = function (this: { name: string }, ...args: unknown[]): unknown {
      const key = `${this.name}.${method}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      return original.apply(this, args);
    };
  }
  return {
    counts,
    uninstall(): void {
      for (const [method, original] of originals) proto[method] = original;
    },
  };
}

/**
 * A stand-in for a full origin: puts of batches that do not fit the remaining budget fail the way browsers
 * fail them — the request errors with a QuotaExceededError and the transaction aborts, rolling back all of it.
 * Uses fake-indexeddb's request machinery (`_execRequestAsync`) so the error travels the real event path.
 */
function installFakeQuota(): { remainingBytes: number; uninstall(): void } {
  const proto = IDBObjectStore.prototype as unknown as {
    put(this: FakeStore, value: unknown, key?: unknown): unknown;
    add(this: FakeStore, value: unknown, key?: unknown): unknown;
  };
  interface FakeStore {
    name: string;
    transaction: { _execRequestAsync(request: { operation: () => never; source: unknown }): unknown };
  }
  const original = { put: proto.put, add: proto.add };
  const quota = {
    remainingBytes: Number.POSITIVE_INFINITY,
    uninstall(): void {
      proto.put = original.put;
      proto.add = original.add;
    },
  };
  const guarded = (write: (this: FakeStore, value: unknown, key?: unknown) => unknown) =>
    function (this: FakeStore, value: unknown, key?: unknown): unknown {
      const payload = (value as { payload?: unknown }).payload;
      if (this.name === "batches" && payload instanceof Uint8Array) {
        if (payload.byteLength > quota.remainingBytes) {
          return this.transaction._execRequestAsync({
            operation: () => {
              throw new DOMException("the origin is out of storage quota", QUOTA_EXCEEDED);
            },
            source: this,
          });
        }
        quota.remainingBytes -= payload.byteLength;
      }
      return key === undefined ? write.call(this, value) : write.call(this, value, key);
    };
  proto.put = guarded(original.put);
  proto.add = guarded(original.add);
  return quota;
}
