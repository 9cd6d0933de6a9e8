/**
 * The in-page half of `offline-log.ts`: bundled with vite into one IIFE and served from the local Worker's origin,
 * it exposes `globalThis.edgelogBench` with the measurements, each timed with `performance.now()` in the page.
 */
import { openDB } from "idb";
import { openOfflineLog } from "../src/index.ts";

const VALUE_BYTES = 100;
const IDB_TX_RECORDS = 1_000;

const valueFor = (i: number): string => `event-${i}-`.padEnd(VALUE_BYTES, "x");

/**
 * Deletes a measurement's database once it is closed: left behind, the databases of earlier repetitions slow
 * the later ones (Chromium's IndexedDB grows), which would skew repetitions and ratios.
 */
function dropDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
    request.onblocked = () => resolve();
  });
}

/** A fresh offline log that never syncs, so appends measure the local write alone. */
async function openQuietLog(prefix: string) {
  const name = `${prefix}-${crypto.randomUUID()}`;
  const log = await openOfflineLog({
    name,
    upstream: { url: location.origin },
    sync: false,
    syncIntervalMs: 0,
  });
  return { name, log };
}

/** N appends with no await in between (one `Promise.all`); the log does not sync (sync: false). */
async function burstOfflineLog(n: number): Promise<{ ms: number; pending: number }> {
  const { name, log } = await openQuietLog("bench-burst");
  const started = performance.now();
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      log.append("bench-burst", { key: `user-${i % 100}`, value: valueFor(i) }),
    ),
  );
  const ms = performance.now() - started;
  const pending = log.pending();
  await log.close();
  await dropDatabase(name);
  return { ms, pending };
}

/** The same N records written with idb directly: 1,000 `add`s per readwrite transaction, transactions in sequence. */
async function burstRawIdb(n: number): Promise<{ ms: number; count: number }> {
  const name = `bench-raw-${crypto.randomUUID()}`;
  const db = await openDB(name, 1, {
    upgrade(database) {
      database.createObjectStore("events", { autoIncrement: true });
    },
  });
  const encoder = new TextEncoder();
  const started = performance.now();
  for (let from = 0; from < n; from += IDB_TX_RECORDS) {
    const tx = db.transaction("events", "readwrite");
    const adds: Promise<unknown>[] = [];
    for (let i = from; i < Math.min(n, from + IDB_TX_RECORDS); i++)
      adds.push(
        tx.store.add({ key: `user-${i % 100}`, value: encoder.encode(valueFor(i)), timestamp: Date.now() }),
      );
    await Promise.all([...adds, tx.done]);
  }
  const ms = performance.now() - started;
  const count = await db.count("events");
  db.close();
  await dropDatabase(name);
  return { ms, count };
}

/** N awaited appends, one after another: what a page that awaits each event pays. */
async function singleOfflineLog(n: number): Promise<{ ms: number; pending: number }> {
  const { name, log } = await openQuietLog("bench-single");
  const started = performance.now();
  for (let i = 0; i < n; i++)
    await log.append("bench-single", { key: `user-${i % 100}`, value: valueFor(i) });
  const ms = performance.now() - started;
  const pending = log.pending();
  await log.close();
  await dropDatabase(name);
  return { ms, pending };
}

/**
 * Raw idb with one readwrite transaction per record: `awaited` one after another (the baseline for awaited
 * single appends), or all started at once with no await in between (a burst written the naive way).
 */
async function rawIdbPerRecord(
  n: number,
  awaited: boolean,
  durability: IDBTransactionDurability = "default",
): Promise<{ ms: number; count: number }> {
  const name = `bench-raw-tx-${crypto.randomUUID()}`;
  const db = await openDB(name, 1, {
    upgrade(database) {
      database.createObjectStore("events", { autoIncrement: true });
    },
  });
  const encoder = new TextEncoder();
  const add = async (i: number) => {
    const tx = db.transaction("events", "readwrite", { durability });
    await Promise.all([
      tx.store.add({ key: `user-${i % 100}`, value: encoder.encode(valueFor(i)), timestamp: Date.now() }),
      tx.done,
    ]);
  };
  const started = performance.now();
  if (awaited) for (let i = 0; i < n; i++) await add(i);
  else await Promise.all(Array.from({ length: n }, (_, i) => add(i)));
  const ms = performance.now() - started;
  const count = await db.count("events");
  db.close();
  await dropDatabase(name);
  return { ms, count };
}

