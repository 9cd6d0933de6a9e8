// Fast unit tests in Node over fake-indexeddb; the truth is the browser project (vitest.browser.config.ts).
import { defineProject } from "vitest/config";

export default defineProject({
  test: { name: "indexeddb", environment: "node", include: ["test/**/*.test.ts"] },
});
