/**
 * @module
 * The offline log in real Chromium: real IndexedDB, Web Locks electing the syncer, BroadcastChannel between two
 * logs of one name, every group of the local database deleted mid-sync. The upstream is the Worker app itself, run
 * in the page over a MemoryStore (a Worker cannot be reached from the browser test); the `fetch` option routes
 * requests to it.
 */
import { DEFAULT_TOPIC_CONFIG, decodeBatch, decodeText, MemoryStore } from "@edgelog/core";
import { expect, it } from "vitest";
import { openOfflineLog } from "../src/index.ts";
import { deleteEveryGroupMidSync, serverAppFetch } from "../test/support/outbox-scenarios.ts";

/** The Worker app over a MemoryStore with a `clicks` topic, and a `fetch` that routes requests to it. */
async function upstreamApp(partitions: number) {
  const upstream = new MemoryStore();
  await upstream.createTopic({ name: "clicks", partitions, config: DEFAULT_TOPIC_CONFIG });
  return { upstream, fetch: serverAppFetch(upstream) };
}

it("two logs of one name in Chromium: one syncs (Web Locks), both append, exactly once upstream", async () => {
  const { upstream, fetch } = await upstreamApp(2);
  const name = `browser-${Math.random().toString(36).slice(2)}`;
  const upstreamOptions = { url: "http://edgelog.test", fetch };
  const a = await openOfflineLog({ name, upstream: upstreamOptions });
  const b = await openOfflineLog({ name, upstream: upstreamOptions });
  const expected: string[] = [];
  for (let i = 0; i < 20; i++) {
    expected.push(`k${i % 3}:v${i}`);
    await (i % 2 === 0 ? a : b).append("clicks", { key: `k${i % 3}`, value: `v${i}` });
  }
  await b.flush();
  const got: string[] = [];
  for (const partition of [0, 1]) {
    const { batches } = await upstream.read({ topic: "clicks", partition }, { offset: 0 });
    got.push(
      ...batches.flatMap((x) =>
        decodeBatch(x.payload).records.map((r) => `${decodeText(r.key)}:${decodeText(r.value)}`),
      ),
    );
  }
  expect(got.sort()).toEqual(expected.sort());
  await expect.poll(() => a.pending() + b.pending()).toBe(0);
  await a.close();
  await b.close();
});

it("pauses on the offline event (flush rejects) and resumes on online", async () => {
  const { upstream, fetch } = await upstreamApp(1);
  const log = await openOfflineLog({
    name: `browser-${Math.random().toString(36).slice(2)}`,
    upstream: { url: "http://edgelog.test", fetch },
  });
  window.dispatchEvent(new Event("offline"));
  await log.append("clicks", { value: { n: 1 } });
  await expect(log.flush()).rejects.toMatchObject({ code: "REQUEST_TIMED_OUT" });
  expect(log.pending()).toBe(1);
  window.dispatchEvent(new Event("online"));
  await expect.poll(() => log.pending()).toBe(0);
  expect((await upstream.offsets({ topic: "clicks", partition: 0 })).highWatermark).toBe(1);
  await log.close();
});

it("flush() in the tab that does not sync is bounded when the syncing one stalls, and hands over when it closes", async () => {
  const { upstream, fetch: appFetch } = await upstreamApp(1);
  let stalled = 0;
  // The syncing tab's upload is stored, but its response never arrives (a hung connection).
  const hanging = async (input: RequestInfo | URL, init?: RequestInit) => {
    const response = await appFetch(input, init);
    if (init?.method !== "POST" || !(init.body instanceof Uint8Array)) return response;
    stalled++;
    return new Promise<Response>(() => undefined);
  };
  const name = `browser-${Math.random().toString(36).slice(2)}`;
  const a = await openOfflineLog({ name, upstream: { url: "http://edgelog.test", fetch: hanging } });
  // Web Locks: `a` got the sync lock first; `b` waits in the queue.
  const b = await openOfflineLog({
    name,
    upstream: { url: "http://edgelog.test", fetch: appFetch },
    flushTimeoutMs: 300,
  });
  await b.append("clicks", { key: "k", value: "v1" });
  await expect.poll(() => stalled).toBe(1);
  const started = performance.now();
  await expect(b.flush()).rejects.toMatchObject({ code: "REQUEST_TIMED_OUT", retriable: true });
  expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  expect(b.pending()).toBe(1);
  await a.close(); // the lock passes to b, which resends the identical batch; the server dedupes it
  await b.flush();
  const { batches } = await upstream.read({ topic: "clicks", partition: 0 }, { offset: 0 });
  expect(batches.flatMap((x) => decodeBatch(x.payload).records.map((r) => decodeText(r.value)))).toEqual([
    "v1",
  ]);
  expect(b.pending()).toBe(0);
  await b.close();
});

it("deleting every group of the local database mid-sync in Chromium loses nothing and duplicates nothing", async () => {
  const upstream = new MemoryStore();
  await deleteEveryGroupMidSync({
    upstream,
    appFetch: serverAppFetch(upstream),
    first: 50,
    offline: 400,
  });
});

it("syncs topics named __proto__ and constructor through real IndexedDB", async () => {
  const upstream = new MemoryStore();
  for (const topic of ["__proto__", "constructor"])
    await upstream.createTopic({ name: topic, partitions: 1, config: DEFAULT_TOPIC_CONFIG });
  const fetch = serverAppFetch(upstream);
  const log = await openOfflineLog({
    name: `browser-${Math.random().toString(36).slice(2)}`,
    upstream: { url: "http://edgelog.test", fetch },
  });
  for (const round of [1, 2]) {
    await Promise.all(
      ["__proto__", "constructor"].map((topic) => log.append(topic, { value: `${topic}-${round}` })),
    );
    await log.flush();
  }
  for (const topic of ["__proto__", "constructor"]) {
    const { batches } = await upstream.read({ topic, partition: 0 }, { offset: 0 });
    const values = batches.flatMap((x) => decodeBatch(x.payload).records.map((r) => decodeText(r.value)));
    expect(values).toEqual([`${topic}-1`, `${topic}-2`]);
  }
  expect(log.pending()).toBe(0);
  await log.close();
});
