// The Worker as deployed — its entry, the Durable Object store and the bindings of the top-level wrangler.toml —
// exercised inside workerd through @cloudflare/vitest-plugin. The fast route tests (test/) run in Node instead.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineProject } from "vitest/config";

export default defineProject({
  plugins: [
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
      },
    }),
  ],
  test: { name: "worker-workerd", include: ["test-workerd/**/*.test.ts"] },
});
