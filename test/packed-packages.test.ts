/**
 * The packages as users get them: `npm pack` every public package, install the tarballs into a project outside
 * the workspace (offline, its registry dependencies from the npm cache at the versions of our lockfile), and use
 * them there — with the machine's Node 20 against `wrangler dev` (the client, and the `edgelog` bin), bundled by
 * vite into real Chromium, through their `.d.ts` under `tsc`, and as a user's own Worker (the own-worker example,
 * edgelog under `/events` behind the app's middleware) bundled by `wrangler deploy --dry-run` and served by
 * `wrangler dev` in that project. Inside the repo everything runs from source (the `@edgelog/source` condition);
 * this is the one test of what `dist/` and the tarballs hold.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, delimiter, dirname, join, posix, resolve } from "node:path";
import { promisify } from "node:util";
import { type Browser, chromium } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_LAUNCH_OPTIONS } from "./support/chromium.ts";
import { type LocalWorker, startLocalWorker } from "./support/local-worker.ts";
import { findNode20 } from "./support/node20.ts";
import { ownWorkerChecks } from "./support/own-worker-checks.ts";

const run = promisify(execFile);
const REPO_ROOT = resolve(import.meta.dirname, "..");
const node20 = await findNode20();
/** The own-worker example: a user's Worker with edgelog under `/events`, copied into the consumer project. */
const OWN_WORKER = join(REPO_ROOT, "packages", "server", "examples", "own-worker");
const WRANGLER = join(REPO_ROOT, "node_modules", ".bin", "wrangler");
const APP_KEY = "packed-full-key";
const APP_READ_KEY = "packed-read-key";

interface PackedFile {
  readonly path: string;
}
interface Packed {
  readonly name: string;
  readonly version: string;
  readonly filename: string;
  readonly integrity: string;
  readonly size: number;
  readonly unpackedSize: number;
  readonly files: readonly PackedFile[];
}
interface Manifest {
  readonly name: string;
  readonly private?: boolean;
  readonly exports?: Record<string, string | Record<string, string>>;
  readonly dependencies?: Record<string, string>;
  readonly license?: string;
  readonly bin?: Record<string, string>;
}

let tmp: string;
let app: string;
let packed: Packed[];
let manifests: Map<string, { dir: string; manifest: Manifest }>;
let worker: LocalWorker;
let browser: Browser;
/** The user's Worker built from the installed tarballs: served by `wrangler dev`, bundled by a dry-run deploy. */
let ownWorker: LocalWorker | undefined;
let ownWorkerReady: Promise<void> | undefined;
let ownWorkerEnv: NodeJS.ProcessEnv;
let ownBundle: { code: string; output: string };

/**
 * The environment of the consumer project's wrangler: a user's shell, with neither npm's variables for the repo
 * nor the repo's `@edgelog/source` build condition, so esbuild resolves the installed packages' `dist/`.
 */
