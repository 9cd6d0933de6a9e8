/**
 * Cacheable catch-up reads and coalesced waits in the Worker's own workerd, over the real Durable Objects and the
 * Workers Cache API (`caches.default`), with calls into the objects counted, never timed: a cached answer is the
 * uncached one byte for byte and costs no object call; it is never served once DeleteRecords, retention or a topic
 * delete (and re-create) has removed its records; rights are checked before any lookup; identical misses and waits
 * of one isolate share one call (coalesced-waits.test.ts: across separate requests). The apps here use a short
 * max-age so the deletions' waits stay short.
 */
import { env as testEnv } from "cloudflare:test";
import { DEFAULT_TOPIC_CONFIG, encodeBatch, type LogRecord, type TopicConfig } from "@edgelog/core";
import { BATCH_CONTENT_TYPE, decodeFrames } from "@edgelog/core/store-kit";
import { makeBatch, readAll } from "@edgelog/core/testing";
import {
  DurableObjectLogStore,
  type EdgeLogEnv,
  PartitionObject,
  partitionObjectName,
  TopicsObject,
} from "@edgelog/durable-objects";
import { createApp, type ReadCacheOption, signToken } from "@edgelog/server";
import { afterEach, describe, expect, it, vi } from "vitest";

afterEach(() => vi.restoreAllMocks());

const env = testEnv as unknown as EdgeLogEnv;
const ORIGIN = "https://edgelog.test";
const SECRET = "read-cache-test-secret-of-enough-length";
let worlds = 0;
/** `/ds` answers of 64 KiB here (4 MiB deployed), so a stream with more than one chunk stays small. */
const DS_CHUNK_BYTES = 64 * 1024;

/** Every method called on a Durable Object class while counting. */
function countObjectCalls(): string[] {
  const calls: string[] = [];
  for (const type of [PartitionObject, TopicsObject]) {
    const prototype = type.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      if (name === "constructor" || name === "alarm" || typeof prototype[name] !== "function") continue;
      const original = prototype[name] as (...args: unknown[]) => unknown;
      vi.spyOn(prototype, name).mockImplementation(function (this: unknown, ...args: unknown[]) {
        calls.push(`${type.name}.${name}`);
        return original.apply(this, args);
      });
    }
  }
  return calls;
}

/** An app over its own namespace of objects, answering at `ORIGIN`. */
function world(options: { readCache?: ReadCacheOption; auth?: "none" | { secret: string } } = {}) {
  const store = new DurableObjectLogStore(env, { namespacePrefix: `read-cache-${++worlds}-${Date.now()}/` });
  const app = createApp({
    store: () => store,
    auth: options.auth ?? "none",
    quota: "none",
    readCache: options.readCache ?? { maxAgeMs: 2_000 },
    dsChunkMaxBytes: DS_CHUNK_BYTES,
  });
  const request = (path: string, init?: RequestInit) => app.request(`${ORIGIN}${path}`, init);
  return { store, app, request };
}

async function seed(
  store: DurableObjectLogStore,
  name: string,
  batches: number,
  config: Partial<TopicConfig> = {},
  values = "v",
) {
  await store.createTopic({ name, partitions: 1, config: { ...DEFAULT_TOPIC_CONFIG, ...config } });
  for (let i = 0; i < batches; i++)
    await store.append({ topic: name, partition: 0 }, makeBatch(2, `${values}-${i}`));
}

/** The partition object of `topic`'s partition 0, as the store names it. */
async function partitionOf(store: DurableObjectLogStore, topic: string) {
  const topicId = (await store.getTopic(topic))?.topicId ?? "";
  const name = partitionObjectName(store.namespacePrefix, topicId, 0, "wnam");
  return env.PARTITIONS.get(env.PARTITIONS.idFromName(name));
}

/** What a cacheable answer of these apps (max-age 2 s) says: one or two whole seconds, as time passed. */
const CACHED = /^public, max-age=[12]$/;

const partitionCalls = (calls: readonly string[]) => calls.filter((c) => c.startsWith("PartitionObject."));

/** What a read answers, headers that describe the answer included. */
async function snapshot(response: Response) {
  const headers: Record<string, string | null> = {};
  for (const name of [
    "Content-Type",
    "Edgelog-High-Watermark",
    "Edgelog-Log-Start-Offset",
    "Edgelog-Next-Offset",
  ]) {
    headers[name] = response.headers.get(name);
  }
  return { status: response.status, headers, body: new Uint8Array(await response.arrayBuffer()) };
}

