/**
 * `npm run bench`: runs every benchmark — core in Node, the edge through the local Worker beside its baselines,
 * replication across three simulated regions, the browser in headless Chromium — for several repetitions with
 * progress on the terminal, then writes docs/benchmarks/results.{md,svg,json}. Options: `--quick` (smoke run,
 * under 2 minutes), `--only core,edge,replication,fanout,share,browser`, `--reps N`, `--out DIR`, `--port P` (the
 * replication Worker's port, its inspector on P+1, and the fan-out Worker's dev proxy; default a free one),
 * `--failover-trigger auto|elect` (what moves the leader in the failover case: nothing — the controller's automatic
 * failover, the default — or the bench's admin election right after the fault), `--readers 1,100,…` and
 * `--transports longpoll,sse,ws` (the fan-out section's reader counts and transports).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { availableParallelism, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { groupRepetition } from "../../../packages/core/bench/group-heartbeat.ts";
import { coreRepetition } from "../../../packages/core/bench/memory-store.ts";
import { type BrowserBench, startBrowserBench } from "../../../packages/indexeddb/bench/offline-log.ts";
import { startLocalWorker } from "../../../test/support/local-worker.ts";
import { type FanoutStops, fanoutRepetition, pointKeys } from "../../worker/bench/fanout.ts";
import { fitToThisMachine } from "../../worker/bench/fanout-limits.ts";
import { FANOUT_TRANSPORTS, type FanoutTransport } from "../../worker/bench/fanout-readers.ts";
import { startFanoutWorker } from "../../worker/bench/fanout-runtime.ts";
import { throughputRepetition } from "../../worker/bench/http-throughput.ts";
import { latencyRepetition } from "../../worker/bench/latency.ts";
import { startPeers } from "../../worker/bench/peers.ts";
import { RebalanceUnsupported, rebalanceRepetition } from "../../worker/bench/rebalance.ts";
import {
  type FailoverTrigger,
  replicationKeys,
  replicationRepetition,
} from "../../worker/bench/replication.ts";
import { shareRepetition } from "../../worker/bench/share-groups.ts";
import { caseSpecs } from "./cases.ts";
import { renderReportSvg } from "./chart.ts";
import { describeThisMachine } from "./machine.ts";
import { FULL, type Plan, QUICK } from "./plan.ts";
import { type Report, renderMarkdown } from "./report.ts";
import { buildCase, formatRatio, type RawData, verdicts } from "./results.ts";
import { percentile } from "./stats.ts";

const ROOT = resolve(import.meta.dirname, "../../..");
const SECTIONS = ["core", "edge", "replication", "fanout", "share", "browser"] as const;
type SectionName = (typeof SECTIONS)[number];

const { values: options } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    reps: { type: "string" },
    out: { type: "string", default: "docs/benchmarks" },
    port: { type: "string" },
    "failover-trigger": { type: "string", default: "auto" },
    readers: { type: "string" },
    transports: { type: "string" },
  },
});
const trigger = options["failover-trigger"];
if (trigger !== "elect" && trigger !== "auto")
  throw new Error(`--failover-trigger: "elect" or "auto", not "${trigger}"`);
const port = options.port === undefined ? undefined : Number(options.port);
if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65535))
  throw new Error("--port: a port");
const base = options.quick ? QUICK : FULL;
const list = (text: string): string[] => text.split(",").map((s) => s.trim());
const readerCounts = options.readers === undefined ? base.fanout.readers : list(options.readers).map(Number);
if (!readerCounts.every((n) => Number.isSafeInteger(n) && n >= 1)) throw new Error("--readers: counts ≥ 1");
const transports = options.transports === undefined ? base.fanout.transports : list(options.transports);
for (const t of transports)
  if (!(FANOUT_TRANSPORTS as readonly string[]).includes(t))
    throw new Error(`--transports: one of ${FANOUT_TRANSPORTS.join(", ")}, not "${t}"`);
// A count this machine cannot hold (open files) is measured at the most it can; the note says so.
const fitted = fitToThisMachine(readerCounts);
const plan: Plan = {
  ...base,
  ...(options.reps === undefined ? {} : { repetitions: Number(options.reps) }),
  replication: { ...base.replication, failoverTrigger: trigger satisfies FailoverTrigger },
  fanout: {
    ...base.fanout,
    ...(options.reps === undefined ? {} : { repetitions: Number(options.reps) }),
    readers: fitted.readers,
    transports: transports as FanoutTransport[],
  },
};
const only = new Set((options.only ?? SECTIONS.join(",")).split(",").map((s) => s.trim()));
for (const name of only)
  if (!(SECTIONS as readonly string[]).includes(name)) throw new Error(`--only: unknown section "${name}"`);

const started = performance.now();
const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s`;
const data: RawData = new Map();
const notes: string[] = [];
const skipReasons = new Map<string, string>();
let stage = "";
const sink = {
  record(key: string, value: number): void {
    const reps = data.get(key) ?? [];
    reps.push(value);
    data.set(key, reps);
  },
  progress(text: string): void {
    console.log(`[${elapsed()}] ${stage} ${text}`);
  },
  note(text: string): void {
    notes.push(text);
    console.log(`[${elapsed()}] NOTE ${text}`);
  },
};
/** Stops what a section started when the run is interrupted (Ctrl-C), so no Worker or server outlives it. */
const cleanups = new Set<() => Promise<void>>();
process.once("SIGINT", () => {
  console.log("\ninterrupted: stopping the Workers and servers started");
  void Promise.allSettled([...cleanups].map((cleanup) => cleanup())).then(() => process.exit(130));
});
const skip = (keys: readonly string[], reason: string): void => {
  for (const key of keys) skipReasons.set(key, reason);
  sink.note(reason);
};

