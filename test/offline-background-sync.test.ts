/**
 * Background Sync in a real service worker, in real headless Chromium against the local Worker: the web console
 * (apps/web) registers its service worker (apps/web/src/sw.ts, which calls the package's `handleSyncEvent`),
 * records events while the browser is offline and asks for a `sync` (`registerOfflineLogSync`). Then every tab
 * is closed and the network comes back: the browser itself fires `sync` and the service worker alone delivers
 * the events upstream, exactly once and in order.
 *
 * Exercised: the browser's own Background Sync scheduling (a one-shot `sync` registered while offline fires when
 * the network returns; nobody dispatches it by hand), the service worker's drain with no page alive, the local
 * outbox emptied afterwards. The network is cut with DevTools' offline emulation (Playwright `setOffline`), which
 * Chromium's Background Sync honours for the service worker as it would a real connectivity change. Not
 * exercised: a real OS network change, Chromium's retry schedule after a failed `sync` (minutes of backoff),
 * Periodic Background Sync, and browsers without Background Sync (Firefox, Safari), where the console delivers
 * on the next visit instead (page load, `online`, 30 s interval: covered by offline-web-e2e.test.ts).
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { CHROMIUM_LAUNCH_OPTIONS } from "./support/chromium.ts";
import { type LocalWorker, startLocalWorker } from "./support/local-worker.ts";

const EVENTS = 2_000; // the console's "Append 1,000" button, twice

let worker: LocalWorker;
let browser: Browser;

beforeAll(async () => {
  [worker, browser] = await Promise.all([startLocalWorker(), chromium.launch(CHROMIUM_LAUNCH_OPTIONS)]);
});

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const textOf = async (page: Page, selector: string): Promise<string> =>
  (await page.textContent(selector)) ?? "";

/** A fresh browser context on the web console, ready, with what its service worker logs. */
async function openConsole() {
  const context = await browser.newContext();
  const workerConsole: string[] = [];
  context.on("console", (message) => {
    if (message.worker()?.url().endsWith("/sw.js")) workerConsole.push(message.text());
  });
  const page = await context.newPage();
  await page.goto(`${worker.url}/offline`);
  await page.waitForSelector("body[data-ready=true]");
  return { context, workerConsole, page };
}

/** Records upstream in `topic`, all partitions, as the burst index of each. */
async function upstreamValues(topic = "clicks"): Promise<number[]> {
  const response = await fetch(`${worker.url}/v1/topics/${topic}`);
  if (!response.ok) return [];
  const { partitions } = (await response.json()) as {
    partitions: { partition: number; highWatermark: number }[];
  };
  const values: number[] = [];
  for (const { partition, highWatermark } of partitions) {
    for (let offset = 0; offset < highWatermark; ) {
      const body = (await (
        await fetch(
          `${worker.url}/v1/topics/${topic}/partitions/${partition}/records?offset=${offset}&limit=10000`,
        )
      ).json()) as { records: { value: { i: number } }[]; nextOffset: number };
      values.push(...body.records.map((r) => r.value.i));
      if (body.nextOffset <= offset)
        throw new Error(`no progress reading ${topic}/${partition} at ${offset}`);
      offset = body.nextOffset;
    }
  }
  return values;
}

it("the service worker delivers events recorded offline after every tab closed, on the browser's sync event", async () => {
  const started = performance.now();
  const { context, workerConsole, page } = await openConsole();
  const registration = await page.evaluate(async () => {
    const ready = await navigator.serviceWorker.ready;
    return { script: ready.active?.scriptURL, backgroundSync: "sync" in ready };
  });
  expect(registration).toEqual({ script: `${worker.url}/sw.js`, backgroundSync: true });
  // The console creates its topic upstream at load.
  await waitUntil(async () => (await fetch(`${worker.url}/v1/topics/clicks`)).ok, 20_000);

  await context.setOffline(true);
  await page.click("#append-burst");
  await page.click("#append-burst");
  await waitUntil(async () => (await textOf(page, "#pending")) === String(EVENTS), 20_000);
  // Recorded while the browser is offline: the page asked for a sync.
  await waitUntil(async () => (await textOf(page, "#background-sync")) === "registered", 10_000);
  const tags = await page.evaluate(async () => {
    const ready = (await navigator.serviceWorker.ready) as unknown as {
      sync: { getTags(): Promise<string[]> };
    };
    return ready.sync.getTags();
  });
  expect(tags).toEqual(["edgelog-outbox"]);

  await page.close();
  expect(context.pages()).toEqual([]);
  expect(await upstreamValues()).toEqual([]);
  expect(workerConsole).toEqual([]); // no sync event while offline

  const online = performance.now();
  await context.setOffline(false);
  await waitUntil(async () => (await upstreamValues()).length >= EVENTS, 30_000);
  const deliveredMs = performance.now() - online;
  await waitUntil(async () => workerConsole.some((line) => line.includes("drained the outbox")), 10_000);
  expect(workerConsole).toEqual([
    'edgelog: sync event "edgelog-outbox"',
    'edgelog: sync event "edgelog-outbox" drained the outbox',
  ]);
  const burst = Array.from({ length: 1_000 }, (_, n) => n);
  expect(await upstreamValues()).toEqual([...burst, ...burst]);

  // The outbox is empty: a new visit has nothing pending and sends nothing again.
  const again = await context.newPage();
  await again.goto(`${worker.url}/offline`);
  await again.waitForSelector("body[data-ready=true]");
  expect(await textOf(again, "#pending")).toBe("0");
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect((await upstreamValues()).length).toBe(EVENTS);
  await context.close();
  console.log(
    `background sync: ${EVENTS} events delivered by the service worker ${Math.round(deliveredMs)} ms after ` +
      `the network returned; test ${Math.round(performance.now() - started)} ms`,
  );
});

it("with the tab still open, the sync event waits for the tab that syncs and everything arrives once", async () => {
  const created = await fetch(`${worker.url}/v1/topics`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "open-tab", partitions: 3 }),
  });
  expect(created.status).toBe(201);
  const { context, workerConsole, page } = await openConsole();
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.fill("input[name=topic]", "open-tab");
  await context.setOffline(true);
  await page.click("#append-burst");
  await waitUntil(async () => (await textOf(page, "#pending")) === "1000", 20_000);
  await waitUntil(async () => (await textOf(page, "#background-sync")) === "registered", 10_000);

  // Back online: the tab (it holds the sync lock) and the service worker's `sync` event both wake up. The
  // worker's log is not the syncer: its flush asks the tab and resolves on the tab's progress.
  await context.setOffline(false);
  await waitUntil(async () => workerConsole.some((line) => line.includes("drained the outbox")), 30_000);
  await waitUntil(async () => (await textOf(page, "#pending")) === "0", 30_000);
  expect(workerConsole.filter((line) => line.includes("failed"))).toEqual([]);
  expect(await upstreamValues("open-tab")).toEqual(Array.from({ length: 1_000 }, (_, n) => n));
  await context.close();
});