/** Every seeded batch has this size (its values differ in one character at most). */
const BATCH_BYTES = makeBatch(2, "v-0").byteLength;
/** A catch-up read of two batches. */
const batchesPath = (topic: string, offset: number) =>
  `/v1/topics/${topic}/partitions/0/batches?offset=${offset}&maxBytes=${Math.floor(BATCH_BYTES * 2.5)}`;

describe("cached catch-up reads", () => {
  it("answer byte for byte what the partition answers, and a hit costs no object call", async () => {
    const { store, request } = world();
    await seed(store, "same", 6);
    const calls = countObjectCalls();
    const miss = await request(batchesPath("same", 2));
    expect(miss.status).toBe(200);
    expect(miss.headers.get("Cache-Control")).toMatch(CACHED);
    expect(partitionCalls(calls)).toEqual(["PartitionObject.read"]);
    const first = await snapshot(miss);
    expect(decodeFrames(first.body).map((b) => b.baseOffset)).toEqual([2, 4]);

    calls.length = 0;
    const hit = await request(batchesPath("same", 2));
    expect(hit.headers.get("Cache-Control")).toMatch(CACHED);
    expect(await snapshot(hit)).toEqual(first);
    expect(calls).toEqual([]); // nor the controller: the miss just refreshed the isolate's metadata

    // The same read from an app that caches nothing (over the same objects) is the same answer.
    const plain = createApp({ store: () => store, auth: "none", quota: "none", readCache: "none" });
    const direct = await plain.request(`${ORIGIN}${batchesPath("same", 2)}`);
    expect(direct.headers.get("Cache-Control")).toBe("no-store");
    expect(await snapshot(direct)).toEqual(first);

    // The JSON fetch: keyed by offset, limit and format.
    calls.length = 0;
    const json = `/v1/topics/same/partitions/0/records?offset=1&limit=3`;
    const jsonResponse = await request(json);
    const jsonMiss = await snapshot(jsonResponse);
    expect(JSON.parse(new TextDecoder().decode(jsonMiss.body)).nextOffset).toBe(4);
    expect(partitionCalls(calls)).toEqual(["PartitionObject.read"]);
    calls.length = 0;
    expect(await snapshot(await request(json))).toEqual(jsonMiss);
    expect(calls).toEqual([]);
    expect(jsonMiss.headers["Content-Type"]).toBe("application/json; charset=utf-8");
  });

  it("never caches what reaches the high watermark, nor anything without a cache in the Worker", async () => {
    const { store, request } = world();
    await seed(store, "tail", 3);
    const calls = countObjectCalls();
    const atTail = await request(`/v1/topics/tail/partitions/0/batches?offset=4`);
    expect(atTail.headers.get("Cache-Control")).toBe("no-store");
    expect(decodeFrames(new Uint8Array(await atTail.arrayBuffer()))).toHaveLength(1);
    await request(`/v1/topics/tail/partitions/0/batches?offset=4`);
    expect(calls.filter((c) => c === "PartitionObject.read")).toHaveLength(2);
  });

  it("the deployed Worker (SELF) serves a repeated catch-up read from the cache", async () => {
    const { SELF } = await import("cloudflare:test");
    const name = `self-${Date.now()}`;
    const created = await SELF.fetch(`${ORIGIN}/v1/topics`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name }),
    });
    expect(created.status).toBe(201);
    for (let i = 0; i < 4; i++) {
      const res = await SELF.fetch(`${ORIGIN}/v1/topics/${name}/partitions/0/batches`, {
        method: "POST",
        headers: { "content-type": BATCH_CONTENT_TYPE },
        body: makeBatch(2, `v-${i}`),
      });
      expect(res.status).toBe(200);
    }
    const calls = countObjectCalls();
    const first = await SELF.fetch(`${ORIGIN}${batchesPath(name, 0)}`);
    expect(first.headers.get("Cache-Control")).toMatch(/^public, max-age=\d+$/);
    const body = new Uint8Array(await first.arrayBuffer());
    const reads = calls.filter((c) => c === "PartitionObject.read").length;
    expect(reads).toBe(1);
    const again = await SELF.fetch(`${ORIGIN}${batchesPath(name, 0)}`);
    expect(new Uint8Array(await again.arrayBuffer())).toEqual(body);
    expect(calls.filter((c) => c === "PartitionObject.read")).toHaveLength(reads);
  });
});

