// One vitest run for the whole repo: each package is a project with its own environment.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      "packages/*",
      "apps/bench",
      "apps/web/vitest.config.ts",
      "apps/worker/vitest.workerd.config.ts",
      "packages/indexeddb/vitest.browser.config.ts",
      "test",
    ],
  },
});
