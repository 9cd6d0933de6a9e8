/**
 * @module
 * The offline log against the real Worker app in-process (upstream) and core's MemoryStore (local): exactly once,
 * per-key order and nothing lost across offline periods, lost responses, crashes, refusals, tabs and epoch bumps.
 */
import {
  DEFAULT_TOPIC_CONFIG,
  decodeBatch,
  decodeText,
  encodeBatch,
  MemoryStore,
  RECORD_CAPS,
} from "@edgelog/core";
import { describe, expect, it } from "vitest";
import { handleSyncEvent, OUTBOX_STATE_ID, openOfflineLog, REFUSED_PREFIX } from "../src/index.ts";
import {
  expectExactlyOnceInKeyOrder,
  serverAppFetch,
  until,
  upstreamRecords,
} from "./support/outbox-scenarios.ts";

let seq = 0;
const uniqueName = (): string => `test-${++seq}-${Math.random().toString(36).slice(2)}`;
const FAST = { initialMs: 5, maxMs: 20 };

function setup(partitions = 3, config: Partial<typeof DEFAULT_TOPIC_CONFIG> = {}) {
  const upstream = new MemoryStore();
  const appFetch = serverAppFetch(upstream);
  const ready = upstream.createTopic({
    name: "clicks",
    partitions,
    config: { ...DEFAULT_TOPIC_CONFIG, ...config },
  });
  const isBatchPost = (init?: RequestInit): boolean =>
    init?.method === "POST" && init.body instanceof Uint8Array;
  return { upstream, appFetch, ready, isBatchPost, url: "http://edgelog.test" };
}

async function appendMany(
  log: { append: (t: string, r: { key: string; value: string }) => Promise<void> },
  from: number,
  to: number,
) {
  const expected: string[] = [];
  const done: Promise<void>[] = [];
  for (let i = from; i < to; i++) {
    const key = `k${i % 4}`;
    expected.push(`${key}:v${i}`);
    done.push(log.append("clicks", { key, value: `v${i}` }));
  }
  await Promise.all(done);
  return expected;
}

