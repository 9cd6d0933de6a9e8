/**
 * The console's frame, topics screens and access, in real headless Chromium against the real Worker (`wrangler
 * dev`) with tokens enforced and three regions: an operator signs in, creates topics from the form (one
 * replicated), sees them listed with partitions, records, bytes and leaders, filters the list, grows a topic,
 * deletes records before an offset and deletes a topic by typing its name; the theme toggle and a phone-width
 * menu work; and a token that may only consume one topic sees no listing, no admin action and no delete button,
 * while one without the right gets the server's 403 on screen. Every page must stay free of errors and CSP
 * violations. Screenshots: docs/console/*.png with EDGELOG_SCREENSHOTS=1.
 */
import { signToken } from "@edgelog/server";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_LAUNCH_OPTIONS } from "./support/chromium.ts";
import { type ConsolePage, openConsole, PHONE, screenshot } from "./support/console-page.ts";
import { type LocalWorker, startLocalWorker } from "./support/local-worker.ts";

const SECRET = "e2e-console-shell-secret-0123456789-abcdef";
/** Playwright's own waits (a locator to appear, a text to change): short, the page answers in well under it. */
const UI_TIMEOUT_MS = 20_000;

/** `expect.poll` with the UI timeout: the page waits on the Worker, which takes its time under load. */
const poll = <T>(value: () => T | Promise<T>) => expect.poll(value, { timeout: UI_TIMEOUT_MS });

async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel("Token (JWT)").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor({ state: "detached", timeout: UI_TIMEOUT_MS });
}

