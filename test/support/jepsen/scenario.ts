/**
 * @module
 * One Jepsen-style run, the same in workerd and through `wrangler dev`: start the workload on a fresh replicated
 * topic, run the schedule's faults among the producers' sends (each operation once a few more records were
 * acknowledged, so faults land mid-stream whatever the machine's speed), heal everything, let the producers send
 * a little more and stop, wait (bounded) until the replicas hold identical logs and the group consumed every
 * acknowledgement, then read every replica and judge the history.
 */
import type { LogStore } from "@edgelog/core";
import { checkHistory } from "./checker.ts";
import type { History, ReplicaState } from "./history.ts";
import { type Failover, type FaultTarget, Nemesis } from "./nemesis.ts";
import type { RunOutcome } from "./run-jepsen.ts";
import type { FaultOp } from "./schedule.ts";
import { Workload } from "./workload.ts";

/** A deployment with a replicated topic, ready for one run. */
export interface Deployment extends FaultTarget {
  readonly topic: string;
  readonly partitions: number;
  /** The partitions' replica regions. */
  readonly replicas: readonly string[];
  storeFor(participant: string): LogStore;
  /** Each replica's whole log and leader-epoch table of `partition` (called once healed). */
  replicaStates(partition: number): Promise<ReplicaState[]>;
}

export interface ScenarioOptions {
  readonly failover: Failover;
  /** Regions down at once, at most (replicas − min.insync.replicas). */
  readonly maxDown: number;
  /** Acks awaited between operations, and the budget of that wait (ms). */
  readonly gapAcks?: number;
  readonly gapBudgetMs?: number;
  /** How long the replicas may take to converge, and the group to consume everything, once healed (ms). */
  readonly settleBudgetMs?: number;
  readonly producers?: number;
  readonly sessionTimeoutMs?: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runScenario(
  deployment: Deployment,
  schedule: readonly FaultOp[],
  options: ScenarioOptions,
): Promise<RunOutcome> {
  const { gapAcks = 8, gapBudgetMs = 1_500, settleBudgetMs = 20_000 } = options;
  const workload = new Workload({
    storeFor: (participant) => deployment.storeFor(participant),
    topic: deployment.topic,
    groupId: `${deployment.topic}-group`,
    ...(options.producers === undefined ? {} : { producers: options.producers }),
    ...(options.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: options.sessionTimeoutMs }),
  });
  const nemesis = new Nemesis(deployment, {
    failover: options.failover,
    maxDown: options.maxDown,
    waitForAcks: (acks) => workload.waitForAcks(acks, gapBudgetMs * 2),
  });
  const started = Date.now();
  let converged = false;
  let consumed = false;
  let finalReplicas: ReplicaState[] = [];
  let finalIsr: { partition: number; isr: readonly string[] }[] = [];
  try {
    await workload.start();
    await workload.waitForAcks(3, gapBudgetMs * 2);
    for (const op of schedule) {
      await nemesis.run(op);
      await workload.waitForAcks(gapAcks, gapBudgetMs);
    }
  } finally {
    await nemesis.healAll();
  }
  try {
    await workload.waitForAcks(6, settleBudgetMs / 2);
    await workload.stopProducing();
    const deadline = Date.now() + settleBudgetMs;
    for (;;) {
      finalReplicas = await readReplicas(deployment);
      converged = identical(deployment, finalReplicas);
      if (converged || Date.now() > deadline) break;
      await sleep(200);
    }
    consumed = await workload.waitConsumed(settleBudgetMs);
    // Caught-up followers rejoin the in-sync set by themselves (no write needed): wait for it, bounded.
    const isrDeadline = Date.now() + settleBudgetMs;
    for (;;) {
      finalIsr = [];
      for (let partition = 0; partition < deployment.partitions; partition++) {
        finalIsr.push({ partition, isr: (await deployment.leadership(partition)).isr });
      }
      if (finalIsr.every(({ isr }) => isr.length === deployment.replicas.length) || Date.now() > isrDeadline)
        break;
      await sleep(200);
    }
  } finally {
    await workload.stop();
  }
  const history: History = {
    partitions: deployment.partitions,
    replicas: deployment.replicas,
    acks: workload.acks,
    observations: workload.observations,
    commits: workload.commits,
    elections: nemesis.elections,
    finalReplicas,
    finalIsr,
  };
  const failures = [...workload.failures].map(([code, n]) => `${code} ×${n}`);
  return {
    violations: checkHistory(history),
    trace: [
      ...nemesis.trace,
      `${workload.acks.length} acks=all acknowledgements, ${workload.observations.length} deliveries to the group, ` +
        `${workload.commits.length} commit snapshots, ${nemesis.elections.length} elections in ${Date.now() - started} ms`,
      `replicas ${converged ? "converged" : "did NOT converge within the budget"}; ` +
        `group ${consumed ? "consumed every ack" : "did NOT consume every ack within the budget"}`,
      `gave up (not acknowledged, allowed): ${failures.length === 0 ? "nothing" : failures.join(", ")}`,
      `errors clients were answered (retried): ${[...workload.storeErrors].map(([code, n]) => `${code} ×${n}`).join(", ") || "none"}`,
    ],
  };
}

async function readReplicas(deployment: Deployment): Promise<ReplicaState[]> {
  const states: ReplicaState[] = [];
  for (let partition = 0; partition < deployment.partitions; partition++) {
    states.push(...(await deployment.replicaStates(partition)));
  }
  return states;
}

function identical(deployment: Deployment, states: readonly ReplicaState[]): boolean {
  for (let partition = 0; partition < deployment.partitions; partition++) {
    const logs = states
      .filter((s) => s.partition === partition)
      .map((s) => s.records.map((r) => `${r.offset}:${r.value}`).join(","));
    if (logs.length !== deployment.replicas.length || new Set(logs).size !== 1) return false;
  }
  return true;
}
