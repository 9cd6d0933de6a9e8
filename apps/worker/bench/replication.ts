/**
 * One repetition of the replication benchmarks, over HTTP against the replication Worker (replication-worker/:
 * edgelog over Durable Objects with regions wnam, weur, apac and the fault switch on), for each simulated round
 * trip of the plan:
 *   - **acks=all against acks=1** on a topic with 3 replicas (wnam leads, `min.insync.replicas` 2): one client
 *     sends sequential JSON batches with each, in the same topic and process; records/s and the latency of a
 *     produce request (p50, p99) for each, and the calls a batch costs (Worker → leader, leader → followers,
 *     commits) counted by the Worker and the replicas themselves;
 *   - **failover time**: from cutting the leader's region off (`PUT /v1/faults/regions/wnam {"unreachable":
 *     true}`) to the first acknowledged `acks=all` produce, with a producer retrying from the moment of the fault.
 *     What moves the leader is pluggable: `elect` — the bench's admin election (`POST …/elect` to weur) right after
 *     the fault, the stand-in while automatic failover is being built — or `auto`: nothing, the controller must
 *     notice by itself. The time the election was answered is recorded beside it.
 *
 * The simulated round trip is the fault switch's `latencyMs`, set on every region: each call into a region waits
 * that long once (replication/fault-switch.ts states the model), so an `acks=1` produce pays one round trip
 * (Worker → leader) and an `acks=all` produce two (then leader → followers, in parallel).
 *
 * Keys: `replication.produce.<rtt>.<acks-all|acks-1>` (records/s), `replication.latency.<rtt>.<p50|p99>.<acks>`
 * (ms), `replication.calls.<rtt>.<worker|replication|commits>` (per acks=all batch), `replication.failover.<rtt>.
 * <first-produce|elect-answered>` (ms).
 */
import type { Sink } from "./http-throughput.ts";

export type FailoverTrigger = "elect" | "auto";

export interface ReplicationPlan {
  /** Simulated round trip per region (ms); every case runs at each. */
  readonly rttsMs: readonly number[];
  /** Sequential produce requests per acks setting. */
  readonly batches: number;
  readonly recordsPerBatch: number;
  readonly valueBytes: number;
  /** Produce requests sent first with each acks setting, not measured. */
  readonly warmup: number;
  readonly failoverTrigger: FailoverTrigger;
  /** How long a failover may take before the case is given up. */
  readonly failoverTimeoutMs: number;
  /** The topic's `replica.lag.time.max.ms`: how soon the new leader stops waiting for the cut-off old one. */
  readonly lagTimeMaxMs: number;
  /**
   * `EDGELOG_LEADER_SESSION_TIMEOUT_MS` given to the Worker: how long a leader's region may fail calls before the
   * controller moves its partitions (automatic failover; the `auto` trigger measures it).
   */
  readonly leaderSessionTimeoutMs: number;
}

/** The regions of replication-worker/wrangler.toml; the first leads, the second is elected on failover. */
export const REPLICATION_REGIONS = ["wnam", "weur", "apac"] as const;

/** A failover that did not complete in time (e.g. `auto` before automatic failover exists). */
export class FailoverTimedOut extends Error {}

type Acks = "all" | 1;
export type AcksName = "acks-all" | "acks-1";
const acksName = (acks: Acks): AcksName => (acks === "all" ? "acks-all" : "acks-1");

/** The keys this module records under, shared with the report's case list (apps/bench/src/cases.ts). */
export const replicationKeys = {
  produce: (rtt: number, acks: AcksName) => `replication.produce.${rtt}.${acks}`,
  latency: (rtt: number, p: "p50" | "p99", acks: AcksName) => `replication.latency.${rtt}.${p}.${acks}`,
  calls: (rtt: number, acks: AcksName, what: "worker" | "replication" | "commits") =>
    `replication.calls.${rtt}.${acks}.${what}`,
  failover: (rtt: number, what: "first-produce" | "elect-answered") => `replication.failover.${rtt}.${what}`,
};

