// Durable Objects are tested where they run: inside workerd, through @cloudflare/vitest-plugin, with a test
// Worker (test/worker.ts) that exports the objects under the bindings named in test/wrangler.toml.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineProject } from "vitest/config";
import { sourceCondition } from "../../test/support/source-condition-plugin.ts";

// The Jepsen test's settings (test/jepsen.test.ts header) reach workerd as bindings: it has no process.env.
const JEPSEN = ["JEPSEN_SEED", "JEPSEN_RUNS", "JEPSEN_SHRINKS", "JEPSEN_PATH"] as const;
const jepsenBindings = Object.fromEntries(JEPSEN.map((name) => [name, process.env[name] ?? ""]));

export default defineProject({
  plugins: [
    sourceCondition(),
    cloudflareTest({
      wrangler: { configPath: "./test/wrangler.toml" },
      miniflare: { bindings: jepsenBindings },
    }),
  ],
  test: { name: "durable-objects", include: ["test/**/*.test.ts"] },
});
