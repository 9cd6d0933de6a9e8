// The Worker as deployed — its entry, the Durable Object store and the bindings of the top-level wrangler.toml —
// exercised inside workerd through @cloudflare/vitest-plugin. The fast route tests (test/) run in Node instead.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineProject } from "vitest/config";
import { sourceCondition } from "../../test/support/source-condition-plugin.ts";

export default defineProject({
  plugins: [
    sourceCondition(),
    cloudflareTest({
      wrangler: { configPath: "../../wrangler.toml" },
      // wrangler.toml enforces auth by default; these tests are about the store, not tokens.
      miniflare: { bindings: { EDGELOG_AUTH: "none" } },
    }),
  ],
  test: { name: "worker-workerd", include: ["test-workerd/**/*.test.ts"] },
});
