/**
 * @module
 * The offline log's upstream `token` over the real `IndexedDbLogStore` (fake-indexeddb) and the server app with a
 * secret: a token expiring mid-sync is refreshed and everything lands exactly once; a refused token leaves the
 * records pending (never set aside) and is reported as `lastError` until a valid one syncs them.
 */
import "fake-indexeddb/auto";
import { DEFAULT_TOPIC_CONFIG, type EdgeLogError, MemoryStore } from "@edgelog/core";
import { createApp, signToken } from "@edgelog/server";
import { expect, it } from "vitest";
import {
  IndexedDbLogStore,
  type OfflineLog,
  openOfflineLog,
  REFUSED_PREFIX,
  type SyncEvent,
} from "../src/index.ts";
import { expectExactlyOnceInKeyOrder, upstreamRecords } from "./support/outbox-scenarios.ts";

const SECRET = "offline-test-secret-of-enough-length-012";
const url = "http://edgelog.test";

/** The server app with a secret and a clock the test moves; counts 401s and appends it answered. */
function securedUpstream() {
  const upstream = new MemoryStore();
  const server = { now: Date.now(), unauthorized: 0, appended: 0 };
  const app = createApp({ store: () => upstream, auth: { secret: SECRET }, now: () => server.now });
  const env = {};
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const response = await app.fetch(new Request(input, init), env);
    if (response.status === 401) server.unauthorized++;
    if (response.ok && init?.method === "POST" && init.body instanceof Uint8Array) server.appended++;
    return response;
  };
  return { upstream, server, fetch };
}

const dbName = () => `idb-${Math.random().toString(36).slice(2)}`;

it("refreshes a token that expires mid-sync and delivers exactly once, in key order", async () => {
  const { upstream, server, fetch } = securedUpstream();
  await upstream.createTopic({ name: "clicks", partitions: 2, config: DEFAULT_TOPIC_CONFIG });
  let minted = 0;
  const token = () => {
    minted++;
    return signToken({ secret: SECRET, scope: "produce:clicks", ttlSeconds: 600, now: server.now });
  };
  const name = dbName();
  const store = new IndexedDbLogStore({ name });
  const log = await openOfflineLog({ name, store, upstream: { url, fetch, token }, syncIntervalMs: 0 });
  const expected: string[] = [];
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 6; i++) {
      expected.push(`k${i % 3}:r${round}v${i}`);
      await log.append("clicks", { key: `k${i % 3}`, value: `r${round}v${i}` });
    }
    await log.flush();
    // The server's clock passes the token's exp (and the 60 s skew): the next request meets a 401.
    server.now += 700_000;
  }
  expectExactlyOnceInKeyOrder(await upstreamRecords(upstream, "clicks"), expected);
  expect(log.pending()).toBe(0);
  expect(server.unauthorized).toBe(2); // the first request of rounds 2 and 3, each retried once
  expect(minted).toBe(3);
  await log.close();
  await store.close();
});

it("keeps records pending while the token is refused, reports it, and syncs them once a valid token comes", async () => {
  const { upstream, server, fetch } = securedUpstream();
  await upstream.createTopic({ name: "clicks", partitions: 2, config: DEFAULT_TOPIC_CONFIG });
  const refused = { secret: "some-other-secret-of-enough-length-01234", scope: "produce:clicks" };
  let current: Parameters<typeof signToken>[0] = refused;
  const name = dbName();
  const store = new IndexedDbLogStore({ name });
  const log = await openOfflineLog({
    name,
    store,
    upstream: { url, fetch, token: () => signToken({ ...current, ttlSeconds: 600, now: server.now }) },
    syncIntervalMs: 0,
    retry: { initialMs: 60_000, maxMs: 60_000 }, // no timer retry during the test: flush() drives each pass
  });
  const errors: (EdgeLogError | null)[] = [];
  log.onSync((event) => errors.push(event.lastError));
  const expected: string[] = [];
  for (let i = 0; i < 5; i++) {
    expected.push(`k${i % 2}:v${i}`);
    await log.append("clicks", { key: `k${i % 2}`, value: `v${i}` });
  }

  await expect(log.flush()).rejects.toMatchObject({ code: "AUTHENTICATION_FAILED" });
  expect(log.pending()).toBe(5);
  expect(errors.at(-1)?.code).toBe("AUTHENTICATION_FAILED");

  // A valid token without the right: 403, still no verdict on the records.
  current = { secret: SECRET, scope: "consume:clicks" };
  await expect(log.flush()).rejects.toMatchObject({ code: "TOPIC_AUTHORIZATION_FAILED" });
  expect(log.pending()).toBe(5);
  expect(errors.at(-1)?.code).toBe("TOPIC_AUTHORIZATION_FAILED");
  expect(server.appended).toBe(0);

  current = { secret: SECRET, scope: "produce:clicks" };
  server.now += 700_000; // the cached 403 token expires: the 401 brings the valid one
  await log.flush();
  expect(log.pending()).toBe(0);
  expect(errors.at(-1)).toBeNull();
  expectExactlyOnceInKeyOrder(await upstreamRecords(upstream, "clicks"), expected);
  // Nothing was set aside as refused.
  expect(await store.getTopic(`${REFUSED_PREFIX}clicks`)).toBeNull();
  await log.close();
  await store.close();
});

