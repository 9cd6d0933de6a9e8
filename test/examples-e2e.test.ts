/**
 * The runnable examples of packages/server/examples, as a user would ship them: each bundles with
 * `wrangler deploy --dry-run`, and `wrangler dev` serves them. own-worker mounts edgelog under `/events` behind
 * its own logging and API-key middleware next to its own routes; binding-consumer is a second Worker that
 * produces and consumes through the edgelog Worker's `EdgeLogService` binding, run beside it.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalWorker, startLocalWorker } from "./support/local-worker.ts";
import { ownWorkerChecks } from "./support/own-worker-checks.ts";

const REPO_ROOT = resolve(import.meta.dirname, "..");
const OWN_WORKER = "packages/server/examples/own-worker/wrangler.toml";
const BINDING_CONSUMER = "packages/server/examples/binding-consumer/wrangler.toml";
const KEY = "e2e-full-key";
const READ_KEY = "e2e-read-key";

async function dryRun(config: string): Promise<string[]> {
  const outdir = await mkdtemp(join(tmpdir(), "edgelog-example-"));
  try {
    const wrangler = join(REPO_ROOT, "node_modules", ".bin", "wrangler");
    await promisify(execFile)(wrangler, ["deploy", "--dry-run", "--config", config, "--outdir", outdir], {
      cwd: REPO_ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
    });
    return await readdir(outdir);
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

/**
 * The repo's wrangler.toml as the edgelog Worker, without the console's static assets (built by `npm run build`,
 * which this test does not need) and with its entry made absolute for a config written elsewhere.
 */
async function edgelogWithoutAssets(): Promise<string> {
  const config = await readFile(join(REPO_ROOT, "wrangler.toml"), "utf8");
  const withoutAssets = config.replace(/\n\[assets\][\s\S]*$/, "\n");
  expect(withoutAssets).not.toContain("[assets]");
  return withoutAssets.replace(
    /^main = ".*"$/m,
    `main = ${JSON.stringify(join(REPO_ROOT, "apps/worker/src/index.ts"))}`,
  );
}

it("bundles both examples with wrangler deploy --dry-run", async () => {
  const [ownWorker, bindingConsumer] = await Promise.all([dryRun(OWN_WORKER), dryRun(BINDING_CONSUMER)]);
  expect(ownWorker.some((f) => f.endsWith(".js"))).toBe(true);
  expect(bindingConsumer.some((f) => f.endsWith(".js"))).toBe(true);
});

describe("own-worker: edgelog under /events of a user's Worker", () => {
  let worker: LocalWorker;
  beforeAll(async () => {
    worker = await startLocalWorker({
      config: OWN_WORKER,
      readyPath: "/",
      // The harness also passes EDGELOG_AUTH=none: the host's own auth must hold regardless.
      vars: { APP_KEY: KEY, APP_READ_KEY: READ_KEY },
    });
  });
  afterAll(async () => {
    await worker?.stop();
  });

  ownWorkerChecks(() => worker.url, { full: KEY, read: READ_KEY });
});

describe("binding-consumer: a second Worker using the EdgeLogService binding", () => {
  let worker: LocalWorker;
  let configDir: string;
  beforeAll(async () => {
    // The example is served; the edgelog Worker runs beside it, reached only through the example's binding.
    configDir = await mkdtemp(join(tmpdir(), "edgelog-config-"));
    const edgelogConfig = join(configDir, "wrangler.toml");
    await writeFile(edgelogConfig, await edgelogWithoutAssets());
    worker = await startLocalWorker({
      config: BINDING_CONSUMER,
      alsoConfigs: [edgelogConfig],
      readyPath: "/",
      readyStatus: 404,
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await rm(configDir, { recursive: true, force: true });
  });

  interface Sent {
    offsets: { partition: number; offset: number }[];
    batches: { duplicate: boolean }[];
  }
  const order = (body: unknown) =>
    fetch(`${worker.url}/orders`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });

  it("gets the code of a refused call: the topic is not there yet", async () => {
    const res = await fetch(`${worker.url}/orders?partition=0&offset=0`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "UNKNOWN_TOPIC_OR_PARTITION" } });
  });

  it("produces through the binding once per order, however often the request is retried", async () => {
    const first = await order({ id: "o-1", total: 42 });
    expect(first.status).toBe(200);
    const sent = (await first.json()) as Sent;
    expect(sent.batches[0]?.duplicate).toBe(false);
    const retried = (await (await order({ id: "o-1", total: 42 })).json()) as Sent;
    expect(retried.batches[0]?.duplicate).toBe(true);
    expect(retried.offsets).toEqual(sent.offsets);
    const at = sent.offsets[0] as { partition: number; offset: number };
    const read = await fetch(`${worker.url}/orders?partition=${at.partition}&offset=0`);
    const { records } = (await read.json()) as { records: { key: string; value: unknown }[] };
    expect(records).toEqual([expect.objectContaining({ key: "o-1", value: { id: "o-1", total: 42 } })]);
  });

  it("answers a bad read with the binding's validation code", async () => {
    const res = await fetch(`${worker.url}/orders?partition=7&offset=0`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "UNKNOWN_TOPIC_OR_PARTITION" } });
    const negative = await fetch(`${worker.url}/orders?partition=0&offset=-5`);
    expect(negative.status).toBe(400);
  });
});
