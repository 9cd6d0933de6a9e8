/**
 * The offline log (`openOfflineLog`) measured in real headless Chromium against the local Worker (`wrangler dev`),
 * with its baselines measured in the same page, in the same repetition, so the results read as ratios. Each
 * figure is recorded under a key for the orchestrator (apps/bench), which takes medians over repetitions:
 *   - `browser.burst.*`: N `append`s with no await in between (one `Promise.all`) — `edgelog`; raw idb with
 *     1,000 `add`s per readwrite transaction (`idb-batch`) and one transaction per record (`idb-tx`); and
 *     `workbox-background-sync`'s `Queue.pushRequest`, one request per event, in a service worker (`workbox`);
 *   - `browser.single.*`: awaited appends one after another — `edgelog` vs raw idb, one awaited transaction each,
 *     with the browser's default durability (`idb-tx`) and with `strict` (`idb-tx-strict`), which the outbox uses;
 *   - `browser.drain.edgelog`: events queued while `upstream.fetch` rejects, then synced to the local Worker;
 *     events/s from going online until `flush()` resolves with `pending() === 0`, checked against the upstream
 *     high watermark.
 * The page and the service worker are vite IIFE bundles of page-entry.ts and sw-entry.ts served under `/bench/`
 * on the Worker's origin (context.route; the Worker needs apps/web/dist built, as the orchestrator ensures), so upstream calls are same-origin. Workbox's requests point at a closed
 * port: its own Background Sync replay, which may fire later, then never reaches the Worker under measurement.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { build } from "vite";
import { CHROMIUM_LAUNCH_OPTIONS } from "../../../test/support/chromium.ts";
import { type LocalWorker, startLocalWorker } from "../../../test/support/local-worker.ts";

const DRAIN_CHUNK = 10_000;
/** Port 9 (discard) on loopback: nothing listens, so a replay fails at once. */
const WORKBOX_URL = "http://127.0.0.1:9/v1/topics/bench-workbox/records";

export interface Sink {
  record(key: string, value: number): void;
  progress(text: string): void;
  note(text: string): void;
}

export interface BrowserPlan {
  /** Events per burst (edgelog, idb-batch). */
  readonly burst: number;
  /** Events per burst for the slow baselines (idb one transaction per record, Workbox). */
  readonly slowBurst: number;
  /** Awaited single appends per measurement. */
  readonly singles: number;
  /** Events queued offline and drained upstream. */
  readonly drain: number;
}

interface Timed {
  ms: number;
  pending?: number;
  count?: number;
  queued?: number;
}

interface Drain {
  queueMs: number;
  pendingOffline: number;
  drainMs: number;
  pendingAfter: number;
  requests: number;
  requestMs: number;
}

export interface BrowserBench {
  readonly chromium: string;
  repetition(plan: BrowserPlan, rep: number, sink: Sink): Promise<void>;
  stop(): Promise<void>;
}

/** One IIFE per entry (vite lib mode builds one entry per IIFE); production mode, as an app would ship Workbox. */
async function bundle(outDir: string, entry: string, fileName: string): Promise<Buffer> {
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
}

async function evaluate<T>(page: Page, call: string): Promise<T> {
  return (await page.evaluate(`edgelogBench.${call}`)) as T;
}

