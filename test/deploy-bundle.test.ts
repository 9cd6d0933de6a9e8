/**
 * `wrangler deploy --dry-run` must bundle the Worker cleanly — what `npm run deploy` would upload — without an
 * account or network. Also keeps an eye on the bundle's size, which counts against Workers' script limit.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { WRANGLER_SOURCE_ENV } from "./support/source-condition.ts";

const REPO_ROOT = resolve(import.meta.dirname, "..");
/** Workers' compressed script limit on the free plan is 3 MiB; the uncompressed bundle should stay far below. */
const MAX_BUNDLE_BYTES = 1024 * 1024;

it("bundles the Worker with wrangler deploy --dry-run", async () => {
  const outdir = await mkdtemp(join(tmpdir(), "edgelog-bundle-"));
  try {
    const wrangler = join(REPO_ROOT, "node_modules", ".bin", "wrangler");
    await promisify(execFile)(wrangler, ["deploy", "--dry-run", "--outdir", outdir], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...WRANGLER_SOURCE_ENV, WRANGLER_SEND_METRICS: "false", CI: "true" },
    });
    const files = await readdir(outdir);
    const main = files.find((f) => f.endsWith(".js"));
    expect(main).toBeDefined();
    const { size } = await stat(join(outdir, main ?? ""));
    expect(size).toBeGreaterThan(0);
    expect(size).toBeLessThan(MAX_BUNDLE_BYTES);
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
});
