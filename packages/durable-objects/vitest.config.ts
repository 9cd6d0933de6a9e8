// Durable Objects are tested where they run: inside workerd, through @cloudflare/vitest-plugin, with a test
// Worker (test/worker.ts) that exports the objects under the bindings named in test/wrangler.toml.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineProject } from "vitest/config";
import { sourceCondition } from "../../test/support/source-condition-plugin.ts";

export default defineProject({
  plugins: [sourceCondition(), cloudflareTest({ wrangler: { configPath: "./test/wrangler.toml" } })],
  test: { name: "durable-objects", include: ["test/**/*.test.ts"] },
});