describe("cached /ds catch-up chunks", () => {
  it("a chunk below the tail is served from the cache after the stream lookup, with the protocol's headers", async () => {
    const { request } = world();
    // More than one chunk, in appends of 16 KiB (one record each): the first chunk ends below the tail.
    const created = await request("/ds/big", {
      method: "PUT",
      headers: { "Content-Type": "application/octet-stream" },
    });
    expect(created.status).toBe(201);
    const part = new Uint8Array(16 * 1024).map((_, i) => i % 251);
    for (let i = 0; i < 10; i++) {
      const appended = await request("/ds/big", {
        method: "POST",
        headers: { "Content-Type": "application/octet-stream" },
        body: part,
      });
      expect(appended.status).toBe(204);
    }
    const calls = countObjectCalls();
    const miss = await request("/ds/big?offset=-1");
    expect(miss.status).toBe(200);
    expect(miss.headers.get("Stream-Up-To-Date")).toBeNull();
    expect(miss.headers.get("Cache-Control")).toMatch(CACHED);
    const tag = miss.headers.get("ETag");
    const next = miss.headers.get("Stream-Next-Offset");
    const first = new Uint8Array(await miss.arrayBuffer());
    expect(first.byteLength).toBeGreaterThan(0);
    expect(first.byteLength).toBeLessThan(10 * part.byteLength);
    expect(partitionCalls(calls)).toEqual(["PartitionObject.stream", "PartitionObject.read"]);

    calls.length = 0;
    const hit = await request("/ds/big?offset=-1");
    expect(hit.headers.get("ETag")).toBe(tag);
    expect(hit.headers.get("Stream-Next-Offset")).toBe(next);
    expect(hit.headers.get("Content-Type")).toBe("application/octet-stream");
    expect(new Uint8Array(await hit.arrayBuffer())).toEqual(first);
    // The stream is still looked up (TTL, expiry and 410s are the protocol's), but nothing is read.
    expect(partitionCalls(calls)).toEqual(["PartitionObject.stream"]);
    const unchanged = await request("/ds/big?offset=-1", { headers: { "If-None-Match": tag ?? "" } });
    expect(unchanged.status).toBe(304);
    // Chunks below the tail may be cached; the one that reaches it is not, and is revalidated by ETag.
    let offset = next;
    for (let chunk = 0; ; chunk++) {
      const rest = await request(`/ds/big?offset=${offset}`);
      await rest.arrayBuffer();
      offset = rest.headers.get("Stream-Next-Offset");
      if (rest.headers.get("Stream-Up-To-Date") === "true") {
        expect(rest.headers.get("Cache-Control")).toBe("no-cache");
        break;
      }
      expect(rest.headers.get("Cache-Control")).toMatch(CACHED);
      expect(chunk).toBeLessThan(10);
    }
  });
});

