/**
 * The headers of the deployed shape under `wrangler dev`: the console's static assets carry the CSP of
 * apps/web/public/_headers and the page still works under it in Chromium (no violation, the service worker
 * registers); the API's answers carry the Worker's security headers, and a cross-site-style text/plain write is
 * refused with 415, writing nothing. The Worker is the console files' shared one (test/support/console-worker.ts).
 */
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_LAUNCH_OPTIONS } from "./support/chromium.ts";
import { openConsole } from "./support/console-page.ts";
import { consoleWorker } from "./support/console-worker.ts";
import type { LocalWorker } from "./support/local-worker.ts";

describe("security headers against the local Worker", () => {
  let worker: LocalWorker;
  let browser: Browser;

  beforeAll(async () => {
    [worker, browser] = await Promise.all([consoleWorker(), chromium.launch(CHROMIUM_LAUNCH_OPTIONS)]);
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
  });

  it("serves the console's assets with the CSP, and not the _headers file itself", async () => {
    for (const path of ["/", "/sw.js"]) {
      const res = await fetch(new URL(path, worker.url));
      expect(res.status, path).toBe(200);
      expect(res.headers.get("Content-Security-Policy"), path).toContain("script-src 'self'");
      expect(res.headers.get("Content-Security-Policy"), path).toContain("frame-ancestors 'none'");
      expect(res.headers.get("X-Content-Type-Options"), path).toBe("nosniff");
      expect(res.headers.get("Referrer-Policy"), path).toBe("no-referrer");
      await res.arrayBuffer();
    }
    const headersFile = await fetch(new URL("/_headers", worker.url));
    expect(await headersFile.text()).not.toContain("Content-Security-Policy");
  });

  it("runs the console under its CSP: no violation, and the service worker registers", async () => {
    // 404 and 409: the page looks up its topic and creates it on every load (another file's page may have).
    const console = await openConsole(browser, worker.url, { hash: "offline", expectedStatuses: [404, 409] });
    const { page } = console;
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    expect(scope).toBe(new URL("/", worker.url).href);
    await page.fill("input[name=topic]", "csp-check");
    await page.click("#append-form button[type=submit]");
    await expect
      .poll(async () => (await fetch(new URL("/v1/topics/csp-check", worker.url))).status, {
        timeout: 20_000,
      })
      .toBe(200);
    console.expectClean();
    await console.close();
  });

  it("puts the security headers on API answers and refuses a text/plain write with 415", async () => {
    const health = await fetch(new URL("/v1/health", worker.url));
    expect(health.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(health.headers.get("Referrer-Policy")).toBe("no-referrer");
    expect(health.headers.get("Cache-Control")).toBe("no-store");
    const refused = await fetch(new URL("/v1/topics", worker.url), {
      method: "POST",
      headers: { "Content-Type": "text/plain", Origin: "https://evil.example" },
      body: JSON.stringify({ name: "cross-site" }),
    });
    expect(refused.status).toBe(415);
    expect(refused.headers.get("Access-Control-Allow-Origin")).toBeNull();
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect((await fetch(new URL("/v1/topics/cross-site", worker.url))).status).toBe(404);
  });
});