async function section(name: SectionName, run: () => Promise<void>): Promise<void> {
  if (!only.has(name)) return;
  stage = name;
  sink.progress("starting");
  await run();
}

// The Worker serves the web console's build as assets; wrangler refuses to start without it.
if (
  (only.has("edge") || only.has("browser") || only.has("share")) &&
  !existsSync(join(ROOT, "apps/web/dist/index.html"))
) {
  console.log("building the web console first (npm run build)");
  const built = spawnSync("npm", ["run", "build"], { cwd: ROOT, stdio: "inherit" });
  if (built.status !== 0) throw new Error("npm run build failed");
}

console.log(
  `edgelog benchmarks: ${plan.mode} run, ${plan.repetitions} repetitions, sections ${[...only].join(", ")}`,
);
let chromiumVersion: string | null = null;

await section("core", async () => {
  // A warm-up repetition, not recorded: the first one mostly measures the JIT.
  await coreRepetition(plan.core, -1, { record() {}, progress() {} });
  for (let rep = 0; rep < plan.repetitions; rep++) {
    stage = `core ${rep + 1}/${plan.repetitions}`;
    await coreRepetition(plan.core, rep, sink);
  }
  stage = "core group";
  await groupRepetition(plan.group, 0, sink);
});

await section("edge", async () => {
  const peers = await startPeers();
  cleanups.add(peers.stop);
  sink.progress("edgelog Worker, bare DO Worker, Queues Worker, Durable Streams servers (memory, file) up");
  let rebalance = true;
  try {
    // A warm-up pass, not recorded: JIT and first-touch costs in every peer, Workers and servers alike.
    stage = "edge warm-up";
    const warmup = {
      ...plan.throughput,
      sizes: plan.throughput.sizes.map((size) => ({ ...size, batches: 2 })),
    };
    await throughputRepetition(peers, { ...warmup, singlesSequential: 20, singlesConcurrent: 64 }, -1, {
      record() {},
      progress() {},
      note: sink.note,
    });
    for (let rep = 0; rep < plan.repetitions; rep++) {
      stage = `edge ${rep + 1}/${plan.repetitions}`;
      await throughputRepetition(peers, plan.throughput, rep, sink);
      await latencyRepetition(peers, plan.latency, rep, sink, percentile);
      if (rebalance) {
        try {
          await rebalanceRepetition(peers, plan.rebalance, rep, sink);
        } catch (error) {
          if (!(error instanceof RebalanceUnsupported)) throw error;
          rebalance = false;
          data.delete("edge.rebalance.edgelog");
          skip(
            ["edge.rebalance.edgelog"],
            `consumer-group rebalance SKIPPED: the Worker's /v1/groups heartbeat does not support it yet (${error.message})`,
          );
        }
      }
    }
  } finally {
    await peers.stop();
    cleanups.delete(peers.stop);
  }
});