// Each waits out a cached answer's life (2 s and a lease), so they run side by side.
describe.concurrent("a cached range is never served after its records are gone", { timeout: 20_000 }, () => {
  it("DeleteRecords answers once the cached answers expired; the read then answers 416", async () => {
    const { store, request } = world();
    await seed(store, "deleted", 5);
    const cached = await request(batchesPath("deleted", 0));
    expect(cached.headers.get("Cache-Control")).toMatch(CACHED);
    const started = Date.now();
    const deleted = await request("/v1/topics/deleted/partitions/0/delete-records", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ beforeOffset: 6 }),
    });
    expect(deleted.status).toBe(200);
    // It waited out the cached answer's life (two seconds, a whole one of them given downstream).
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    const after = await request(batchesPath("deleted", 0));
    expect(after.status).toBe(416);
  });

  it("retention.bytes waits for the cached answers before it moves the log start", async () => {
    const { store, request } = world();
    await seed(store, "sized", 4, { "retention.bytes": BATCH_BYTES * 6 });
    const cached = await request(batchesPath("sized", 0));
    expect(cached.status).toBe(200);
    const body = new Uint8Array(await cached.arrayBuffer());
    const cachedAt = Date.now();
    // Over retention.bytes now: the alarm is due at once, but the fence holds it back.
    for (let i = 0; i < 4; i++)
      await store.append({ topic: "sized", partition: 0 }, makeBatch(2, `more-${i}`));
    let gone = false;
    await vi.waitFor(
      async () => {
        const res = await request(batchesPath("sized", 0));
        if (res.status === 200) {
          expect(gone).toBe(false); // never cached data once the read said the range is gone
          expect(new Uint8Array(await res.arrayBuffer())).toEqual(body);
        } else {
          expect(res.status).toBe(416);
          gone = true;
        }
        expect(gone).toBe(true);
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(Date.now() - cachedAt).toBeGreaterThanOrEqual(1_500);
    expect((await store.offsets({ topic: "sized", partition: 0 })).logStartOffset).toBeGreaterThan(0);
  });

  it("retention.ms bounds an answer's life: it ends before its oldest batch can expire", async () => {
    const { store, request } = world({ readCache: { maxAgeMs: 60_000 } });
    await seed(store, "aging", 3, { "retention.ms": 5_000 });
    const res = await request(batchesPath("aging", 0));
    const maxAge = Number(/max-age=(\d+)/.exec(res.headers.get("Cache-Control") ?? "")?.[1]);
    expect(maxAge).toBeGreaterThanOrEqual(1);
    expect(maxAge).toBeLessThanOrEqual(4); // 5 s of retention, less a second of clock slack
  });

  it("a deleted and re-created topic never meets the old topic's cached answers", async () => {
    const { store, request } = world();
    await seed(store, "again", 5);
    const old = await request(batchesPath("again", 0));
    expect(old.headers.get("Cache-Control")).toMatch(CACHED);
    const oldBody = new Uint8Array(await old.arrayBuffer());
    const started = Date.now();
    expect((await request("/v1/topics/again", { method: "DELETE" })).status).toBe(204);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    await seed(store, "again", 5, {}, "w");
    const fresh = await request(batchesPath("again", 0));
    expect(fresh.status).toBe(200);
    const freshBody = new Uint8Array(await fresh.arrayBuffer());
    expect(freshBody).not.toEqual(oldBody);
    expect(new TextDecoder().decode(freshBody)).toContain("w-0");
  });
});

/** Two records, of keys `k-0` and `k-1`, valued `value` (`null`: tombstones). */
function keyedBatch(value: string | null): Uint8Array {
  const records: LogRecord[] = ["k-0", "k-1"].map((key) => ({
    key: new TextEncoder().encode(key),
    value: value === null ? null : new TextEncoder().encode(value),
    headers: [],
    timestamp: Date.now(),
  }));
  return encodeBatch(records);
}

/** A catch-up read of the first of the keyed batches. */
const keyedPath = (topic: string) =>
  `/v1/topics/${topic}/partitions/0/batches?offset=0&maxBytes=${Math.floor(keyedBatch("v-0").byteLength * 1.5)}`;