describe("the console's topics and access screens against a Worker with tokens and three regions", () => {
  let worker: LocalWorker;
  let browser: Browser;
  let admin: string;
  const opened: ConsolePage[] = [];

  beforeAll(async () => {
    [worker, browser] = await Promise.all([
      startLocalWorker({ vars: { EDGELOG_JWT_SECRET: SECRET, REGIONS: "wnam,weur,apac" } }),
      chromium.launch(CHROMIUM_LAUNCH_OPTIONS),
    ]);
    admin = await signToken({ secret: SECRET, scope: "admin", subject: "operator", ttlSeconds: 3_600 });
  });

  afterAll(async () => {
    for (const console of opened) await console.close();
    await browser?.close();
    await worker?.stop();
  });

  async function open(options: Parameters<typeof openConsole>[2] = {}): Promise<ConsolePage> {
    const console = await openConsole(browser, worker.url, options);
    opened.push(console);
    return console;
  }

  /** The API as another client with the admin token. */
  async function http(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${worker.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  async function createFromForm(
    page: Page,
    topic: { name: string; partitions: number; replicas?: readonly string[]; forever?: boolean },
  ): Promise<void> {
    await page.getByRole("button", { name: "Create topic" }).first().click();
    const dialog = page.getByRole("dialog", { name: "Create topic" });
    await dialog.getByLabel("Name").fill(topic.name);
    await dialog.getByLabel("Partitions").fill(String(topic.partitions));
    if (topic.forever === true)
      await dialog.getByLabel("Keep records for").selectOption({ label: "Forever" });
    for (const region of topic.replicas ?? []) await dialog.getByLabel(region, { exact: true }).check();
    await dialog.getByRole("button", { name: "Create topic" }).click();
    await dialog.waitFor({ state: "hidden", timeout: UI_TIMEOUT_MS });
    await page
      .getByRole("status")
      .filter({ hasText: `Topic ${topic.name} created` })
      .waitFor();
  }

  it("lets an operator create, list, filter, grow, trim and delete topics", async () => {
    // 409: the taken name below, provoked on purpose.
    const console = await open({ hash: "#/topics", expectedStatuses: [409] });
    const { page } = console;
    // The server wants a token: the console asks for one before any screen.
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await signIn(page, admin);
    await page.getByText("No topics yet").waitFor();
    await poll(() => page.locator(".identity").textContent()).toContain("operator");

    // The form offers replicas because the server runs in three regions; an invalid name is caught first.
    await page.getByRole("button", { name: "Create topic" }).first().click();
    const dialog = page.getByRole("dialog", { name: "Create topic" });
    await dialog.getByLabel("Name").fill("not/a topic");
    await dialog.getByRole("button", { name: "Create topic" }).click();
    await dialog.getByText("1–249 characters").waitFor();
    await poll(() => dialog.getByRole("checkbox").count()).toBe(3);
    await dialog.getByLabel("Name").fill("orders");
    await dialog.getByLabel("Partitions").fill("3");
    await dialog.getByLabel("wnam", { exact: true }).check();
    await dialog.getByLabel("weur", { exact: true }).check();
    await dialog.getByLabel("min.insync.replicas").selectOption("2");
    if (process.env.EDGELOG_SCREENSHOTS === "1") await screenshot(page, "create-topic");
    await dialog.getByRole("button", { name: "Create topic" }).click();
    await dialog.waitFor({ state: "hidden", timeout: UI_TIMEOUT_MS });
    await createFromForm(page, { name: "clicks", partitions: 2 });
    await createFromForm(page, { name: "audit.log", partitions: 1, forever: true });

    // The same name again: the server's refusal, with its code, in the dialog.
    await page.getByRole("button", { name: "Create topic" }).first().click();
    await dialog.getByLabel("Name").fill("clicks");
    await dialog.getByRole("button", { name: "Create topic" }).click();
    // Polled as text, so that a failure shows what the dialog said instead.
    await poll(async () => (await dialog.getByRole("alert").allTextContents()).join(" | ")).toContain(
      "TOPIC_ALREADY_EXISTS",
    );
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });

    const described = await (await http("GET", "/v1/topics/orders")).json();
    expect(described.partitions.map((p: { replicas: string[] }) => p.replicas)).toEqual([
      ["wnam", "weur"],
      ["wnam", "weur"],
      ["wnam", "weur"],
    ]);
    expect(described.config["min.insync.replicas"]).toBe(2);

    // Records from another client: the list shows them after a refresh, with their bytes.
    const records = Array.from({ length: 30 }, (_, i) => ({
      key: `user-${i % 7}`,
      value: { n: i, sku: "A-1" },
    }));
    expect((await http("POST", "/v1/topics/orders/records", { records })).status).toBe(200);
    expect((await http("POST", "/v1/topics/clicks/records", { records: records.slice(0, 5) })).status).toBe(
      200,
    );
    await page.getByRole("button", { name: "Refresh" }).click();
    const ordersRow = page.locator("tr[data-topic=orders]");
    await poll(() => ordersRow.locator("td[data-label=Records]").textContent()).toBe("30");
    expect(await ordersRow.locator("td[data-label=Partitions]").textContent()).toBe("3");
    expect(await ordersRow.locator("td[data-label=Size]").textContent()).toMatch(/^\d+(\.\d)? (B|KiB)$/);
    expect(await ordersRow.locator("td[data-label=Leaders]").textContent()).toBe("wnam ×3");
    expect(await page.locator("tr[data-topic='audit.log'] td[data-label=Retention]").textContent()).toBe(
      "forever",
    );
    await poll(() => page.locator("tr[data-topic=clicks] td[data-label=Records]").textContent()).toBe("5");
    await screenshot(page, "topics");

    // The filter narrows the list and lives in the URL.
    await page.getByLabel("Filter by name").fill("ORD");
    await poll(() => page.locator("tbody tr[data-topic]").count()).toBe(1);
    expect(page.url()).toContain("#/topics?q=ORD");
    await page.getByLabel("Filter by name").fill("");
    await poll(() => page.locator("tbody tr[data-topic]").count()).toBe(3);

    // One topic: focus lands on its heading, partitions with leaders and in-sync replicas.
    await ordersRow.getByRole("link", { name: "orders" }).click();
    const heading = page.getByRole("heading", { level: 1, name: "orders" });
    await heading.waitFor();
    await poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe("H1");
    const partitionRows = page.locator("table tbody tr");
    await poll(() => partitionRows.count()).toBe(3);
    expect(await partitionRows.first().locator("td[data-label=Leader]").textContent()).toBe("wnam");
    expect(await partitionRows.first().locator("td[data-label=Replicas]").textContent()).toBe(
      "wnam (in sync)weur (in sync)",
    );

    // Add partitions: 3 → 4.
    await page.getByRole("button", { name: "Add partitions" }).click();
    const grow = page.getByRole("dialog", { name: "Add partitions" });
    await grow.getByLabel("New total number of partitions").fill("2");
    expect(await grow.getByRole("button", { name: "Add partitions" }).isDisabled()).toBe(true);
    await grow.getByLabel("New total number of partitions").fill("4");
    await grow.getByRole("button", { name: "Add partitions" }).click();
    await page.getByText("orders now has 4 partitions").waitFor();
    await poll(() => partitionRows.count()).toBe(4);

    // Delete records before an offset in the fullest partition.
    const bounds = (await (await http("GET", "/v1/topics/orders")).json()).partitions as {
      partition: number;
      highWatermark: number;
    }[];
    const fullest = bounds.reduce((a, b) => (b.highWatermark > a.highWatermark ? b : a));
    const cut = Math.floor(fullest.highWatermark / 2);
    await page.getByRole("button", { name: `Delete records of partition ${fullest.partition}` }).click();
    const trim = page.getByRole("dialog", { name: `Delete records of partition ${fullest.partition}` });
    await trim.getByLabel("Delete records before offset").fill(String(cut));
    await trim.getByRole("button", { name: "Delete records" }).click();
    await page.getByText(`Partition ${fullest.partition} now starts at offset ${cut}`).waitFor();
    const offsets = await (
      await http("GET", `/v1/topics/orders/partitions/${fullest.partition}/offsets`)
    ).json();
    expect(offsets).toEqual({ logStartOffset: cut, highWatermark: fullest.highWatermark });
    await poll(() =>
      partitionRows.nth(fullest.partition).locator("td[data-label='Log start']").textContent(),
    ).toBe(String(cut));
    await screenshot(page, "topic");

    // Dark, by the toggle: kept in localStorage, which holds nothing else (the token is in sessionStorage).
    await page.getByRole("button", { name: "Switch to the dark theme" }).click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
    await page.goto(`${worker.url}/#/topics`);
    await page.waitForSelector("body[data-ready=true]");
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual(["edgelog-console-theme"]);
    await poll(() => ordersRow.locator("td[data-label=Records]").textContent()).not.toBe("…");
    await screenshot(page, "topics-dark");
    await page.getByRole("button", { name: "Switch to the light theme" }).click();

    // A phone: the sections fold into a menu, which closes once a section is chosen.
    await page.setViewportSize(PHONE);
    const sections = page.getByRole("navigation", { name: "Sections" });
    expect(await sections.isVisible()).toBe(false);
    const menu = page.getByRole("button", { name: "Menu" });
    await menu.click();
    await sections.getByRole("link", { name: "Topics" }).focus();
    await page.keyboard.press("Escape");
    expect(await sections.isVisible()).toBe(false);
    expect(await menu.evaluate((button) => button === document.activeElement)).toBe(true);
    await menu.click();
    await sections.getByRole("link", { name: "Topics" }).click();
    expect(await sections.isVisible()).toBe(false);
    await ordersRow.getByRole("link", { name: "orders" }).click();
    await heading.waitFor();
    expect(await sections.isVisible()).toBe(false);
    await poll(() => partitionRows.count()).toBe(4);
    await screenshot(page, "topic-phone");
    await page.setViewportSize({ width: 1280, height: 800 });

    // Delete a topic from the list: the button stays disabled until its name is typed.
    await page.getByRole("link", { name: "Topics" }).first().click();
    await page.getByRole("button", { name: "Delete clicks" }).click();
    const confirm = page.getByRole("dialog", { name: "Delete topic" });
    expect(await confirm.getByRole("button", { name: "Delete topic" }).isDisabled()).toBe(true);
    await confirm.getByLabel("Type clicks to confirm").fill("click");
    expect(await confirm.getByRole("button", { name: "Delete topic" }).isDisabled()).toBe(true);
    await confirm.getByLabel("Type clicks to confirm").fill("clicks");
    await confirm.getByRole("button", { name: "Delete topic" }).click();
    await page.getByText("Topic clicks deleted").waitFor();
    await poll(() => page.locator("tbody tr[data-topic]").count()).toBe(2);
    expect((await http("GET", "/v1/topics/clicks")).status).toBe(404);
    console.expectClean();
  });

  it("shows a token only what it allows, and the server's 403 where it has no right", async () => {
    // Independent of the test above: its own topic.
    expect((await http("POST", "/v1/topics", { name: "payments", partitions: 2 })).status).toBe(201);
    const reader = await signToken({ secret: SECRET, scope: "consume:payments openid", subject: "reader" });
    const console = await open({ hash: "#/topics", expectedStatuses: [403] });
    const { page } = console;
    await signIn(page, reader);

    // No listing (it needs admin), no create: a way to open topics by name, and the topic the token names.
    await page.getByText("This token cannot list topics").waitFor();
    expect(await page.getByRole("button", { name: "Create topic" }).count()).toBe(0);
    await page.getByRole("link", { name: "payments" }).click();
    await page.getByRole("heading", { level: 1, name: "payments" }).waitFor();
    await poll(() => page.locator("table tbody tr").count()).toBe(2);
    for (const action of ["Add partitions", "Delete topic", "Delete records of partition 0"])
      expect(await page.getByRole("button", { name: action }).count(), action).toBe(0);
    expect(await page.getByRole("link", { name: "Messages" }).first().isVisible()).toBe(true);

    // A topic it has no right on: the server's 403, with its code, on the screen.
    await page.getByRole("link", { name: "Topics" }).first().click();
    await page.getByLabel("Open a topic by name").fill("secrets");
    await page.getByRole("button", { name: "Open" }).click();
    await page.getByText("TOPIC_AUTHORIZATION_FAILED").waitFor();

    // Access: who, what, until when; then sign out, and the form is back with nothing kept.
    await page.getByRole("link", { name: "Access" }).first().click();
    await page.getByText("consume:payments", { exact: true }).waitFor();
    expect(await page.getByText("openid").count()).toBe(0);
    expect(await page.locator("dl.facts").textContent()).toContain("reader");
    await screenshot(page, "access");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem("edgelog-console-token"))).toBeNull();
    await page.getByRole("link", { name: "Topics" }).first().click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    console.expectClean();
  });

  it("describes only the topics in view, and the rest as they scroll in", async () => {
    const names = Array.from({ length: 30 }, (_, i) => `many-${String(i).padStart(2, "0")}`);
    for (let i = 0; i < names.length; i += 10)
      await Promise.all(
        names
          .slice(i, i + 10)
          .map(async (name) => expect((await http("POST", "/v1/topics", { name })).status).toBe(201)),
      );
    const console = await open({ hash: "#/topics?q=many-", viewport: { width: 1280, height: 460 } });
    const { page } = console;
    const described: string[] = [];
    page.on("request", (request) => {
      const path = new URL(request.url()).pathname;
      if (request.method() === "GET" && /^\/v1\/topics\/many-\d+$/.test(path)) described.push(path.slice(11));
    });
    await signIn(page, admin);
    const row = (name: string) => page.locator(`tr[data-topic='${name}'] td[data-label=Records]`);
    await poll(() => row("many-00").textContent()).toBe("0");
    // A screenful of rows and a few beyond it: not all of them.
    expect(described.length).toBeGreaterThan(3);
    expect(described.length).toBeLessThan(18);
    expect(described).not.toContain("many-23");
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await poll(() => row("many-23").textContent()).toBe("0");
    expect(new Set(described).size, described.join(" ")).toBe(described.length);
    console.expectClean();
  });
});
