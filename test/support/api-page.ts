/**
 * The package-API test page for end-to-end tests that drive `@edgelog/indexeddb` itself rather than the web
 * console: packages/indexeddb/test-pages/api-page.ts bundled by vite into one IIFE, and a route that serves it
 * (and an HTML page loading it) under `/__test/` on the local Worker's origin, so the page shares the Worker's
 * origin without the Worker serving anything new.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { BrowserContext } from "playwright-core";
import { build } from "vite";
import { sourceCondition } from "./source-condition-plugin.ts";

const PAGE_ENTRY = resolve(import.meta.dirname, "../../packages/indexeddb/test-pages/api-page.ts");

/** The bundle's source: it puts the package on `globalThis.edgelog`. */
export async function bundleApiPage(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), "edgelog-api-page-"));
  try {
    await build({
      configFile: false,
      logLevel: "warn",
      plugins: [sourceCondition()],
      build: {
        outDir,
        emptyOutDir: true,
        minify: false,
        lib: { entry: PAGE_ENTRY, formats: ["iife"], name: "edgelogApiPage", fileName: () => "api.js" },
      },
    });
    return await readFile(join(outDir, "api.js"), "utf8");
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/** Serves `${origin}/__test/index.html` (loading the bundle) and `/__test/api.js` in `context`. */
export async function serveApiPage(context: BrowserContext, origin: string, bundle: string): Promise<void> {
  await context.route(`${origin}/__test/**`, (route) =>
    new URL(route.request().url()).pathname === "/__test/api.js"
      ? route.fulfill({ body: bundle, contentType: "text/javascript; charset=utf-8" })
      : route.fulfill({
          body: '<!doctype html><meta charset="utf-8"><script src="/__test/api.js"></script>',
          contentType: "text/html; charset=utf-8",
        }),
  );
}