function userWranglerEnv(): NodeJS.ProcessEnv {
  const { WRANGLER_BUILD_CONDITIONS: _repoOnly, ...env } = npmEnv();
  return { ...env, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" };
}

/**
 * The own-worker example as a user's project has it: its `wrangler.toml` and `src/` at the project root, its
 * imports untouched (package names only, resolved from the project's node_modules).
 */
async function copyOwnWorker(): Promise<void> {
  await cp(OWN_WORKER, app, {
    recursive: true,
    filter: (source) => ![".wrangler", "node_modules", "README.md"].includes(basename(source)),
  });
}

/** The user's Worker from the tarballs: bundled by a dry-run deploy and served by `wrangler dev`, at once. */
async function buildOwnWorker(): Promise<void> {
  const serving = startLocalWorker({
    cwd: app,
    env: ownWorkerEnv,
    readyPath: "/",
    // The harness also passes EDGELOG_AUTH=none: the app's own auth must hold regardless.
    vars: { APP_KEY, APP_READ_KEY },
  });
  try {
    ownBundle = await dryRunOwnWorker();
  } finally {
    ownWorker = await serving;
  }
}

/** `wrangler deploy --dry-run` in the consumer project: the bundle a user's deploy would upload. */
async function dryRunOwnWorker(): Promise<{ code: string; output: string }> {
  const outdir = join(tmp, "own-worker-dist");
  const { stdout, stderr } = await run(WRANGLER, ["deploy", "--dry-run", "--outdir", outdir], {
    cwd: app,
    env: ownWorkerEnv,
  });
  const main = (await readdir(outdir)).find((file) => file.endsWith(".js"));
  if (main === undefined)
    throw new Error(`wrangler deploy --dry-run wrote no JavaScript:\n${stdout}${stderr}`);
  return { code: await readFile(join(outdir, main), "utf8"), output: stdout + stderr };
}

/**
 * npm's environment without what `npm test` sets for the repo (`npm_config_local_prefix` would make the nested
 * npm treat the workspace as its project); the cache and user config stay, so the same cache is used.
 */
function npmEnv(): NodeJS.ProcessEnv {
  const keep = new Set([
    "npm_config_cache",
    "npm_config_userconfig",
    "npm_config_registry",
    "npm_config_cafile",
  ]);
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("npm_") || keep.has(name)),
  );
}

async function publicPackages(): Promise<Map<string, { dir: string; manifest: Manifest }>> {
  const found = new Map<string, { dir: string; manifest: Manifest }>();
  for (const entry of await readdir(join(REPO_ROOT, "packages"))) {
    const dir = join(REPO_ROOT, "packages", entry);
    if (!existsSync(join(dir, "package.json"))) continue;
    const manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as Manifest;
    if (manifest.private !== true) found.set(manifest.name, { dir, manifest });
  }
  return found;
}

/**
 * A package-lock for the consumer: the tarballs by path and integrity, and their registry dependencies at the
 * exact versions and integrities of the repo's lockfile. With it `npm ci --offline` needs no registry metadata,
 * only the tarballs that the repo's own `npm ci` put into the cache.
 */
