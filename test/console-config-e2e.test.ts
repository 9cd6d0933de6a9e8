/**
 * Compacted topics and share groups in the console, in real headless Chromium against the real Worker (`wrangler
 * dev`): an operator creates a compacted topic from the form (cleanup policy and a compaction setting), sees it
 * marked in the list and its offsets labelled as offsets, not records; reads every config with whether it is the
 * default; edits configs in the dialog — a refused value shows the server's INVALID_CONFIG and changes nothing, a
 * valid change and a reset to default apply. Then the share-group screens show a group a `@edgelog/client` share
 * consumer is working through: its member, each share-partition's start offset and records in flight by state; its
 * delete is refused (NON_EMPTY_GROUP) while the member has a session and goes through once it left. Every page
 * must stay free of console errors and CSP violations. Screenshots: docs/console/*.png with EDGELOG_SCREENSHOTS=1.
 */
import { createClient } from "@edgelog/client";
import type { EdgeLog, ShareConsumer } from "@edgelog/core";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_LAUNCH_OPTIONS } from "./support/chromium.ts";
import { type ConsolePage, openConsole, PHONE, screenshot } from "./support/console-page.ts";
import { type LocalWorker, startLocalWorker } from "./support/local-worker.ts";

/** Playwright's own waits: short, the page answers in well under it. */
const UI_TIMEOUT_MS = 20_000;
const poll = <T>(value: () => T | Promise<T>) => expect.poll(value, { timeout: UI_TIMEOUT_MS });
/** A share group id may hold any character: this one needs encoding in the hash and in the API's path. */
const GROUP = "jobs/α b?#";

