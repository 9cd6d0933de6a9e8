/**
 * How much JavaScript the built console (apps/web/dist, `npm run build`) sends, gzip-compressed: what its page
 * loads at once (the entry script and the chunks it preloads, from dist/index.html) and in all, with the screens
 * loaded on first visit — every script chunk but the ones only the offline demo page loads. The README states
 * these numbers; test/console-size.test.ts keeps it honest, and `node scripts/console-size.ts` prints them.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";

export const WEB_DIST = resolve(import.meta.dirname, "../../apps/web/dist");

export interface ConsoleSize {
  /** Bytes of gzip the console's page loads before its first screen. */
  readonly initialGzipBytes: number;
  /** Bytes of gzip of every script the console may load (lazy screens included). */
  readonly totalGzipBytes: number;
  /** Each console script and its gzip bytes, `initial` when loaded at once. */
  readonly files: readonly { readonly file: string; readonly gzipBytes: number; readonly initial: boolean }[];
}

/** The scripts a built page loads at once: its module script and the chunks it preloads. */
function scriptsOf(html: string): Set<string> {
  const found = new Set<string>();
  for (const match of html.matchAll(/<script[^>]*\ssrc="\/([^"]+\.js)"/g)) found.add(match[1] as string);
  for (const match of html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="\/([^"]+\.js)"/g))
    found.add(match[1] as string);
  return found;
}

export async function measureConsoleJs(dist = WEB_DIST): Promise<ConsoleSize> {
  const initial = scriptsOf(await readFile(join(dist, "index.html"), "utf8"));
  const offline = scriptsOf(await readFile(join(dist, "offline.html"), "utf8"));
  const chunks = (await readdir(join(dist, "assets")))
    .filter((f) => f.endsWith(".js"))
    .map((f) => `assets/${f}`);
  const files = [];
  for (const file of chunks) {
    // Only the offline page's own chunks are not the console's; chunks neither page preloads are lazy screens.
    if (offline.has(file) && !initial.has(file)) continue;
    const gzipBytes = gzipSync(await readFile(join(dist, file))).byteLength;
    files.push({ file, gzipBytes, initial: initial.has(file) });
  }
  if (files.filter((f) => f.initial).length !== initial.size)
    throw new Error(`dist/index.html names scripts missing from dist/assets: ${[...initial].join(", ")}`);
  return {
    initialGzipBytes: files.filter((f) => f.initial).reduce((sum, f) => sum + f.gzipBytes, 0),
    totalGzipBytes: files.reduce((sum, f) => sum + f.gzipBytes, 0),
    files,
  };
}

/** `12345` → `12.1` (kB of 1,000 bytes, as the README and Vite write them). */
export function kilobytes(bytes: number): string {
  return (bytes / 1000).toFixed(1);
}
