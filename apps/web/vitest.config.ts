// The console's logic that needs no browser (filters, the hash query, the record window over a fake reader) runs
// in Node; the screens themselves are driven in real Chromium by test/console-*-e2e.test.ts.
import { defineProject } from "vitest/config";
import { sourceCondition } from "../../test/support/source-condition-plugin.ts";

export default defineProject({
  plugins: [sourceCondition()],
  test: { name: "web", environment: "node", include: ["src/**/*.test.ts"] },
});
