// The CLI's tests run in Node: pure units, and commands driven in-process against the server app on a MemoryStore.
import { defineProject } from "vitest/config";

export default defineProject({
  test: { name: "cli", environment: "node", include: ["test/**/*.test.ts"] },
});
