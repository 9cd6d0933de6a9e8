/**
 * The offline log through token expiry and refusal, in real headless Chromium against the real Worker
 * (`wrangler dev` with `EDGELOG_JWT_SECRET`): the page opens `openOfflineLog` with a token *function* that asks
 * this test for a token (`exposeFunction`), and records are appended all along.
 *
 * 1. Short-lived tokens: each is minted so the server accepts it for only `TTL_S` seconds (backdated by the
 *    server's 60 s clock skew allowance). With the page's clock right, the client sees each `exp` coming and
 *    fetches a new token before sending (no 401). With the page's clock two minutes behind (a device with a wrong
 *    clock) it cannot: the server's 401 is what tells it, mid-sync, and the request is retried once with a fresh
 *    token.
 * 2. A token without the produce right (403), then a badly signed one (401): the records stay pending, nothing
 *    reaches the server, and `onSync` reports the code as `lastError`.
 * 3. A good token again: with a backoff far beyond the test and no interval, nothing happens until the page calls
 *    `log.tokenChanged()`; then everything drains.
 * Upstream then holds every record exactly once, in append order (one key, one partition).
 */
import { signToken } from "@edgelog/server";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bundleApiPage, serveApiPage } from "./support/api-page.ts";
import { CHROMIUM_LAUNCH_OPTIONS } from "./support/chromium.ts";
import { type LocalWorker, startLocalWorker } from "./support/local-worker.ts";

const SECRET = "e2e-token-secret-0123456789-abcdefghijkl";
const TOPIC = "tokened";
/** How long the server accepts each minted token. */
const TTL_S = 4;
/** The server tolerates this much clock skew on `exp` (packages/server/src/auth/jwt.ts). */
const SERVER_SKEW_MS = 60_000;
/** The page's clock in phase 1b: far enough behind that the client believes an expired token is still fresh. */
const PAGE_CLOCK_BEHIND_MS = 120_000;

type Mode = "good" | "no-right" | "bad-signature";

let worker: LocalWorker;
let browser: Browser;
let bundle: string;
let admin: string;

beforeAll(async () => {
  bundle = await bundleApiPage();
  [worker, browser] = await Promise.all([
    startLocalWorker({ vars: { EDGELOG_JWT_SECRET: SECRET } }),
    chromium.launch(CHROMIUM_LAUNCH_OPTIONS),
  ]);
  admin = await signToken({ secret: SECRET, scope: "admin", ttlSeconds: 600 });
});

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
});

