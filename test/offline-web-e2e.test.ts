/**
 * The offline log end to end, as a person would use it: the web console served by the real Worker
 * (`wrangler dev`, Durable Objects), in real headless Chromium. 10,000 events are recorded while the browser is
 * offline; back online, the first upload's response is dropped after the server committed it, and the page is
 * reloaded in the middle of the sync. Upstream must end up holding every event exactly once, in append order
 * (all share one key, so one partition), and the page must show nothing pending.
 */
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_LAUNCH_OPTIONS } from "./support/chromium.ts";
import { type LocalWorker, startLocalWorker } from "./support/local-worker.ts";

const BURSTS = 10; // the console's "Append 1,000" button, ten times
const EVENTS = BURSTS * 1_000;

async function textOf(page: Page, selector: string): Promise<string> {
  return (await page.textContent(selector)) ?? "";
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("the web console's offline log against the local Worker, in Chromium", () => {
  let worker: LocalWorker;
  let browser: Browser;

  beforeAll(async () => {
    worker = await startLocalWorker();
    browser = await chromium.launch(CHROMIUM_LAUNCH_OPTIONS);
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
  });

  it("delivers 10,000 events recorded offline exactly once, through a lost response and a reload", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${worker.url}/offline`);
    await page.waitForSelector("body[data-ready=true]");
    // Online at first load: the console creates its topic upstream.
    await waitUntil(async () => (await textOf(page, "#upstream-summary")).includes('"clicks"'), 20_000);

    await context.setOffline(true);
    for (let burst = 0; burst < BURSTS; burst++) await page.click("#append-burst");
    await waitUntil(async () => (await textOf(page, "#pending")) === String(EVENTS), 20_000);
    // Use smaller polls than a 1,000-record plan takes to send, so the reload below lands mid-sync.

    // The first upload reaches the server and is committed, but its response never reaches the page.
    let dropped = 0;
    await context.route("**/v1/topics/clicks/partitions/*/batches", async (route) => {
      if (route.request().method() === "POST" && dropped === 0) {
        dropped++;
        await route.fetch();
        await route.abort("connectionreset");
        return;
      }
      await route.continue();
    });

    await context.setOffline(false);
    // Reload once some of the events have gone out but not all.
    let pendingAtReload = -1;
    await waitUntil(async () => {
      pendingAtReload = Number(await textOf(page, "#pending"));
      return pendingAtReload < EVENTS && pendingAtReload > 0;
    }, 30_000);
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    await waitUntil(async () => (await textOf(page, "#pending")) === "0", 60_000);
    expect(dropped).toBe(1);
    expect(pendingAtReload).toBeGreaterThan(0);
    expect(pendingAtReload).toBeLessThan(EVENTS);

    const description = (await (await fetch(`${worker.url}/v1/topics/clicks`)).json()) as {
      partitions: { partition: number; highWatermark: number }[];
    };
    const total = description.partitions.reduce((sum, p) => sum + p.highWatermark, 0);
    expect(total).toBe(EVENTS);
    const busiest = description.partitions.find((p) => p.highWatermark > 0);
    expect(busiest?.highWatermark).toBe(EVENTS);

    // Append order kept: bursts of i = 0..999, one after another.
    const values: number[] = [];
    for (let offset = 0; offset < EVENTS; ) {
      const response = await fetch(
        `${worker.url}/v1/topics/clicks/partitions/${busiest?.partition}/records?offset=${offset}&limit=10000`,
      );
      const body = (await response.json()) as { records: { value: { i: number } }[]; nextOffset: number };
      values.push(...body.records.map((r) => r.value.i));
      offset = body.nextOffset;
    }
    expect(values).toEqual(Array.from({ length: EVENTS }, (_, n) => n % 1_000));
    await context.close();
  });

  it("two tabs appending while one syncs: every event upstream once, each tab's key in order", async () => {
    const context = await browser.newContext();
    const tabs = [await context.newPage(), await context.newPage()];
    for (const [i, tab] of tabs.entries()) {
      await tab.goto(`${worker.url}/offline`);
      await tab.waitForSelector("body[data-ready=true]");
      await tab.fill("input[name=topic]", "tabs");
      await tab.fill("input[name=key]", `tab-${i}`);
    }
    await tabs[0]?.click("#append-form button[type=submit]"); // online: creates "tabs" upstream, one event from tab-0
    // The click only starts the page's handler (create the topic, then append): wait until that event is
    // acknowledged, or going offline could overtake the topic's creation.
    await waitUntil(async () => (await textOf(tabs[0] as Page, "#sent")) === "1", 20_000);
    await context.setOffline(true);
    await Promise.all(
      tabs.map(async (tab) => {
        await tab.click("#append-burst");
        await tab.click("#append-burst");
      }),
    );
    await context.setOffline(false);
    for (const tab of tabs) await waitUntil(async () => (await textOf(tab, "#pending")) === "0", 60_000);

    const valuesByKey = new Map<string, number[]>();
    const description = (await (await fetch(`${worker.url}/v1/topics/tabs`)).json()) as {
      partitions: { partition: number; highWatermark: number }[];
    };
    for (const { partition, highWatermark } of description.partitions) {
      if (highWatermark === 0) continue;
      const body = (await (
        await fetch(`${worker.url}/v1/topics/tabs/partitions/${partition}/records?offset=0&limit=10000`)
      ).json()) as { records: { key: string; value: { i?: number; x?: number } }[] };
      for (const record of body.records) {
        const values = valuesByKey.get(record.key) ?? [];
        values.push(record.value.i ?? -1);
        valuesByKey.set(record.key, values);
      }
    }
    const burst = Array.from({ length: 1_000 }, (_, n) => n);
    expect(valuesByKey.get("tab-0")).toEqual([-1, ...burst, ...burst]);
    expect(valuesByKey.get("tab-1")).toEqual([...burst, ...burst]);
    await context.close();
  });

  it("sets a record upstream can never take aside, reports it, and delivers the events around it", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${worker.url}/offline`);
    await page.waitForSelector("body[data-ready=true]");
    await page.fill("input[name=topic]", "refusals");
    await page.fill("input[name=key]", "k");
    await page.fill("input[name=value]", '"before"');
    await page.click("#append-form button[type=submit]");
    // "Pending 0" alone also holds before the click's handler has appended anything (it first creates the topic
    // upstream): wait for the acknowledgement, or under load "before" would be appended after going offline.
    await waitUntil(
      async () => (await textOf(page, "#sent")) === "1" && (await textOf(page, "#pending")) === "0",
      20_000,
    );
    await context.setOffline(true);
    // Larger than the topic's max.message.bytes (1 MiB): the server can never take it. Set, not typed: typing
    // 1.1 MB through the input costs seconds of page time under load and tests nothing of the log.
    await page.$eval(
      "input[name=value]",
      (input, value) => {
        (input as HTMLInputElement).value = value;
      },
      JSON.stringify("x".repeat(1_100_000)),
    );
    await page.click("#append-form button[type=submit]");
    await page.fill("input[name=value]", '"after"');
    await page.click("#append-form button[type=submit]");
    await waitUntil(async () => (await textOf(page, "#pending")) === "2", 20_000);
    await context.setOffline(false);
    await waitUntil(async () => (await textOf(page, "#pending")) === "0", 30_000);
    await waitUntil(async () => (await textOf(page, "#last-error")).includes("MESSAGE_TOO_LARGE"), 10_000);

    const description = (await (await fetch(`${worker.url}/v1/topics/refusals`)).json()) as {
      partitions: { partition: number; highWatermark: number }[];
    };
    const values: unknown[] = [];
    for (const { partition, highWatermark } of description.partitions) {
      if (highWatermark === 0) continue;
      const body = (await (
        await fetch(`${worker.url}/v1/topics/refusals/partitions/${partition}/records?offset=0`)
      ).json()) as { records: { value: unknown }[] };
      values.push(...body.records.map((r) => r.value));
    }
    expect(values).toEqual(["before", "after"]);
    await context.close();
  });
});