describe("compacted topics and share groups in the console, against the local Worker", () => {
  let worker: LocalWorker;
  let browser: Browser;
  let log: EdgeLog;
  let consumer: ShareConsumer | undefined;
  const opened: ConsolePage[] = [];

  beforeAll(async () => {
    [worker, browser] = await Promise.all([startLocalWorker(), chromium.launch(CHROMIUM_LAUNCH_OPTIONS)]);
    log = createClient({ url: worker.url, clientId: "console-config-e2e" });
  });

  afterAll(async () => {
    await consumer?.disconnect().catch(() => undefined);
    for (const page of opened) await page.close();
    await log?.close();
    await browser?.close();
    await worker?.stop();
  });

  async function open(options: Parameters<typeof openConsole>[2]): Promise<ConsolePage> {
    const page = await openConsole(browser, worker.url, options);
    opened.push(page);
    return page;
  }

  async function topicConfig(topic: string): Promise<Record<string, unknown>> {
    const response = await fetch(`${worker.url}/v1/topics/${topic}`);
    return ((await response.json()) as { config: Record<string, unknown> }).config;
  }

  it("creates a compacted topic from the form, marks it, and edits its configs", async () => {
    await log.admin().createTopics({ topics: [{ topic: "orders", numPartitions: 2 }] });
    // 400: the refused config below, provoked on purpose.
    const console = await open({ hash: "#/topics", expectedStatuses: [400] });
    const { page } = console;

    await page.getByRole("button", { name: "Create topic" }).first().click();
    const create = page.getByRole("dialog", { name: "Create topic" });
    await create.getByLabel("Name").fill("users");
    await create.getByLabel("Partitions").fill("1");
    await create.getByLabel("Cleanup policy").selectOption("compact");
    // Pure compaction deletes nothing by age: the retention choices go away, the compaction settings appear.
    await poll(() => create.getByLabel("Keep records for").count()).toBe(0);
    await create.getByLabel("delete.retention.ms", { exact: true }).fill("60000");
    await screenshot(page, "create-compacted-topic");
    await create.getByRole("button", { name: "Create topic" }).click();
    await create.waitFor({ state: "hidden", timeout: UI_TIMEOUT_MS });
    expect(await topicConfig("users")).toMatchObject({
      "cleanup.policy": "compact",
      "delete.retention.ms": 60_000,
    });

    // Marked in the list; the delete topic is not.
    const users = page.locator('tr[data-topic="users"]');
    await users.locator(".compacted-badge").waitFor({ timeout: UI_TIMEOUT_MS });
    await poll(() => users.getByRole("cell").nth(4).textContent()).toBe("latest per key");
    expect(await page.locator('tr[data-topic="orders"] .compacted-badge').count()).toBe(0);

    // Three keyed records, two of one key: three offsets, whatever compaction later leaves.
    await log.producer().send({
      topic: "users",
      messages: [
        { key: "ada", value: "v1" },
        { key: "bob", value: "v1" },
        { key: "ada", value: "v2" },
      ],
    });
    await users.getByRole("link", { name: "users" }).click();
    await page.getByRole("heading", { name: "users", level: 1 }).waitFor();
    const stats = page.locator(".stats");
    await poll(() => stats.locator("dt").nth(1).textContent()).toBe("Offsets");
    await poll(() => stats.locator("dd").nth(1).textContent()).toBe("3");
    await page.getByText("“Offsets” counts offsets, not records").waitFor();
    const row = (name: string) => page.locator(`.config-list .fact[data-config="${name}"]`);
    await poll(() => row("cleanup.policy").locator("[data-source]").getAttribute("data-source")).toBe(
      "topic",
    );
    await poll(() => row("min.compaction.lag.ms").locator("[data-source]").getAttribute("data-source")).toBe(
      "default",
    );
    expect(await row("delete.retention.ms").textContent()).toContain("60000");
    expect(await page.locator(".config-list .fact").count()).toBe(8);
    await screenshot(page, "topic-config", { fullPage: true });

    await page.setViewportSize(PHONE);
    await poll(() => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      PHONE.width,
    );
    await page.setViewportSize({ width: 1280, height: 800 });

    // A value out of range: the server's refusal in the dialog, nothing changed.
    await page.getByRole("button", { name: "Edit configs" }).click();
    const edit = page.getByRole("dialog", { name: "Edit configs" });
    await edit.getByLabel("min.cleanable.dirty.ratio", { exact: true }).fill("2");
    await edit.getByRole("button", { name: "Save 1 change" }).click();
    await edit.getByText("INVALID_CONFIG").waitFor({ timeout: UI_TIMEOUT_MS });
    await poll(() => edit.locator(".error-message").textContent()).toContain("min.cleanable.dirty.ratio");
    expect((await topicConfig("users"))["min.cleanable.dirty.ratio"]).toBeUndefined();
    await screenshot(page, "topic-config-edit");

    // A valid value and a reset to default, in one change.
    await edit.getByLabel("min.cleanable.dirty.ratio", { exact: true }).fill("0.1");
    await edit.getByRole("button", { name: "Reset delete.retention.ms to its default" }).click();
    await edit.getByRole("button", { name: "Save 2 changes" }).click();
    await edit.waitFor({ state: "hidden", timeout: UI_TIMEOUT_MS });
    const config = await topicConfig("users");
    expect(config["min.cleanable.dirty.ratio"]).toBe(0.1);
    expect(config["delete.retention.ms"]).toBeUndefined();
    await poll(() => row("delete.retention.ms").locator("[data-source]").getAttribute("data-source")).toBe(
      "default",
    );
    console.expectClean();
  });

  it("shows a share group a client is consuming with, and deletes it once its member left", async () => {
    await log.admin().alterShareGroupConfig(GROUP, { "share.auto.offset.reset": "earliest" });
    await log.producer().send({
      topic: "orders",
      messages: Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: `job ${i}` })),
    });
    // The member handles every record but holds the last one it gets, so one stays acquired while the page looks.
    const handled: string[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    consumer = log.shareConsumer({ groupId: GROUP, maxWaitTimeInMs: 1_000, maxRecords: 10 });
    await consumer.subscribe({ topics: ["orders"] });
    await consumer.run({
      eachMessage: async ({ message }) => {
        handled.push(String(message.value));
        if (handled.length === 6) await held;
      },
    });
    await poll(() => handled.length).toBe(6);
    // What the member accepted goes with its next request, which waits for the held record: send it now.
    await consumer.commit();

    // 409: the delete refused while the member has a session; 400: a refused config; both on purpose.
    const console = await open({ hash: "#/topics", expectedStatuses: [400, 409] });
    const { page } = console;
    await page
      .getByRole("navigation", { name: "Sections" })
      .getByRole("link", { name: "Share groups" })
      .click();
    await page.getByRole("heading", { name: "Share groups", level: 1 }).waitFor();
    const listed = page.locator(".share-groups-table tbody tr").filter({ hasText: GROUP });
    await poll(() => listed.locator("[data-state]").getAttribute("data-state")).toBe("Stable");
    await listed.getByRole("link", { name: GROUP }).click();
    await page.getByRole("heading", { name: GROUP, level: 1 }).waitFor();
    expect(new URL(page.url()).hash).toBe(`#/share-groups/${encodeURIComponent(GROUP)}`);

    const partitions = page.locator(".share-partitions tbody tr");
    await poll(() => partitions.count()).toBe(2);
    // Across both partitions: one record acquired (held), five acknowledged or already below the start offset.
    const column = async (label: string) =>
      (await page.locator(`.share-partitions td[data-label="${label}"]`).allTextContents()).map(Number);
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    await poll(async () => sum(await column("Acquired"))).toBe(1);
    await poll(async () => sum(await column("Start offset")) + sum(await column("Acknowledged"))).toBe(5);
    const members = page.getByRole("table", { name: "Members with a share session" }).locator("tbody tr");
    await poll(() => members.count()).toBe(1);
    await screenshot(page, "share-group", { fullPage: true });
    // On a phone the tables scroll in their own boxes (or become cards); the page itself never scrolls sideways.
    await page.setViewportSize(PHONE);
    await poll(() => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      PHONE.width,
    );
    await screenshot(page, "share-group-phone");
    await page.setViewportSize({ width: 1280, height: 800 });

    // The group's config: a refused value shows the server's code; a valid one applies.
    await page.getByRole("button", { name: "Edit config" }).click();
    const edit = page.getByRole("dialog", { name: "Edit share group config" });
    await edit.getByLabel("share.delivery.count.limit", { exact: true }).fill("99");
    await edit.getByRole("button", { name: "Save 1 change" }).click();
    await edit.getByText("INVALID_CONFIG").waitFor({ timeout: UI_TIMEOUT_MS });
    await edit.getByLabel("share.delivery.count.limit", { exact: true }).fill("3");
    await edit.getByRole("button", { name: "Save 1 change" }).click();
    await edit.waitFor({ state: "hidden", timeout: UI_TIMEOUT_MS });
    const limit = page.locator('.config-list .fact[data-config="share.delivery.count.limit"]');
    await poll(() => limit.locator("[data-source]").getAttribute("data-source")).toBe("group");
    expect(await limit.locator("dd code").textContent()).toBe("3");
    const [described] = (await log.admin().describeShareGroups([GROUP])).groups;
    expect(described?.config["share.delivery.count.limit"]).toBe(3);

    await page.getByRole("button", { name: "Delete share group" }).click();
    const confirm = page.getByRole("dialog", { name: "Delete share group" });
    await confirm.getByRole("button", { name: "Delete share group" }).click();
    await confirm.getByText("NON_EMPTY_GROUP").waitFor({ timeout: UI_TIMEOUT_MS });
    await page.keyboard.press("Escape");
    await confirm.waitFor({ state: "hidden" });

    release();
    await consumer.disconnect();
    consumer = undefined;
    await page.getByRole("button", { name: "Refresh" }).click();
    await poll(() => page.locator(".screen-sub [data-state]").getAttribute("data-state")).toBe("Empty");
    await page.getByRole("button", { name: "Delete share group" }).click();
    await confirm.getByRole("button", { name: "Delete share group" }).click();
    await page.getByRole("heading", { name: "Share groups", level: 1 }).waitFor({ timeout: UI_TIMEOUT_MS });
    await page.getByText("No share groups yet").waitFor();
    expect((await log.admin().listShareGroups()).groups).toEqual([]);
    console.expectClean();
  });
});
