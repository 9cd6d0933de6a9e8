// Fast unit tests in Node over fake-indexeddb; the truth is the browser project (vitest.browser.config.ts).
import { defineProject } from "vitest/config";
import { sourceCondition } from "../../test/support/source-condition-plugin.ts";

export default defineProject({
  plugins: [sourceCondition()],
  test: { name: "indexeddb", environment: "node", include: ["test/**/*.test.ts"] },
});
