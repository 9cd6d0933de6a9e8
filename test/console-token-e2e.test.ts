/**
 * The web console's token, in real headless Chromium against the real Worker (`wrangler dev`): with
 * `EDGELOG_JWT_SECRET` set, the console asks for a token, checks a pasted one with one request and shows the
 * server's message when it is refused, keeps the accepted one in `sessionStorage` only, sends it as bearer on its
 * own requests and to its offline log (records appended before sign-in stay pending, then go out once), brings the
 * form back when the token expires (the server's 401 message), and "Sign out" forgets it. Against an open Worker
 * it says so and asks for nothing. All under the console's CSP, without a violation, console error or failed asset
 * load (test/support/console-page.ts). The open Worker is the console files' shared one (console-worker.ts).
 */
import { signToken } from "@edgelog/server";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_LAUNCH_OPTIONS } from "./support/chromium.ts";
import { type ConsolePage, openConsole, screenshot } from "./support/console-page.ts";
import { consoleWorker } from "./support/console-worker.ts";
import { type LocalWorker, startLocalWorker } from "./support/local-worker.ts";

const SECRET = "e2e-console-secret-0123456789-abcdefghij";
const STORAGE_KEY = "edgelog-console-token";
const TOPIC = "secured";

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const textOf = async (page: Page, selector: string): Promise<string> =>
  (await page.textContent(selector)) ?? "";

async function pasteToken(page: Page, token: string): Promise<void> {
  await page.fill("#token-input", token);
  await page.click("#token-form button[type=submit]");
}

const stored = (page: Page) =>
  page.evaluate((key) => ({ session: sessionStorage.getItem(key), local: localStorage.length }), STORAGE_KEY);

describe("the console against a Worker that requires tokens", () => {
  let worker: LocalWorker;
  let browser: Browser;
  let opened: ConsolePage | undefined;

  beforeAll(async () => {
    [worker, browser] = await Promise.all([
      startLocalWorker({ vars: { EDGELOG_JWT_SECRET: SECRET } }),
      chromium.launch(CHROMIUM_LAUNCH_OPTIONS),
    ]);
  });

  afterAll(async () => {
    await opened?.close();
    await browser?.close();
    await worker?.stop();
  });

  async function upstreamValues(): Promise<unknown[]> {
    const admin = await signToken({ secret: SECRET, scope: "admin", ttlSeconds: 60 });
    const headers = { authorization: `Bearer ${admin}` };
    const described = await fetch(`${worker.url}/v1/topics/${TOPIC}`, { headers });
    if (!described.ok) return [];
    const { partitions } = (await described.json()) as { partitions: { partition: number }[] };
    const values: unknown[] = [];
    for (const { partition } of partitions) {
      const body = (await (
        await fetch(`${worker.url}/v1/topics/${TOPIC}/partitions/${partition}/records?offset=0`, { headers })
      ).json()) as { records: { value: unknown }[] };
      values.push(...body.records.map((r) => r.value));
    }
    return values;
  }

  it("asks for a token, keeps it for the tab, sends it, asks again on a 401, and signs out", async () => {
    // 401: the badly signed and the expired token, refused on purpose; 404 and 409: the page looks up its topic
    // and creates it on every load.
    opened = await openConsole(browser, worker.url, { hash: "offline", expectedStatuses: [401, 404, 409] });
    const { page, context } = opened;
    const authorizations: (string | undefined)[] = [];
    page.on("request", (request) => {
      if (new URL(request.url()).pathname.startsWith(`/v1/topics/${TOPIC}`))
        authorizations.push(request.headers().authorization);
    });
    expect(await textOf(page, "#auth-status")).toContain("requires a token");
    expect(await page.isVisible("#token-form")).toBe(true);
    expect(await page.isVisible("#sign-out")).toBe(false);
    expect(await page.isVisible("#auth-banner")).toBe(false);

    // Recorded before any token: kept, pending, and the reason shown.
    await page.fill("input[name=topic]", TOPIC);
    await page.fill("input[name=value]", '"first"');
    await page.click("#append-form button[type=submit]");
    await waitUntil(async () => (await textOf(page, "#pending")) === "1", 20_000, "the first record pending");
    await waitUntil(
      async () => (await textOf(page, "#last-error")).includes("AUTHENTICATION_FAILED"),
      20_000,
      "the log's auth failure",
    );

    // Not a token at all (a header could not even carry it): refused before any request, and not kept.
    await pasteToken(page, "Bearer eyJ.\npasted by mistake");
    await waitUntil(
      async () => (await textOf(page, "#token-message")).includes("That is not a JWT"),
      10_000,
      "the shape check",
    );
    expect(await stored(page)).toEqual({ session: null, local: 0 });

    // A badly signed token: refused with the server's own words, and not kept.
    const badlySigned = await signToken({ secret: "not-the-secret-0123456789-abcdefghij", scope: "admin" });
    await pasteToken(page, badlySigned);
    await waitUntil(
      async () => (await textOf(page, "#token-message")).includes("the token's signature does not verify"),
      20_000,
      "the server's message",
    );
    expect(await stored(page)).toEqual({ session: null, local: 0 });
    expect(await page.isVisible("#token-form")).toBe(true);

    // A good one: kept in sessionStorage only, and the pending record goes out at once, once.
    const good = await signToken({ secret: SECRET, scope: "admin", ttlSeconds: 600 });
    await pasteToken(page, good);
    await waitUntil(async () => (await textOf(page, "#sent")) === "1", 20_000, "the first record sent");
    expect(await textOf(page, "#pending")).toBe("0");
    expect(await stored(page)).toEqual({ session: good, local: 0 });
    expect(await page.isVisible("#token-form")).toBe(false);
    expect(await page.isVisible("#sign-out")).toBe(true);
    await waitUntil(
      async () => (await textOf(page, "#upstream-summary")).includes(`1 records in "${TOPIC}"`),
      20_000,
      "the console's own (authorized) read",
    );
    expect(authorizations).toContain(`Bearer ${good}`);

    // Signed out: the token is gone, the form is back, a new record waits.
    await page.click("#sign-out");
    expect(await stored(page)).toEqual({ session: null, local: 0 });
    expect(await page.isVisible("#token-form")).toBe(true);
    await page.fill("input[name=value]", '"second"');
    await page.click("#append-form button[type=submit]");
    await waitUntil(
      async () => (await textOf(page, "#pending")) === "1",
      20_000,
      "the second record pending",
    );

    // A token the server takes for 3 more seconds (backdated by its 60 s clock-skew allowance): it sends the
    // second record, then expires, and the console's next request brings the form back with the server's message.
    const shortLived = await signToken({
      secret: SECRET,
      scope: "admin",
      ttlSeconds: 3,
      now: Date.now() - 60_000,
    });
    await pasteToken(page, shortLived);
    await waitUntil(async () => (await textOf(page, "#pending")) === "0", 20_000, "the second record sent");
    await waitUntil(
      async () => (await textOf(page, "#token-message")).includes("the token has expired"),
      20_000,
      "the expiry's 401",
    );
    expect(await page.isVisible("#token-form")).toBe(true);

    // Survives a reload of the tab (sessionStorage), gone in a new one.
    await pasteToken(page, good);
    await waitUntil(async () => !(await page.isVisible("#token-form")), 20_000, "the form gone");
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    expect(await page.isVisible("#sign-out")).toBe(true);
    expect(await stored(page)).toEqual({ session: good, local: 0 });
    const other = await context.newPage();
    await other.goto(`${worker.url}/offline`);
    await other.waitForSelector("body[data-ready=true]");
    expect(await stored(other)).toEqual({ session: null, local: 0 });
    expect(await other.isVisible("#token-form")).toBe(true);

    expect(await upstreamValues()).toEqual(["first", "second"]);
    opened.expectClean();
  });
});

