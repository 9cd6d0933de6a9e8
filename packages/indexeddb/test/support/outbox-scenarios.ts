/**
 * @module
 * Offline-log scenarios run both in Node (fake-indexeddb) and in real Chromium (real IndexedDB), each against the
 * server app (`@edgelog/server`) in-process as the upstream: the caller passes its `fetch` and the MemoryStore
 * behind it.
 */
import {
  DEFAULT_TOPIC_CONFIG,
  decodeBatch,
  decodeText,
  type LogStore,
  type MemoryStore,
} from "@edgelog/core";
import { createApp } from "@edgelog/server";
import { expect } from "vitest";
import { IndexedDbLogStore, OUTBOX_STATE_ID, openOfflineLog } from "../../src/index.ts";

export type AppFetch = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

/** The server app (`@edgelog/server`) over `upstream`, as a `fetch`. */
export function serverAppFetch(upstream: MemoryStore): AppFetch {
  const app = createApp({ auth: "none", store: () => upstream });
  return async (input, init) => app.fetch(new Request(input, init), {});
}

/** Every record of an upstream topic, per partition, as "key:value". */
export async function upstreamRecords(store: LogStore, topic = "clicks"): Promise<string[][]> {
  const meta = await store.getTopic(topic);
  const out: string[][] = [];
  for (let p = 0; p < (meta?.partitions ?? 0); p++) {
    const { batches } = await store.read({ topic, partition: p }, { offset: 0, maxBytes: 1 << 24 });
    out.push(
      batches.flatMap((b) =>
        decodeBatch(b.payload).records.map((r) => `${decodeText(r.key)}:${decodeText(r.value)}`),
      ),
    );
  }
  return out;
}

/** Exactly once: every expected record appears once overall, and each key's records in append order. */
export function expectExactlyOnceInKeyOrder(perPartition: string[][], expected: string[]): void {
  expect([...perPartition.flat()].sort()).toEqual([...expected].sort());
  for (const key of new Set(expected.map((e) => e.split(":")[0]))) {
    const holders = perPartition.filter((p) => p.some((r) => r.startsWith(`${key}:`)));
    expect(holders.length).toBe(1);
    expect(holders[0]?.filter((r) => r.startsWith(`${key}:`))).toEqual(
      expected.filter((e) => e.startsWith(`${key}:`)),
    );
  }
}

/** Polls `check` until it holds (it counts events, never measures time); fails after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Issue 11's test: after a first sync, events are appended offline and a plan goes in flight (its first batch is
 * stored upstream but the answer is lost); then the app deletes every consumer group of the local database, as an
 * admin would; back online, every event reaches upstream exactly once, in per-key order. The outbox's state
 * (producer id, epoch, plan) is in the private key space, so no group call lists or deletes it.
 */
export async function deleteEveryGroupMidSync(options: {
  readonly upstream: MemoryStore;
  readonly appFetch: AppFetch;
  readonly first: number;
  readonly offline: number;
}): Promise<void> {
  const { upstream, appFetch } = options;
  await upstream.createTopic({
    name: "clicks",
    partitions: 3,
    config: DEFAULT_TOPIC_CONFIG,
  });
  let mode: "online" | "offline" | "lose-answers" = "online";
  let lost = 0;
  const fetch: AppFetch = async (input, init) => {
    if (mode === "offline") throw new TypeError("Failed to fetch");
    const response = await appFetch(input, init);
    if (mode === "lose-answers" && init?.method === "POST" && init.body instanceof Uint8Array) {
      lost++;
      throw new TypeError("connection reset");
    }
    return response;
  };
  const name = `groups-mid-sync-${Math.random().toString(36).slice(2)}`;
  const store = new IndexedDbLogStore({ name });
  // The app's own handle on the same database, as another module or tab would have.
  const admin = new IndexedDbLogStore({ name });
  const log = await openOfflineLog({
    name,
    store,
    upstream: { url: "http://edgelog.test", fetch },
    retry: { initialMs: 5, maxMs: 20 },
    syncIntervalMs: 0,
  });
  const expected: string[] = [];
  const appendRange = async (from: number, to: number): Promise<void> => {
    const done: Promise<void>[] = [];
    for (let i = from; i < to; i++) {
      const key = `k${i % 7}`;
      expected.push(`${key}:v${i}`);
      done.push(log.append("clicks", { key, value: `v${i}` }));
    }
    await Promise.all(done);
  };
  try {
    await appendRange(0, options.first);
    await log.flush();
    // A consumer group of the app's own on the local database.
    await admin.createTopic({
      name: "local-events",
      partitions: 1,
      config: DEFAULT_TOPIC_CONFIG,
    });
    await admin.commitOffsets("reader", [{ topic: "local-events", partition: 0, offset: 0, metadata: null }]);

    mode = "offline";
    await appendRange(options.first, options.first + options.offline);
    mode = "lose-answers";
    await until(() => lost > 0); // a batch of the plan is stored upstream, unacknowledged
    mode = "offline";
    const inFlight = await admin.getPrivateState(OUTBOX_STATE_ID);
    expect((inFlight?.state as { plan: unknown } | undefined)?.plan).not.toBeNull();

    const groups = await admin.listGroups();
    expect(groups).toEqual(["reader"]);
    await expect(admin.describeGroup(OUTBOX_STATE_ID)).rejects.toMatchObject({ code: "GROUP_ID_NOT_FOUND" });
    for (const groupId of groups) await admin.deleteGroup(groupId);
    expect(await admin.listGroups()).toEqual([]);
    expect(await admin.getPrivateState(OUTBOX_STATE_ID)).toEqual(inFlight);

    mode = "online";
    await log.flush();
    expect(log.pending()).toBe(0);
    expectExactlyOnceInKeyOrder(await upstreamRecords(upstream, "clicks"), expected);
    expect(expected).toHaveLength(options.first + options.offline);
  } finally {
    await log.close();
    await store.close();
    await admin.close();
  }
}
