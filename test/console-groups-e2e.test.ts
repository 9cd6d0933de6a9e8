/**
 * The console's consumer groups and Durable Streams screens in real headless Chromium against the real Worker
 * (`wrangler dev`), driven as an operator would: a group with a consumer running in Node (`@edgelog/client`)
 * shows its member, assignment and lag; the lag falls to 0 in the table and on the chart as the consumer catches
 * up; offsets are reset with a dry run, refused while the group has a member (and the server's NON_EMPTY_GROUP
 * shown when one joined behind the page's back), then applied once the consumer left; an empty group is
 * deleted after a confirmation; the streams list shows /ds streams with content type, TTL, expiry and closed
 * state. Every test fails on a browser console error, page error, CSP violation or failed asset load
 * (test/support/console-page.ts). Screenshots go to docs/console/ with EDGELOG_SCREENSHOTS=1, else to a temporary
 * folder. The Worker is the console files' shared one (test/support/console-worker.ts): this file's topic, group
 * and stream names are its own.
 */
import { createClient } from "@edgelog/client";
import type { Consumer, EdgeLog } from "@edgelog/core";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_LAUNCH_OPTIONS } from "./support/chromium.ts";
import { type ConsolePage, openConsole, PHONE, screenshot } from "./support/console-page.ts";
import { consoleWorker } from "./support/console-worker.ts";
import type { LocalWorker } from "./support/local-worker.ts";

const TOPIC = "orders";
const GROUP = "billing";
/** A group id may hold any character: this one needs encoding in the hash, in the API's path and in a query. */
const EMPTY_GROUP = "ops/α b?#";
/** Records' timestamps: one a second from here, so a reset "to a time" has a known answer. */
const T0 = Date.UTC(2025, 0, 1, 0, 0, 0);
const PER_PARTITION = [10, 6] as const;
const EXTRA_GROUPS = 24;
const WAIT_MS = 30_000;

