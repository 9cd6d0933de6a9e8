// Core runs its tests in Node: it touches nothing runtime-specific, so Node stands in for every runtime here.
import { defineProject } from "vitest/config";
import { sourceCondition } from "../../test/support/source-condition-plugin.ts";

export default defineProject({
  plugins: [sourceCondition()],
  test: { name: "core", environment: "node", include: ["test/**/*.test.ts"] },
});
