/**
 * One repetition of the fan-out benchmark (issue 16): for each transport of live readers (fanout-readers.ts) and
 * each number of readers of the plan, N readers follow partition 0 of a fresh topic from offset 0 through the
 * fan-out Worker (fanout-worker/, run by fanout-runtime.ts), and a producer appends one batch of one 100-byte
 * record at a time, each once every reader is waiting again. Per batch it records:
 *   - **Durable Object invocations** — every call into any object (RPC, fetch, alarm, WebSocket event), counted
 *     where it lands by the Worker (fanout-worker/counting.ts), over the measured batches ÷ batches: the figure
 *     that decides cost; and those of the partition's object alone, the one that serves ~1,000 requests/s;
 *   - **the Worker's requests**, counted by the Worker the same way (the produce and each reader's requests);
 *   - **delivery to the last reader**: from just before the produce request until every reader holds the batch,
 *     p50 and p99 over the measured batches.
 * Every reader must receive every batch exactly once and in order (fanout-delivery.ts); a point where one does
 * not, or that cannot be run (readers refused, a batch not delivered in time, more sockets than this process may
 * open), stops its transport there: larger counts are skipped with the reason.
 *
 * Beside them, to read the latencies by: delivery to the first reader (p50), the CPU this process — the
 * readers' one thread — spent per batch, and the CPU the server (workerd: the Worker and its objects) spent per
 * batch (fanout-server-cpu.ts; Linux only).
 *
 * Keys: `fanout.invocations.<transport>.<readers>` (all objects), `fanout.partition.<transport>.<readers>` (the
 * partition's object), `fanout.requests.<transport>.<readers>` (the Worker's requests; all per batch),
 * `fanout.latency.<transport>.<p50|p99>.<readers>`, `fanout.first.<transport>.<readers>` and
 * `fanout.readers-cpu.<transport>.<readers>`, `fanout.server-cpu.<transport>.<readers>` (ms).
 */
import { Agent } from "node:http";
import { Deliveries } from "./fanout-delivery.ts";
import { tooManyForThisMachine, tooSlowForThisMachine } from "./fanout-limits.ts";
import { type FanoutTransport, openReader, type Reader, SAYS_LIVE } from "./fanout-readers.ts";
import { serverCpu } from "./fanout-server-cpu.ts";
import type { Sink } from "./http-throughput.ts";

export interface FanoutPlan {
  /** Numbers of live readers measured, ascending. */
  readonly readers: readonly number[];
  readonly transports: readonly FanoutTransport[];
  /** Repetitions of the section (each point is slow at 10,000 readers). */
  readonly repetitions: number;
  /**
   * Measured batches per point: up to `batches` (enough for a p99 that is not just the slowest one), fewer once
   * `pointBudgetMs` of measuring has passed (a batch that reaches thousands of long-polls takes seconds), but never
   * fewer than `minBatches`.
   */
  readonly batches: number;
  readonly minBatches: number;
  readonly pointBudgetMs: number;
  /** Batches sent first at each point (delivered and checked, not measured). */
  readonly warmup: number;
  readonly valueBytes: number;
  /** Readers opened at once while joining. */
  readonly joinWave: number;
  /**
   * How long joining one wave, re-parking after a batch, or delivering one batch may take. A count whose delivery
   * would take longer, judging by the count below it (delivery time grows with readers), is not tried.
   */
  readonly stepTimeoutMs: number;
}

/** Whether a point that measured `measured` batches in `elapsedMs` sends another (see `FanoutPlan.batches`). */
export function anotherBatch(plan: FanoutPlan, measured: number, elapsedMs: number): boolean {
  return measured < plan.batches && (measured < plan.minBatches || elapsedMs < plan.pointBudgetMs);
}

export const fanoutKeys = {
  invocations: (transport: FanoutTransport, readers: number) => `fanout.invocations.${transport}.${readers}`,
  partition: (transport: FanoutTransport, readers: number) => `fanout.partition.${transport}.${readers}`,
  requests: (transport: FanoutTransport, readers: number) => `fanout.requests.${transport}.${readers}`,
  latency: (transport: FanoutTransport, p: "p50" | "p99", readers: number) =>
    `fanout.latency.${transport}.${p}.${readers}`,
  first: (transport: FanoutTransport, readers: number) => `fanout.first.${transport}.${readers}`,
  readersCpu: (transport: FanoutTransport, readers: number) => `fanout.readers-cpu.${transport}.${readers}`,
  serverCpu: (transport: FanoutTransport, readers: number) => `fanout.server-cpu.${transport}.${readers}`,
};

