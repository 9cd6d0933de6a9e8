/**
 * @module
 * The offline log over the real `IndexedDbLogStore` (fake-indexeddb in Node): a crash mid-sync and a second
 * "tab" (a second store instance on the same database), with the Worker app in-process as the upstream.
 */
import "fake-indexeddb/auto";
import { DEFAULT_TOPIC_CONFIG, decodeBatch, decodeText, MemoryStore } from "@edgelog/core";
import { createApp } from "@edgelog/server";
import { expect, it } from "vitest";
import { IndexedDbLogStore, openOfflineLog } from "../src/index.ts";

it("survives a crash mid-sync on IndexedDB and delivers exactly once, with a second tab appending", async () => {
  const upstream = new MemoryStore();
  await upstream.createTopic({ name: "clicks", partitions: 2, config: DEFAULT_TOPIC_CONFIG });
  const app = createApp({ store: () => upstream });
  const appFetch = async (input: RequestInfo | URL, init?: RequestInit) =>
    app.fetch(new Request(input, init), {});
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
  const got: string[][] = [];
  for (const partition of [0, 1]) {
    const { batches } = await upstream.read({ topic: "clicks", partition }, { offset: 0 });
    got.push(
      batches.flatMap((x) =>
        decodeBatch(x.payload).records.map((r) => `${decodeText(r.key)}:${decodeText(r.value)}`),
      ),
    );
  }
  expect(got.flat().sort()).toEqual([...expected].sort());
  for (const key of ["k0", "k1", "k2"]) {
    const holder = got.find((p) => p.some((r) => r.startsWith(`${key}:`))) ?? [];
    expect(holder.filter((r) => r.startsWith(`${key}:`))).toEqual(
      expected.filter((e) => e.startsWith(`${key}:`)),
    );
  }
  await expect.poll(() => b.pending()).toBe(0);
  await b.close();
  await c.close();
  await storeB.close();
  await storeC.close();
});
