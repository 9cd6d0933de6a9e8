// Cross-package end-to-end tests. Some start the real Worker with `wrangler dev`, which takes seconds to boot.
import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "e2e",
    environment: "node",
    include: ["**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
