// The official Durable Streams conformance suite (@durable-streams/server-conformance-tests) against the real
// Worker under `wrangler dev`, at /ds. A short server long-poll keeps the suite's waiting tests quick.
import { runConformanceTests } from "@durable-streams/server-conformance-tests";
import { afterAll, beforeAll } from "vitest";
import { type LocalWorker, startLocalWorker } from "./support/local-worker.ts";

const LONG_POLL_TIMEOUT_MS = 1_000;

// The suite reads `baseUrl` lazily, so it can be filled in once the Worker is up.
const options = { baseUrl: "", longPollTimeoutMs: LONG_POLL_TIMEOUT_MS };
let worker: LocalWorker | undefined;

beforeAll(async () => {
  worker = await startLocalWorker({ vars: { DS_LONG_POLL_TIMEOUT_MS: String(LONG_POLL_TIMEOUT_MS) } });
  options.baseUrl = `${worker.url}/ds`;
});

afterAll(async () => {
  await worker?.stop();
});

runConformanceTests(options);
