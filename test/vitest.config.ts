// Cross-package end-to-end tests. Some start the real Worker with `wrangler dev`, which takes seconds to boot.
import { defineProject } from "vitest/config";
import { sourceCondition } from "./support/source-condition-plugin.ts";

export default defineProject({
  plugins: [sourceCondition()],
  test: {
    name: "e2e",
    environment: "node",
    include: ["**/*.test.ts"],
    // Boots the Worker the console files share, when any of them is in the run.
    globalSetup: ["./support/console-global-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
