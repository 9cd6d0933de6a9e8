/**
 * @module
 * The server's side of cacheable catch-up reads, over a memory store that gives cacheable answers as a fencing
 * store would (core's `cacheableUntil`) and a cache in a `Map`: what is asked of the store, the key (the topic id,
 * never the token), the headers, rights before the lookup, entries near their end not served, the settings from
 * `EDGELOG_READ_CACHE_MAX_AGE_S`; and the tail cursor of `/v1` long-polls. The real Cache API and Durable Objects
 * are tested in workerd (apps/worker/test-workerd/read-cache.test.ts).
 */
import {
  type CacheableReadRequest,
  DEFAULT_TOPIC_CONFIG,
  encodeBatch,
  MemoryStore,
  type ReadOptions,
  type ReadResult,
  type TopicPartition,
} from "@edgelog/core";
import { cacheableUntil, OPEN_CACHE_FENCE } from "@edgelog/core/store-kit";
import { describe, expect, it } from "vitest";
import { createApp, type ReadCache, type ReadCacheOption, signToken } from "../src/index.ts";
import { expectError, NOW } from "./helpers.ts";

/** A memory store answering `cacheUntil` as a fencing store would; counts reads and what they asked. */
class CacheableStore extends MemoryStore {
  readonly asked: (CacheableReadRequest | undefined)[] = [];

  override async read(tp: TopicPartition, options: ReadOptions): Promise<ReadResult> {
    const result = await super.read(tp, options);
    this.asked.push(options.cache);
    if (options.cache === undefined) return result;
    const until = cacheableUntil({
      fence: OPEN_CACHE_FENCE,
      offset: options.offset,
      batches: result.batches,
      records: options.cache.records,
      highWatermark: result.highWatermark,
      config: DEFAULT_TOPIC_CONFIG,
      nowMs: Date.now(),
      maxAgeMs: options.cache.maxAgeMs,
    });
    return until === null ? result : { ...result, cacheUntil: until };
  }
}

/** The Cache API in a Map: what `put` kept, answered by `match`. */
function mapCache() {
  const entries = new Map<string, { body: ArrayBuffer; headers: [string, string][] }>();
  const cache: ReadCache = {
    async match(key) {
      const entry = entries.get(key.url);
      return entry === undefined ? undefined : new Response(entry.body.slice(0), { headers: entry.headers });
    },
    async put(key, response) {
      entries.set(key.url, { body: await response.arrayBuffer(), headers: [...response.headers] });
    },
  };
  return { cache, entries };
}

const SECRET = "a-secret-for-the-read-cache-tests";

