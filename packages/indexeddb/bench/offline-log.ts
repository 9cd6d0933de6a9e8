/**
 * The offline log (`openOfflineLog`) measured in real headless Chromium against the local Worker (`wrangler dev`),
 * with its baselines measured in the same page, in the same run, so the results read as ratios:
 *   - burst: N `append`s with no await in between (one `Promise.all`) vs raw idb writing the same records,
 *     1,000 `add`s per readwrite transaction;
 *   - Workbox: the same N events as one request each through `workbox-background-sync`'s `Queue.pushRequest`, no
 *     await in between, in a service worker (where Workbox runs it), measured last;
 *   - drain: events queued while `upstream.fetch` rejects, then synced to the local Worker; events/s from going
 *     online until `flush()` resolves with `pending() === 0`, checked against the upstream high watermarks.
 * The page and the service worker are vite IIFE bundles of bench/page-entry.ts and bench/sw-entry.ts served under
 * `/bench/` on the Worker's origin (context.route), so upstream calls are same-origin.
 * Run: `node packages/indexeddb/bench/offline-log.ts [--burst N] [--drain N] [--workbox N]` (Node ≥ 22.18).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { build } from "vite";
import { CHROMIUM_LAUNCH_OPTIONS } from "../../../test/support/chromium.ts";
import { startLocalWorker } from "../../../test/support/local-worker.ts";

const REPO_ROOT = resolve(import.meta.dirname, "../../..");
const args = new Map<string, string>();
for (let i = 2; i + 1 < process.argv.length; i += 2)
  args.set(process.argv[i] ?? "", process.argv[i + 1] ?? "");
const BURST = Number(args.get("--burst") ?? 10_000);
const DRAIN = Number(args.get("--drain") ?? 100_000);
const WORKBOX = Number(args.get("--workbox") ?? BURST);
const DRAIN_CHUNK = 10_000;
const TOPIC = "bench-drain";

interface Burst {
  ms: number;
  pending: number;
}
interface RawIdb {
  ms: number;
  count: number;
}
interface WorkboxRun {
  ms: number;
  queued: number;
}
interface Drain {
  queueMs: number;
  pendingOffline: number;
  drainMs: number;
  pendingAfter: number;
  failedFetches: number;
  requests: number;
  requestMs: number;
  requestKinds: Record<string, number>;
}

if (!existsSync(join(REPO_ROOT, "apps/web/dist/index.html"))) {
  const built = spawnSync("npm", ["run", "build"], { cwd: REPO_ROOT, stdio: "inherit" });
  if (built.status !== 0) throw new Error("npm run build failed");
}

const outDir = await mkdtemp(join(tmpdir(), "edgelog-bench-page-"));
/** One IIFE per entry (vite lib mode builds one entry per IIFE); production mode, as an app would ship Workbox. */
const bundle = async (entry: string, fileName: string): Promise<Buffer> => {
  await build({
    configFile: false,
    root: import.meta.dirname,
    logLevel: "warn",
    define: { "process.env.NODE_ENV": JSON.stringify("production") },
    build: {
      outDir,
      emptyOutDir: false,
      minify: false,
      lib: {
        entry: join(import.meta.dirname, entry),
        formats: ["iife"],
        name: "edgelogBench",
        fileName: () => fileName,
      },
    },
  });
  return readFile(join(outDir, fileName));
};
const files = new Map<string, { body: Buffer | string; type: string }>([
  [
    "/bench/bench.js",
    { body: await bundle("page-entry.ts", "bench.js"), type: "text/javascript; charset=utf-8" },
  ],
  ["/bench/sw.js", { body: await bundle("sw-entry.ts", "sw.js"), type: "text/javascript; charset=utf-8" }],
]);
files.set("/bench/index.html", {
  body: '<!doctype html><meta charset="utf-8"><title>edgelog bench</title><script src="/bench/bench.js"></script>',
  type: "text/html; charset=utf-8",
});

