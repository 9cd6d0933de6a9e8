/**
 * Starts the real Worker locally with `wrangler dev` (workerd via miniflare, the same as `npm start`) on a free
 * loopback port with its own persistence folder, waits until it answers, and stops it again. End-to-end tests
 * drive it over HTTP exactly as a deployed edgelog would be driven.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { WRANGLER_SOURCE_ENV } from "./source-condition.ts";

const REPO_ROOT = resolve(import.meta.dirname, "../..");
const STARTUP_TIMEOUT_MS = 90_000;

export interface LocalWorker {
  readonly url: string;
  stop(): Promise<void>;
}

/** Listens on `port` (0: any) for a moment; the port that was free, or `null` when it is taken. */
async function tryPort(port: number): Promise<number | null> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once("error", () => resolvePort(null));
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      const bound = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolvePort(bound));
    });
  });
}

/**
 * `EDGELOG_E2E_PORTS="8860-8869"`: the ports this machine's user may bind. Engineers sharing a machine each get a
 * range, and wrangler's inspector (default 9229, shared by everyone) must stay inside it too.
 */
const PORT_RANGE = /^(\d+)-(\d+)$/.exec(process.env.EDGELOG_E2E_PORTS ?? "");
/** Pairs handed out by this process and not yet stopped: a pair found free is not bound until wrangler starts. */
const portsInUse = new Set<number>();

/** A free port for the Worker and, within `EDGELOG_E2E_PORTS`, a free one after it for wrangler's inspector. */
async function freePorts(): Promise<{ port: number; inspectorPort: number | undefined }> {
  if (PORT_RANGE === null) {
    const port = await tryPort(0);
    if (port === null) throw new Error("no free loopback port");
    return { port, inspectorPort: undefined };
  }
  const [first, last] = [Number(PORT_RANGE[1]), Number(PORT_RANGE[2])];
  for (let port = first; port < last; port += 2) {
    if (portsInUse.has(port)) continue;
    if ((await tryPort(port)) === null || (await tryPort(port + 1)) === null) continue;
    portsInUse.add(port);
    return { port, inspectorPort: port + 1 };
  }
  throw new Error(`no two free ports in EDGELOG_E2E_PORTS=${process.env.EDGELOG_E2E_PORTS}`);
}

export interface LocalWorkerOptions {
  /** A wrangler config other than the repo's (e.g. a benchmark baseline). */
  readonly config?: string;
  /**
   * Further configs run beside it in the same `wrangler dev` (their Workers reachable by service bindings, not
   * served on the port), e.g. the edgelog Worker beside a Worker that binds to it.
   */
  readonly alsoConfigs?: readonly string[];
  /** Path answering 200 (or `readyStatus`) once the Worker is up. Default `/v1/health`. */
  readonly readyPath?: string;
  /** The status `readyPath` answers once the Worker is up. Default 200. */
  readonly readyStatus?: number;
  /**
   * Worker variables to set or override (`wrangler dev --var NAME:VALUE`). `EDGELOG_AUTH` is `none` and both
   * quotas `unlimited` unless set here (every test's requests come from one address, one subject); an
   * `EDGELOG_JWT_SECRET` here makes the Worker enforce tokens.
   */
  readonly vars?: Readonly<Record<string, string>>;
  /**
   * Whether to run open (`EDGELOG_AUTH=none`, the default) when `vars` configures no auth; `false` runs the
   * config exactly as a deploy would (locked unless it configures a key).
   */
  readonly open?: boolean;
  /** The directory wrangler runs in (where it finds `wrangler.toml` and resolves packages). Default the repo. */
  readonly cwd?: string;
  /**
   * The environment wrangler runs in instead of the repo's (this process's plus {@link WRANGLER_SOURCE_ENV}), e.g.
   * a user's project that bundles the installed packages' `dist/`.
   */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Serve on this port and put the inspector on the next one, instead of a free port (or a pair from
   * `EDGELOG_E2E_PORTS`): for a run that must be reached at a known address (the bench's `--port`).
   */
  readonly port?: number;
}

const DEFAULT_VARS: Readonly<Record<string, string>> = {
  EDGELOG_AUTH: "none",
  EDGELOG_QUOTA_REQUESTS_PER_SEC: "unlimited",
  EDGELOG_QUOTA_PRODUCE_BYTES_PER_SEC: "unlimited",
};

/** Starts attempts: a port found free can be taken before wrangler binds it when several start at once. */
const START_ATTEMPTS = 3;
const PORT_TAKEN = /address already in use|EADDRINUSE/i;

export async function startLocalWorker(options: LocalWorkerOptions = {}): Promise<LocalWorker> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      // Only the port race is worth another try, on a new port; any other failure is reported at once.
      const portRace = options.port === undefined && error instanceof Error && PORT_TAKEN.test(error.message);
      if (attempt >= START_ATTEMPTS || !portRace) throw error;
    }
  }
}

async function startOnce(options: LocalWorkerOptions): Promise<LocalWorker> {
  const { port, inspectorPort } =
    options.port === undefined ? await freePorts() : { port: options.port, inspectorPort: options.port + 1 };
  const persistTo = await mkdtemp(join(tmpdir(), "edgelog-e2e-"));
  const wrangler = join(REPO_ROOT, "node_modules", ".bin", "wrangler");
  const child: ChildProcess = spawn(
    wrangler,
    [
      "dev",
      ...(options.config === undefined ? [] : ["--config", options.config]),
      ...(options.alsoConfigs ?? []).flatMap((config) => ["--config", config]),
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      ...(inspectorPort === undefined ? [] : ["--inspector-port", String(inspectorPort)]),
      "--persist-to",
      persistTo,
      "--show-interactive-dev-session=false",
      // Open and unthrottled unless the test configures auth or quotas itself (a secret or JWKS it passes enforces
      // tokens regardless), or asks for the config exactly as deployed (`open: false`: no variables added).
      ...Object.entries({ ...(options.open === false ? {} : DEFAULT_VARS), ...options.vars }).flatMap(
        ([name, value]) => ["--var", `${name}:${value}`],
      ),
    ],
    {
      cwd: options.cwd ?? REPO_ROOT,
      env: {
        ...(options.env ?? { ...process.env, ...WRANGLER_SOURCE_ENV }),
        WRANGLER_SEND_METRICS: "false",
        CI: "true",
        NO_COLOR: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  let output = "";
  // `EDGELOG_E2E_WRANGLER_LOG=file`: everything wrangler says is appended there too, to see what a Worker did.
  const logFile = process.env.EDGELOG_E2E_WRANGLER_LOG;
  const record = (chunk: Buffer): void => {
    output += chunk.toString();
    if (logFile !== undefined) appendFileSync(logFile, chunk);
  };
  child.stdout?.on("data", record);
  child.stderr?.on("data", record);
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.pid !== undefined) {
      const exited = new Promise((r) => child.once("exit", r));
      process.kill(-child.pid, "SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null) process.kill(-child.pid, "SIGKILL");
    }
    await rm(persistTo, { recursive: true, force: true });
    portsInUse.delete(port);
  };
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const response = await fetch(`${url}${options.readyPath ?? "/v1/health"}`);
      await response.body?.cancel();
      if (response.status === (options.readyStatus ?? 200)) return { url, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`wrangler dev did not start within ${STARTUP_TIMEOUT_MS} ms:\n${output.slice(-4000)}`);
}
