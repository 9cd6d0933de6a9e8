// The orchestrator's pure parts (statistics, table and chart rendering) tested in Node; the benchmark run itself
// is not part of `npm test`.
import { defineProject } from "vitest/config";
import { sourceCondition } from "../../test/support/source-condition-plugin.ts";

export default defineProject({
  plugins: [sourceCondition()],
  test: { name: "bench", environment: "node", include: ["test/**/*.test.ts"] },
});