/** Every key one point records. */
export const pointKeys = (transport: FanoutTransport, readers: number): string[] => [
  fanoutKeys.invocations(transport, readers),
  fanoutKeys.partition(transport, readers),
  fanoutKeys.requests(transport, readers),
  fanoutKeys.latency(transport, "p50", readers),
  fanoutKeys.latency(transport, "p99", readers),
  fanoutKeys.first(transport, readers),
  fanoutKeys.readersCpu(transport, readers),
  fanoutKeys.serverCpu(transport, readers),
];

/** What one point measured: per-batch figures, and the counts behind them. */
export interface PointResult {
  readonly invocationsPerBatch: number;
  /** Invocations per batch by object class. */
  readonly byClass: Readonly<Record<string, number>>;
  readonly requestsPerBatch: number;
  readonly p50: number;
  readonly p99: number;
  /** Delivery to the first reader, p50 (ms): what the spread to the last one is measured from. */
  readonly firstP50: number;
  /**
   * CPU this process (the readers, the producer) spent per measured batch (ms): delivery to the last reader
   * includes its turn at reading every reader's socket on one thread.
   */
  readonly readersCpuMsPerBatch: number;
  /** CPU the server (workerd) spent per measured batch (ms), or `null` where it cannot be read. */
  readonly serverCpuMsPerBatch: number | null;
  /** Of it, in the kernel (ms). */
  readonly serverSystemMsPerBatch: number | null;
  /** How long opening every reader took (ms). */
  readonly joinMs: number;
}

/** Where a transport stopped and why; carried across repetitions, so a count that failed is not tried again. */
export type FanoutStops = Map<FanoutTransport, { readonly readers: number; readonly reason: string }>;

/** The object class of the partition the readers read (fanout-worker/worker.ts counts under its name). */
const PARTITION_CLASS = "PartitionObject";

const POLL_MS = 50;
const SETTLE_MS = 250;

interface Counts {
  readonly workerRequests: number;
  readonly invocations: Readonly<Record<string, number>>;
}

async function ok(response: Response): Promise<Response> {
  if (!response.ok) throw new Error(`${response.url}: ${response.status} ${await response.text()}`);
  return response;
}

const json = async <T>(url: string, init?: RequestInit): Promise<T> =>
  (await (await ok(await fetch(url, init))).json()) as T;

const counts = (url: string): Promise<Counts> => json<Counts>(`${url}/bench/counts`);

const total = (invocations: Readonly<Record<string, number>>): number =>
  Object.values(invocations).reduce((sum, n) => sum + n, 0);

