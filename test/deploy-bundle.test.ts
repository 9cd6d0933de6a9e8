/**
 * `wrangler deploy --dry-run` must bundle the Worker cleanly — what `npm run deploy` would upload — without an
 * account or network, and what it would upload must be **locked**: the default config's vars (no secret, no JWKS,
 * no `EDGELOG_AUTH`) serving that very bundle answer 401 to everything but health. Also keeps an
 * eye on the bundle's size, which counts against Workers' script limit.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startLocalWorker } from "./support/local-worker.ts";
import { WRANGLER_SOURCE_ENV } from "./support/source-condition.ts";

const REPO_ROOT = resolve(import.meta.dirname, "..");
/** Workers' compressed script limit on the free plan is 3 MiB; the uncompressed bundle should stay far below. */
const MAX_BUNDLE_BYTES = 1024 * 1024;

let outdir = "";
let bundle = "";
let dryRunOutput = "";

beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), "edgelog-bundle-"));
  const wrangler = join(REPO_ROOT, "node_modules", ".bin", "wrangler");
  const { stdout, stderr } = await promisify(execFile)(
    wrangler,
    ["deploy", "--dry-run", "--outdir", outdir],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, ...WRANGLER_SOURCE_ENV, WRANGLER_SEND_METRICS: "false", CI: "true" },
    },
  );
  dryRunOutput = stdout + stderr;
  const main = (await readdir(outdir)).find((f) => f.endsWith(".js"));
  bundle = join(outdir, main ?? "missing.js");
}, 120_000);

afterAll(async () => {
  if (outdir !== "") await rm(outdir, { recursive: true, force: true });
});

it("bundles the Worker with wrangler deploy --dry-run", async () => {
  const { size } = await stat(bundle);
  expect(size).toBeGreaterThan(0);
  expect(size).toBeLessThan(MAX_BUNDLE_BYTES);
});

it("uploads no variable that would open or key the API", () => {
  // The dry run lists the bindings it would upload; none may run the API open or ship a key in plain text.
  expect(dryRunOutput).toContain("REGIONS");
  expect(dryRunOutput).not.toContain("EDGELOG_AUTH");
  expect(dryRunOutput).not.toContain("EDGELOG_JWT_SECRET");
});

it("serves the default config locked: 401 for every route but health", async () => {
  // The dry run's own bundle, served by `wrangler dev` under the repo's config as it is (vars, Durable Objects,
  // assets), with nothing added: what a first `wrangler deploy` would run.
  const config = await readFile(join(REPO_ROOT, "wrangler.toml"), "utf8");
  const served = config
    .replace(/^main = .*$/m, 'main = "index.js"\nno_bundle = true')
    .replace(
      /^directory = "(.*)"$/m,
      (_line, dir: string) => `directory = ${JSON.stringify(join(REPO_ROOT, dir))}`,
    );
  expect(served).toContain("no_bundle = true");
  const configPath = join(outdir, "wrangler.toml");
  await writeFile(configPath, served);
  const worker = await startLocalWorker({ config: configPath, open: false });
  try {
    const health = await fetch(`${worker.url}/v1/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { auth?: string }).auth).toBe("unconfigured");
    for (const [method, path] of [
      ["GET", "/v1/topics"],
      ["POST", "/v1/topics"],
      ["DELETE", "/v1/topics/orders"],
      ["GET", "/v1/topics/orders/partitions/0/records"],
      ["PUT", "/ds/orders"],
    ] as const) {
      const res = await fetch(`${worker.url}${path}`, {
        method,
        headers: { "Content-Type": "application/json" },
        ...(method === "POST" ? { body: JSON.stringify({ name: "orders" }) } : {}),
      });
      expect(res.status, `${method} ${path}`).toBe(401);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("AUTHENTICATION_FAILED");
      expect(body.error.message).toContain("EDGELOG_JWT_SECRET");
    }
  } finally {
    await worker.stop();
  }
}, 120_000);
