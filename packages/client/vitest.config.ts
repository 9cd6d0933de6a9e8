// The client runs its tests in Node against stub fetches and, when it exists, the Worker's Hono app in-process.
import { defineProject } from "vitest/config";
import { sourceCondition } from "../../test/support/source-condition-plugin.ts";

export default defineProject({
  plugins: [sourceCondition()],
  test: { name: "client", environment: "node", include: ["test/**/*.test.ts"] },
});
