// The offline log against a throttled upstream (the server app in-process, with a quota and a clock the test
// moves): a 429 is no verdict on the records — they stay pending, none is set aside — and once the quota refills
// they sync exactly once.
import "fake-indexeddb/auto";
import { DEFAULT_TOPIC_CONFIG, type EdgeLogError, MemoryStore } from "@edgelog/core";
import { createApp } from "@edgelog/server";
import { expect, it } from "vitest";
import { IndexedDbLogStore, openOfflineLog, REFUSED_PREFIX } from "../src/index.ts";
import { expectExactlyOnceInKeyOrder, upstreamRecords } from "./support/outbox-scenarios.ts";

it("keeps records pending while the upstream throttles, and syncs them once when it lets them through", async () => {
  const upstream = new MemoryStore();
  await upstream.createTopic({ name: "clicks", partitions: 2, config: DEFAULT_TOPIC_CONFIG });
  const server = { now: Date.now(), throttled: 0 };
  const app = createApp({
    store: () => upstream,
    auth: "none",
    now: () => server.now,
    // One request per second under a clock that stands still until the test moves it.
    quota: { requestsPerSec: 1, produceBytesPerSec: "unlimited" },
  });
  const env = {};
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const response = await app.fetch(new Request(input, init), env);
    if (response.status === 429) server.throttled++;
    return response;
  };
  const name = `idb-${Math.random().toString(36).slice(2)}`;
  const store = new IndexedDbLogStore({ name });
  const log = await openOfflineLog({
    name,
    store,
    upstream: { url: "http://edgelog.test", fetch },
    syncIntervalMs: 0,
    retry: { initialMs: 60_000, maxMs: 60_000 }, // no timer retry during the test: flush() drives each pass
  });
  const errors: (EdgeLogError | null)[] = [];
  log.onSync((event) => errors.push(event.lastError));
  const expected: string[] = [];
  for (let i = 0; i < 6; i++) {
    expected.push(`k${i % 2}:v${i}`);
    await log.append("clicks", { key: `k${i % 2}`, value: `v${i}` });
  }

  // A pass needs more than one request; the clock does not move, so some of it is throttled.
  let passes = 0;
  for (; passes < 20 && log.pending() > 0; passes++) {
    const outcome = await log.flush().then(
      () => null,
      (error: EdgeLogError) => error,
    );
    if (outcome !== null) {
      expect(outcome.code).toBe("THROTTLING_QUOTA_EXCEEDED");
      expect(errors.at(-1)?.code).toBe("THROTTLING_QUOTA_EXCEEDED");
      expect(errors.at(-1)?.retriable).toBe(true);
    }
    server.now += 1_000; // the quota refills one request
  }
  expect(server.throttled).toBeGreaterThan(0);
  expect(log.pending()).toBe(0);
  expect(errors.at(-1)).toBeNull();
  expectExactlyOnceInKeyOrder(await upstreamRecords(upstream, "clicks"), expected);
  // A throttled request is no verdict on its records: nothing was set aside.
  expect(await store.getTopic(`${REFUSED_PREFIX}clicks`)).toBeNull();
  await log.close();
  await store.close();
});