export async function startBrowserBench(): Promise<BrowserBench> {
  const outDir = await mkdtemp(join(tmpdir(), "edgelog-bench-page-"));
  let worker: LocalWorker | null = null;
  let browser: Browser | null = null;
  const stop = async (): Promise<void> => {
    await browser?.close();
    await worker?.stop();
    await rm(outDir, { recursive: true, force: true });
  };
  try {
    const files = new Map<string, { body: Buffer | string; type: string }>([
      [
        "/bench/bench.js",
        { body: await bundle(outDir, "page-entry.ts", "bench.js"), type: "text/javascript" },
      ],
      ["/bench/sw.js", { body: await bundle(outDir, "sw-entry.ts", "sw.js"), type: "text/javascript" }],
      [
        "/bench/index.html",
        {
          body: '<!doctype html><meta charset="utf-8"><title>edgelog bench</title><script src="/bench/bench.js"></script>',
          type: "text/html; charset=utf-8",
        },
      ],
    ]);
    // Retried once: a free port can be taken before wrangler binds it on a shared machine.
    worker = await startLocalWorker();
    browser = await chromium.launch(CHROMIUM_LAUNCH_OPTIONS);
    // Routed on the context, not the page: the service worker's script request is the context's, not the page's.
    const context = await browser.newContext();
    const origin = worker.url;
    await context.route(`${origin}/bench/**`, (route) => {
      const file = files.get(new URL(route.request().url()).pathname);
      if (file === undefined) return route.fulfill({ status: 404, body: "not found" });
      return route.fulfill({ body: file.body, contentType: file.type });
    });
    const page = await context.newPage();
    page.on("pageerror", (error) => console.error("page error:", error));
    await page.goto(`${origin}/bench/index.html`);
    await page.waitForFunction("typeof globalThis.edgelogBench === 'object'");
    // Warm-up (JIT, IndexedDB backing files, the service worker), not reported.
    await evaluate(page, "burstRawIdb(2000)");
    await evaluate(page, "burstOfflineLog(2000)");
    await evaluate(page, `workbox(100, ${JSON.stringify(WORKBOX_URL)})`);

    const repetition = async (plan: BrowserPlan, rep: number, sink: Sink): Promise<void> => {
      const rate = (count: number, ms: number): number => count / (ms / 1000);
      const check = (what: string, got: number | undefined, wanted: number): void => {
        if (got !== wanted) throw new Error(`${what}: holds ${got} of ${wanted}`);
      };
      const burst = await evaluate<Timed>(page, `burstOfflineLog(${plan.burst})`);
      check("offline log burst", burst.pending, plan.burst);
      const batched = await evaluate<Timed>(page, `burstRawIdb(${plan.burst})`);
      check("raw idb batched", batched.count, plan.burst);
      const perTx = await evaluate<Timed>(page, `rawIdbPerRecord(${plan.slowBurst}, false)`);
      check("raw idb per record", perTx.count, plan.slowBurst);
      const workbox = await evaluate<Timed>(
        page,
        `workbox(${plan.slowBurst}, ${JSON.stringify(WORKBOX_URL)})`,
      );
      check("workbox", workbox.queued, plan.slowBurst);
      const figures = {
        edgelog: rate(plan.burst, burst.ms),
        "idb-batch": rate(plan.burst, batched.ms),
        "idb-tx": rate(plan.slowBurst, perTx.ms),
        workbox: rate(plan.slowBurst, workbox.ms),
      };
      for (const [name, value] of Object.entries(figures)) sink.record(`browser.burst.${name}`, value);
      sink.progress(
        `browser.burst: ${Object.entries(figures)
          .map(([name, value]) => `${name} ${Math.round(value).toLocaleString("en-US")}`)
          .join(" · ")} events/s`,
      );

      const single = await evaluate<Timed>(page, `singleOfflineLog(${plan.singles})`);
      check("offline log singles", single.pending, plan.singles);
      const singleIdb = await evaluate<Timed>(page, `rawIdbPerRecord(${plan.singles}, true)`);
      check("raw idb singles", singleIdb.count, plan.singles);
      // The outbox commits with strict durability (it must survive an OS crash); Chromium's default is relaxed.
      const singleStrict = await evaluate<Timed>(page, `rawIdbPerRecord(${plan.singles}, true, "strict")`);
      check("raw idb strict singles", singleStrict.count, plan.singles);
      const singleRates = {
        edgelog: rate(plan.singles, single.ms),
        "idb-tx": rate(plan.singles, singleIdb.ms),
        "idb-tx-strict": rate(plan.singles, singleStrict.ms),
      };
      for (const [name, value] of Object.entries(singleRates)) sink.record(`browser.single.${name}`, value);
      sink.progress(
        `browser.single: edgelog ${Math.round(singleRates.edgelog)} · idb-tx ${Math.round(singleRates["idb-tx"])} · idb-tx-strict ${Math.round(singleRates["idb-tx-strict"])} appends/s`,
      );

      const topic = `bench-drain-r${rep}`;
      const created = await fetch(`${origin}/v1/topics`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: topic, partitions: 1 }),
      });
      if (!created.ok) throw new Error(`create topic: ${created.status} ${await created.text()}`);
      const drain = await evaluate<Drain>(
        page,
        `drain(${JSON.stringify(topic)}, ${plan.drain}, ${DRAIN_CHUNK})`,
      );
      const described = await fetch(`${origin}/v1/topics/${topic}`);
      const upstream = (
        (await described.json()) as { partitions: { highWatermark: number }[] }
      ).partitions.reduce((sum, p) => sum + p.highWatermark, 0);
      if (upstream !== plan.drain || drain.pendingAfter !== 0)
        throw new Error(
          `drain: upstream holds ${upstream} of ${plan.drain}, ${drain.pendingAfter} left pending`,
        );
      const drainRate = rate(plan.drain, drain.drainMs);
      sink.record("browser.drain.edgelog", drainRate);
      sink.record("browser.queue-offline.edgelog", rate(plan.drain, drain.queueMs));
      sink.record("browser.drain.upstream-share", drain.requestMs / drain.drainMs);
      sink.progress(
        `browser.drain: ${Math.round(drainRate).toLocaleString("en-US")} events/s (${drain.requests} requests, ` +
          `${Math.round(drain.requestMs)} of ${Math.round(drain.drainMs)} ms in upstream HTTP)`,
      );
    };
    return { chromium: browser.version(), repetition, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