const worker = await startLocalWorker();
const browser = await chromium.launch(CHROMIUM_LAUNCH_OPTIONS);
try {
  const created = await fetch(`${worker.url}/v1/topics`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: TOPIC, partitions: 1 }),
  });
  if (!created.ok) throw new Error(`create topic: ${created.status} ${await created.text()}`);

  // Routed on the context, not the page: the service worker's script request is the context's, not the page's.
  const context = await browser.newContext();
  await context.route(`${worker.url}/bench/**`, (route) => {
    const file = files.get(new URL(route.request().url()).pathname);
    if (file === undefined) return route.fulfill({ status: 404, body: "not found" });
    return route.fulfill({ body: file.body, contentType: file.type });
  });
  const page = await context.newPage();
  page.on("pageerror", (error) => console.error("page error:", error));
  await page.goto(`${worker.url}/bench/index.html`);
  await page.waitForFunction("typeof globalThis.edgelogBench === 'object'");
  const browserVersion = browser.version();

  // Warm-up (JIT, IndexedDB backing files), not reported.
  await page.evaluate("edgelogBench.burstRawIdb(2000)");
  await page.evaluate("edgelogBench.burstOfflineLog(2000)");

  const raw = (await page.evaluate(`edgelogBench.burstRawIdb(${BURST})`)) as RawIdb;
  const burst = (await page.evaluate(`edgelogBench.burstOfflineLog(${BURST})`)) as Burst;
  if (raw.count !== BURST) throw new Error(`raw idb stored ${raw.count} of ${BURST}`);
  if (burst.pending !== BURST) throw new Error(`offline log holds ${burst.pending} of ${BURST}`);

  const drain = (await page.evaluate(
    `edgelogBench.drain(${JSON.stringify(TOPIC)}, ${DRAIN}, ${DRAIN_CHUNK})`,
  )) as Drain;
  const described = await fetch(`${worker.url}/v1/topics/${TOPIC}`);
  if (!described.ok) throw new Error(`describe: ${described.status} ${await described.text()}`);
  const topic = (await described.json()) as { partitions: { highWatermark: number }[] };
  const upstream = topic.partitions.reduce((sum, p) => sum + p.highWatermark, 0);

  // Last: Workbox's own sync replay (Background Sync) may send its queue to the Worker afterwards.
  let workbox: WorkboxRun | null = null;
  let workboxError: string | null = null;
  try {
    const url = `${worker.url}/v1/topics/bench-workbox/records`;
    await page.evaluate(`edgelogBench.workbox(200, ${JSON.stringify(url)})`); // warm-up
    workbox = (await page.evaluate(`edgelogBench.workbox(${WORKBOX}, ${JSON.stringify(url)})`)) as WorkboxRun;
    if (workbox.queued !== WORKBOX) throw new Error(`workbox queued ${workbox.queued} of ${WORKBOX}`);
  } catch (error) {
    workboxError = String(error);
    workbox = null;
  }

  const rate = (count: number, ms: number): number => Math.round(count / (ms / 1000));
  const burstRate = rate(BURST, burst.ms);
  const rawRate = rate(BURST, raw.ms);
  const drainRate = rate(DRAIN, drain.drainMs);
  const queueRate = rate(DRAIN, drain.queueMs);
  const burstRatio = burstRate / rawRate;
  const workboxRate = workbox === null ? null : rate(WORKBOX, workbox.ms);
  const workboxRatio = workboxRate === null ? null : burstRate / workboxRate;
  const rows: [string, string, string, string][] = [
    [`burst append, ${BURST} × ~100 B, one Promise.all`, `${burstRate} events/s`, "", ""],
    ["raw idb, 1,000 adds per readwrite tx (baseline)", `${rawRate} records/s`, "", ""],
    ["ratio offline log / raw idb", burstRatio.toFixed(2), "≥ 0.5", burstRatio >= 0.5 ? "met" : "MISSED"],
    [`queue offline, ${DRAIN} in Promise.all chunks of ${DRAIN_CHUNK}`, `${queueRate} events/s`, "", ""],
    [
      `drain ${DRAIN} to local Worker (online → pending 0)`,
      `${drainRate} events/s`,
      "≥ 20,000",
      drainRate >= 20_000 ? "met" : "MISSED",
    ],
    [
      "  of which upstream HTTP (requests, summed time)",
      `${drain.requests} requests, ${Math.round(drain.requestMs)} ms of ${Math.round(drain.drainMs)} ms`,
      "",
      "",
    ],
    [
      "upstream high watermark after drain",
      String(upstream),
      String(DRAIN),
      upstream === DRAIN ? "exact" : "WRONG",
    ],
    [
      `workbox-background-sync Queue.pushRequest, ${WORKBOX} requests (service worker)`,
      workboxRate === null ? `failed: ${workboxError}` : `${workboxRate} requests/s`,
      "",
      "",
    ],
    [
      "ratio offline log burst / Workbox",
      workboxRatio === null ? "n/a" : `${workboxRatio.toFixed(1)}×`,
      "≥ 50×",
      workboxRatio === null ? "n/a" : workboxRatio >= 50 ? "met" : "MISSED",
    ],
  ];
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]?.length ?? 0)));
  const line = (r: readonly string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(" | ")} |`;
  console.log(`Chromium ${browserVersion}, local Worker ${worker.url}`);
  console.log(line(["measurement", "result", "target", ""]));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const r of rows) console.log(line(r));
  console.log(
    JSON.stringify({
      bench: "indexeddb/offline-log",
      chromium: browserVersion,
      burst: { events: BURST, ms: burst.ms, eventsPerSec: burstRate },
      rawIdb: { records: BURST, ms: raw.ms, recordsPerSec: rawRate, perTransaction: 1_000 },
      burstRatio,
      drain: { events: DRAIN, ...drain, eventsPerSec: drainRate, queueEventsPerSec: queueRate, upstream },
      workbox:
        workbox === null
          ? { error: workboxError }
          : { requests: WORKBOX, ms: workbox.ms, requestsPerSec: workboxRate, ratio: workboxRatio },
    }),
  );
  if (upstream !== DRAIN || drain.pendingAfter !== 0) process.exitCode = 1;
} finally {
  await browser.close();
  await worker.stop();
  await rm(outDir, { recursive: true, force: true });
}