async function waitUntil(
  condition: () => Promise<boolean>,
  what: string,
  timeoutMs = WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const text = async (page: Page, selector: string): Promise<string> =>
  ((await page.textContent(selector)) ?? "").trim();

describe("the console's groups and streams screens against the local Worker, in Chromium", () => {
  let worker: LocalWorker;
  let browser: Browser;
  let console: ConsolePage;
  let page: Page;
  let log: EdgeLog;
  let consumer: Consumer | undefined;
  /** The consumer blocks on its first record until `release` is called, so the page sees it lag first. */
  let release: () => void = () => undefined;

  const url = (hash: string): string => `${worker.url}/${hash}`;
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${worker.url}${path}`, {
      method,
      headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response;
  };
  const shot = async (name: string): Promise<void> => {
    await screenshot(page, name);
  };

  beforeAll(async () => {
    [worker, browser] = await Promise.all([consoleWorker(), chromium.launch(CHROMIUM_LAUNCH_OPTIONS)]);
    log = createClient({ url: worker.url, clientId: "billing-service" });

    await call("POST", "/v1/topics", { name: TOPIC, partitions: 2 });
    const records = PER_PARTITION.flatMap((count, partition) =>
      Array.from({ length: count }, (_, i) => ({
        partition,
        key: `order-${partition}-${i}`,
        value: { order: i, partition },
        timestamp: T0 + i * 1000,
      })),
    );
    await call("POST", `/v1/topics/${TOPIC}/records`, { records });
    // Both groups start at the beginning: the lag is every record.
    const fromStart = PER_PARTITION.map((_, partition) => ({ topic: TOPIC, partition, offset: 0 }));
    await call("POST", `/v1/groups/${GROUP}/offsets`, { offsets: fromStart });
    await call("POST", `/v1/groups/${encodeURIComponent(EMPTY_GROUP)}/offsets`, {
      offsets: fromStart.slice(0, 1),
    });
    // More groups than a page holds (25), named to sort after the two above.
    await Promise.all(
      Array.from({ length: EXTRA_GROUPS }, (_, i) =>
        call("POST", `/v1/groups/zz-load-${String(i).padStart(2, "0")}/offsets`, {
          offsets: fromStart.slice(0, 1),
        }),
      ),
    );

    console = await openConsole(browser, worker.url, { timezoneId: "UTC", locale: "en-US" });
    page = console.page;
  });

  afterEach(() => {
    console.expectClean();
  });

  afterAll(async () => {
    release();
    await consumer?.stop().catch(() => undefined);
    await log?.close();
    await console?.close();
    await browser?.close();
    await worker?.stop();
  });

  it("lists groups with state, members, epoch and total lag, paged and filtered", async () => {
    const gate = new Promise<void>((resolveGate) => {
      release = resolveGate;
    });
    consumer = log.consumer({ groupId: GROUP, sessionTimeout: 10_000 });
    await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
    await consumer.run({ autoCommitInterval: 200, eachMessage: () => gate });

    await console.go("#/groups");
    const row = (group: string) => `#groups tr[data-group="${group}"]`;
    await waitUntil(
      async () => (await text(page, `${row(GROUP)} .members`)) === "1",
      "the member in the list",
    );
    expect(await text(page, `${row(GROUP)} .lag`)).toBe("16");
    expect(await page.getAttribute(`${row(GROUP)} [data-state]`, "data-state")).toMatch(/Stable|Reconciling/);
    expect(await page.getAttribute(`${row(EMPTY_GROUP)} [data-state]`, "data-state")).toBe("Empty");
    expect(await text(page, `${row(EMPTY_GROUP)} .lag`)).toBe("10");
    expect(await text(page, "#groups-count")).toBe(`${EXTRA_GROUPS + 2} groups`);
    expect(await page.$$("#groups tbody tr")).toHaveLength(25);
    await shot("groups");

    // Only the page shown is described: page 2 costs the listing and one description per group on it.
    const described: string[] = [];
    const count = (request: { url(): string }) => {
      const path = new URL(request.url()).pathname;
      if (/^\/v1\/groups\/[^/]+$/.test(path)) described.push(path);
    };
    page.on("request", count);
    await page.click("#groups-pages button:has-text('Next')");
    await waitUntil(
      async () => (await page.$$("#groups tbody tr")).length === EXTRA_GROUPS + 2 - 25,
      "page 2",
    );
    page.off("request", count);
    expect(described).toEqual(["/v1/groups/zz-load-23"]);
    expect(await text(page, "#groups-pages span")).toBe("Page 2 of 2");
    expect(page.url()).toContain("page=2");
    expect(await page.$(row(GROUP))).toBeNull();
    await page.click("#groups-pages button:has-text('Previous')");
    await page.waitForSelector(row(GROUP));

    await page.fill("#groups-filter", "bill");
    await waitUntil(async () => (await page.$$("#groups tbody tr")).length === 1, "the filter");
    expect(await text(page, "#groups-count")).toBe(`1 of ${EXTRA_GROUPS + 2} groups match`);
    expect(page.url()).toContain("q=bill");

    // At a phone's width nothing but the tables' own scroller overflows.
    await page.setViewportSize({ width: 375, height: 812 });
    await expect
      .poll(() => page.evaluate(() => document.documentElement.scrollWidth))
      .toBeLessThanOrEqual(375);
    await shot("groups-phone");
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it("shows a group's member, assignment and lag, and the lag falling to 0 on the chart and the table", async () => {
    const { members } = (await (await call("GET", `/v1/groups/${GROUP}`)).json()) as {
      members: { memberId: string }[];
    };
    const memberId = members[0]?.memberId as string;
    await page.goto(url(`#/groups/${GROUP}?every=1`));
    const member = `#members tr[data-member="${memberId}"]`;
    await waitUntil(
      async () => (await text(page, `${member} .assignment`)) === `${TOPIC}: 0, 1`,
      "the assignment",
    );
    const cell = (partition: number, name: string) =>
      text(page, `#partitions tr[data-topic="${TOPIC}"][data-partition="${partition}"] .${name}`);
    expect([await cell(0, "committed"), await cell(0, "high"), await cell(0, "lag")]).toEqual([
      "0",
      "10",
      "10",
    ]);
    expect([await cell(1, "committed"), await cell(1, "high"), await cell(1, "lag")]).toEqual([
      "0",
      "6",
      "6",
    ]);
    expect(await text(page, "#total-lag")).toBe("16");
    await waitUntil(
      async () => Number(await page.getAttribute(".lag-chart", "data-points")) >= 2,
      "two samples on the chart",
    );
    expect(await page.getAttribute(".lag-chart", "data-last-lag")).toBe("16");
    // uPlot is its own chunk, fetched when the first chart is drawn.
    await page.waitForSelector(".lag-chart[data-scheme=light] canvas");

    // While the group has a member, a reset can be previewed but not applied.
    await page.click("#open-reset");
    await page.waitForSelector("dialog[open] #reset-form");
    await page.click("#reset-preview");
    await page.waitForSelector("#reset-plan");
    expect(await page.isDisabled("#reset-apply")).toBe(true);
    expect(await text(page, "#reset-blocked")).toContain("NON_EMPTY_GROUP");
    await page.keyboard.press("Escape");
    await waitUntil(async () => (await page.$("dialog[open]")) === null, "Escape to close the dialog");
    expect(await page.isDisabled("#open-delete")).toBe(true);

    release();
    await waitUntil(async () => (await text(page, "#total-lag")) === "0", "the lag to fall to 0");
    await waitUntil(
      async () => (await page.getAttribute(".lag-chart", "data-last-lag")) === "0",
      "the chart's last point at 0",
    );
    expect([await cell(0, "committed"), await cell(0, "lag")]).toEqual(["10", "0"]);
    expect([await cell(1, "committed"), await cell(1, "lag")]).toEqual(["6", "0"]);
    await shot("group");
    // Dark: the chart is rebuilt with the dark palette (the CSS variables) and keeps its samples.
    const points = Number(await page.getAttribute(".lag-chart", "data-points"));
    await page.emulateMedia({ colorScheme: "dark" });
    await page.waitForSelector(".lag-chart[data-scheme=dark] canvas");
    expect(await page.$$(".lag-chart canvas")).toHaveLength(1);
    expect(Number(await page.getAttribute(".lag-chart", "data-points"))).toBeGreaterThanOrEqual(points);
    await shot("group-dark");
    await page.emulateMedia({ colorScheme: "light" });
    await page.waitForSelector(".lag-chart[data-scheme=light] canvas");
    // The toggle's choice redraws it too, whatever the OS says; the palette is the page's (probed, not guessed).
    const accentStroke = () =>
      page.evaluate(() => {
        const probe = document.createElement("span");
        probe.style.color = "var(--accent)";
        document.body.append(probe);
        const color = getComputedStyle(probe).color;
        probe.remove();
        return color;
      });
    const lightAccent = await accentStroke();
    await page.click(".theme-toggle");
    await page.waitForSelector(".lag-chart[data-scheme=dark] canvas");
    expect(await accentStroke()).not.toBe(lightAccent);
    await page.click(".theme-toggle");
    await page.waitForSelector(".lag-chart[data-scheme=light] canvas");
    // Pages loaded from here on follow the OS again.
    await page.evaluate(() => localStorage.removeItem("edgelog-console-theme"));
    await page.setViewportSize({ width: PHONE.width, height: 812 });
    // The chart takes the new width on its next frame.
    await expect
      .poll(() => page.evaluate(() => document.documentElement.scrollWidth), { timeout: WAIT_MS })
      .toBeLessThanOrEqual(PHONE.width);
    await page.setViewportSize({ width: 1280, height: 800 });

    // A failing poll shows the server's code and keeps the last view; the next good answer clears it.
    const describeUrl = `${worker.url}/v1/groups/${GROUP}`;
    let refused = 0;
    await page.route(describeUrl, (route) => {
      refused++;
      return route.fulfill({
        status: 503,
        contentType: "application/json",
        body: JSON.stringify({ error: { code: "LEADER_NOT_AVAILABLE", message: "the region is down" } }),
      });
    });
    console.allowStatuses(503);
    await page.waitForSelector('.error-note[data-code="LEADER_NOT_AVAILABLE"]');
    expect(await text(page, ".error-note")).toContain("retrying");
    expect(await text(page, "#total-lag")).toBe("0");
    await page.unroute(describeUrl);
    await waitUntil(async () => (await page.$(".error-note")) === null, "the error to clear");
    expect(refused).toBeGreaterThanOrEqual(1);
  });

  it("resets offsets with a dry run, then for real once the consumer left; shows the server's refusal", async () => {
    release(); // already, unless the test before failed: then stop() must not wait on the gate
    await consumer?.stop();
    consumer = undefined;
    await page.goto(url(`#/groups/${GROUP}?every=1`));
    await waitUntil(async () => (await text(page, "#member-count")) === "0", "the consumer to leave");
    expect(await page.getAttribute(".summary [data-state]", "data-state")).toBe("Empty");
    const cell = (partition: number, name: string) =>
      text(page, `#partitions tr[data-topic="${TOPIC}"][data-partition="${partition}"] .${name}`);
    const plan = async () =>
      page.$$eval("#reset-plan tbody tr", (rows) =>
        rows.map((row) => [
          Number(row.getAttribute("data-partition")),
          row.querySelector(".current")?.textContent,
          row.querySelector(".next")?.textContent,
        ]),
      );

    // Earliest, every partition: the dry run shows current → new, nothing changes until Apply.
    await page.click("#open-reset");
    await page.check('input[name=reset-to][value="earliest"]');
    await page.click("#reset-preview");
    await page.waitForSelector("#reset-plan");
    expect(await plan()).toEqual([
      [0, "10", "0"],
      [1, "6", "0"],
    ]);
    expect(await cell(0, "committed")).toBe("10");
    await shot("group-reset");
    await page.click("#reset-apply");
    await waitUntil(
      async () => (await text(page, "#group-status")) === `Reset 2 partitions of ${TOPIC}.`,
      "apply",
    );
    await waitUntil(async () => (await text(page, "#total-lag")) === "16", "the lag after the reset");

    // A time, one partition: the first record at or after it.
    await page.click("#open-reset");
    await page.selectOption("#reset-partition", "0");
    await page.check('input[name=reset-to][value="time"]');
    await page.fill("#reset-time", new Date(T0 + 4_000).toISOString().slice(0, 19));
    await page.click("#reset-preview");
    await page.waitForSelector("#reset-plan");
    expect(await plan()).toEqual([[0, "0", "4"]]);
    await page.click("#reset-apply");
    await waitUntil(async () => (await cell(0, "committed")) === "4", "partition 0 at the time's offset");

    // An exact offset past the end is moved to the end, and says so.
    await page.click("#open-reset");
    await page.selectOption("#reset-partition", "1");
    await page.check('input[name=reset-to][value="offset"]');
    await page.fill("#reset-offset", "100");
    await page.click("#reset-preview");
    await page.waitForSelector("#reset-plan");
    expect(await plan()).toEqual([[1, "0", "6"]]);
    expect(await text(page, "#reset-plan tbody tr")).toContain("past the end");
    // Editing the form discards the preview: only what was shown can be applied.
    await page.fill("#reset-offset", "3");
    expect(await page.$("#reset-plan")).toBeNull();
    expect(await page.isDisabled("#reset-apply")).toBe(true);
    await page.click("#reset-preview");
    await page.waitForSelector("#reset-plan");
    expect(await plan()).toEqual([[1, "0", "3"]]);

    // A member joins after the page last looked (its polls held back here): the server refuses, the page says why.
    const held: { continue(): Promise<void> }[] = [];
    await page.route(`${worker.url}/v1/groups/${GROUP}`, (route) => void held.push(route));
    await waitUntil(async () => held.length > 0, "the page's next poll");
    await call("POST", `/v1/groups/${GROUP}/heartbeat`, {
      memberId: "intruder",
      memberEpoch: 0,
      topics: [TOPIC],
    });
    console.allowStatuses(409);
    await page.click("#reset-apply");
    await page.waitForSelector('dialog[open] .error-note[data-code="NON_EMPTY_GROUP"]');
    expect(await text(page, "dialog[open] .error-note")).toContain("active member");
    await page.unroute(`${worker.url}/v1/groups/${GROUP}`);
    for (const route of held) await route.continue().catch(() => undefined);
    await waitUntil(
      async () => await page.isDisabled("#reset-apply"),
      "Apply disabled once the page sees the member",
    );
    expect(await cell(1, "committed")).toBe("0");
    await call("POST", `/v1/groups/${GROUP}/heartbeat`, { memberId: "intruder", memberEpoch: -1 });
    await page.keyboard.press("Escape");
  });

  it("deletes an empty group after a confirmation that Escape cancels", async () => {
    // Reached from the list, as a person would (filtered to it): the link encodes the id.
    await page.goto(url("#/groups?q=ops"));
    await page.click(`#groups tr[data-group="${EMPTY_GROUP}"] a`);
    await waitUntil(async () => (await text(page, "#total-lag")) === "10", "the group's page");
    expect(await text(page, "h1")).toBe(EMPTY_GROUP);
    await page.click("#open-delete");
    await page.waitForSelector("dialog[open] #delete-confirm");
    // Cancel comes first and has the focus: Enter alone deletes nothing.
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe("Cancel");
    await page.keyboard.press("Escape");
    await waitUntil(async () => (await page.$("dialog[open]")) === null, "Escape to close the dialog");
    await page.click("#open-delete");
    await page.click("#delete-confirm");
    await page.waitForURL(/#\/groups\?deleted=/);
    expect(await text(page, "[role=status]")).toBe(`Deleted group ${EMPTY_GROUP}.`);
    const listed = (await (await call("GET", "/v1/groups")).json()) as { groups: { group: string }[] };
    expect(listed.groups.map((g) => g.group)).not.toContain(EMPTY_GROUP);
    expect(listed.groups).toHaveLength(EXTRA_GROUPS + 1);
  });

  it("lists /ds streams with content type, TTL, expiry and closed state, linking to their messages", async () => {
    await call("PUT", "/ds/chat/room-1", "hello", { "content-type": "text/plain", "Stream-TTL": "3600" });
    await call("PUT", "/ds/ticks", "[1,2,3]", {
      "content-type": "application/json",
      "Stream-Expires-At": "2099-01-01T00:00:00Z",
    });
    await call("PUT", "/ds/finished", undefined, {
      "content-type": "application/octet-stream",
      "Stream-Closed": "true",
    });
    // One-partition topics /ds never wrote are topics, not streams.
    await call("POST", "/v1/topics", { name: "plain-one", partitions: 1 });

    await page.goto(url("#/streams"));
    await page.waitForSelector("#streams tbody tr");
    const row = (path: string) => `#streams tr[data-path="${path}"]`;
    expect(
      await page.$$eval("#streams tbody tr", (rows) => rows.map((r) => r.getAttribute("data-path"))),
    ).toEqual(["chat/room-1", "finished", "ticks"]);
    expect(await text(page, `${row("chat/room-1")} .content-type`)).toBe("text/plain");
    expect(await text(page, `${row("chat/room-1")} .ttl`)).toBe("1 h, sliding");
    expect(await text(page, `${row("chat/room-1")} .expires`)).toMatch(/^in (59 min|1 h)/);
    expect(await page.getAttribute(`${row("chat/room-1")} a`, "href")).toBe(
      "#/topics/_chat_2Froom-1/messages",
    );
    expect(await text(page, `${row("ticks")} .content-type`)).toBe("application/json");
    expect(await text(page, `${row("ticks")} .ttl`)).toBe("—");
    expect(await text(page, `${row("ticks")} .expires`)).toBe("on Jan 1, 2099");
    expect(await page.getAttribute(`${row("ticks")} .expires span`, "title")).toContain("2099");
    expect(await page.getAttribute(`${row("finished")} [data-state]`, "data-state")).toBe("Closed");
    expect(await page.getAttribute(`${row("ticks")} [data-state]`, "data-state")).toBe("Open");
    await shot("streams");

    await page.fill("#streams-filter", "room");
    expect(await page.$$("#streams tbody tr")).toHaveLength(1);
    await page.click(`${row("chat/room-1")} a`);
    await page.waitForURL(/#\/topics\/_chat_2Froom-1\/messages$/);
  });
});