describe("the console against an open Worker", () => {
  let worker: LocalWorker;
  let browser: Browser;

  beforeAll(async () => {
    [worker, browser] = await Promise.all([consoleWorker(), chromium.launch(CHROMIUM_LAUNCH_OPTIONS)]);
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
  });

  it("says plainly that the server is open and asks for no token", async () => {
    // 404 and 409: the page looks up its topic and creates it on every load (another file's page may have).
    const console = await openConsole(browser, worker.url, { hash: "offline", expectedStatuses: [404, 409] });
    const { page } = console;
    expect(await textOf(page, "#auth-status")).toContain("This server is open");
    expect(await page.isVisible("#token-form")).toBe(false);
    expect(await page.isVisible("#sign-out")).toBe(false);
    await page.click("#append-form button[type=submit]");
    await waitUntil(
      async () => (await textOf(page, "#sent")) === "1",
      20_000,
      "the record sent without a token",
    );
    expect(await textOf(page, "#last-error")).toBe("");
    // The page fits its cards: no figure wider than the card holding it.
    const overflowing = await page.$$eval(".card", (cards) =>
      cards
        .filter((card) => card.scrollWidth > card.clientWidth)
        .map((card) => card.querySelector("h2")?.textContent),
    );
    expect(overflowing).toEqual([]);
    await waitUntil(
      async () => (await textOf(page, "#upstream-summary")).startsWith("1 records"),
      20_000,
      "the record upstream",
    );
    // The whole page: its four cards are taller than a screen.
    await screenshot(page, "offline", { fullPage: true });
    console.expectClean();
    await console.close();
  });

  it("says so in the console too, which asks for nothing and shows every action", async () => {
    // 409: the offline page creates its topic on every load, and it exists from the test above.
    const console = await openConsole(browser, worker.url, { hash: "#/access", expectedStatuses: [409] });
    const { page } = console;
    await page.getByText("This server is open.").waitFor();
    expect(await page.getByRole("alert").first().textContent()).toContain(
      "No authentication (EDGELOG_AUTH=none)",
    );
    expect(await page.locator(".identity").textContent()).toBe("open server");
    expect(await page.getByLabel("Token (JWT)").count()).toBe(0);
    await page.getByRole("link", { name: "Topics" }).first().click();
    await page.getByRole("button", { name: "Create topic" }).first().waitFor();
    await page.getByRole("link", { name: "Offline demo" }).click();
    await page.waitForSelector("body[data-ready=true]");
    await page.getByRole("link", { name: "← Console" }).click();
    await page.getByRole("heading", { name: "Topics" }).waitFor();
    console.expectClean();
    await console.close();
  });
});
