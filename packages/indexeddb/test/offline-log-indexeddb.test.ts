/**
 * @module
 * The offline log over the real `IndexedDbLogStore` (fake-indexeddb in Node): a crash mid-sync and a second
 * "tab" (a second store instance on the same database), every group deleted mid-sync, and a version-1 database
 * upgraded mid-sync, with the Worker app in-process as the upstream.
 */
import "fake-indexeddb/auto";
import { DEFAULT_TOPIC_CONFIG, MemoryStore } from "@edgelog/core";
import { expect, it } from "vitest";
import { IndexedDbLogStore, OUTBOX_STATE_ID, openOfflineLog } from "../src/index.ts";
import {
  deleteEveryGroupMidSync,
  expectExactlyOnceInKeyOrder,
  serverAppFetch,
  upstreamRecords,
} from "./support/outbox-scenarios.ts";
import { copyAsV1Database } from "./support/v1-database.ts";

it("survives a crash mid-sync on IndexedDB and delivers exactly once, with a second tab appending", async () => {
  const upstream = new MemoryStore();
  await upstream.createTopic({ name: "clicks", partitions: 2, config: DEFAULT_TOPIC_CONFIG });
  const appFetch = serverAppFetch(upstream);
  let stored = 0;
  const hanging = async (input: RequestInfo | URL, init?: RequestInit) => {
    const response = await appFetch(input, init);
    if (init?.method === "POST" && init.body instanceof Uint8Array) {
      stored++;
      return new Promise<Response>(() => undefined);
    }
    return response;
  };
  const name = `idb-${Math.random().toString(36).slice(2)}`;
  const url = "http://edgelog.test";
  const storeA = new IndexedDbLogStore({ name });
  const a = await openOfflineLog({ name, store: storeA, upstream: { url, fetch: hanging } });
  const expected: string[] = [];
  await Promise.all(
    Array.from({ length: 10 }, (_, i) => {
      expected.push(`k${i % 3}:v${i}`);
      return a.append("clicks", { key: `k${i % 3}`, value: `v${i}` });
    }),
  );
  await expect.poll(() => stored).toBe(1);
  await a.close(); // the tab dies with a batch stored upstream but unacknowledged
  await storeA.close();

  const storeB = new IndexedDbLogStore({ name });
  const storeC = new IndexedDbLogStore({ name });
  const b = await openOfflineLog({ name, store: storeB, upstream: { url, fetch: appFetch } });
  const c = await openOfflineLog({ name, store: storeC, upstream: { url, fetch: appFetch } });
  expect(c.pending()).toBe(10);
  await c.append("clicks", { key: "k0", value: "from-c" });
  expected.push("k0:from-c");
  await c.flush();
  expectExactlyOnceInKeyOrder(await upstreamRecords(upstream, "clicks"), expected);
  await expect.poll(() => b.pending()).toBe(0);
  await b.close();
  await c.close();
  await storeB.close();
  await storeC.close();
});

it("deleting every group of the local database mid-sync loses nothing and duplicates nothing", async () => {
  const upstream = new MemoryStore();
  await deleteEveryGroupMidSync({
    upstream,
    appFetch: serverAppFetch(upstream),
    first: 50,
    offline: 400,
  });
});

it("a database upgraded from version 1 mid-sync keeps the producer id, epoch and plan in flight", async () => {
  const upstream = new MemoryStore();
  await upstream.createTopic({ name: "clicks", partitions: 2, config: DEFAULT_TOPIC_CONFIG });
  const appFetch = serverAppFetch(upstream);
  let stored = 0;
  const hanging = async (input: RequestInfo | URL, init?: RequestInit) => {
    const response = await appFetch(input, init);
    if (init?.method !== "POST" || !(init.body instanceof Uint8Array)) return response;
    stored++;
    return new Promise<Response>(() => undefined); // stored upstream, the answer never comes
  };
  const url = "http://edgelog.test";
  const name = `idb-${Math.random().toString(36).slice(2)}`;
  const store = new IndexedDbLogStore({ name });
  const a = await openOfflineLog({ name, store, upstream: { url, fetch: hanging } });
  const expected = Array.from({ length: 12 }, (_, i) => `k${i % 3}:v${i}`);
  await Promise.all(
    Array.from({ length: 12 }, (_, i) => a.append("clicks", { key: `k${i % 3}`, value: `v${i}` })),
  );
  await expect.poll(() => stored).toBe(1);
  await a.close();
  const inFlight = await store.getPrivateState(OUTBOX_STATE_ID);
  expect((inFlight?.state as { plan: unknown } | undefined)?.plan).not.toBeNull();
  await store.close();

  // The same database as version 1 wrote it: the state is the group __edgelog_outbox. Opening it upgrades it.
  await copyAsV1Database(indexedDB, name, `${name}-v1`);
  const upgraded = new IndexedDbLogStore({ name: `${name}-v1` });
  expect(await upgraded.getPrivateState(OUTBOX_STATE_ID)).toEqual(inFlight);
  expect(await upgraded.listGroups()).toEqual([]);
  const b = await openOfflineLog({ name: `${name}-v1`, store: upgraded, upstream: { url, fetch: appFetch } });
  await b.flush();
  // The batch stored before the upgrade is resent with the same producer id and stamp: deduplicated.
  expectExactlyOnceInKeyOrder(await upstreamRecords(upstream, "clicks"), expected);
  await b.close();
  await upgraded.close();
});