/** Resolves with the first `onSync` event that satisfies `done`. */
function syncEvent(log: OfflineLog, done: (event: SyncEvent) => boolean): Promise<SyncEvent> {
  return new Promise((resolve) => {
    const off = log.onSync((event) => {
      if (!done(event)) return;
      off();
      resolve(event);
    });
  });
}

it("tokenChanged() retries at once with the new token instead of after the auth failure's backoff", async () => {
  const { upstream, server, fetch } = securedUpstream();
  await upstream.createTopic({ name: "clicks", partitions: 2, config: DEFAULT_TOPIC_CONFIG });
  let scope = "consume:clicks"; // signed in, but without the right to produce
  let minted = 0;
  const token = () => {
    minted++;
    return signToken({ secret: SECRET, scope, ttlSeconds: 600, now: server.now });
  };
  const name = dbName();
  const store = new IndexedDbLogStore({ name });
  const log = await openOfflineLog({
    name,
    store,
    upstream: { url, fetch, token },
    syncIntervalMs: 0,
    retry: { initialMs: 600_000, maxMs: 600_000 }, // a backoff far beyond the test: only tokenChanged() can help
  });
  const refused = syncEvent(log, (e) => e.lastError?.code === "TOPIC_AUTHORIZATION_FAILED");
  const expected: string[] = [];
  for (let i = 0; i < 4; i++) {
    expected.push(`k${i % 2}:v${i}`);
    await log.append("clicks", { key: `k${i % 2}`, value: `v${i}` });
  }
  await refused;
  expect(log.pending()).toBe(4);

  scope = "produce:clicks";
  // The new right alone changes nothing: the refused token is cached for ten minutes and the backoff runs.
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(log.pending()).toBe(4);
  expect(minted).toBe(1);

  const drained = syncEvent(log, (e) => e.pending === 0);
  log.tokenChanged();
  expect((await drained).lastError).toBeNull();
  expect(minted).toBe(2);
  expect(server.appended).toBeGreaterThan(0);
  expectExactlyOnceInKeyOrder(await upstreamRecords(upstream, "clicks"), expected);
  await log.close();
  await store.close();
});

it("tokenChanged() in a tab that does not sync wakes the syncing tab at once", async () => {
  const { upstream, server, fetch } = securedUpstream();
  await upstream.createTopic({ name: "clicks", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
  let secret = "a-secret-the-server-does-not-know-0123456";
  const token = () => signToken({ secret, scope: "produce:clicks", ttlSeconds: 600, now: server.now });
  const name = dbName();
  const options = {
    name,
    upstream: { url, fetch, token },
    syncIntervalMs: 0,
    retry: { initialMs: 600_000, maxMs: 600_000 },
  };
  const syncer = await openOfflineLog(options);
  const other = await openOfflineLog({ ...options, sync: false });
  const rejected = syncEvent(other, (e) => e.lastError?.code === "AUTHENTICATION_FAILED");
  await other.append("clicks", { key: "k", value: "v0" });
  await other.append("clicks", { key: "k", value: "v1" });
  await rejected;
  // Let the pass the second append started fail too: then nothing but tokenChanged() wakes the syncer.
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(syncer.pending()).toBe(2);

  secret = SECRET;
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(syncer.pending()).toBe(2);
  const drained = syncEvent(other, (e) => e.pending === 0 && e.sent === 2);
  other.tokenChanged();
  expect((await drained).lastError).toBeNull();
  expectExactlyOnceInKeyOrder(await upstreamRecords(upstream, "clicks"), ["k:v0", "k:v1"]);
  await other.close();
  await syncer.close();
  // Closed: a late call is harmless.
  syncer.tokenChanged();
});
