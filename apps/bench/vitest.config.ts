// The orchestrator's pure parts (statistics, table and chart rendering) tested in Node, and one light run of the
// fan-out benchmark against the real Worker in workerd (counts only, a few readers); the benchmark run itself is
// not part of `npm test`. Starting that Worker (wrangler bundles it) takes seconds, more on a loaded machine.
import { defineProject } from "vitest/config";
import { sourceCondition } from "../../test/support/source-condition-plugin.ts";

export default defineProject({
  plugins: [sourceCondition()],
  test: {
    name: "bench",
    environment: "node",
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 90_000,
  },
});
