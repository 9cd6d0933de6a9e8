/**
 * @module
 * `npm start`: the Worker under `wrangler dev`, open (`EDGELOG_AUTH=none`) for local use only. The variable is
 * passed on the command line, never written to wrangler.toml, so a deploy of the default config stays locked.
 * A secret in `.dev.vars` still enforces tokens, as it would deployed.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { WRANGLER_SOURCE_ENV } from "../test/support/source-condition.ts";
import { REPO_ROOT, readDevVars } from "./dev-vars.ts";

const port = process.env.PORT ?? "8787";
const devVars = readDevVars();
const enforced = Boolean(devVars.get("EDGELOG_JWT_SECRET") || devVars.get("EDGELOG_JWKS_URL"));
const banner = enforced
  ? [
      "edgelog: .dev.vars configures EDGELOG_JWT_SECRET or EDGELOG_JWKS_URL, so this Worker requires bearer tokens.",
      'Mint one with: npm run token -- --scope "admin" --ttl 1h',
    ]
  : [
      "WARNING: edgelog runs WITHOUT AUTHENTICATION (EDGELOG_AUTH=none): anyone who can reach",
      `http://127.0.0.1:${port} may create, write, read and delete everything. For local use only;`,
      "a deployed Worker needs `wrangler secret put EDGELOG_JWT_SECRET` (or EDGELOG_JWKS_URL).",
    ];
const width = Math.max(...banner.map((line) => line.length));
const rule = "!".repeat(width + 4);
console.warn([rule, ...banner.map((line) => `! ${line.padEnd(width)} !`), rule].join("\n"));

const child = spawn(
  join(REPO_ROOT, "node_modules", ".bin", "wrangler"),
  ["dev", "--ip", "127.0.0.1", "--port", port, "--var", "EDGELOG_AUTH:none", ...process.argv.slice(2)],
  {
    cwd: REPO_ROOT,
    stdio: "inherit",
    env: { ...process.env, ...WRANGLER_SOURCE_ENV, WRANGLER_SEND_METRICS: "false" },
  },
);
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal === null ? 0 : 1)));
