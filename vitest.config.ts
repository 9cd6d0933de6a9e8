// One vitest run for the whole repo: each package is a project with its own environment.
import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // vitest's default is one worker per core less one: a single worker on a 2-core CI machine, which then waits
    // on wrangler dev, workerd and Chromium with a core idle. Two files at a time keep both cores busy.
    maxWorkers: Math.max(2, availableParallelism() - 1),
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
