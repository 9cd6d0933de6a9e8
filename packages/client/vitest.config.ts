// The client runs its tests in Node against stub fetches and, when it exists, the Worker's Hono app in-process.
import { defineProject } from "vitest/config";

export default defineProject({
  test: { name: "client", environment: "node", include: ["test/**/*.test.ts"] },
});
