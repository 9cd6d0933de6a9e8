/**
 * A full origin in real Chromium: IndexedDB's own `QuotaExceededError` must reach the caller of `append` as an
 * `EdgeLogError` STORAGE_QUOTA_EXCEEDED, and nothing stored before may be lost: still readable locally, still
 * counted by `pending()`, still delivered upstream exactly once when the network returns.
 *
 * The quota is made small with DevTools' `Storage.overrideQuotaForOrigin` (what DevTools' "Simulate custom
 * storage quota" uses). Its `origin` must be the page's exactly, port included, and it is set before the page
 * opens the database. `navigator.storage.estimate()` does not report the override (it still shows the disk's
 * quota); the quota manager enforces it all the same, at the commit of a write transaction. Chromium
 * compresses IndexedDB values and counts the compressed size, so the record that must not fit is random bytes:
 * a megabyte of one repeated character fits in a few kilobytes.
 */
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bundleApiPage, serveApiPage } from "./support/api-page.ts";
import { CHROMIUM_LAUNCH_OPTIONS } from "./support/chromium.ts";
import { type LocalWorker, startLocalWorker } from "./support/local-worker.ts";

const QUOTA_BYTES = 1024 * 1024;
// What is stored before the quota is hit stays far below it (5%): Chromium counts its own bookkeeping (journal,
// compaction lag) against the quota too, and once refused a small append that 20 × 10 KB should have fitted.
const STORED = 10;
const VALUE_BYTES = 5_000;

let worker: LocalWorker;
let browser: Browser;
let bundle: string;

beforeAll(async () => {
  bundle = await bundleApiPage();
  [worker, browser] = await Promise.all([startLocalWorker(), chromium.launch(CHROMIUM_LAUNCH_OPTIONS)]);
});

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
});

it("an append past the origin's quota rejects with STORAGE_QUOTA_EXCEEDED; what was stored stays and syncs", async () => {
  const started = performance.now();
  const created = await fetch(`${worker.url}/v1/topics`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "quota", partitions: 1 }),
  });
  expect(created.status).toBe(201);
  const context = await browser.newContext();
  await serveApiPage(context, worker.url, bundle);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Storage.overrideQuotaForOrigin", { origin: worker.url, quotaSize: QUOTA_BYTES });
  await page.goto(`${worker.url}/__test/index.html`);
  await context.setOffline(true);

  const offline = await page.evaluate(
    async ({ stored, valueBytes, quotaBytes }) => {
      // The bundle's API, as far as this test uses it.
      interface Log {
        append(topic: string, record: { key: string; value: string | Uint8Array }): Promise<void>;
        pending(): number;
        flush(): Promise<void>;
        close(): Promise<void>;
      }
      interface Store {
        read(
          tp: { topic: string; partition: number },
          options: { offset: number; maxBytes: number },
        ): Promise<{ batches: { payload: Uint8Array }[] }>;
        close(): Promise<void>;
      }
      const api = (globalThis as unknown as { edgelog: Record<string, never> }).edgelog as unknown as {
        openOfflineLog(options: { name: string; upstream: { url: string } }): Promise<Log>;
        IndexedDbLogStore: new (options: { name: string }) => Store;
        decodeBatch(payload: Uint8Array): { records: { value: Uint8Array | null }[] };
        decodeText(bytes: Uint8Array | null): string | null;
      };
      const describe = (error: unknown) => {
        const e = error as { name?: string; code?: string; context?: { storage?: string }; cause?: unknown };
        return {
          name: e.name,
          code: e.code,
          storage: e.context?.storage,
          cause: (e.cause as { name?: string } | undefined)?.name,
        };
      };
      const log = await api.openOfflineLog({ name: "quota", upstream: { url: location.origin } });
      (globalThis as unknown as { log: Log }).log = log;
      const textOf = (i: number) => `v${i}-`.padEnd(valueBytes, "x");
      for (let i = 0; i < stored; i++) await log.append("quota", { key: "k", value: textOf(i) });
      const pendingBefore = log.pending();
      // One record larger than the whole quota, alone…
      // Random bytes: Chromium compresses IndexedDB values, and a repeated character would fit in the quota.
      const big = new Uint8Array(2 * quotaBytes);
      for (let at = 0; at < big.length; at += 65_536) crypto.getRandomValues(big.subarray(at, at + 65_536));
      const alone = await log.append("quota", { key: "k", value: big }).then(() => null, describe);
      // …and in the same tick as two small ones: they share its transaction, so all three are refused together.
      const together = (
        await Promise.allSettled([
          log.append("quota", { key: "k", value: "lost-1" }),
          log.append("quota", { key: "k", value: big }),
          log.append("quota", { key: "k", value: "lost-2" }),
        ])
      ).map((r) => (r.status === "rejected" ? describe(r.reason) : null));
      const pendingAfter = log.pending();
      // What was stored is all there, read back through a second store on the same database.
      const reader = new api.IndexedDbLogStore({ name: "quota" });
      const { batches } = await reader.read(
        { topic: "__outbox.quota", partition: 0 },
        { offset: 0, maxBytes: 1 << 24 },
      );
      const values = batches.flatMap((b) =>
        api.decodeBatch(b.payload).records.map((r) => api.decodeText(r.value)),
      );
      await reader.close();
      const intact = values.length === stored && values.every((v, i) => v === textOf(i));
      // The store is not wedged: a small append still fits.
      await log.append("quota", { key: "k", value: "after" });
      return {
        pendingBefore,
        alone,
        together,
        pendingAfter,
        intact,
        count: values.length,
        pendingEnd: log.pending(),
      };
    },
    { stored: STORED, valueBytes: VALUE_BYTES, quotaBytes: QUOTA_BYTES },
  );
  const quotaError = {
    name: "EdgeLogError",
    code: "STORAGE_QUOTA_EXCEEDED",
    storage: "QuotaExceededError",
    cause: "QuotaExceededError",
  };
  expect(offline.pendingBefore).toBe(STORED);
  expect(offline.alone).toEqual(quotaError);
  expect(offline.together).toEqual([quotaError, quotaError, quotaError]);
  expect(offline.pendingAfter).toBe(STORED);
  expect(offline.count).toBe(STORED);
  expect(offline.intact).toBe(true);
  expect(offline.pendingEnd).toBe(STORED + 1);

  await context.setOffline(false);
  await page.evaluate(async () => {
    const { log } = globalThis as unknown as { log: { flush(): Promise<void>; pending(): number } };
    await log.flush();
    if (log.pending() !== 0) throw new Error(`pending ${log.pending()} after flush`);
  });
  const body = (await (
    await fetch(`${worker.url}/v1/topics/quota/partitions/0/records?offset=0&limit=1000`)
  ).json()) as { records: { value: string }[] };
  expect(body.records.map((r) => r.value)).toEqual([
    ...Array.from({ length: STORED }, (_, i) => `v${i}-`.padEnd(VALUE_BYTES, "x")),
    "after",
  ]);
  await context.close();
  console.log(`quota test: ${Math.round(performance.now() - started)} ms`);
});
