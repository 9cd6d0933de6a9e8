// One vitest run for the whole repo: each package is a project with its own environment.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // vitest's default worker count (cores − 1: one file at a time on a 2-core CI machine) is kept on purpose: two
    // files at a time cut CI by about a fifth but let e2e files that share the console's Worker see each other's
    // groups, and made timing races of the offline outbox likelier (two of five clean runs failed).
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