async function consumerLock(): Promise<Record<string, unknown>> {
  const repoLock = JSON.parse(await readFile(join(REPO_ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, Record<string, unknown>>;
  };
  const { stdout } = await run("npm", ["config", "get", "registry"], { cwd: REPO_ROOT, env: npmEnv() });
  const registry = stdout.trim().replace(/\/$/, "");
  const lockPackages: Record<string, unknown> = {};
  const rootDeps: Record<string, string> = {};
  for (const pack of packed) {
    const spec = `file:tarballs/${pack.filename}`;
    rootDeps[pack.name] = spec;
    const own = manifests.get(pack.name);
    const dependencies = own?.manifest.dependencies ?? {};
    lockPackages[`node_modules/${pack.name}`] = {
      version: pack.version,
      resolved: spec,
      integrity: pack.integrity,
      ...(Object.keys(dependencies).length === 0 ? {} : { dependencies }),
      // npm ci links bins from the lockfile's entries, as `npm install` would have recorded them.
      ...(own?.manifest.bin === undefined ? {} : { bin: own.manifest.bin }),
    };
    for (const dependency of Object.keys(dependencies)) {
      if (manifests.has(dependency) || lockPackages[`node_modules/${dependency}`] !== undefined) continue;
      const relative = posix.relative(REPO_ROOT, own?.dir ?? REPO_ROOT);
      const entry =
        repoLock.packages[`${relative}/node_modules/${dependency}`] ??
        repoLock.packages[`node_modules/${dependency}`];
      if (entry === undefined) throw new Error(`${dependency} is not in package-lock.json`);
      if (entry.dependencies !== undefined)
        throw new Error(`${dependency} has dependencies of its own: teach consumerLock to copy them`);
      const { version, integrity, license } = entry;
      // The tarball URL npm would derive (our lockfile omits it): with it npm needs no packument from the cache.
      const resolved = `${registry}/${dependency}/-/${dependency.split("/").at(-1)}-${version}.tgz`;
      lockPackages[`node_modules/${dependency}`] = { version, resolved, integrity, license };
    }
  }
  // The user's Worker imports hono itself (its own app), so it depends on it, at the range the server asks for.
  const hono = manifests.get("@edgelog/server")?.manifest.dependencies?.hono;
  if (hono === undefined || lockPackages["node_modules/hono"] === undefined)
    throw new Error("@edgelog/server no longer brings hono: give the consumer its own entry");
  rootDeps.hono = hono;
  return {
    name: "edgelog-consumer",
    lockfileVersion: 3,
    requires: true,
    packages: { "": { name: "edgelog-consumer", dependencies: rootDeps }, ...lockPackages },
  };
}

beforeAll(async () => {
  // Outside the workspace, so nothing resolves through the repo's node_modules or its source condition.
  tmp = await mkdtemp(join(tmpdir(), "edgelog-packed-"));
  app = join(tmp, "app");
  await mkdir(join(app, "tarballs"), { recursive: true });
  manifests = await publicPackages();
  const started = Promise.all([startLocalWorker(), chromium.launch(CHROMIUM_LAUNCH_OPTIONS)]);
  try {
    // `prepack` builds each package (tsc -b, incremental), so a tarball never holds a stale or missing dist/.
    const { stdout } = await run(
      "npm",
      [
        "pack",
        "--json",
        "--pack-destination",
        join(app, "tarballs"),
        ...[...manifests.keys()].flatMap((name) => ["-w", name]),
      ],
      { cwd: REPO_ROOT, env: npmEnv(), maxBuffer: 64 * 1024 * 1024 },
    );
    packed = JSON.parse(stdout) as Packed[];
    const lock = await consumerLock();
    const dependencies = (lock.packages as Record<string, { dependencies: Record<string, string> }>)[""]
      ?.dependencies;
    await writeFile(
      join(app, "package.json"),
      JSON.stringify({ name: "edgelog-consumer", private: true, type: "module", dependencies }, null, 2),
    );
    await writeFile(join(app, "package-lock.json"), JSON.stringify(lock, null, 2));
    await run("npm", ["ci", "--offline", "--no-audit", "--no-fund", "--ignore-scripts"], {
      cwd: app,
      env: npmEnv(),
    });
    await copyOwnWorker();
    ownWorkerEnv = userWranglerEnv();
    // Bundled and served while the tests before its own run (its describe awaits it, and reports a failure).
    ownWorkerReady = buildOwnWorker();
    ownWorkerReady.catch(() => undefined);
  } finally {
    [worker, browser] = await started;
  }
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await ownWorkerReady?.catch(() => undefined);
  await Promise.all([worker?.stop(), ownWorker?.stop()]);
  if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
});

describe("npm pack", () => {
  const NOT_SHIPPED = [
    /(^|\/)(test|tests|test-browser|test-pages|test-workerd|__tests__|fixtures?|bench|examples)\//,
    /\.(test|spec|bench)\.[cm]?[jt]s$/,
    /tsbuildinfo$/,
    /(^|\/)tsconfig[^/]*\.json$/,
    /(^|\/)vite(st)?\.[^/]*config\.ts$/,
  ];

  it("packs every public package", () => {
    expect(packed.map((p) => p.name).sort()).toEqual([...manifests.keys()].sort());
    console.log(
      packed
        .map((p) => `${p.name}: ${p.files.length} files, ${p.size} B packed, ${p.unpackedSize} B unpacked`)
        .join("\n"),
    );
  });

  it("ships dist/, the sources its maps point at, a README and nothing else", async () => {
    for (const pack of packed) {
      const files = new Set(pack.files.map((f) => f.path));
      const strays = [...files].filter(
        (path) =>
          !/^(dist|src)\//.test(path) &&
          !["package.json", "README.md", "LICENSE"].includes(path) &&
          !/^LICEN[CS]E/.test(path),
      );
      expect(strays, pack.name).toEqual([]);
      expect(
        [...files].filter((path) => NOT_SHIPPED.some((pattern) => pattern.test(path))),
        pack.name,
      ).toEqual([]);
      expect(files.has("README.md"), `${pack.name} README.md`).toBe(true);
      expect(files.has("LICENSE"), `${pack.name} LICENSE`).toBe(true);

      // Every export a user can reach exists; the source condition is the repo's and points at shipped src too.
      const exported = Object.values(manifests.get(pack.name)?.manifest.exports ?? {}).flatMap((target) =>
        typeof target === "string" ? [target] : Object.values(target),
      );
      for (const target of exported)
        expect(files, `${pack.name} ${target}`).toContain(posix.normalize(target));

      // Every map names sources that are in the tarball, so stack traces and go-to-definition land in src/.
      const installed = join(app, "node_modules", pack.name);
      for (const map of [...files].filter((path) => path.endsWith(".map"))) {
        const { sources } = JSON.parse(await readFile(join(installed, map), "utf8")) as { sources: string[] };
        for (const source of sources)
          expect(files, `${pack.name} ${map}`).toContain(posix.join(dirname(map), source));
      }
    }
  });

  it("ships the repository's MIT LICENSE in every tarball", async () => {
    const license = await readFile(join(REPO_ROOT, "LICENSE"), "utf8");
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) 2026 edgelog contributors\n/);
    for (const pack of packed) {
      const shipped = await readFile(join(app, "node_modules", pack.name, "LICENSE"), "utf8");
      expect(shipped, pack.name).toBe(license);
      expect(manifests.get(pack.name)?.manifest.license, pack.name).toBe("MIT");
    }
  });
});