function nearestRank(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

/** Reads of `topic` waiting for data, as the Worker counts them (one per waiting long-poll or SSE tail). */
async function waitingReads(url: string, topic: string): Promise<number> {
  const counts = await json<{ waitingReads: number }>(
    `${url}/bench/counts?topic=${encodeURIComponent(topic)}`,
  );
  return counts.waitingReads;
}

async function until(
  what: () => string,
  condition: () => Promise<boolean>,
  timeoutMs: number,
  failed: Promise<never>,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await Promise.race([condition(), failed]))) {
    if (performance.now() > deadline) throw new Error(`${what()} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/**
 * Measures one transport at one number of readers. Throws when the point cannot be measured (the caller records
 * where the transport stops).
 */
export async function measurePoint(
  url: string,
  plan: FanoutPlan,
  transport: FanoutTransport,
  readerCount: number,
  topic: string,
): Promise<PointResult> {
  await json(`${url}/v1/topics`, {
    method: "POST",
    body: JSON.stringify({ name: topic, partitions: 1 }),
    headers: { "content-type": "application/json" },
  });
  const deliveries = new Deliveries(readerCount, plan.warmup + plan.batches);
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const readers: Reader[] = [];
  let fail: (error: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => {});
  const produce = async (index: number): Promise<void> => {
    const value = `fanout:${index}:`.padEnd(plan.valueBytes, "x");
    const response = await ok(
      await fetch(`${url}/v1/topics/${encodeURIComponent(topic)}/records`, {
        method: "POST",
        body: JSON.stringify({ valueFormat: "text", records: [{ value }] }),
        headers: { "content-type": "application/json" },
      }),
    );
    await response.arrayBuffer();
  };
  // WebSocket readers say when the partition holds them (`ready`) and stay held; asking the partition instead
  // would cost it a pass over every socket per question. Long-polls and SSE tails are the Worker's waiting reads.
  let saidLive = 0;
  const live = SAYS_LIVE.has(transport) ? () => Promise.resolve(saidLive) : () => waitingReads(url, topic);
  const allLive = () =>
    until(
      () => `${readerCount} readers not all waiting again`,
      async () => (await live()) >= readerCount,
      plan.stepTimeoutMs,
      failed,
    );
  try {
    const joinStarted = performance.now();
    for (let opened = 0; opened < readerCount; ) {
      const wave = Math.min(plan.joinWave, readerCount - opened);
      for (let i = 0; i < wave; i++) {
        const id = opened + i;
        readers.push(
          openReader(
            transport,
            { url, topic, agent },
            {
              // One record per batch on a fresh topic: batch i is the record at offset i.
              onOffset: (offset) => deliveries.receive(id, offset, performance.now()),
              onFailure: (error) => fail(new Error(`reader ${id}: ${error.message}`)),
              onLive: () => {
                saidLive++;
              },
            },
          ),
        );
      }
      opened += wave;
      await until(
        () => `${opened} readers not all joined`,
        async () => (await live()) >= opened,
        plan.stepTimeoutMs,
        failed,
      );
    }
    const joinMs = performance.now() - joinStarted;
    const deliver = (index: number) =>
      Promise.race([deliveries.delivered(index, plan.stepTimeoutMs), failed]);
    for (let index = 0; index < plan.warmup; index++) {
      await allLive();
      await Promise.all([produce(index), deliver(index)]);
    }
    await allLive();
    const before = await counts(url);
    const cpuBefore = process.cpuUsage();
    const serverBefore = serverCpu();
    const latencies: number[] = [];
    const firsts: number[] = [];
    const measuring = performance.now();
    for (
      let index = plan.warmup;
      anotherBatch(plan, latencies.length, performance.now() - measuring);
      index++
    ) {
      if (index > plan.warmup) await allLive();
      const started = performance.now();
      const [, deliveredAt] = await Promise.all([produce(index), deliver(index)]);
      latencies.push(deliveredAt - started);
      firsts.push(deliveries.firstAt(index) - started);
    }
    const batches = latencies.length;
    // The readers' re-parking after the last batch is part of that batch's cost.
    await allLive();
    const cpu = process.cpuUsage(cpuBefore);
    const serverAfter = serverCpu();
    const after = await counts(url);
    const { duplicates, missed } = deliveries.violations;
    if (duplicates > 0 || missed > 0) {
      throw new Error(`readers received ${duplicates} duplicate and missed ${missed} batches`);
    }
    latencies.sort((a, b) => a - b);
    firsts.sort((a, b) => a - b);
    const byClass: Record<string, number> = {};
    for (const [name, n] of Object.entries(after.invocations)) {
      const delta = n - (before.invocations[name] ?? 0);
      if (delta > 0) byClass[name] = delta / batches;
    }
    return {
      invocationsPerBatch: (total(after.invocations) - total(before.invocations)) / batches,
      byClass,
      requestsPerBatch: (after.workerRequests - before.workerRequests) / batches,
      p50: nearestRank(latencies, 50),
      p99: nearestRank(latencies, 99),
      firstP50: nearestRank(firsts, 50),
      readersCpuMsPerBatch: (cpu.user + cpu.system) / 1000 / batches,
      serverCpuMsPerBatch:
        serverBefore === null || serverAfter === null
          ? null
          : (serverAfter.totalMs - serverBefore.totalMs) / batches,
      serverSystemMsPerBatch:
        serverBefore === null || serverAfter === null
          ? null
          : (serverAfter.systemMs - serverBefore.systemMs) / batches,
      joinMs,
    };
  } finally {
    for (const r of readers) r.close();
    agent.destroy();
    // A reader that hangs up leaves its read parked in the partition until the read times out (the Worker is not
    // told the client left): deleting the topic ends them all now, before the next point competes with them.
    await fetch(`${url}/v1/topics/${encodeURIComponent(topic)}`, { method: "DELETE" }).then(
      (response) => response.body?.cancel(),
      () => {},
    );
    await settled(url, plan.stepTimeoutMs).catch(() => {});
  }
}

/**
 * Until the Worker and its objects are idle — no invocation, no request between two looks `SETTLE_MS` apart — so
 * the last readers' goodbyes (closing sockets, failing waits) are not measured as the next point's cost or delay.
 */
async function settled(url: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const fingerprint = (c: Counts) => `${c.workerRequests}/${total(c.invocations)}`;
  let last = fingerprint(await counts(url));
  for (;;) {
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const now = fingerprint(await counts(url));
    if (now === last || performance.now() > deadline) return;
    last = now;
  }
}

/**
 * Every reader count of the plan, smallest first, over every transport not stopped there yet — count by count, so
 * the one-reader figures every ratio divides by are measured together, before any large point's aftermath. A
 * transport that fails at a count, or would be too slow there, stops at that count (`stops`, shared across
 * repetitions, says why).
 */
export async function fanoutRepetition(
  url: string,
  plan: FanoutPlan,
  rep: number,
  sink: Pick<Sink, "record" | "progress">,
  stops: FanoutStops,
): Promise<void> {
  const counts = [...plan.readers].sort((a, b) => a - b);
  for (const [i, readers] of counts.entries()) {
    for (const transport of plan.transports) {
      const stop = stops.get(transport);
      if (stop !== undefined && readers >= stop.readers) continue;
      const tooMany = tooManyForThisMachine(readers);
      if (tooMany !== null) {
        stops.set(transport, { readers, reason: tooMany });
        continue;
      }
      const topic = `fanout-${transport}-${readers}-r${rep}-${Date.now()}`;
      let result: PointResult;
      try {
        result = await measurePoint(url, plan, transport, readers, topic);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        stops.set(transport, { readers, reason });
        continue;
      }
      record(sink, transport, readers, result);
      const next = counts[i + 1];
      const tooSlow =
        next === undefined ? null : tooSlowForThisMachine(plan.stepTimeoutMs, readers, result.p50, next);
      if (next !== undefined && tooSlow !== null && !stops.has(transport)) {
        stops.set(transport, { readers: next, reason: tooSlow });
      }
    }
  }
}

function record(
  sink: Pick<Sink, "record" | "progress">,
  transport: FanoutTransport,
  readers: number,
  result: PointResult,
): void {
  sink.record(fanoutKeys.invocations(transport, readers), result.invocationsPerBatch);
  sink.record(fanoutKeys.partition(transport, readers), result.byClass[PARTITION_CLASS] ?? 0);
  sink.record(fanoutKeys.requests(transport, readers), result.requestsPerBatch);
  sink.record(fanoutKeys.latency(transport, "p50", readers), result.p50);
  sink.record(fanoutKeys.latency(transport, "p99", readers), result.p99);
  sink.record(fanoutKeys.first(transport, readers), result.firstP50);
  sink.record(fanoutKeys.readersCpu(transport, readers), result.readersCpuMsPerBatch);
  if (result.serverCpuMsPerBatch !== null)
    sink.record(fanoutKeys.serverCpu(transport, readers), result.serverCpuMsPerBatch);
  const classes = Object.entries(result.byClass)
    .map(([name, n]) => `${name} ${n.toFixed(2)}`)
    .join(", ");
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  sink.progress(
    `${transport} × ${readers.toLocaleString("en-US")}: ${result.invocationsPerBatch.toFixed(2)} invocations per ` +
      `batch (${classes}), ${result.requestsPerBatch.toFixed(2)} Worker requests per batch, last reader p50 ` +
      `${ms(result.p50)} p99 ${ms(result.p99)}, first reader p50 ${ms(result.firstP50)}, readers' CPU ` +
      `${ms(result.readersCpuMsPerBatch)} per batch, server's CPU ` +
      `${result.serverCpuMsPerBatch === null ? "unknown" : ms(result.serverCpuMsPerBatch)} per batch ` +
      `(${result.serverSystemMsPerBatch === null ? "unknown" : ms(result.serverSystemMsPerBatch)} in the kernel) (joined in ${(result.joinMs / 1000).toFixed(1)} s)`,
  );
}