interface Calls {
  readonly worker: number;
  readonly replicas: readonly {
    readonly region: string;
    readonly replicationCalls: number;
    readonly appendTransactions: number;
  }[];
}

async function ok(response: Response): Promise<Response> {
  if (!response.ok) throw new Error(`${response.url}: ${response.status} ${await response.text()}`);
  return response;
}

const send = (url: string, method: string, body: unknown): Promise<Response> =>
  fetch(url, { method, body: JSON.stringify(body), headers: { "content-type": "application/json" } });

function percentileOf(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function setLatency(url: string, latencyMs: number): Promise<void> {
  for (const region of REPLICATION_REGIONS) {
    await ok(await send(`${url}/v1/faults/regions/${region}`, "PUT", { latencyMs }));
  }
}

async function counts(url: string, topicId: string): Promise<Calls> {
  const query = `topicId=${topicId}&partition=0&regions=${REPLICATION_REGIONS.join(",")}`;
  return (await (await ok(await fetch(`${url}/bench/calls?${query}`))).json()) as Calls;
}

function leaderOf(calls: Calls): Calls["replicas"][number] {
  const leader = calls.replicas.find((r) => r.region === REPLICATION_REGIONS[0]);
  if (leader === undefined) throw new Error("the bench Worker did not report the leader's counters");
  return leader;
}

/**
 * Measures every round trip of the plan; the failover too unless `measureFailover` is false. Answers why the
 * failover could not be measured (it timed out), so the caller stops trying it.
 */
export async function replicationRepetition(
  url: string,
  plan: ReplicationPlan,
  rep: number,
  sink: Sink,
  measureFailover = true,
): Promise<{ failoverSkipped?: string }> {
  let failoverSkipped: string | undefined;
  const body = (acks: Acks, batch: number) =>
    JSON.stringify({
      valueFormat: "text",
      acks,
      records: Array.from({ length: plan.recordsPerBatch }, (_, i) => ({
        value: `${batch}:${i}:`.padEnd(plan.valueBytes, "x"),
      })),
    });
  try {
    for (const rtt of plan.rttsMs) {
      await setLatency(url, rtt);
      const topic = `replication-${rtt}-${rep}-${Date.now()}`;
      const created = (await (
        await ok(
          await send(`${url}/v1/topics`, "POST", {
            name: topic,
            partitions: 1,
            replicas: REPLICATION_REGIONS,
            config: { "min.insync.replicas": 2, "replica.lag.time.max.ms": plan.lagTimeMaxMs },
          }),
        )
      ).json()) as { topicId: string };
      const produce = (acks: Acks, batch: number) =>
        fetch(`${url}/v1/topics/${topic}/records`, {
          method: "POST",
          body: body(acks, batch),
          headers: { "content-type": "application/json" },
        });
      for (let i = 0; i < plan.warmup; i++) {
        await ok(await produce(1, -1));
        await ok(await produce("all", -1));
      }
      // Alternate which runs first, so drift on a shared machine evens out over the repetitions.
      const order: Acks[] = rep % 2 === 0 ? [1, "all"] : ["all", 1];
      for (const acks of order) {
        const name = acksName(acks);
        const before = await counts(url, created.topicId);
        const latencies: number[] = [];
        const started = performance.now();
        for (let batch = 0; batch < plan.batches; batch++) {
          const sent = performance.now();
          await ok(await produce(acks, batch));
          latencies.push(performance.now() - sent);
        }
        const seconds = (performance.now() - started) / 1000;
        const after = await counts(url, created.topicId);
        latencies.sort((a, b) => a - b);
        sink.record(replicationKeys.produce(rtt, name), (plan.batches * plan.recordsPerBatch) / seconds);
        sink.record(replicationKeys.latency(rtt, "p50", name), percentileOf(latencies, 50));
        sink.record(replicationKeys.latency(rtt, "p99", name), percentileOf(latencies, 99));
        const per = (n: number) => n / plan.batches;
        const [leaderBefore, leaderAfter] = [leaderOf(before), leaderOf(after)];
        sink.record(replicationKeys.calls(rtt, name, "worker"), per(after.worker - before.worker));
        sink.record(
          replicationKeys.calls(rtt, name, "replication"),
          per(leaderAfter.replicationCalls - leaderBefore.replicationCalls),
        );
        sink.record(
          replicationKeys.calls(rtt, name, "commits"),
          per(leaderAfter.appendTransactions - leaderBefore.appendTransactions),
        );
      }
      sink.progress(`round trip ${rtt} ms: acks=all and acks=1 measured`);
      if (!measureFailover || failoverSkipped !== undefined) continue;
      try {
        await failover({ url, topic, plan, rtt, sink, produce: (batch) => produce("all", batch) });
      } catch (error) {
        if (!(error instanceof FailoverTimedOut)) throw error;
        failoverSkipped = error.message;
      }
    }
    return failoverSkipped === undefined ? {} : { failoverSkipped };
  } finally {
    await ok(await send(`${url}/v1/faults/regions/${REPLICATION_REGIONS[0]}`, "PUT", { unreachable: false }));
    await setLatency(url, 0);
  }
}

interface FailoverRun {
  readonly url: string;
  readonly topic: string;
  readonly plan: ReplicationPlan;
  readonly rtt: number;
  readonly sink: Sink;
  readonly produce: (batch: number) => Promise<Response>;
}

/** Cuts the leader's region off, moves the leader by `plan.failoverTrigger`, times the first acknowledged produce. */
async function failover(run: FailoverRun): Promise<void> {
  const leader = `${run.url}/v1/faults/regions/${REPLICATION_REGIONS[0]}`;
  const faulted = performance.now();
  await ok(await send(leader, "PUT", { unreachable: true }));
  try {
    await timeFailover(run, faulted);
  } finally {
    await ok(await send(leader, "PUT", { unreachable: false }));
  }
}

async function timeFailover(
  { url, topic, plan, rtt, sink, produce }: FailoverRun,
  faulted: number,
): Promise<void> {
  const successor = REPLICATION_REGIONS[1];
  const deadline = faulted + plan.failoverTimeoutMs;
  let electAnswered: number | undefined;
  let triggerFailed: unknown;
  const trigger =
    plan.failoverTrigger === "elect"
      ? send(`${url}/v1/topics/${topic}/partitions/0/elect`, "POST", { region: successor })
          .then(ok)
          .then(
            () => {
              electAnswered = performance.now() - faulted;
            },
            (error: unknown) => {
              triggerFailed = error ?? new Error("the election failed");
            },
          )
      : Promise.resolve();
  // The producer retries from the moment of the fault, as a client would: a cut-off leader answers 504 at once
  // here (a real outage would first hang until a timeout), leadership moving 503.
  let attempts = 0;
  for (;;) {
    if (triggerFailed !== undefined) throw triggerFailed;
    if (performance.now() > deadline) {
      throw new FailoverTimedOut(
        `no acks=all produce acknowledged within ${plan.failoverTimeoutMs} ms of the leader's region going down ` +
          `(trigger: ${plan.failoverTrigger}, ${attempts} attempts)`,
      );
    }
    attempts++;
    const response = await produce(1_000_000 + attempts);
    if (response.ok) {
      await response.body?.cancel();
      break;
    }
    const text = await response.text();
    if (response.status < 500 && response.status !== 408 && response.status !== 429) {
      throw new Error(`failover produce refused: ${response.status} ${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const firstProduce = performance.now() - faulted;
  await trigger;
  if (triggerFailed !== undefined) throw triggerFailed;
  sink.record(replicationKeys.failover(rtt, "first-produce"), firstProduce);
  if (electAnswered !== undefined)
    sink.record(replicationKeys.failover(rtt, "elect-answered"), electAnswered);
  sink.progress(
    `round trip ${rtt} ms: failover (${plan.failoverTrigger}) — first acks=all produce after ` +
      `${firstProduce.toFixed(0)} ms, ${attempts} attempts` +
      (electAnswered === undefined ? "" : `, election answered after ${electAnswered.toFixed(0)} ms`),
  );
}