/** `store` whose `offsets` reads, while `hold()` says so, wait until the test calls one of `held`. */
function holdingOffsets(store: MemoryStore, hold: () => boolean) {
  const held: (() => void)[] = [];
  const gated = new Proxy(store, {
    get(target, prop) {
      if (prop === "offsets")
        return async (tp: { topic: string; partition: number }) => {
          const result = await target.offsets(tp);
          if (hold()) await new Promise<void>((release) => held.push(release));
          return result;
        };
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { gated, held };
}

describe("openOfflineLog", () => {
  it("appends offline, then delivers each record exactly once in per-key order when online", async () => {
    const { upstream, appFetch, ready, url } = setup();
    await ready;
    let online = false;
    const fetch = (input: RequestInfo | URL, init?: RequestInit) =>
      online ? appFetch(input, init) : Promise.reject(new TypeError("Failed to fetch"));
    const log = await openOfflineLog({
      name: uniqueName(),
      store: new MemoryStore(),
      upstream: { url, fetch },
      retry: FAST,
    });
    const expected = await appendMany(log, 0, 20);
    expect(log.pending()).toBe(20);
    await expect(log.flush()).rejects.toMatchObject({ code: "REQUEST_TIMED_OUT" });
    expect((await upstreamRecords(upstream)).flat()).toEqual([]);
    online = true;
    await log.flush();
    expect(log.pending()).toBe(0);
    expectExactlyOnceInKeyOrder(await upstreamRecords(upstream), expected);
    await log.close();
  });

  it("a lost response is resent identically and deduped", async () => {
    const { upstream, appFetch, ready, isBatchPost, url } = setup();
    await ready;
    let lose = 2;
    const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      const response = await appFetch(input, init);
      if (isBatchPost(init) && lose-- > 0) throw new TypeError("connection reset");
      return response;
    };
    const store = new MemoryStore();
    const log = await openOfflineLog({ name: uniqueName(), store, upstream: { url, fetch }, retry: FAST });
    const expected = await appendMany(log, 0, 12);
    await log.flush().catch(() => undefined);
    await until(async () => log.pending() === 0);
    await log.flush();
    expectExactlyOnceInKeyOrder(await upstreamRecords(upstream), expected);
    // Nothing left locally: deleted only after the acks.
    expect((await store.offsets({ topic: "__outbox.clicks", partition: 0 })).logStartOffset).toBe(12);
    await log.close();
  });

  it("a crash after the plan is persisted and the batch stored, before the ack, resends and dedupes", async () => {
    const { upstream, appFetch, ready, isBatchPost, url } = setup();
    await ready;
    let stored = 0;
    const hanging = async (input: RequestInfo | URL, init?: RequestInit) => {
      const response = await appFetch(input, init);
      if (isBatchPost(init)) {
        stored++;
        return new Promise<Response>(() => undefined); // the response never arrives
      }
      return response;
    };
    const store = new MemoryStore();
    const name = uniqueName();
    const a = await openOfflineLog({ name, store, upstream: { url, fetch: hanging }, retry: FAST });
    const expected = await appendMany(a, 0, 8);
    await until(() => stored === 1);
    expect((await store.getPrivateState(OUTBOX_STATE_ID))?.state).toMatchObject({ plan: { localFrom: 0 } });
    await a.close(); // the tab dies: the plan stays, the ack was never seen
    const b = await openOfflineLog({ name, store, upstream: { url, fetch: appFetch }, retry: FAST });
    expect(b.pending()).toBe(8);
    await b.flush();
    expect(b.pending()).toBe(0);
    expectExactlyOnceInKeyOrder(await upstreamRecords(upstream), expected);
    await b.close();
  });

  it("sets an oversize record aside with its error, reports it, and delivers the rest", async () => {
    const { upstream, appFetch, ready, url } = setup(1, { "max.message.bytes": 1000 });
    await ready;
    const store = new MemoryStore();
    const log = await openOfflineLog({
      name: uniqueName(),
      store,
      upstream: { url, fetch: appFetch },
      retry: FAST,
    });
    const events: (string | null)[] = [];
    log.onSync((e) => events.push(e.lastError?.code ?? null));
    await Promise.all([
      log.append("clicks", { key: "a", value: "small-1" }),
      log.append("clicks", { key: "a", value: "x".repeat(2000) }),
      log.append("clicks", { key: "a", value: "small-2" }),
    ]);
    await expect(log.flush()).rejects.toMatchObject({ code: "MESSAGE_TOO_LARGE" });
    expect(await upstreamRecords(upstream)).toEqual([["a:small-1", "a:small-2"]]);
    expect(events).toContain("MESSAGE_TOO_LARGE");
    const { batches } = await store.read({ topic: `${REFUSED_PREFIX}clicks`, partition: 0 }, { offset: 0 });
    const [refused] = batches.flatMap((b) => decodeBatch(b.payload).records);
    expect(decodeText(refused?.value ?? null)?.length).toBe(2000);
    expect(decodeText(refused?.headers.find((h) => h.key === "edgelog-error-code")?.value ?? null)).toBe(
      "MESSAGE_TOO_LARGE",
    );
    expect(log.pending()).toBe(0);
    await log.close();
  });

  it("refuses a record over a cap at append, alone: the records appended with it are kept and delivered", async () => {
    const { upstream, appFetch, ready, url } = setup(1);
    await ready;
    const log = await openOfflineLog({
      name: uniqueName(),
      store: new MemoryStore(),
      upstream: { url, fetch: appFetch },
      retry: FAST,
    });
    const headers = Object.fromEntries(
      Array.from({ length: RECORD_CAPS.maxHeaders + 1 }, (_, i) => [`h${i}`, "v"]),
    );
    const settled = await Promise.allSettled([
      log.append("clicks", { key: "a", value: "v1" }),
      log.append("clicks", { key: "a", value: "too many headers", headers }),
      log.append("clicks", { key: "k".repeat(RECORD_CAPS.maxKeyBytes + 1), value: "too long a key" }),
      log.append("clicks", { key: "a", value: "v2" }),
    ]);
    expect(settled.map((r) => r.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
    expect(settled[1]).toMatchObject({
      reason: { code: "INVALID_RECORD", context: { topic: "clicks", cap: "maxHeaders" } },
    });
    expect(settled[2]).toMatchObject({ reason: { code: "INVALID_RECORD", context: { cap: "maxKeyBytes" } } });
    expect(log.pending()).toBe(2);
    await log.flush();
    expect(await upstreamRecords(upstream)).toEqual([["a:v1", "a:v2"]]);
    await log.close();
  });

  it("sets aside a record written before the caps that upstream now refuses, whatever caps it is over", async () => {
    const { upstream, appFetch, ready, url } = setup(1);
    await ready;
    const store = new MemoryStore();
    const log = await openOfflineLog({
      name: uniqueName(),
      store,
      upstream: { url, fetch: appFetch },
      retry: FAST,
    });
    await log.append("clicks", { key: "a", value: "v1" });
    await log.flush();
    // A record an older version stored in the outbox: 32 headers (three more once set aside) and a long key.
    const legacy = {
      key: new TextEncoder().encode("k".repeat(RECORD_CAPS.maxKeyBytes + 1)),
      value: new TextEncoder().encode("legacy"),
      headers: Array.from({ length: RECORD_CAPS.maxHeaders }, (_, i) => ({ key: `h${i}`, value: null })),
      timestamp: Date.now(),
    };
    const outbox = (await store.listTopics()).find(
      (t) => t.name.includes("clicks") && !t.name.startsWith(REFUSED_PREFIX),
    );
    await store.append({ topic: outbox?.name ?? "", partition: 0 }, encodeBatch([legacy]), {
      checkRecordCaps: false,
    });
    await log.append("clicks", { key: "a", value: "v2" });
    await expect(log.flush()).rejects.toMatchObject({ code: "INVALID_RECORD" });
    expect(await upstreamRecords(upstream)).toEqual([["a:v1", "a:v2"]]);
    const { batches } = await store.read({ topic: `${REFUSED_PREFIX}clicks`, partition: 0 }, { offset: 0 });
    const [refused] = batches.flatMap((b) => decodeBatch(b.payload).records);
    expect(refused?.headers).toHaveLength(RECORD_CAPS.maxHeaders + 3);
    expect(decodeText(refused?.value ?? null)).toBe("legacy");
    expect(log.pending()).toBe(0);
    await log.close();
  });

  it("splits a batch the server refuses to isolate the bad record", async () => {
    const { upstream, appFetch, ready, isBatchPost, url } = setup(1);
    await ready;
    const poison = new TextEncoder().encode("poison");
    const hasPoison = (body: Uint8Array) => body.some((_, i) => poison.every((c, j) => body[i + j] === c));
    const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      if (isBatchPost(init) && hasPoison(init?.body as Uint8Array))
        return Response.json({ error: { code: "INVALID_RECORD", message: "poisoned" } }, { status: 400 });
      return appFetch(input, init);
    };
    const store = new MemoryStore();
    const log = await openOfflineLog({ name: uniqueName(), store, upstream: { url, fetch }, retry: FAST });
    await Promise.all(["v1", "poison", "v2", "v3"].map((value) => log.append("clicks", { key: "a", value })));
    await expect(log.flush()).rejects.toMatchObject({ code: "INVALID_RECORD" });
    expect(await upstreamRecords(upstream)).toEqual([["a:v1", "a:v2", "a:v3"]]);
    await log.append("clicks", { key: "a", value: "v4" });
    await log.flush(); // sequences stayed consistent after the split and the refusal
    expect(await upstreamRecords(upstream)).toEqual([["a:v1", "a:v2", "a:v3", "a:v4"]]);
    await log.close();
  });

  it("two tabs on one store: both append, one syncs, no loss, no duplicates", async () => {
    const { upstream, appFetch, ready, url } = setup();
    await ready;
    const store = new MemoryStore();
    const name = uniqueName();
    const a = await openOfflineLog({ name, store, upstream: { url, fetch: appFetch }, retry: FAST });
    const b = await openOfflineLog({ name, store, upstream: { url, fetch: appFetch }, retry: FAST });
    const expected: string[] = [];
    for (let round = 0; round < 5; round++) {
      expected.push(...(await appendMany(a, round * 10, round * 10 + 5)));
      expected.push(...(await appendMany(b, round * 10 + 5, round * 10 + 10)));
    }
    await b.flush(); // b does not hold the lock: it waits on a's progress
    expectExactlyOnceInKeyOrder(await upstreamRecords(upstream), expected);
    await until(() => a.pending() === 0 && b.pending() === 0);
    await a.close(); // b takes over
    await b.append("clicks", { key: "k0", value: "after-handover" });
    await b.flush();
    expect((await upstreamRecords(upstream)).flat()).toContain("k0:after-handover");
    expect((await upstreamRecords(upstream)).flat().length).toBe(51);
    await b.close();
  });

  it("bumps the epoch when the upstream forgot the producer, without duplicates", async () => {
    const { upstream, appFetch, ready, url } = setup(1);
    await ready;
    const store = new MemoryStore();
    const log = await openOfflineLog({
      name: uniqueName(),
      store,
      upstream: { url, fetch: appFetch },
      retry: FAST,
    });
    await log.append("clicks", { key: "a", value: "v1" });
    await log.flush();
    const tp = { topic: "clicks", partition: 0 };
    // Retention removes every batch of the producer: the partition forgets it (UNKNOWN_PRODUCER_ID next time).
    await upstream.deleteRecords(tp, (await upstream.offsets(tp)).highWatermark);
    await log.append("clicks", { key: "a", value: "v2" });
    await log.flush();
    const { batches } = await upstream.read(tp, { offset: (await upstream.offsets(tp)).logStartOffset });
    expect(batches.flatMap((x) => decodeBatch(x.payload).records.map((r) => decodeText(r.value)))).toEqual([
      "v2",
    ]);
    expect(batches[0] && decodeBatch(batches[0].payload).header).toMatchObject({
      producerEpoch: 1,
      baseSequence: 0,
    });
    expect((await store.getPrivateState(OUTBOX_STATE_ID))?.state).toMatchObject({ epoch: 1, plan: null });
    await log.close();
  });

  it("pending() is never left stale by a recount that read the store before an append landed", async () => {
    const { url, appFetch } = setup();
    // Each outbox `offsets` read (the recount's high watermark) is held until the test releases it.
    let holding = false;
    const { gated, held } = holdingOffsets(new MemoryStore(), () => holding);
    const name = uniqueName();
    const log = await openOfflineLog({ name, store: gated, upstream: { url, fetch: appFetch }, sync: false });
    const seen: number[] = [];
    log.onSync((e) => seen.push(e.pending));
    await log.append("clicks", { key: "a", value: "1" });
    // Another tab reports sync progress: this tab recounts, and the recount's read is held…
    holding = true;
    const otherTab = new BroadcastChannel(`edgelog-outbox:${name}`);
    otherTab.postMessage({ type: "progress", sent: 0, lastError: null });
    await until(() => held.length === 1);
    // … while an append lands: the held figure (1) predates it.
    await log.append("clicks", { key: "a", value: "2" });
    expect(log.pending()).toBe(2);
    holding = false;
    held.pop()?.();
    await until(() => seen.length > 0 && held.length === 0);
    await new Promise((r) => setTimeout(r, 20));
    expect(log.pending()).toBe(2);
    expect(seen.at(-1)).toBe(2);
    otherTab.close();
    await log.close();
  });

  it("pending() counts nothing flush() saw acknowledged once it resolves, though a recount was slower", async () => {
    const { upstream, url, appFetch, ready } = setup(1);
    await ready;
    // A recount's reads (and only a recount's: the sync's own reads pass) are held while `holding`.
    let holding = false;
    const { gated, held } = holdingOffsets(
      new MemoryStore(),
      () => holding && new Error().stack?.includes("countPending") === true,
    );
    const log = await openOfflineLog({
      name: uniqueName(),
      store: gated,
      upstream: { url, fetch: appFetch },
    });
    holding = true;
    await log.append("clicks", { key: "a", value: "1" });
    // The record is acknowledged and committed; the recount that follows is held, so pending() still says 1.
    await until(async () => (await upstreamRecords(upstream)).flat().length === 1 && held.length > 0);
    expect(log.pending()).toBe(1);
    let atResolve: number | null = null;
    const flushed = log.flush().then(() => {
      atResolve = log.pending();
    });
    await new Promise((r) => setTimeout(r, 20));
    holding = false;
    for (const release of held.splice(0)) release();
    await flushed;
    expect(atResolve).toBe(0);
    await log.close();
  });

  it("flush() in a tab that does not sync gives up, bounded, when the syncing tab is alive but stalled", async () => {
    const { upstream, appFetch, ready, isBatchPost, url } = setup(1);
    await ready;
    let stalled = 0;
    // The syncing tab's upload is stored upstream but its response never comes (a hung connection).
    const hanging = async (input: RequestInfo | URL, init?: RequestInit) => {
      const response = await appFetch(input, init);
      if (!isBatchPost(init)) return response;
      stalled++;
      return new Promise<Response>(() => undefined);
    };
    const store = new MemoryStore();
    const name = uniqueName();
    const a = await openOfflineLog({ name, store, upstream: { url, fetch: hanging } });
    const b = await openOfflineLog({ name, store, upstream: { url, fetch: appFetch }, flushTimeoutMs: 200 });
    await b.append("clicks", { key: "a", value: "v1" });
    await until(() => stalled === 1);
    const started = Date.now();
    await expect(b.flush()).rejects.toMatchObject({ code: "REQUEST_TIMED_OUT", retriable: true });
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(190);
    expect(waited).toBeLessThan(2_000);
    expect(b.pending()).toBe(1); // nothing lost
    await a.close(); // the stalled tab goes away: b syncs, resends the identical batch, the server dedupes it
    await b.flush();
    expect(await upstreamRecords(upstream)).toEqual([["a:v1"]]);
    expect(b.pending()).toBe(0);
    await b.close();
  });

  it("flush() with no syncer at all rejects after the bound instead of hanging", async () => {
    const { appFetch, ready, url } = setup(1);
    await ready;
    const log = await openOfflineLog({
      name: uniqueName(),
      store: new MemoryStore(),
      upstream: { url, fetch: appFetch },
      sync: false,
      flushTimeoutMs: 50,
    });
    await log.append("clicks", { key: "a", value: "v1" });
    await expect(log.flush()).rejects.toMatchObject({ code: "REQUEST_TIMED_OUT" });
    expect(log.pending()).toBe(1);
    await log.close();
  });

  it("encodes values: JSON by default, strings as text, bytes as bytes", async () => {
    const { upstream, appFetch, ready, url } = setup(1);
    await ready;
    const log = await openOfflineLog({
      name: uniqueName(),
      store: new MemoryStore(),
      upstream: { url, fetch: appFetch },
    });
    await log.append("clicks", { key: "a", value: { x: 1 }, headers: { h: "v" } });
    await log.append("clicks", { key: "a", value: "text" });
    await log.append("clicks", { key: "a", value: new Uint8Array([104, 105]) });
    await log.flush();
    expect(await upstreamRecords(upstream)).toEqual([['a:{"x":1}', "a:text", "a:hi"]]);
    await log.close();
  });

  it("syncs topics named __proto__ and constructor like any other", async () => {
    const { upstream, appFetch, url } = setup();
    for (const name of ["__proto__", "constructor"])
      await upstream.createTopic({ name, partitions: 2, config: DEFAULT_TOPIC_CONFIG });
    const store = new MemoryStore();
    const log = await openOfflineLog({
      name: uniqueName(),
      store,
      upstream: { url, fetch: appFetch },
      retry: FAST,
    });
    for (let round = 0; round < 2; round++) {
      await Promise.all(
        ["__proto__", "constructor"].flatMap((topic) =>
          [0, 1, 2].map((i) => log.append(topic, { key: `k${i}`, value: `${topic}-${round}-${i}` })),
        ),
      );
      await log.flush();
    }
    expect(log.pending()).toBe(0);
    for (const topic of ["__proto__", "constructor"]) {
      const expected = [0, 1].flatMap((round) => [0, 1, 2].map((i) => `k${i}:${topic}-${round}-${i}`));
      expectExactlyOnceInKeyOrder(await upstreamRecords(upstream, topic), expected);
    }
    const { state } = (await store.getPrivateState(OUTBOX_STATE_ID)) ?? {};
    const { committed } = state as { committed: Record<string, number> };
    expect(Object.entries(committed).sort()).toEqual([
      ["__proto__", 6],
      ["constructor", 6],
    ]);
    await log.close();
  });

  it("reports an unexpected failure as itself, not a retriable timeout, and does not retry it on a timer", async () => {
    const { upstream, appFetch, ready, url } = setup(1);
    await ready;
    const bug = new RangeError("a bug in the store");
    let broken = true;
    let attempts = 0;
    const store = new MemoryStore();
    const faulty = new Proxy(store, {
      get(target, prop) {
        if (prop === "putPrivateState")
          return (...args: Parameters<MemoryStore["putPrivateState"]>) => {
            attempts++;
            return broken ? Promise.reject(bug) : target.putPrivateState(...args);
          };
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const log = await openOfflineLog({
      name: uniqueName(),
      store: faulty,
      upstream: { url, fetch: appFetch },
      retry: FAST,
      syncIntervalMs: 0,
    });
    await log.append("clicks", { key: "a", value: "v1" });
    const error = await log.flush().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "UNKNOWN_SERVER_ERROR", retriable: false, cause: bug });
    const seen = attempts;
    // Five times the longest backoff: a timer retry would have tried again by now.
    await new Promise((r) => setTimeout(r, 5 * FAST.maxMs));
    expect(attempts).toBe(seen);
    // The next wake-up (here an append) tries again.
    broken = false;
    await log.append("clicks", { key: "a", value: "v2" });
    await log.flush();
    expect(await upstreamRecords(upstream)).toEqual([["a:v1", "a:v2"]]);
    await log.close();
  });

  it("drains the outbox from a Background Sync event", async () => {
    const { upstream, appFetch, ready, url } = setup(1);
    await ready;
    const store = new MemoryStore();
    const name = uniqueName();
    const page = await openOfflineLog({ name, store, upstream: { url, fetch: appFetch }, sync: false });
    await page.append("clicks", { key: "a", value: "queued" });
    await page.close(); // every tab closed before it synced
    let done: Promise<unknown> | undefined;
    handleSyncEvent(
      { tag: "edgelog-outbox", waitUntil: (p) => (done = p) },
      { name, store, upstream: { url, fetch: appFetch } },
    );
    await done;
    expect(await upstreamRecords(upstream)).toEqual([["a:queued"]]);
  });
});