await section("replication", async () => {
  const worker = await startLocalWorker({
    config: "apps/worker/bench/replication-worker/wrangler.toml",
    vars: { EDGELOG_LEADER_SESSION_TIMEOUT_MS: String(plan.replication.leaderSessionTimeoutMs) },
    ...(port === undefined ? {} : { port }),
  });
  cleanups.add(worker.stop);
  sink.progress(
    `replication Worker up (regions wnam, weur, apac; failover trigger: ${plan.replication.failoverTrigger})`,
  );
  try {
    // A warm-up pass, not recorded: JIT and first-touch costs in the Worker and its objects.
    stage = "replication warm-up";
    const warmup = { ...plan.replication, rttsMs: [0], batches: 5 };
    await replicationRepetition(
      worker.url,
      warmup,
      -1,
      { record() {}, progress() {}, note: sink.note },
      false,
    );
    let measureFailover = true;
    for (let rep = 0; rep < plan.repetitions; rep++) {
      stage = `replication ${rep + 1}/${plan.repetitions}`;
      const { failoverSkipped } = await replicationRepetition(
        worker.url,
        plan.replication,
        rep,
        sink,
        measureFailover,
      );
      if (failoverSkipped !== undefined) {
        measureFailover = false;
        const keys = plan.replication.rttsMs.flatMap((rtt) => [
          replicationKeys.failover(rtt, "first-produce"),
          replicationKeys.failover(rtt, "elect-answered"),
        ]);
        for (const key of keys) data.delete(key);
        skip(keys, `failover SKIPPED: ${failoverSkipped}`);
      }
    }
  } finally {
    await worker.stop();
    cleanups.delete(worker.stop);
  }
});

await section("fanout", async () => {
  const worker = await startFanoutWorker(port === undefined ? {} : { port });
  cleanups.add(worker.stop);
  const { fanout } = plan;
  sink.progress(
    `fan-out Worker up at ${worker.url} (readers ${fanout.readers.join(", ")}; transports ${fanout.transports.join(", ")})`,
  );
  for (const { asked, measured, reason } of fitted.substituted)
    sink.note(
      `fan-out: ${asked.toLocaleString("en-US")} readers do not fit here (${reason}); measured ` +
        `${measured.toLocaleString("en-US")}, the most this machine holds in round numbers`,
    );
  if (fanout.repetitions !== plan.repetitions)
    sink.note(`fan-out figures are medians of ${fanout.repetitions} repetitions (the section's own plan)`);
  // Delivery to many readers is CPU-bound on this machine: say how busy it was (counts do not depend on it).
  sink.note(
    `fan-out: load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" / ")} (1 / 5 / 15 min) on ${availableParallelism()} cores as the section started`,
  );
  const stops: FanoutStops = new Map();
  try {
    // A warm-up pass at the smallest count, not recorded: JIT and first-touch costs in the Worker and its objects.
    stage = "fanout warm-up";
    const smallest = fanout.readers.slice(0, 1);
    await fanoutRepetition(
      worker.url,
      { ...fanout, readers: smallest },
      -1,
      { record() {}, progress() {} },
      new Map(),
    );
    for (let rep = 0; rep < fanout.repetitions; rep++) {
      stage = `fanout ${rep + 1}/${fanout.repetitions}`;
      await fanoutRepetition(worker.url, fanout, rep, sink, stops);
    }
  } finally {
    await worker.stop();
    cleanups.delete(worker.stop);
  }
  for (const [transport, stop] of stops) {
    const stopped = fanout.readers.filter((n) => n >= stop.readers);
    for (const n of stopped) for (const key of pointKeys(transport, n)) data.delete(key);
    skip(
      stopped.flatMap((n) => pointKeys(transport, n)),
      `fan-out ${transport} stops at ${stop.readers.toLocaleString("en-US")} readers: ${stop.reason}`,
    );
  }
});

