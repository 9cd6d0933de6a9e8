// IndexedDbLogStore in real headless Chromium: the store conformance suite on the browser's own IndexedDB, two
// instances on one database (as two tabs would be), a reader woken across instances by BroadcastChannel,
// durability across close and reopen, and a measurement of appends per second with and without group commit.
import { DEFAULT_TOPIC_CONFIG, type LogStore, MAX_TOPICS } from "@edgelog/core";
import {
  expectEdgeLogError,
  expectTwoWritersGetDenseOffsets,
  makeBatch,
  readAll,
  runLogStoreConformance,
} from "@edgelog/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { IndexedDbLogStore } from "../src/index.ts";

const uniqueName = (): string => `edgelog-browser-${crypto.randomUUID()}`;

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  });
}

runLogStoreConformance("IndexedDbLogStore (Chromium)", {
  createStore: () => new IndexedDbLogStore({ name: uniqueName() }),
  createLimitedStore: ({ maxTopics, maxGroupMembers }) =>
    new IndexedDbLogStore({ name: uniqueName(), maxTopics, groups: { maxMembers: maxGroupMembers } }),
  destroyStore: async (store) => {
    await store.close();
    await deleteDatabase((store as IndexedDbLogStore).name);
  },
  reopenStore: async (store) => {
    await store.close();
    return new IndexedDbLogStore({ name: (store as IndexedDbLogStore).name });
  },
});

