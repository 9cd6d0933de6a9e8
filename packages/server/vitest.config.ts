// The server's API tests run in Node against a MemoryStore via `app.request`: fast, no workerd needed.
import { defineProject } from "vitest/config";

export default defineProject({
  test: { name: "server", environment: "node", include: ["test/**/*.test.ts"] },
});