await section("share", async () => {
  const [edgelog, queues] = await Promise.all([
    startLocalWorker({}),
    startLocalWorker({ config: "apps/worker/bench/queues-consumer/wrangler.toml", readyPath: "/health" }),
  ]);
  const stop = async (): Promise<void> => {
    await Promise.allSettled([edgelog.stop(), queues.stop()]);
  };
  cleanups.add(stop);
  sink.progress("edgelog Worker and Queues consumer Worker up");
  const urls = { edgelog: edgelog.url, queues: queues.url };
  try {
    // A warm-up pass, not recorded: JIT and first-touch costs in both Workers.
    stage = "share warm-up";
    const warmup = { ...plan.share, records: 1_000, queuesRecords: 1_000, consumerCounts: [1] };
    await shareRepetition(urls, warmup, -1, { record() {}, progress() {}, note: sink.note });
    for (let rep = 0; rep < plan.repetitions; rep++) {
      stage = `share ${rep + 1}/${plan.repetitions}`;
      await shareRepetition(urls, plan.share, rep, sink);
    }
  } finally {
    await stop();
    cleanups.delete(stop);
  }
});

await section("browser", async () => {
  let bench: BrowserBench;
  try {
    bench = await startBrowserBench();
  } catch (error) {
    skip(
      ["browser.burst.edgelog", "browser.single.edgelog", "browser.drain.edgelog"],
      `browser benchmarks SKIPPED: headless Chromium or the page did not start (${String(error).slice(0, 300)})`,
    );
    return;
  }
  chromiumVersion = bench.chromium;
  cleanups.add(bench.stop);
  try {
    for (let rep = 0; rep < plan.repetitions; rep++) {
      stage = `browser ${rep + 1}/${plan.repetitions}`;
      await bench.repetition(plan.browser, rep, sink);
    }
  } finally {
    await bench.stop();
    cleanups.delete(bench.stop);
  }
});

const wallSeconds = (performance.now() - started) / 1000;
const cases = caseSpecs(plan)
  .filter((spec) => only.has(spec.section))
  .map((spec) => buildCase(spec, data, skipReasons));
const report: Report = {
  generatedAt: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  mode: plan.mode,
  // A fan-out run alone has the section's own repetitions.
  repetitions: only.size === 1 && only.has("fanout") ? plan.fanout.repetitions : plan.repetitions,
  wallSeconds,
  machine: describeThisMachine(ROOT, chromiumVersion),
  plan: {
    core: plan.core,
    group: plan.group,
    throughput: plan.throughput,
    latency: plan.latency,
    rebalance: plan.rebalance,
    browser: plan.browser,
    replication: plan.replication,
    fanout: plan.fanout,
    share: plan.share,
  },
  cases,
  notes,
};
const outDir = resolve(ROOT, options.out);
await mkdir(outDir, { recursive: true });
await writeFile(join(outDir, "results.json"), `${JSON.stringify(report, null, 2)}\n`);
await writeFile(join(outDir, "results.md"), renderMarkdown(report));
await writeFile(join(outDir, "results.svg"), renderReportSvg(report));
// The repo's formatter has the last word on the JSON layout, so `biome ci` passes on committed results.
spawnSync(join(ROOT, "node_modules", ".bin", "biome"), ["format", "--write", join(outDir, "results.json")], {
  stdio: "ignore",
});

console.log(`\nTargets (${plan.mode} run, medians of ${report.repetitions}):`);
for (const v of verdicts(cases)) console.log(`  ${v.met ? "met   " : "MISSED"} ${v.text}: ${v.measured}`);
for (const c of cases)
  if (c.ours !== null)
    for (const cmp of c.comparisons)
      if (cmp.minRatio === undefined && cmp.maxRatio === undefined)
        console.log(`  ratio  ${c.title} ÷ ${cmp.baseline.label}: ${formatRatio(cmp.ratio)}`);
console.log(`\nWrote ${join(options.out, "results.{md,svg,json}")} in ${Math.round(wallSeconds)} s.`);
