/**
 * The console's Messages screen in real headless Chromium against the real Worker (`wrangler dev`, built
 * apps/web/dist): produce from the form (and the server's refusal, code and message), find records by offset, by
 * time and by a key filter, filter values by a JSON path, watch the live tail receive records another client
 * produced and pause it without losing any, copy a record as JSON (read back from the clipboard) with its exact
 * bytes shown, open a value nested 10,000 deep (shown as its text), and scroll a 20,000-record partition both
 * ways while counting the reads — pages, never the log.
 * Every test fails on a browser console error, page error, CSP violation or failed asset load
 * (test/support/console-page.ts). Screenshots go to docs/console/ with `EDGELOG_SCREENSHOTS=1`, else to a temp dir.
 *
 * One page serves every test (hash navigation, no reloads but one; phone width and dark by emulation): a new
 * browser context costs seconds on a loaded machine. The Worker is the console files' shared one
 * (test/support/console-worker.ts): this file's topic names are its own.
 */
import { encodeBatch } from "@edgelog/core";
import { type Browser, chromium, type Page, type Request } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_LAUNCH_OPTIONS } from "./support/chromium.ts";
import { type ConsolePage, openConsole, screenshot } from "./support/console-page.ts";
import { consoleWorker } from "./support/console-worker.ts";
import type { LocalWorker } from "./support/local-worker.ts";

const WAIT_MS = 20_000;
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const BIG_RECORDS = Number(process.env.EDGELOG_CONSOLE_BIG_RECORDS ?? 20_000);

interface SeedRecord {
  key: string;
  value: unknown;
  partition: number;
  timestamp?: number;
  headers?: Record<string, string>;
}

