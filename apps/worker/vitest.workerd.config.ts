// The Worker as deployed — its entry, the Durable Object store and the bindings of the top-level wrangler.toml —
// exercised inside workerd through @cloudflare/vitest-plugin. The fast route tests (test/) run in Node instead.
// A second Worker (test-workerd/caller-worker.js) binds to this one's `EdgeLogService`, as another Worker of the
// account would, so the binding is tested across a real service binding.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineProject } from "vitest/config";
import { sourceCondition } from "../../test/support/source-condition-plugin.ts";

const PROJECT = "worker-workerd";
/** How the plugin names the Worker under test (`vitest-plugin-runner-<project>`): the caller binds to it. */
const EDGELOG_WORKER = `vitest-plugin-runner-${PROJECT}`;

export default defineProject({
  plugins: [
    sourceCondition(),
    cloudflareTest({
      wrangler: { configPath: "../../wrangler.toml" },
      // wrangler.toml enforces auth and quotas by default; these tests are about the store, not tokens or rates
      // (quota.test.ts drives the QuotaObject with limits of its own; test/quota-e2e.test.ts the configured ones).
      miniflare: {
        bindings: {
          EDGELOG_AUTH: "none",
          EDGELOG_QUOTA_REQUESTS_PER_SEC: "unlimited",
          EDGELOG_QUOTA_PRODUCE_BYTES_PER_SEC: "unlimited",
        },
        serviceBindings: { CALLER: { name: "caller", entrypoint: "Relay" } },
        workers: [
          {
            name: "caller",
            modules: true,
            scriptPath: "./test-workerd/caller-worker.js",
            compatibilityDate: "2026-10-20",
            serviceBindings: {
              EDGELOG: { name: EDGELOG_WORKER, entrypoint: "EdgeLogService" },
              EDGELOG_READER: {
                name: EDGELOG_WORKER,
                entrypoint: "EdgeLogService",
                props: { scopes: "consume:*" },
              },
            },
          },
        ],
      },
    }),
  ],
  test: { name: PROJECT, include: ["test-workerd/**/*.test.ts"] },
});
