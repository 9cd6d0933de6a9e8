// The server's API tests run in Node against a MemoryStore via `app.request`: fast, no workerd needed.
import { defineProject } from "vitest/config";
import { sourceCondition } from "../../test/support/source-condition-plugin.ts";

export default defineProject({
  plugins: [sourceCondition()],
  test: { name: "server", environment: "node", include: ["test/**/*.test.ts"] },
});