describe("the console's Messages screen", () => {
  let worker: LocalWorker;
  let browser: Browser;
  let console: ConsolePage;
  let page: Page;

  async function api(path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${worker.url}${path}`, {
      method: body === undefined ? "GET" : "POST",
      ...(body === undefined
        ? {}
        : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.status === 204 ? undefined : response.json();
  }

  async function createTopic(name: string, partitions: number): Promise<void> {
    await api("/v1/topics", { name, partitions });
  }

  async function produce(topic: string, records: SeedRecord[]): Promise<void> {
    await api(`/v1/topics/${topic}/records`, { records });
  }

  /** Shows `hash` in the page (a same-document navigation unless the page is elsewhere). */
  const go = (hash: string): Promise<void> => console.go(hash);

  const shot = async (name: string): Promise<void> => {
    await screenshot(page, name);
  };

  /** The record drawn at the top of the list's view (the first row not above it). */
  async function topRow(): Promise<{ partition: number; offset: number } | null> {
    return page.evaluate(() => {
      const scroller = document.querySelector(".record-scroller");
      if (scroller === null) return null;
      const top = scroller.getBoundingClientRect().top;
      const rows = [...document.querySelectorAll<HTMLElement>(".record-row")]
        .map((row) => ({ row, y: row.getBoundingClientRect().top - top }))
        .filter(({ y }) => y > -2)
        .sort((a, b) => a.y - b.y);
      const first = rows[0]?.row;
      if (first === undefined) return null;
      return { partition: Number(first.dataset.partition), offset: Number(first.dataset.offset) };
    });
  }

  const rowsShown = () =>
    page.$$eval(".record-row", (rows) =>
      rows.map((row) => ({
        partition: Number((row as HTMLElement).dataset.partition),
        offset: Number((row as HTMLElement).dataset.offset),
        key: row.querySelector(".cell.key")?.textContent ?? "",
      })),
    );

  const textOf = async (selector: string) => (await page.textContent(selector)) ?? "";

  beforeAll(async () => {
    [worker, browser] = await Promise.all([consoleWorker(), chromium.launch(CHROMIUM_LAUNCH_OPTIONS)]);
    console = await openConsole(browser, worker.url, { permissions: ["clipboard-read", "clipboard-write"] });
    page = console.page;
    // "events": 120 records over 2 partitions, one a minute, keys user-0..user-11; record i is in partition i % 2.
    await createTopic("events", 2);
    await produce(
      "events",
      Array.from({ length: 120 }, (_, i) => ({
        key: `user-${i % 12}`,
        value: { i, user: { id: i % 9, name: `name ${i}` }, total: i },
        partition: i % 2,
        timestamp: T0 + i * 60_000,
        headers: { source: "seed" },
      })),
    );
  });

  afterEach(() => {
    console.expectClean();
  });

  afterAll(async () => {
    await console?.close();
    await browser?.close();
    await worker?.stop();
  });

  it("produces from the form: the assigned partition and offset, or the server's code and message", async () => {
    await createTopic("purchases", 3);
    await go("#/topics/purchases/messages");
    await page.click("#open-produce");
    await page.fill("#produce-form input[name=key]", "user-1");
    await page.fill("#produce-form textarea[name=value]", '{ "total": 42, "user": { "id": 7 } }');
    await page.click("#produce-form button:has-text('Add header')");
    await page.click("#produce-form button:has-text('Add header')");
    await page.fill("[aria-label='Header 1 name']", "source");
    await page.fill("[aria-label='Header 1 value']", "console");
    await page.fill("[aria-label='Header 2 name']", "__proto__");
    await page.fill("[aria-label='Header 2 value']", "a header like any other");
    await page.click("#produce-form button[type=submit]");
    await page.waitForSelector("#produce-result:has-text('Written to partition')", { timeout: WAIT_MS });
    const [, partition, offset] =
      /partition (\d+) at offset (\d+)/.exec(await textOf("#produce-result")) ?? [];
    expect(offset).toBe("0");
    const read = (await api(`/v1/topics/purchases/partitions/${partition}/records?offset=0`)) as {
      records: { key: string; value: unknown; headers: Record<string, string> }[];
    };
    expect(read.records).toHaveLength(1);
    expect(read.records[0]?.key).toBe("user-1");
    expect(read.records[0]?.value).toEqual({ total: 42, user: { id: 7 } });
    expect(Object.entries(read.records[0]?.headers ?? {})).toEqual([
      ["source", "console"],
      ["__proto__", "a header like any other"],
    ]);
    // The list behind the dialog has the new record too (a write at the end of the log reads it).
    await page.waitForSelector(".record-row[data-offset='0']", { timeout: WAIT_MS });
    await shot("messages-produce");

    // Text to a chosen partition, with a header row removed again.
    await page.click("[aria-label='Remove header 2']");
    await page.click("#produce-form button:has-text('Text')");
    await page.fill("#produce-form textarea[name=value]", "not { json");
    await page.selectOption("#produce-form select[name=partition]", "2");
    await page.click("#produce-form button[type=submit]");
    await page.waitForSelector("#produce-result:has-text('partition 2 at offset')", { timeout: WAIT_MS });
    const texts = (await api("/v1/topics/purchases/partitions/2/records?offset=0")) as {
      records: { key: string | null; value: unknown; valueFormat?: string; headers: object }[];
    };
    expect(texts.records.at(-1)).toEqual({
      offset: expect.any(Number),
      timestamp: expect.any(Number),
      key: "user-1",
      value: "not { json",
      valueFormat: "text",
      headers: { source: "console" },
    });

    // Not JSON: refused in the page, nothing sent.
    await page.click("#produce-form button:has-text('JSON')");
    await page.click("#produce-form button[type=submit]");
    await page.waitForSelector("#produce-error:has-text('The value is not JSON')", { timeout: WAIT_MS });

    // A key over the server's 8 KiB cap: the server's refusal, with its code.
    console.allowStatuses(400);
    await page.fill("#produce-form textarea[name=value]", "1");
    await page.fill("#produce-form input[name=key]", "k".repeat(9_000));
    await page.click("#produce-form button[type=submit]");
    await page.waitForSelector("#produce-error:has-text('INVALID_RECORD')", { timeout: WAIT_MS });
    expect(await textOf("#produce-error")).toContain("8192");

    // The written records are in the list behind the dialog once it closes.
    await page.keyboard.press("Escape");
    await page.waitForSelector(".record-row[data-offset='0'] .cell.key:has-text('user-1')", {
      timeout: WAIT_MS,
    });
  });

  it("finds a record by offset, by time, and by a key filter; the link holds the place", async () => {
    await go("#/topics/events/messages");
    await page.waitForSelector(".record-row", { timeout: WAIT_MS });
    await shot("messages");

    // By offset, from the form: partition 1 at offset 40 is the top row.
    await page.selectOption("#browse-form select[name=partition]", "1");
    await page.selectOption("#browse-form select[name=from]", "offset");
    await page.fill("#browse-form input[name=offset]", "40");
    await page.click("#browse-form button[type=submit]");
    await expect.poll(() => topRow(), { timeout: WAIT_MS }).toEqual({ partition: 1, offset: 40 });
    expect(page.url()).toContain("#/topics/events/messages?partition=1&from=offset&offset=40");

    // By time, over all partitions: record 50 (partition 0, offset 25) is the first at or after T0 + 50 min.
    await page.selectOption("#browse-form select[name=partition]", "all");
    await page.selectOption("#browse-form select[name=from]", "time");
    await page.fill("#browse-form input[name=time]", new Date(T0 + 50 * 60_000 - 1).toISOString());
    await page.click("#browse-form button[type=submit]");
    await expect.poll(() => topRow(), { timeout: WAIT_MS }).toEqual({ partition: 0, offset: 25 });

    // By key, exactly and by prefix, from the earliest record: only matches, and the scan says how far it went.
    await page.selectOption("#browse-form select[name=from]", "earliest");
    await page.fill("#browse-form input[name=key]", "user-3");
    await page.click("#browse-form button[type=submit]");
    await page.waitForSelector("#scan-summary:has-text('Scanned 120 records, 10 matches')", {
      timeout: WAIT_MS,
    });
    const exact = await rowsShown();
    expect(exact.map((row) => row.key)).toEqual(Array(10).fill("user-3"));
    await page.selectOption("#browse-form select[name=keyMatch]", "prefix");
    await page.fill("#browse-form input[name=key]", "user-1");
    await page.click("#browse-form button[type=submit]");
    await page.waitForSelector("#scan-summary:has-text('Scanned 120 records, 30 matches')", {
      timeout: WAIT_MS,
    });
    expect(new Set((await rowsShown()).map((row) => row.key))).toEqual(
      new Set(["user-1", "user-10", "user-11"]),
    );
  });

  it("filters values by a JSON path, and explains a bad one", async () => {
    const expected = Array.from({ length: 120 }, (_, i) => i).filter((i) => i % 9 === 7 && i > 60);
    const path = "$.user.id == 7 && $.total > 60";
    const link = `#/topics/events/messages?from=earliest&value=${encodeURIComponent(path)}&valueMatch=jsonpath`;
    await go(link);
    await page.waitForSelector(`#scan-summary:has-text('${expected.length} matches')`, { timeout: WAIT_MS });
    const rows = await rowsShown();
    expect(rows.map((row) => row.partition * 1000 + row.offset)).toEqual(
      expected.map((i) => (i % 2) * 1000 + Math.floor(i / 2)),
    );

    await page.fill("#browse-form input[name=value]", "$.user.id ==");
    await page.click("#browse-form button[type=submit]");
    await page.waitForSelector("#browse-error", { timeout: WAIT_MS });
    expect(await textOf("#browse-error")).toBe(
      "JSON path: expected a number, a string, true, false or null at 13, found the end",
    );
    expect(decodeURIComponent(page.url())).toContain(path);

    // A link carrying a bad path says why instead of loading.
    await page.goto(`${worker.url}/#/topics/events/messages?value=%24.a%20%3D%3D&valueMatch=jsonpath`);
    await page.waitForSelector("#messages-error", { timeout: WAIT_MS });
    expect(await textOf("#messages-error")).toContain("JSON path: expected");
  });

  it("follows new records another client produces, and pauses without losing any", async () => {
    await createTopic("live", 2);
    await produce("live", [{ key: "before", value: 0, partition: 0 }]);
    await go("#/topics/live/messages");
    await page.waitForSelector(".record-row", { timeout: WAIT_MS });
    const streams: string[] = [];
    const onRequest = (request: Request) => {
      if (request.resourceType() === "eventsource") streams.push(request.url());
    };
    page.on("request", onRequest);
    await page.click("#follow-live");
    await page.waitForSelector("#tail-status[data-state=live]", { timeout: WAIT_MS });
    expect(streams.map((url) => new URL(url).pathname).sort()).toEqual([
      "/v1/topics/live/partitions/0/records",
      "/v1/topics/live/partitions/1/records",
    ]);

    await produce("live", [
      { key: "a", value: { n: 1 }, partition: 0 },
      { key: "b", value: { n: 2 }, partition: 1 },
      { key: "c", value: { n: 3 }, partition: 1 },
    ]);
    await page.waitForSelector(".record-row .cell.key:text-is('c')", { timeout: WAIT_MS });

    // Paused: the streams close, so what is produced now cannot arrive until the tail resumes.
    let closed = 0;
    const onClosed = (request: Request) => {
      if (request.resourceType() === "eventsource") closed++;
    };
    page.on("requestfailed", onClosed);
    await page.click("#pause-live");
    await expect.poll(() => closed, { timeout: WAIT_MS }).toBe(2);
    page.off("requestfailed", onClosed);
    await page.waitForSelector("#tail-status[data-state=paused]");
    await produce("live", [
      { key: "d", value: { n: 4 }, partition: 0 },
      { key: "e", value: { n: 5 }, partition: 1 },
    ]);
    expect((await rowsShown()).map((row) => row.key).sort()).toEqual(["a", "b", "before", "c"]);
    await page.click("#pause-live");
    await page.waitForSelector(".record-row .cell.key:text-is('e')", { timeout: WAIT_MS });
    await page.waitForSelector(".record-row .cell.key:text-is('d')", { timeout: WAIT_MS });
    expect((await rowsShown()).map((row) => row.key).sort()).toEqual(["a", "b", "before", "c", "d", "e"]);
    page.off("request", onRequest);

    // More partitions than EventSources a page should hold: one long-poll instead.
    await createTopic("wide", 6);
    await go("#/topics/wide/messages?live=1");
    await page.waitForSelector("#tail-status:has-text('long-poll')", { timeout: WAIT_MS });
    await produce("wide", [{ key: "w", value: 1, partition: 5 }]);
    await page.waitForSelector(".record-row[data-partition='5'] .cell.key:text-is('w')", {
      timeout: WAIT_MS,
    });
  });

  it("shows a record in full and copies it as JSON; its bytes are the stored ones", async () => {
    await createTopic("detail", 1);
    await api("/v1/topics/detail/records", {
      valueFormat: "text",
      // Parsed, not a literal: in a literal `__proto__` would set the prototype instead of naming a header.
      records: [
        {
          key: "user-9",
          value: '{"n":1.0,"big":12345678901234567890}',
          headers: JSON.parse('{"__proto__":"x"}'),
          timestamp: T0,
        },
      ],
    });
    await produce("detail", [
      {
        key: "user-9",
        value: { order: { id: 17, lines: [{ sku: "A1", qty: 2 }] }, paid: true },
        partition: 0,
        timestamp: T0 + 1_000,
        headers: { source: "checkout", "trace-id": "4bf92f3577b34da6" },
      },
    ]);
    await go("#/topics/detail/messages?partition=0&from=earliest");
    await page.click(".record-row[data-offset='1']");
    await page.waitForSelector("dialog.record-dialog[open]");
    await shot("messages-record");
    await page.click("#copy-record");
    await page.waitForSelector(".copy-status:has-text('Copied')");
    const copied = JSON.parse(await page.evaluate(() => navigator.clipboard.readText()));
    expect(copied).toEqual({
      topic: "detail",
      partition: 0,
      offset: 1,
      timestamp: T0 + 1_000,
      time: "2026-01-05T09:00:01.000Z",
      key: "user-9",
      headers: { source: "checkout", "trace-id": "4bf92f3577b34da6" },
      value: { order: { id: 17, lines: [{ sku: "A1", qty: 2 }] }, paid: true },
    });
    // Collapsing and expanding the tree are buttons.
    await page.click("dialog .json-toggle:has-text('\"order\"')");
    await page.waitForSelector("dialog .json-toggle[aria-expanded=false]:has-text('\"order\"')");
    await page.keyboard.press("Escape");
    await page.waitForSelector("dialog.record-dialog", { state: "detached" });
    expect(await page.evaluate(() => document.activeElement?.getAttribute("data-offset"))).toBe("1");

    // The first record, by keyboard: JSON as parsed (1.0 → 1, the big number rounded), its stored bytes exactly.
    await page.keyboard.press("ArrowUp");
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute("data-offset")))
      .toBe("0");
    await page.keyboard.press("Enter");
    await page.waitForSelector("dialog.record-dialog[open]");
    await page.click("dialog button:has-text('Hex')");
    await page.waitForSelector("dialog pre[data-view=hex]", { timeout: WAIT_MS });
    expect(await textOf("dialog pre[data-view=hex]")).toContain('|{"n":1.0,"big":1|');
    await page.click("#copy-record");
    await page.waitForSelector(".copy-status:has-text('Copied')");
    const first = JSON.parse(await page.evaluate(() => navigator.clipboard.readText()));
    expect(Object.hasOwn(first.headers, "__proto__")).toBe(true);
    expect(Object.getOwnPropertyDescriptor(first.headers, "__proto__")?.value).toBe("x");
    await page.keyboard.press("Escape");
  });

  it("shows a value nested 10,000 deep as its text, and one 1,000 deep as JSON", async () => {
    // The server renders the first as text (deeper than its JSON limit) instead of failing the read with a 500.
    const deep = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
    const limit = `${"[".repeat(1_000)}${"]".repeat(1_000)}`;
    await createTopic("deep", 1);
    await api("/v1/topics/deep/records", {
      valueFormat: "text",
      records: [
        { key: "deep", value: deep },
        { key: "limit", value: limit },
      ],
    });
    await go("#/topics/deep/messages?partition=0&from=earliest");
    await page.waitForSelector(".record-row[data-offset='1']", { timeout: WAIT_MS });
    await page.click(".record-row[data-offset='0']");
    await page.waitForSelector("dialog.record-dialog[open] pre[data-view=text]", { timeout: WAIT_MS });
    expect((await textOf("dialog.record-dialog pre[data-view=text]")).length).toBe(deep.length);
    await page.keyboard.press("Escape");
    await page.waitForSelector("dialog.record-dialog", { state: "detached" });
    await page.click(".record-row[data-offset='1']");
    await page.waitForSelector("dialog.record-dialog[open]");
    await page.keyboard.press("Escape");
    await page.waitForSelector("dialog.record-dialog", { state: "detached" });
  });

  it("scrolls a 20,000-record partition both ways a page at a time, and bounds a filter's scan", async () => {
    await createTopic("big", 1);
    const perBatch = 5_000;
    for (let base = 0; base < BIG_RECORDS; base += perBatch) {
      const batch = encodeBatch(
        Array.from({ length: Math.min(perBatch, BIG_RECORDS - base) }, (_, i) => {
          const n = base + i;
          return {
            key: new TextEncoder().encode(`k${n % 100}`),
            value: new TextEncoder().encode(JSON.stringify(n === 15_000 ? { n, tag: "needle" } : { n })),
            headers: [],
            timestamp: T0 + n,
          };
        }),
      );
      const response = await fetch(`${worker.url}/v1/topics/big/partitions/0/batches`, {
        method: "POST",
        headers: { "content-type": "application/vnd.edgelog.batch" },
        body: new Uint8Array(batch),
      });
      expect(response.status).toBe(200);
    }
    const reads: string[] = [];
    const onRequest = (request: Request) => {
      if (new URL(request.url()).pathname.endsWith("/records")) reads.push(request.url());
    };
    page.on("request", onRequest);
    await go("#/topics/big/messages?partition=0&from=earliest");
    await page.waitForSelector(".record-row[data-offset='0']", { timeout: WAIT_MS });
    // Scrolling down with the wheel until offset 1,000 is on screen reads a handful of pages.
    await page.hover(".record-scroller");
    for (let turns = 0; ((await topRow())?.offset ?? 0) < 1_000 && turns < 100; turns++) {
      await page.mouse.wheel(0, 3_000);
    }
    expect(reads.length).toBeLessThanOrEqual(8);
    expect(await textOf("#read-stats")).toMatch(/Read 1,[0-9]{3} records in [0-9] requests/);
    // The link follows the scrolling, and reopens where it was.
    // (Once the scrolling has settled: the link is written when the top row stays put.)
    await expect
      .poll(async () => page.url().endsWith(`from=offset&offset=${(await topRow())?.offset}`), {
        timeout: WAIT_MS,
      })
      .toBe(true);
    const at = (await topRow())?.offset;
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    await expect.poll(() => topRow(), { timeout: WAIT_MS }).toEqual({ partition: 0, offset: at });

    // From the middle, upwards: pages before it, and nothing near the ends of the log. (Leaving the page first:
    // a hash change alone keeps the old view, whose scroller may still ask for a page as it goes.)
    await page.goto("about:blank");
    reads.length = 0;
    await page.goto(`${worker.url}/#/topics/big/messages?partition=0&from=offset&offset=15000`);
    await expect.poll(() => topRow(), { timeout: WAIT_MS }).toEqual({ partition: 0, offset: 15_000 });
    await page.hover(".record-scroller");
    for (let turns = 0; ((await topRow())?.offset ?? 0) > 14_500 && turns < 100; turns++) {
      await page.mouse.wheel(0, -3_000);
    }
    expect(reads.length).toBeLessThanOrEqual(8);
    for (const url of reads) {
      const offset = Number(new URL(url).searchParams.get("offset"));
      expect(offset).toBeGreaterThan(13_000);
      expect(offset).toBeLessThan(16_000);
    }

    // A filter scans at most 10,000 records before it asks to go on.
    await page.goto("about:blank");
    reads.length = 0;
    await page.goto(`${worker.url}/#/topics/big/messages?partition=0&from=earliest&value=needle`);
    await page.waitForSelector("#scan-summary:has-text('Scanned 10,000 records, 0 matches')", {
      timeout: WAIT_MS,
    });
    expect(reads.length).toBe(10);
    await page.click("#load-newer");
    await page.waitForSelector("#scan-summary:has-text('Scanned 20,000 records, 1 match')", {
      timeout: WAIT_MS,
    });
    expect((await rowsShown()).map((row) => row.offset)).toEqual([15_000]);
    page.off("request", onRequest);
  });

  it("reads at phone width and in the dark", async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await go("#/topics/events/messages?partition=0&from=earliest");
    await page.waitForSelector(".record-row[data-offset='0']", { timeout: WAIT_MS });
    // The controls fold away on a phone; the list's rows stack key and value under offset and time.
    await page.reload();
    await page.waitForSelector(".record-row[data-offset='0']", { timeout: WAIT_MS });
    expect(await page.isVisible("#browse-form")).toBe(false);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await shot("messages-phone");

    await page.setViewportSize({ width: 1280, height: 800 });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.click(".record-row[data-offset='3']");
    await page.waitForSelector("dialog.record-dialog[open]");
    await shot("messages-dark");
    await page.keyboard.press("Escape");
    await page.emulateMedia({ colorScheme: "light" });
  });
});
