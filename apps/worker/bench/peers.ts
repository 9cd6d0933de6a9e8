/**
 * Starts everything the edge benchmarks drive over HTTP, side by side and in parallel: the edgelog Worker and
 * the two baseline Workers under `wrangler dev` (test/support/local-worker.ts), and the Durable Streams
 * reference server in memory and file-backed (ds-server.ts, one Node process each). Stops them all again.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { type LocalWorker, startLocalWorker } from "../../../test/support/local-worker.ts";

export interface Peers {
  readonly edgelog: LocalWorker;
  /** Bare Worker + SQLite Durable Object (baseline/worker.ts). */
  readonly durableObject: LocalWorker;
  /** Worker with a Queues producer binding (queues-baseline/worker.ts). */
  readonly queues: LocalWorker;
  readonly dsMemory: { readonly url: string };
  readonly dsFile: { readonly url: string };
  stop(): Promise<void>;
}

interface Stoppable {
  readonly url: string;
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 60_000;
/** ds-server.ts prints this before its URL (the reference server logs on stdout too). */
export const READY_MARKER = "edgelog-bench-ds-url ";

async function startDurableStreams(fileBacked: boolean): Promise<Stoppable> {
  const dataDir = fileBacked ? await mkdtemp(join(tmpdir(), "edgelog-bench-ds-")) : undefined;
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, "ds-server.ts"), ...(dataDir === undefined ? [] : [dataDir])],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  };
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("Durable Streams server did not start")),
      STARTUP_TIMEOUT_MS,
    );
    child.once("exit", (code) => reject(new Error(`Durable Streams server exited with ${code}`)));
    lines.on("line", (line) => {
      if (!line.startsWith(READY_MARKER)) return;
      clearTimeout(timer);
      resolve(line.slice(READY_MARKER.length).trim());
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { url, stop };
}

/** Starts all peers; if one fails, waits for the others to settle and stops those that started. */
export async function startPeers(): Promise<Peers> {
  const settled = await Promise.allSettled([
    startLocalWorker({}),
    startLocalWorker({ config: "apps/worker/bench/baseline/wrangler.toml", readyPath: "/health" }),
    startLocalWorker({ config: "apps/worker/bench/queues-baseline/wrangler.toml", readyPath: "/health" }),
    startDurableStreams(false),
    startDurableStreams(true),
  ]);
  const started = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.allSettled(started.map((s) => s.stop()));
  };
  const failed = settled.find((s) => s.status === "rejected");
  if (failed !== undefined) {
    await stop();
    throw failed.reason;
  }
  const [edgelog, durableObject, queues, dsMemory, dsFile] = started as [
    LocalWorker,
    LocalWorker,
    LocalWorker,
    Stoppable,
    Stoppable,
  ];
  return { edgelog, durableObject, queues, dsMemory, dsFile, stop };
}