async function world(
  options: { readCache?: ReadCacheOption; auth?: "none" | { secret: string }; shareMisses?: boolean } = {},
) {
  const store = new CacheableStore();
  const { cache, entries } = mapCache();
  const app = createApp({
    store: () => store,
    auth: options.auth ?? "none",
    quota: "none",
    now: () => NOW,
    random: () => 0,
    readCache: options.readCache ?? {
      maxAgeMs: 10_000,
      cache,
      ...(options.shareMisses === undefined ? {} : { shareMisses: options.shareMisses }),
    },
  });
  await store.createTopic({ name: "t", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
  for (let i = 0; i < 6; i++) {
    await store.append(
      { topic: "t", partition: 0 },
      encodeBatch([{ key: null, value: new Uint8Array([i]), headers: [], timestamp: 1 }]),
    );
  }
  const topicId = (await store.getTopic("t"))?.topicId ?? "";
  const get = (path: string, headers: Record<string, string> = {}) =>
    app.request(`https://edgelog.test${path}`, { headers });
  return { store, entries, topicId, get };
}

const batches = (offset: number, query = "") =>
  `/v1/topics/t/partitions/0/batches?offset=${offset}&maxBytes=1${query}`;

describe("cacheable catch-up reads in the server", () => {
  it("asks the store for a cacheable answer, keeps it under the topic id, and answers the repeat from the cache", async () => {
    const { store, entries, topicId, get } = await world();
    const miss = await get(batches(1));
    expect(miss.status).toBe(200);
    expect(miss.headers.get("Cache-Control")).toMatch(/^public, max-age=(9|10)$/);
    expect(store.asked).toEqual([{ maxAgeMs: 10_000 }]);
    const keys = [...entries.keys()];
    expect(keys).toEqual([
      `https://edgelog.test/.edgelog/read-cache/${topicId}/0/batches?maxBytes=1&offset=1`,
    ]);
    const hit = await get(batches(1, "&wait=5000&region=weur"));
    expect(store.asked).toHaveLength(1);
    expect(new Uint8Array(await hit.arrayBuffer())).toEqual(new Uint8Array(await miss.arrayBuffer()));
    for (const name of ["Content-Type", "Edgelog-High-Watermark", "Edgelog-Log-Start-Offset"]) {
      expect(hit.headers.get(name)).toBe(miss.headers.get(name));
    }
    // The stored entry's own headers stay inside the Worker.
    expect(hit.headers.get("Edgelog-Cache-Until")).toBeNull();
    // A read that waited carries a tail cursor, whatever answered it.
    expect(hit.headers.get("Edgelog-Cursor")).toMatch(/^\d+$/);
  });

  it("keys the JSON fetch by offset, limit and format, and asks to keep only `limit` records", async () => {
    const { store, entries, get } = await world();
    const first = await get("/v1/topics/t/partitions/0/records?offset=2&limit=2&valueFormat=base64");
    expect(first.headers.get("Cache-Control")).toMatch(/^public, max-age=/);
    expect(store.asked[0]).toEqual({ maxAgeMs: 10_000, records: 2 });
    expect([...entries.keys()][0]).toMatch(/\/records\?limit=2&offset=2&valueFormat=base64$/);
    const again = await get("/v1/topics/t/partitions/0/records?valueFormat=base64&limit=2&offset=2");
    expect(await again.text()).toBe(await first.text());
    expect(store.asked).toHaveLength(1);
  });

  it("never caches what reaches the high watermark: no-store, nothing kept", async () => {
    const { entries, get } = await world();
    const tail = await get(`/v1/topics/t/partitions/0/batches?offset=5`);
    expect(tail.headers.get("Cache-Control")).toBe("no-store");
    expect(entries.size).toBe(0);
  });

  it("checks rights before the lookup, keys without the token, and answers private", async () => {
    const { store, entries, get } = await world({ auth: { secret: SECRET } });
    const bearer = async (scope: string) => ({
      authorization: `Bearer ${await signToken({ secret: SECRET, scope, now: NOW })}`,
    });
    const reader = await get(batches(1), await bearer("consume:t"));
    expect(reader.headers.get("Cache-Control")).toMatch(/^private, max-age=/);
    expect(reader.headers.get("Vary")).toContain("Authorization");
    const token = await signToken({ secret: SECRET, scope: "consume:t", now: NOW });
    // A token in the query (EventSource's way) is never part of the key either.
    const viaQuery = await get(batches(1, `&access_token=${token}`));
    expect(viaQuery.status).toBe(200);
    expect(store.asked).toHaveLength(1);
    for (const key of entries.keys()) expect(key).not.toContain(token);
    expect((await get(batches(1), await bearer("consume:other"))).status).toBe(403);
    expect((await get(batches(1))).status).toBe(401);
    expect(store.asked).toHaveLength(1);
  });

  it("shares no store read among identical misses with shareMisses: false", async () => {
    const { store, get } = await world({ shareMisses: false });
    await Promise.all(Array.from({ length: 5 }, () => get(batches(1))));
    expect(store.asked).toHaveLength(5);
  });

  it("by default shares one store read among identical misses only when its answer may be cached", async () => {
    const { store, get } = await world();
    const crowd = await Promise.all(Array.from({ length: 5 }, () => get(batches(1))));
    expect(store.asked).toHaveLength(1);
    const bodies = await Promise.all(crowd.map((r) => r.arrayBuffer()));
    for (const body of bodies) expect(new Uint8Array(body)).toEqual(new Uint8Array(bodies[0] as ArrayBuffer));
    // At the tail an answer may be older than a joiner's own read would be: each reads for itself.
    await Promise.all(Array.from({ length: 5 }, () => get(batches(5))));
    expect(store.asked).toHaveLength(6);
  });

  it("does not serve an entry with less than a second to live", async () => {
    const { store, get } = await world({
      readCache: {
        maxAgeMs: 10_000,
        cache: {
          match: async () =>
            new Response("stale", { headers: { "Edgelog-Cache-Until": String(Date.now() + 500) } }),
          put: async () => undefined,
        },
      },
    });
    const res = await get(batches(1));
    expect(await res.text()).not.toBe("stale");
    expect(store.asked).toHaveLength(1);
  });

  it("asks for nothing cacheable with readCache none or a max-age of 0, and reads the max-age from the env", async () => {
    for (const [option, asked] of [
      ["none", undefined],
      [{ maxAgeMs: 0 }, undefined],
      [{ maxAgeMs: 3_600_000, cache: null }, { maxAgeMs: 60_000 }],
    ] as const) {
      const { store, get } = await world({ readCache: option });
      const res = await get(batches(1));
      expect(store.asked).toEqual([asked]);
      if (asked === undefined) expect(res.headers.get("Cache-Control")).toBe("no-store");
    }
    for (const [value, asked] of [
      ["0", undefined],
      ["off", undefined],
      ["5", 5_000],
      ["junk", 10_000],
      [undefined, 10_000],
      ["3600", 60_000],
    ] as const) {
      const store = new CacheableStore();
      await store.createTopic({ name: "t", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
      const app = createApp({ store: () => store, auth: "none", quota: "none", readCache: { cache: null } });
      const env = value === undefined ? {} : { EDGELOG_READ_CACHE_MAX_AGE_S: value };
      await app.request("https://edgelog.test/v1/topics/t/partitions/0/batches?offset=0", {}, env);
      expect(store.asked, String(value)).toEqual([asked === undefined ? undefined : { maxAgeMs: asked }]);
    }
  });
});

describe("tail cursors on /v1 long-polls", () => {
  it("answer a cursor to a read that waits, push an echoed current one ahead, and refuse a malformed one", async () => {
    const { get } = await world();
    const current = String(Math.floor((NOW - Date.UTC(2024, 9, 9)) / 20_000));
    const waited = await get(`/v1/topics/t/partitions/0/batches?offset=6&wait=10`);
    expect(waited.headers.get("Edgelog-Cursor")).toBe(current);
    const json = await get(`/v1/topics/t/partitions/0/records?offset=6&wait=10&cursor=${current}`);
    expect(Number(json.headers.get("Edgelog-Cursor"))).toBeGreaterThan(Number(current));
    expect(
      (await get(`/v1/topics/t/partitions/0/batches?offset=6`)).headers.get("Edgelog-Cursor"),
    ).toBeNull();
    for (const bad of ["x", "-1", "1.5", ""]) {
      const res = await get(`/v1/topics/t/partitions/0/batches?offset=6&wait=10&cursor=${bad}`);
      expectError({ status: res.status, body: await res.json() }, 400, "INVALID_REQUEST");
    }
  });
});
