/**
 * The console in real headless Chromium, for the console's end-to-end tests: `openConsole` opens a page of it
 * against a local Worker (`startLocalWorker`) and records every page error, console error, CSP violation and
 * request for one of the page's own files (not the API) that fails or answers an error — a missing favicon, say —
 * so `expectClean()` fails a test on any of them; `screenshot` writes a PNG of the page to `docs/console/<name>.png`
 * when `EDGELOG_SCREENSHOTS=1` (commit those), else to a temporary folder, so `npm test` leaves the tree clean.
 *
 * An API answer the test provokes on purpose (a 403 for a token without the right) is logged by Chromium as
 * "Failed to load resource: … status of 403": pass the statuses a test expects in `expectedStatuses`; any other
 * failed load (a missing asset, a 500) still fails it. `allowStatuses` adds some for the current step only:
 * `expectClean()` checks and starts afresh, so a page shared by several tests calls it after each.
 */
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { expect } from "vitest";

const REPO_ROOT = resolve(import.meta.dirname, "../..");
/** Where committed screenshots live; `EDGELOG_SCREENSHOTS=1` writes there. */
export const SCREENSHOT_DIR = join(REPO_ROOT, "docs", "console");
/** Every screenshot's viewport unless a test sets another (a phone): small PNGs, one look across screens. */
export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 375, height: 740 } as const;

export interface ConsolePageOptions {
  /** The hash route to open (`#/topics`), or a page (`offline`); default the console's start. */
  readonly hash?: string;
  readonly viewport?: { readonly width: number; readonly height: number };
  readonly colorScheme?: "light" | "dark";
  /** HTTP statuses of API answers the test provokes on purpose (see the module comment). */
  readonly expectedStatuses?: readonly number[];
  /** Browser permissions to grant the page's origin (`clipboard-read`). */
  readonly permissions?: readonly string[];
  /** The page's time zone (`UTC`) and locale (`en-US`), for tests that read formatted dates. */
  readonly timezoneId?: string;
  readonly locale?: string;
}

export interface ConsolePage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** What went wrong in the page so far: page errors, console errors, CSP violations. */
  readonly problems: string[];
  /** Shows `hash` (`#/groups`) of the console and waits until it is ready: a load, not a same-page navigation. */
  go(hash: string): Promise<void>;
  /** Also accepts API answers with these statuses (provoked on purpose), until the next `expectClean()`. */
  allowStatuses(...statuses: number[]): void;
  /** Fails the test if anything went wrong in the page; then forgets it, and the statuses allowed since. */
  expectClean(): void;
  close(): Promise<void>;
}

const FAILED_LOAD = /^Failed to load resource: the server responded with a status of (\d+)/;

/** Opens `${url}/${hash}` in a new context, waits for the console's first screen, and starts recording problems. */
export async function openConsole(
  browser: Browser,
  url: string,
  options: ConsolePageOptions = {},
): Promise<ConsolePage> {
  const context = await browser.newContext({
    viewport: options.viewport ?? DESKTOP,
    colorScheme: options.colorScheme ?? "light",
    reducedMotion: "reduce",
    ...(options.timezoneId === undefined ? {} : { timezoneId: options.timezoneId }),
    ...(options.locale === undefined ? {} : { locale: options.locale }),
  });
  if (options.permissions !== undefined)
    await context.grantPermissions([...options.permissions], { origin: new URL(url).origin });
  // The page's CSP reports violations as an event too: say them in the console, where they are recorded.
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
    });
  });
  const page = await context.newPage();
  const problems: string[] = [];
  const expected = new Set(options.expectedStatuses ?? []);
  const origin = new URL(url).origin;
  /** The page's own files: anything on its origin but the API (whose refusals the screens show). */
  const ownFile = (at: string): boolean => {
    const target = new URL(at, url);
    return target.origin === origin && !/^\/(v1|ds)\//.test(target.pathname);
  };
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    const text = message.text();
    if (message.type() !== "error" && !text.includes("Content Security Policy")) return;
    const failed = FAILED_LOAD.exec(text);
    const fromApi = !ownFile(message.location().url || url);
    if (failed !== null && fromApi && expected.has(Number(failed[1]))) return;
    problems.push(`console ${message.type()}: ${text} (${message.location().url})`);
  });
  page.on("response", (response) => {
    if (response.status() >= 400 && ownFile(response.url()))
      problems.push(`${response.status()} for ${response.url()}`);
  });
  page.on("requestfailed", (request) => {
    // An aborted request is one the page (or a navigation) cancelled, e.g. a paused live tail's stream.
    const failure = request.failure()?.errorText ?? "";
    if (ownFile(request.url()) && !failure.includes("ERR_ABORTED"))
      problems.push(`request failed: ${request.url()} (${failure})`);
  });
  const go = async (hash: string): Promise<void> => {
    await page.goto(`${url}/${hash}`);
    await page.waitForSelector("body[data-ready=true]");
  };
  await go(options.hash ?? "");
  return {
    context,
    page,
    problems,
    go,
    allowStatuses: (...statuses) => {
      for (const status of statuses) expected.add(status);
    },
    expectClean: () => {
      const found = problems.splice(0);
      expected.clear();
      for (const status of options.expectedStatuses ?? []) expected.add(status);
      expect(found).toEqual([]);
    },
    close: () => context.close(),
  };
}

/**
 * A PNG of what the page shows — the viewport, not the whole scroll height (small files, one frame per screen),
 * unless `fullPage` — at `docs/console/<name>.png` with `EDGELOG_SCREENSHOTS=1`, else in a temporary folder.
 * Returns the path.
 */
export async function screenshot(
  page: Page,
  name: string,
  options: { fullPage?: boolean } = {},
): Promise<string> {
  const directory =
    process.env.EDGELOG_SCREENSHOTS === "1" ? SCREENSHOT_DIR : join(tmpdir(), "edgelog-console");
  mkdirSync(directory, { recursive: true });
  const path = join(directory, `${name}.png`);
  // No focus ring, no hovered row, and no toasts of the steps before, in the picture (styles set from script pass
  // the CSP).
  await page.mouse.move(0, 0);
  await page.evaluate(() => {
    (document.activeElement as HTMLElement | null)?.blur();
    for (const toasts of document.querySelectorAll<HTMLElement>(".toasts"))
      toasts.style.visibility = "hidden";
  });
  await page.screenshot({ path, animations: "disabled", caret: "hide", fullPage: options.fullPage === true });
  await page.evaluate(() => {
    for (const toasts of document.querySelectorAll<HTMLElement>(".toasts")) toasts.style.visibility = "";
  });
  return path;
}
