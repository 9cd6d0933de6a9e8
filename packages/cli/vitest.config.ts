// The CLI's tests run in Node: pure units, and commands driven in-process against the server app on a MemoryStore.
import { defineProject } from "vitest/config";
import { sourceCondition } from "../../test/support/source-condition-plugin.ts";

export default defineProject({
  plugins: [sourceCondition()],
  // Commands run whole produce / consume sessions in-process: generous on a shared, loaded machine.
  test: { name: "cli", environment: "node", include: ["test/**/*.test.ts"], testTimeout: 30_000 },
});