describe.concurrent("a topic altered to compact", { timeout: 20_000 }, () => {
  it("runs no pass while cached answers live: a removed tombstone is never hidden behind a cached value", async () => {
    const { store, request } = world();
    await store.createTopic({ name: "altered", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    const tp = { topic: "altered", partition: 0 };
    for (let i = 0; i < 3; i++) await store.append(tp, keyedBatch(`v-${i}`));
    const cached = await request(keyedPath("altered"));
    expect(cached.headers.get("Cache-Control")).toMatch(CACHED);
    const body = new Uint8Array(await cached.arrayBuffer());
    const cachedAt = Date.now();
    const altered = await request("/v1/topics/altered", {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ config: { "cleanup.policy": "compact", "delete.retention.ms": 0 } }),
    });
    expect(altered.status).toBe(200);
    // Both keys deleted: a pass removes every record but the log's last, k-0's tombstone included (delete.retention.ms
    // 0). A reader given the cached range after that would keep k-0 and never meet its delete.
    await store.append(tp, keyedBatch(null));
    let removedAt = 0;
    let staleServed = false;
    await vi.waitFor(
      async () => {
        const res = await request(keyedPath("altered"));
        const answer = new Uint8Array(await res.arrayBuffer());
        const left = await readAll(store, tp);
        if (left.length < 8) {
          removedAt ||= Date.now();
          // Set, never asserted here: waitFor would retry an assertion until the stale entry expired.
          if (answer.length === body.length && answer.every((byte, i) => byte === body[i]))
            staleServed = true;
        }
        expect(left.map((r) => r.offset)).toEqual([7]);
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(staleServed).toBe(false);
    // The pass ran from the alarm by itself, once the cached answer (two seconds, one given downstream) expired.
    expect(removedAt - cachedAt).toBeGreaterThanOrEqual(1_500);
    expect((await store.offsets(tp)).highWatermark).toBe(8);
  });

  it("a forced pass waits for the cached answers too", async () => {
    const { store, request } = world();
    await store.createTopic({ name: "forced", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    const tp = { topic: "forced", partition: 0 };
    for (let i = 0; i < 3; i++) await store.append(tp, keyedBatch(`v-${i}`));
    expect((await request(keyedPath("forced"))).headers.get("Cache-Control")).toMatch(CACHED);
    const cachedAt = Date.now();
    await store.alterTopicConfig("forced", { "cleanup.policy": "compact" });
    await store.compact(tp);
    expect(Date.now() - cachedAt).toBeGreaterThanOrEqual(1_500);
    expect((await readAll(store, tp)).map((r) => r.offset)).toEqual([4, 5]);
    expect((await request(keyedPath("forced"))).headers.get("Cache-Control")).toBe("no-store");
  });
});

describe("rights come before the cache", () => {
  it("a cached answer is refused without the right and served to any token that has it", async () => {
    const { store, request } = world({ auth: { secret: SECRET } });
    await seed(store, "secret", 4);
    const token = (scope: string) => signToken({ secret: SECRET, scope });
    const as = async (scope: string) => ({ headers: { authorization: `Bearer ${await token(scope)}` } });
    const reader = await request(batchesPath("secret", 0), await as("consume:secret"));
    expect(reader.status).toBe(200);
    expect(reader.headers.get("Cache-Control")).toMatch(/^private, max-age=\d+$/);
    expect(reader.headers.get("Vary")).toContain("Authorization");
    const body = new Uint8Array(await reader.arrayBuffer());
    const calls = countObjectCalls();
    expect((await request(batchesPath("secret", 0), await as("consume:other"))).status).toBe(403);
    expect((await request(batchesPath("secret", 0))).status).toBe(401);
    // Another token with the right: the same entry (the key holds no token), no object call.
    const other = await request(batchesPath("secret", 0), await as("consume:sec*"));
    expect(new Uint8Array(await other.arrayBuffer())).toEqual(body);
    expect(calls).toEqual([]);
  });
});

describe("coalesced waits and misses", () => {
  it("identical catch-up reads that miss at once share one read of the partition", async () => {
    const { store, request } = world();
    await seed(store, "crowd", 6);
    await store.getTopic("crowd"); // fresh metadata for every request
    const calls = countObjectCalls();
    const answers = await Promise.all(Array.from({ length: 50 }, () => request(batchesPath("crowd", 0))));
    const bodies = await Promise.all(answers.map(async (a) => new Uint8Array(await a.arrayBuffer())));
    for (const body of bodies) expect(body).toEqual(bodies[0]);
    expect(decodeFrames(bodies[0] ?? new Uint8Array()).map((b) => b.baseOffset)).toEqual([0, 2]);
    expect(partitionCalls(calls)).toEqual(["PartitionObject.read"]);
  });

  it("long-polls of one isolate at one offset park one call in the partition, and one append answers them all", async () => {
    const { store, request } = world();
    await seed(store, "live", 1);
    const calls = countObjectCalls();
    // Binary long-polls and JSON ones of any limit: different answers from one shared read of the partition.
    const readers = Array.from({ length: 50 }, (_, i) =>
      request(
        i % 2 === 0
          ? `/v1/topics/live/partitions/0/batches?offset=2&wait=10000`
          : `/v1/topics/live/partitions/0/records?offset=2&wait=10000&limit=${1 + (i % 5)}`,
      ),
    );
    const stub = await partitionOf(store, "live");
    await vi.waitFor(async () => expect((await stub.stats()).waiters).toBe(1));
    await store.append({ topic: "live", partition: 0 }, makeBatch(2, "v-1"));
    const answers = await Promise.all(readers);
    for (const [i, answer] of answers.entries()) {
      expect(answer.headers.get("Edgelog-Cursor")).toMatch(/^\d+$/);
      if (i % 2 === 0) {
        expect(decodeFrames(new Uint8Array(await answer.arrayBuffer())).map((b) => b.baseOffset)).toEqual([
          2,
        ]);
        expect(answer.headers.get("Cache-Control")).toBe("no-store"); // it reaches the end
      } else {
        const { records } = (await answer.json()) as { records: { offset: number }[] };
        expect(records.map((r) => r.offset)).toEqual([2, 3].slice(0, 1 + (i % 5)));
      }
    }
    expect(calls.filter((c) => c === "PartitionObject.read")).toHaveLength(1);
  });
});