/**
 * Queues `total` events while `upstream.fetch` rejects (offline), then lets them through, announces `online` and
 * times from there until `flush()` resolves with `pending() === 0`.
 */
async function drain(
  topic: string,
  total: number,
  chunk: number,
): Promise<{
  queueMs: number;
  pendingOffline: number;
  drainMs: number;
  pendingAfter: number;
  failedFetches: number;
  requests: number;
  requestMs: number;
  requestKinds: Record<string, number>;
}> {
  let offline = true;
  let failedFetches = 0;
  // Upstream requests while online: how many, and their summed wall time (they are sent one at a time).
  let requests = 0;
  let requestMs = 0;
  const requestKinds: Record<string, number> = {};
  const name = `bench-drain-${crypto.randomUUID()}`;
  const log = await openOfflineLog({
    name,
    upstream: {
      url: location.origin,
      fetch: (input, init) => {
        if (offline) {
          failedFetches++;
          return Promise.reject(new TypeError("Failed to fetch (bench: offline)"));
        }
        requests++;
        const kind = `${init?.method ?? "GET"} ${new URL(String(input instanceof Request ? input.url : input)).pathname}`;
        requestKinds[kind] = (requestKinds[kind] ?? 0) + 1;
        const sent = performance.now();
        return fetch(input, init).finally(() => {
          requestMs += performance.now() - sent;
        });
      },
    },
    syncIntervalMs: 0,
  });
  const queueStarted = performance.now();
  for (let from = 0; from < total; from += chunk)
    await Promise.all(
      Array.from({ length: Math.min(chunk, total - from) }, (_, j) =>
        log.append(topic, { key: `user-${(from + j) % 100}`, value: valueFor(from + j) }),
      ),
    );
  const queueMs = performance.now() - queueStarted;
  // Be sure the sync really ran into the offline upstream and sits in its backoff before going online.
  let failedPasses = 0;
  const off = log.onSync((event) => {
    if (event.lastError !== null) failedPasses++;
  });
  const waitUntil = Date.now() + 30_000;
  while ((failedFetches === 0 || failedPasses === 0) && Date.now() < waitUntil)
    await new Promise((r) => setTimeout(r, 10));
  off();
  const pendingOffline = log.pending();
  const started = performance.now();
  offline = false;
  globalThis.dispatchEvent(new Event("online"));
  await log.flush();
  const drainMs = performance.now() - started;
  const pendingAfter = log.pending();
  await log.close();
  await dropDatabase(name);
  if (failedFetches === 0) throw new Error("the sync never tried the offline upstream");
  return { queueMs, pendingOffline, drainMs, pendingAfter, failedFetches, requests, requestMs, requestKinds };
}

/** Registers the Workbox service worker (bench/sw-entry.ts) and has it push n requests with `Queue.pushRequest`. */
async function workbox(n: number, url: string): Promise<{ ms: number; queued: number }> {
  const registration = await navigator.serviceWorker.register("/bench/sw.js", { scope: "/bench/" });
  const worker = registration.active ?? registration.installing ?? registration.waiting;
  if (worker === null) throw new Error("no service worker");
  if (worker.state !== "activated")
    await new Promise<void>((resolve) =>
      worker.addEventListener("statechange", () => {
        if (worker.state === "activated") resolve();
      }),
    );
  const channel = new MessageChannel();
  const answer = new Promise<{ ok: boolean; result?: { ms: number; queued: number }; error?: string }>(
    (resolve) => {
      channel.port1.onmessage = (event) => resolve(event.data);
    },
  );
  worker.postMessage({ n, url }, [channel.port2]);
  const { ok, result, error } = await answer;
  if (!ok || result === undefined) throw new Error(`workbox: ${error}`);
  return result;
}

Object.assign(globalThis, {
  edgelogBench: { burstOfflineLog, burstRawIdb, singleOfflineLog, rawIdbPerRecord, drain, workbox },
});
