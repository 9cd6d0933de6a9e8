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
import { IndexedDbLogStore, openOfflineLog, REFUSED_PREFIX } from "../src/index.ts";
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