const asAdmin = (path: string, init: RequestInit = {}) =>
  fetch(`${worker.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
  });

async function highWatermark(): Promise<number> {
  const body = (await (await asAdmin(`/v1/topics/${TOPIC}`)).json()) as {
    partitions: { highWatermark: number }[];
  };
  return body.partitions[0]?.highWatermark ?? -1;
}

async function upstreamValues(): Promise<number[]> {
  const values: number[] = [];
  for (let offset = 0; ; ) {
    const body = (await (
      await asAdmin(`/v1/topics/${TOPIC}/partitions/0/records?offset=${offset}&limit=10000`)
    ).json()) as { records: { value: { i: number } }[]; nextOffset: number };
    if (body.records.length === 0) return values;
    values.push(...body.records.map((r) => r.value.i));
    offset = body.nextOffset;
  }
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The page's side: the log, what `onSync` said, and a writer appending `{ i }` under one key. */
interface PageState {
  log: {
    append(topic: string, record: { key: string; value: unknown }): Promise<void>;
    pending(): number;
    flush(): Promise<void>;
    tokenChanged(): void;
    onSync(callback: (event: { lastError: { code: string } | null }) => void): () => void;
    close(): Promise<void>;
  };
  codes: (string | null)[];
  next: number;
}

/** Appends one record every `everyMs` for `forMs`, awaiting each append; returns how many. */
function write(page: Page, forMs: number, everyMs = 20): Promise<number> {
  return page.evaluate(
    async ({ topic, forMs, everyMs }) => {
      const state = (globalThis as unknown as { state: PageState }).state;
      const until = performance.now() + forMs;
      let count = 0;
      while (performance.now() < until) {
        await state.log.append(topic, { key: "k", value: { i: state.next++ } });
        count++;
        await new Promise((resolve) => setTimeout(resolve, everyMs));
      }
      return count;
    },
    { topic: TOPIC, forMs, everyMs },
  );
}

const pendingIn = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { state: PageState }).state.log.pending());
const codesIn = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { state: PageState }).state.codes);

it("syncs exactly once through token expiry, refresh, refusal (403, 401) and tokenChanged()", async () => {
  expect(
    (await asAdmin("/v1/topics", { method: "POST", body: JSON.stringify({ name: TOPIC }) })).status,
  ).toBe(201);
  let mode: Mode = "good";
  const minted: Mode[] = [];
  const mint = (): Promise<string> => {
    minted.push(mode);
    return signToken({
      secret: mode === "bad-signature" ? "not-the-secret-0123456789-abcdefghijklm" : SECRET,
      scope: mode === "no-right" ? `consume:${TOPIC}` : `produce:${TOPIC}`,
      ttlSeconds: TTL_S,
      // Backdated by the server's skew allowance: accepted for TTL_S seconds from now, not TTL_S + 60.
      now: Date.now() - SERVER_SKEW_MS,
    });
  };

  const context = await browser.newContext();
  await serveApiPage(context, worker.url, bundle);
  await context.exposeFunction("mintToken", mint);
  // The page's clock, movable by the test: `Date.now` is all the client reads to judge a token's `exp`.
  await context.addInitScript(() => {
    const realNow = Date.now.bind(Date);
    const scope = globalThis as unknown as { clockOffsetMs: number };
    scope.clockOffsetMs = 0;
    Date.now = () => realNow() + scope.clockOffsetMs;
  });
  const statuses = { unauthorized: 0, forbidden: 0, appended: 0 };
  context.on("response", (response) => {
    if (!response.url().includes(`/v1/topics/${TOPIC}/`)) return;
    if (response.status() === 401) statuses.unauthorized++;
    if (response.status() === 403) statuses.forbidden++;
    if (response.status() === 200 && response.request().method() === "POST") statuses.appended++;
  });
  const page = await context.newPage();
  await page.goto(`${worker.url}/__test/index.html`);
  await page.evaluate(async () => {
    const scope = globalThis as unknown as {
      edgelog: { openOfflineLog(options: unknown): Promise<PageState["log"]> };
      mintToken(): Promise<string>;
      state: PageState;
    };
    const log = await scope.edgelog.openOfflineLog({
      name: "tokens",
      upstream: { url: location.origin, token: () => scope.mintToken() },
      // Nothing but appends, flush() and tokenChanged() starts a pass: no interval, a backoff beyond the test.
      syncIntervalMs: 0,
      retry: { initialMs: 600_000, maxMs: 600_000 },
    });
    const state: PageState = { log, codes: [], next: 0 };
    log.onSync((event) => state.codes.push(event.lastError?.code ?? null));
    scope.state = state;
  });
  /** `flush()` in the page: `null` once everything is acknowledged, else the error's code. */
  const flush = () =>
    page.evaluate(() =>
      (globalThis as unknown as { state: PageState }).state.log.flush().then(
        () => null,
        (error: { code?: string }) => error.code ?? String(error),
      ),
    );
  const tokenChanged = () =>
    page.evaluate(() => (globalThis as unknown as { state: PageState }).state.log.tokenChanged());

  // 1a. The page's clock is right: every token is within 30 s of its exp, so one is fetched before each pass's
  // requests; the server never sees an expired one.
  let written = await write(page, 3_000);
  expect(await flush()).toBeNull();
  expect(statuses.unauthorized).toBe(0);
  const mintedRight = minted.length;
  expect(mintedRight).toBeGreaterThan(1);
  expect(await highWatermark()).toBe(written);

  // 1b. The page's clock falls two minutes behind: the client keeps each token for about 35 s, the server stops
  // taking it after TTL_S. Mid-sync 401s, each followed by one fresh token and the same request again.
  await page.evaluate((offset) => {
    (globalThis as unknown as { clockOffsetMs: number }).clockOffsetMs = offset;
  }, -PAGE_CLOCK_BEHIND_MS);
  written += await write(page, 3 * TTL_S * 1_000 + 2_000);
  expect(await flush()).toBeNull();
  expect(statuses.unauthorized).toBeGreaterThanOrEqual(2);
  // Only expiries fetch tokens now (not every pass): one per 401, and at most the first one of this phase.
  expect(minted.length - mintedRight).toBeLessThanOrEqual(statuses.unauthorized + 1);
  expect(await pendingIn(page)).toBe(0);
  expect(await highWatermark()).toBe(written);
  const acknowledged = written;

  // 2. A token without the produce right: 403, records pending, reported.
  mode = "no-right";
  await tokenChanged();
  written += await write(page, 1_000, 50);
  await waitUntil(
    async () => (await codesIn(page)).includes("TOPIC_AUTHORIZATION_FAILED"),
    20_000,
    "the 403 in onSync",
  );
  expect(statuses.forbidden).toBeGreaterThan(0);
  // A badly signed token: 401, retried once with another (as bad), then AUTHENTICATION_FAILED.
  mode = "bad-signature";
  await tokenChanged();
  written += await write(page, 1_000, 50);
  await waitUntil(
    async () => (await codesIn(page)).at(-1) === "AUTHENTICATION_FAILED",
    20_000,
    "the 401 in onSync",
  );
  expect(await flush()).toBe("AUTHENTICATION_FAILED");
  // Let the passes already asked for end (each asks the function anew after its first 401).
  for (let seen = -1; seen !== minted.length; ) {
    seen = minted.length;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  expect(await pendingIn(page)).toBe(written - acknowledged);
  expect(await highWatermark()).toBe(acknowledged);

  // 3. A good token exists, but the log has no reason to ask for one yet: nothing is fetched, nothing sent.
  mode = "good";
  const mintedBefore = minted.length;
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect(minted.length).toBe(mintedBefore);
  expect(await pendingIn(page)).toBe(written - acknowledged);
  // Told, it syncs at once, not after its (10-minute) backoff.
  await tokenChanged();
  await waitUntil(async () => (await pendingIn(page)) === 0, 30_000, "the drain after tokenChanged()");
  expect(minted.slice(mintedBefore)).toContain("good");
  expect((await codesIn(page)).at(-1)).toBeNull();

  // Exactly once, in append order: 0, 1, 2, … with nothing lost and nothing twice.
  const values = await upstreamValues();
  expect(values.length).toBe(written);
  expect(values).toEqual(Array.from({ length: written }, (_, i) => i));
  await page.evaluate(() => (globalThis as unknown as { state: PageState }).state.log.close());
  await context.close();
  console.log(
    `offline tokens: ${written} records, ${minted.length} tokens minted, ${statuses.unauthorized} 401s, ` +
      `${statuses.forbidden} 403s, ${statuses.appended} appends acknowledged`,
  );
});
