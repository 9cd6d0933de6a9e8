// Share groups on IndexedDbLogStore in Node over fake-indexeddb: the shared conformance suite (a reopen is a new
// instance on the same database, so only what IndexedDB holds survives), and two instances on one database — two
// tabs — sharing one group without handing a record to both.
import "fake-indexeddb/auto";
import type { LogStore } from "@edgelog/core";
import { DEFAULT_TOPIC_CONFIG, encodeBatch } from "@edgelog/core";
import { runShareGroupConformance } from "@edgelog/core/testing";
import { IDBFactory } from "fake-indexeddb";
import { afterEach, describe, expect, it } from "vitest";
import { IndexedDbLogStore } from "../src/index.ts";

let sequence = 0;
const uniqueName = (): string => `edgelog-share-${++sequence}-${Math.random().toString(36).slice(2)}`;
const where = new WeakMap<LogStore, { factory: IDBFactory; name: string }>();

function openStore(factory: IDBFactory, name: string): IndexedDbLogStore {
  const store = new IndexedDbLogStore({ name, indexedDB: factory });
  where.set(store, { factory, name });
  return store;
}

runShareGroupConformance("IndexedDbLogStore (fake-indexeddb)", {
  createStore: () => openStore(new IDBFactory(), uniqueName()),
  reopenStore: async (store) => {
    const found = where.get(store);
    if (found === undefined) throw new Error("not a store of this file");
    await store.close();
    return openStore(found.factory, found.name);
  },
  compact: async (store, tp) => {
    await (store as IndexedDbLogStore).compact(tp);
  },
});

describe("IndexedDbLogStore share groups across tabs", () => {
  const stores: IndexedDbLogStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });

  it("gives each record to one tab: two instances on one database take turns through the group's version", async () => {
    const factory = new IDBFactory();
    const name = uniqueName();
    const a = openStore(factory, name);
    const b = openStore(factory, name);
    stores.push(a, b);
    await a.createTopic({ name: "jobs", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    await a.alterShareGroupConfig("g", { "share.auto.offset.reset": "earliest" });
    const values = Array.from({ length: 40 }, (_, i) => ({
      key: null,
      value: new TextEncoder().encode(`v${i}`),
      headers: [],
      timestamp: i,
    }));
    await a.append({ topic: "jobs", partition: 0 }, encodeBatch(values));
    // Both tabs fetch at once, again and again: compare-and-set makes the loser read afresh and retry.
    const got = await Promise.all(
      [a, b].map(async (store, tab) => {
        const offsets: number[] = [];
        let epoch = 0;
        for (let round = 0; round < 10; round++) {
          const answer = await store.shareFetch("g", {
            memberId: `tab-${tab}`,
            sessionEpoch: epoch,
            topics: ["jobs"],
            maxRecords: 3,
          });
          epoch = answer.sessionEpoch;
          for (const p of answer.partitions)
            for (const r of p.acquired) for (let o = r.firstOffset; o <= r.lastOffset; o++) offsets.push(o);
        }
        return offsets;
      }),
    );
    const all = got.flat().sort((x, y) => x - y);
    expect(all).toEqual([...new Set(all)]);
    expect(all.length).toBeGreaterThan(3);
    expect(got.every((offsets) => offsets.length > 0)).toBe(true);
  });
});
