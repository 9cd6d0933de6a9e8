// A light run of the fan-out benchmark against the real Worker in workerd (fanout-worker/, as `npm run bench --
// --only fanout` runs it), asserting counts only — what any correct server shows, so the run is known to count
// exactly: per appended batch, one reader costs the partition the append plus one read (long-poll, SSE) or the
// append alone (WebSocket push, whatever the readers); several readers never cost more than one read each (one in
// all while the isolate's waits share a call); each long-poll wake-up is a Worker request, an SSE
// tail or a WebSocket none. Every reader gets every batch once, in order (measurePoint throws otherwise).
// Timings are not asserted.
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
  pointBudgetMs: 0,
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
  it("long-poll: the append and one read per batch for one reader; a Worker request per wake-up", async () => {
    const one = await point("longpoll", 1);
    expect(one.byClass.PartitionObject).toBe(2);
    expect(one.requestsPerBatch).toBe(2);
    const several = await point("longpoll", READERS);
    expect(several.byClass.PartitionObject).toBeGreaterThanOrEqual(2);
    expect(several.byClass.PartitionObject).toBeLessThanOrEqual(READERS + 1);
    expect(several.requestsPerBatch).toBe(READERS + 1);
  });

  it("SSE: the append and one read per batch for one reader, over one held request", async () => {
    const one = await point("sse", 1);
    expect(one.byClass.PartitionObject).toBe(2);
    expect(one.requestsPerBatch).toBe(1);
    const several = await point("sse", READERS);
    expect(several.byClass.PartitionObject).toBeLessThanOrEqual(READERS + 1);
    expect(several.requestsPerBatch).toBe(1);
  });

  it("WebSocket push: the append is the only partition invocation, for one reader or several", async () => {
    for (const readers of [1, READERS]) {
      const result = await point("ws", readers);
      expect(result.byClass.PartitionObject).toBe(1);
      expect(result.requestsPerBatch).toBe(1);
      expect(Number.isFinite(result.p99)).toBe(true);
      // The server's CPU is read from workerd's /proc entry, found as a descendant of this process.
      if (process.platform === "linux") expect(result.serverCpuMsPerBatch).not.toBeNull();
    }
  });
});
