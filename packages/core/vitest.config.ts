// Core runs its tests in Node: it touches nothing runtime-specific, so Node stands in for every runtime here.
import { defineProject } from "vitest/config";

export default defineProject({
  test: { name: "core", environment: "node", include: ["test/**/*.test.ts"] },
});