describe("the installed edgelog command", () => {
  /** `node_modules/.bin/edgelog` run through its shebang with Node 20 first on PATH, as a user's shell runs it. */
  const edgelog = async (args: readonly string[], stdin = "") =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolveRun, reject) => {
      const child = spawn(join(app, "node_modules", ".bin", "edgelog"), args, {
        cwd: app,
        env: {
          ...npmEnv(),
          PATH: [dirname(node20 ?? "node"), process.env.PATH ?? ""].join(delimiter),
          EDGELOG_URL: worker.url,
          EDGELOG_TOKEN: "",
        },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on("error", reject);
      child.on("close", (code) => resolveRun({ code, stdout, stderr }));
      child.stdin.end(stdin);
    });

  it.skipIf(node20 === undefined)(
    "runs on Node 20 and round-trips lines through wrangler dev: --help, topics create, produce, consume --exit",
    async () => {
      const help = await edgelog(["--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain("Usage: edgelog <command> [options]");
      const version = await edgelog(["--version"]);
      expect(version).toMatchObject({
        code: 0,
        stdout: `edgelog ${packed.find((p) => p.name === "@edgelog/cli")?.version}\n`,
      });

      const topic = `cli-${Date.now()}`;
      expect(await edgelog(["topics", "create", topic, "--partitions", "1"])).toMatchObject({ code: 0 });
      const input = ["first line", "zweite Zeile → é", "", '\ttabbed "quoted"'];
      const produced = await edgelog(["produce", topic], `${input.join("\n")}\n`);
      expect(produced).toMatchObject({ code: 0, stdout: input.map((_, i) => `0 ${i}\n`).join("") });
      const consumed = await edgelog(["consume", topic, "--from-beginning", "--exit"]);
      expect(consumed).toMatchObject({ code: 0, stderr: "", stdout: `${input.join("\n")}\n` });
      // A usage error exits 2, as scripts rely on.
      expect((await edgelog(["topics", "create"])).code).toBe(2);
    },
  );
});

describe("installed from the tarballs", () => {
  it.skipIf(node20 === undefined)(
    "@edgelog/client, core and server run on Node 20 (client against wrangler dev)",
    async () => {
      const script = join(app, "node20-check.mjs");
      await writeFile(script, NODE20_SCRIPT);
      const { stdout } = await run(node20 ?? "node", [script, worker.url], { cwd: app });
      const result = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
      // CommonJS users reach the same files through the `default` condition (require of ESM, Node ≥ 20.19).
      const required = await run(
        node20 ?? "node",
        [
          "-e",
          'console.log(typeof require("@edgelog/client").createClient, typeof require("@edgelog/core").EdgeLog)',
        ],
        { cwd: app },
      );
      expect(required.stdout.trim()).toBe("function function");
      expect(result).toEqual({
        node: expect.stringMatching(/^v20\./),
        memory: ["memory-0", "memory-1", "memory-2"],
        remote: ["remote-0", "remote-1", "remote-2"],
        remoteOffsets: [{ partition: 0, offset: 3, high: 3, low: 0 }],
        health: 200,
        created: 201,
      });
    },
  );
  if (node20 === undefined)
    console.warn("packed-packages: no Node 20 found (/usr/bin/node or on PATH): the Node 20 run is skipped");

  it("@edgelog/indexeddb bundled by vite runs in Chromium over IndexedDB", async () => {
    await writeFile(join(app, "browser-entry.js"), BROWSER_ENTRY);
    const outDir = join(tmp, "bundle");
    // No config file and no plugins: vite resolves the installed packages the way a user's vite does.
    await build({
      configFile: false,
      root: app,
      logLevel: "warn",
      build: {
        outDir,
        emptyOutDir: true,
        minify: false,
        lib: {
          entry: join(app, "browser-entry.js"),
          formats: ["iife"],
          name: "packedCheck",
          fileName: () => "x.js",
        },
      },
    });
    const bundle = await readFile(join(outDir, "x.js"), "utf8");
    const page = await browser.newPage();
    try {
      // An http origin (the Worker's) so IndexedDB is available; the bundle talks to no server.
      await page.goto(`${worker.url}/v1/health`);
      await page.addScriptTag({ content: bundle });
      const result = await page.evaluate(() => (globalThis as unknown as PackedCheck).packedCheck.run());
      expect(result).toEqual({
        written: 3,
        read: ["idb-0", "idb-1", "idb-2"],
        reopened: ["idb-0", "idb-1", "idb-2"],
      });
    } finally {
      await page.close();
    }
  });

  it("the .d.ts files type-check a consumer under NodeNext and Bundler resolution", async () => {
    await writeFile(join(app, "consumer.ts"), CONSUMER_TS);
    await writeFile(join(app, "worker.ts"), WORKER_TS);
    await writeFile(join(app, "store-test.ts"), STORE_TEST_TS);
    // What a Worker project and a store's test suite have themselves: lend them the repo's copies.
    await mkdir(join(app, "node_modules", "@cloudflare"), { recursive: true });
    for (const lent of ["@cloudflare/workers-types", "vitest"]) {
      const target = join(app, "node_modules", lent);
      if (!existsSync(target)) await symlink(join(REPO_ROOT, "node_modules", lent), target);
    }
    // Our declarations are checked too (skipLibCheck off), except beside vitest's, which are not ours to check.
    const base = { strict: true, noEmit: true, target: "ES2023", skipLibCheck: false, types: [] };
    const bundler = { module: "ESNext", moduleResolution: "Bundler" };
    const projects: Record<string, { compilerOptions: object; files: string[] }> = {
      "tsconfig.node.json": {
        compilerOptions: {
          ...base,
          module: "NodeNext",
          moduleResolution: "NodeNext",
          lib: ["ES2023", "DOM"],
        },
        files: ["consumer.ts"],
      },
      "tsconfig.bundler.json": {
        compilerOptions: { ...base, ...bundler, lib: ["ES2023", "DOM"] },
        files: ["consumer.ts"],
      },
      "tsconfig.worker.json": {
        compilerOptions: { ...base, ...bundler, lib: ["ES2023"], types: ["@cloudflare/workers-types"] },
        files: ["worker.ts", "src/index.ts"],
      },
      "tsconfig.testing.json": {
        compilerOptions: { ...base, ...bundler, lib: ["ES2023", "DOM"], skipLibCheck: true },
        files: ["store-test.ts"],
      },
    };
    const tsc = join(REPO_ROOT, "node_modules", ".bin", "tsc");
    const failures = await Promise.all(
      Object.entries(projects).map(async ([file, project]) => {
        await writeFile(join(app, file), JSON.stringify(project));
        return tscErrors(tsc, join(app, file));
      }),
    );
    expect(failures.flat()).toEqual([]);
  });
});

describe("a user's own Worker with edgelog under /events, built from the tarballs", () => {
  beforeAll(() => ownWorkerReady, 120_000);

  it("imports the packages by name, as a user writes them", async () => {
    const source = await readFile(join(app, "src", "index.ts"), "utf8");
    const specifiers = [...source.matchAll(/^(?:import|export)\b[^;]*?\bfrom "([^"]+)";/gms)].map(
      (m) => m[1],
    );
    expect(new Set(specifiers)).toEqual(new Set(["@edgelog/durable-objects", "@edgelog/server", "hono"]));
  });

  it("wrangler deploy --dry-run bundles the installed dist/, not the workspace's sources", () => {
    expect(ownWorkerEnv.WRANGLER_BUILD_CONDITIONS).toBeUndefined();
    expect(Object.values(ownWorkerEnv).filter((value) => value?.includes("@edgelog/source"))).toEqual([]);
    // esbuild names every module it bundles in a comment: edgelog's come from the installed packages' dist/.
    for (const name of ["server", "durable-objects", "core"])
      expect(ownBundle.code).toContain(`node_modules/@edgelog/${name}/dist/`);
    expect(ownBundle.code).not.toContain(REPO_ROOT);
    expect(ownBundle.code).not.toMatch(/(packages|@edgelog)\/[\w-]+\/src\//);
    expect(ownBundle.code).toContain("my-app: events live under /events");
    for (const binding of ["PARTITIONS", "TOPICS", "GROUPS"]) expect(ownBundle.output).toContain(binding);
  });

  ownWorkerChecks(() => ownWorker?.url ?? "", { full: APP_KEY, read: APP_READ_KEY });
});

async function tscErrors(tsc: string, project: string): Promise<string[]> {
  try {
    await run(tsc, ["-p", project], { cwd: app, env: { ...process.env, PATH: process.env.PATH ?? "" } });
    return [];
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    return [`${project}:\n${stdout}${stderr}`];
  }
}

interface PackedCheck {
  readonly packedCheck: { run(): Promise<unknown> };
}

/** Plain JavaScript for Node 20, which cannot run TypeScript: the built client, core and server as a user has them. */
const NODE20_SCRIPT = `
import { createClient } from "@edgelog/client";
import { decodeText, EdgeLog, MemoryStore } from "@edgelog/core";
import { dict } from "@edgelog/core/store-kit";
import { createApp } from "@edgelog/server";

async function roundTrip(log, topic, prefix) {
  const admin = log.admin();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  await log.producer().send({ topic, messages: [0, 1, 2].map((i) => ({ key: "k", value: prefix + "-" + i })) });
  const seen = [];
  const consumer = log.consumer({ maxWaitTimeInMs: 100 });
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => { seen.push(decodeText(message.value)); } });
  const deadline = Date.now() + 30_000;
  while (seen.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await consumer.stop();
  return { seen, offsets: await admin.fetchTopicOffsets(topic) };
}

const memoryLog = new EdgeLog({ store: new MemoryStore() });
const memory = await roundTrip(memoryLog, "orders", "memory");
await memoryLog.close();

const remoteLog = createClient({ url: process.argv[2] });
const remote = await roundTrip(remoteLog, "packed-" + Date.now(), "remote");
await remoteLog.close();

const app = createApp({ store: () => new MemoryStore() });
const env = dict();
env.EDGELOG_AUTH = "none";
const health = await app.request("/v1/health", {}, env);
const created = await app.request("/v1/topics", {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ name: "constructor", partitions: 1 }),
}, env);

console.log(JSON.stringify({
  node: process.version,
  memory: memory.seen,
  remote: remote.seen,
  remoteOffsets: remote.offsets,
  health: health.status,
  created: created.status,
}));
`;

/** The browser side: IndexedDbLogStore through core's EdgeLog, written, read, closed and read again. */
const BROWSER_ENTRY = `
import { decodeText, EdgeLog } from "@edgelog/core";
import { IndexedDbLogStore } from "@edgelog/indexeddb";

async function readAll(log, topic) {
  const seen = [];
  const consumer = log.consumer({ maxWaitTimeInMs: 100 });
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => { seen.push(decodeText(message.value)); } });
  const deadline = Date.now() + 30_000;
  while (seen.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await consumer.stop();
  return seen;
}

export async function run() {
  const name = "packed-" + Math.random().toString(36).slice(2);
  const log = new EdgeLog({ store: new IndexedDbLogStore({ name }) });
  await log.admin().createTopics({ topics: [{ topic: "events", numPartitions: 1 }] });
  const sent = await log.producer().send({
    topic: "events",
    messages: [0, 1, 2].map((i) => ({ key: "k", value: "idb-" + i })),
  });
  const read = await readAll(log, "events");
  await log.close();
  const again = new EdgeLog({ store: new IndexedDbLogStore({ name }) });
  const reopened = await readAll(again, "events");
  await again.close();
  return { written: sent.reduce((n, m) => n + Number(m.lastOffset) - Number(m.baseOffset) + 1, 0), read, reopened };
}
`;

/** Types a user touches, from every entry point (the testing entry needs vitest, a Worker's own dependency). */
const CONSUMER_TS = `
import { createClient, type ClientOptions } from "@edgelog/client";
import { EdgeLog, EdgeLogError, MemoryStore, type KafkaMessage } from "@edgelog/core";
import { dict, type Dict } from "@edgelog/core/store-kit";
import { IndexedDbLogStore, openOfflineLog, type OfflineLog } from "@edgelog/indexeddb";
import { createApp, type AppOptions } from "@edgelog/server";

const options: ClientOptions = { url: "http://127.0.0.1:8787" };
const remote: EdgeLog = createClient(options);
const local = new EdgeLog({ store: new MemoryStore() });
const store: IndexedDbLogStore = new IndexedDbLogStore({ name: "x" });
const opening: Promise<OfflineLog> = openOfflineLog({ name: "x", upstream: { url: options.url } });
const app = createApp({ store: () => new MemoryStore() } satisfies AppOptions);
const names: Dict<number> = dict();
const handle = (message: KafkaMessage): string | null => message.key === null ? null : String(message.offset);
const isError = (error: unknown): boolean => error instanceof EdgeLogError && error.code === "UNKNOWN_TOPIC_OR_PARTITION";
// @ts-expect-error a wrong option is caught by the shipped types
createClient({ url: 42 });
export { app, handle, isError, local, names, opening, remote, store };
`;

/** A store's test file, as `@edgelog/core/testing` is meant to be used. */
const STORE_TEST_TS = `
import { MemoryStore } from "@edgelog/core";
import { type LogStoreConformanceOptions, runLogStoreConformance } from "@edgelog/core/testing";
const options: LogStoreConformanceOptions = { createStore: () => new MemoryStore() };
runLogStoreConformance("MemoryStore", options);
`;

const WORKER_TS = `
import { PartitionObject, TopicsObject, GroupObject } from "@edgelog/durable-objects";
import { createApp } from "@edgelog/server";
export { PartitionObject, TopicsObject, GroupObject, createApp };
`;
