// A light run of the fan-out benchmark against the real Worker in workerd (fanout-worker/, as `npm run bench --
// --only fanout` runs it), asserting counts only: per appended batch, a long-poll or an SSE tail costs the
// partition one invocation per reader (plus the append), the WebSocket push one invocation whatever the readers;
// the Worker sees one request per long-poll wake-up and only the produce otherwise. Every reader gets every batch
// once, in order (measurePoint throws otherwise). Timings are not asserted.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FanoutPlan, measurePoint } from "../../worker/bench/fanout.ts";
import type { FanoutTransport } from "../../worker/bench/fanout-readers.ts";
import { type FanoutWorker, startFanoutWorker } from "../../worker/bench/fanout-runtime.ts";

const READERS = 3;
const plan: FanoutPlan = {
  readers: [1, READERS],
  transports: ["longpoll", "sse", "ws"],
  repetitions: 1,
  batches: 3,
  minBatches: 3,
  maxDeliveries: 1_000,
  warmup: 1,
  valueBytes: 100,
  joinWave: READERS,
  stepTimeoutMs: 20_000,
};

let worker: FanoutWorker;
beforeAll(async () => {
  worker = await startFanoutWorker();
});
afterAll(async () => {
  await worker?.stop();
});

let topics = 0;
const point = (transport: FanoutTransport, readers: number) =>
  measurePoint(worker.url, plan, transport, readers, `smoke-${transport}-${readers}-${topics++}`);

describe("fan-out benchmark, counted in workerd", () => {
  it("long-poll: one partition invocation and one Worker request per reader per batch, plus the produce", async () => {
    const result = await point("longpoll", READERS);
    expect(result.byClass.PartitionObject).toBe(READERS + 1);
    expect(result.requestsPerBatch).toBe(READERS + 1);
    expect(result.invocationsPerBatch).toBeGreaterThanOrEqual(READERS + 1);
  });

  it("SSE: one partition invocation per reader per batch over one held request each", async () => {
    const result = await point("sse", READERS);
    expect(result.byClass.PartitionObject).toBe(READERS + 1);
    expect(result.requestsPerBatch).toBe(1);
  });

  it("WebSocket push: the append is the only partition invocation, for one reader or several", async () => {
    const one = await point("ws", 1);
    const several = await point("ws", READERS);
    for (const result of [one, several]) {
      expect(result.byClass.PartitionObject).toBe(1);
      expect(result.requestsPerBatch).toBe(1);
      expect(Number.isFinite(result.p99)).toBe(true);
    }
  });
});