describe("IndexedDbLogStore in Chromium", () => {
  const stores: IndexedDbLogStore[] = [];
  const open = (name: string, durability?: IDBTransactionDurability): IndexedDbLogStore => {
    const store = new IndexedDbLogStore(durability === undefined ? { name } : { name, durability });
    stores.push(store);
    return store;
  };
  afterEach(async () => {
    const names = new Set(stores.map((s) => s.name));
    for (const store of stores.splice(0)) await store.close();
    for (const name of names) await deleteDatabase(name);
  });
  const tp = { topic: "t", partition: 0 };
  const createTopic = (store: LogStore) =>
    store.createTopic({ name: "t", partitions: 1, config: { ...DEFAULT_TOPIC_CONFIG, "retention.ms": -1 } });

  it("gives two instances on one database dense, unique offsets", async () => {
    const name = uniqueName();
    const tabA = open(name);
    const tabB = open(name);
    await createTopic(tabA);
    await expectTwoWritersGetDenseOffsets(tabA, tabB, tp);
  });

  it("wakes a reader of one instance on an append through another (BroadcastChannel)", async () => {
    const name = uniqueName();
    const tabA = open(name);
    const tabB = open(name);
    await createTopic(tabA);
    const started = performance.now();
    const read = tabA.read(tp, { offset: 0, maxWaitMs: 10_000 });
    await new Promise((r) => setTimeout(r, 50));
    expect(tabA.stats().waiters).toBe(1);
    await tabB.append(tp, makeBatch(2));
    expect((await read).batches.map((b) => b.recordCount)).toEqual([2]);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("keeps everything across close and reopen", async () => {
    const name = uniqueName();
    const first = open(name);
    await createTopic(first);
    await Promise.all([first.append(tp, makeBatch(3, "a")), first.append(tp, makeBatch(2, "b"))]);
    await first.close();
    await expectEdgeLogError(first.offsets(tp), "STORE_CLOSED");
    const second = open(name);
    expect(await second.offsets(tp)).toEqual({ logStartOffset: 0, highWatermark: 5 });
    expect((await readAll(second, tp)).map((r) => r.offset)).toEqual([0, 1, 2, 3, 4]);
  });

  it("turns a native failure into an EdgeLogError with the cause, rolls back only that batch, loses nothing", async () => {
    const name = uniqueName();
    const store = open(name);
    await createTopic(store);
    await store.append(tp, makeBatch(3, "kept"));
    // A real asynchronous request failure in Chromium's IndexedDB: the first batch of `failing` size is added
    // twice, so the second add fails with ConstraintError and aborts its transaction, as a full disk would.
    const proto = IDBObjectStore.prototype;
    const add = proto.add;
    const failing = makeBatch(7, "fails");
    proto.add = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey): IDBRequest<IDBValidKey> {
      const payload = (value as { payload?: unknown }).payload;
      if (
        this.name === "batches" &&
        payload instanceof Uint8Array &&
        payload.byteLength === failing.byteLength
      ) {
        add.call(this, value, key);
      }
      return add.call(this, value, key);
    };
    try {
      const [ok, failed] = await Promise.allSettled([
        store.append(tp, makeBatch(1, "fits")),
        store.append(tp, failing),
      ]);
      expect(ok).toMatchObject({ status: "fulfilled", value: { baseOffset: 3 } });
      const error = await expectEdgeLogError(
        failed.status === "rejected" ? Promise.reject(failed.reason) : Promise.resolve(),
        "UNKNOWN_SERVER_ERROR",
      );
      expect((error.cause as DOMException).name).toBe("ConstraintError");
    } finally {
      proto.add = add;
    }
    expect(await store.offsets(tp)).toEqual({ logStartOffset: 0, highWatermark: 4 });
    expect(await store.append(tp, failing)).toMatchObject({ baseOffset: 4, lastOffset: 10 });
    expect((await readAll(store, tp)).map((r) => r.offset)).toEqual(Array.from({ length: 11 }, (_, i) => i));
  });

  it("coalesces a tick's appends into one transaction and measures appends per second", async () => {
    const count = 200;
    const report: string[] = [];
    for (const durability of ["strict", "relaxed"] as const) {
      const store = open(uniqueName(), durability);
      await createTopic(store);
      await store.append(tp, makeBatch(1)); // opens the database and warms the topic cache
      const batches = Array.from({ length: count }, (_, i) => makeBatch(1, `e${i}`));
      const before = store.stats().appendTransactions;
      let started = performance.now();
      for (const batch of batches) await store.append(tp, batch);
      const awaitedPerSecond = count / ((performance.now() - started) / 1000);
      expect(store.stats().appendTransactions - before).toBe(count);
      started = performance.now();
      await Promise.all(batches.map((batch) => store.append(tp, batch)));
      const coalescedPerSecond = count / ((performance.now() - started) / 1000);
      expect(store.stats().appendTransactions - before).toBe(count + 1);
      expect((await store.offsets(tp)).highWatermark).toBe(2 * count + 1);
      started = performance.now();
      const records = await readAll(store, tp);
      const readPerSecond = records.length / ((performance.now() - started) / 1000);
      expect(records).toHaveLength(2 * count + 1);
      report.push(
        `${durability}: ${Math.round(awaitedPerSecond)} awaited appends/s, ${Math.round(coalescedPerSecond)} appends/s in one tick, catch-up read ${Math.round(readPerSecond)} records/s`,
      );
    }
    console.log(`IndexedDbLogStore, 1-record batches in Chromium: ${report.join("; ")}`);
  });
});

describe("IndexedDbLogStore topic limit in Chromium", () => {
  it("holds MAX_TOPICS topics and refuses one more with POLICY_VIOLATION, counting in the create transaction", async () => {
    const name = uniqueName();
    const first = new IndexedDbLogStore({ name });
    await first.createTopic({ name: "first", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    await first.close();
    // The real limit without 9,998 create transactions: rows seeded in one raw transaction.
    await new Promise<void>((resolve, reject) => {
      const open = indexedDB.open(name);
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const db = open.result;
        const tx = db.transaction("topics", "readwrite");
        const topics = tx.objectStore("topics");
        for (let i = 0; i < MAX_TOPICS - 2; i++) {
          topics.put({
            name: `seeded-${i}`,
            topicId: `seeded-${i}`,
            partitions: 1,
            config: DEFAULT_TOPIC_CONFIG,
            createdAt: 0,
          });
        }
        tx.oncomplete = () => {
          db.close();
          resolve();
        };
        tx.onerror = () => reject(tx.error);
      };
    });
    const store = new IndexedDbLogStore({ name });
    try {
      await store.createTopic({ name: "last", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
      const error = await expectEdgeLogError(
        store.createTopic({ name: "one-more", partitions: 1, config: DEFAULT_TOPIC_CONFIG }),
        "POLICY_VIOLATION",
      );
      expect(error.context).toMatchObject({ topic: "one-more", limit: MAX_TOPICS, actual: MAX_TOPICS });
      await store.deleteTopic("last");
      await store.createTopic({ name: "one-more", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    } finally {
      await store.close();
      await deleteDatabase(name);
    }
  }, 30_000);
});
