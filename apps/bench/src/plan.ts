/**
 * How much each run measures: the full run (`npm run bench`, under 10 minutes on a 2-core machine) and the
 * smoke run (`--quick`, under 2 minutes: fewer repetitions, smaller sizes). The full plan follows issue 6:
 * 100-byte values (1 KiB and 10 KiB for throughput too), batches of 1,000 — 100 at 10 KiB, where 1,000 records
 * (10 MB) would pass the Worker's 8 MiB body limit and the Durable Object's 2 MB row limit — and a drain of
 * 100,000 events.
 */
import type { GroupPlan } from "../../../packages/core/bench/group-heartbeat.ts";
import type { CorePlan } from "../../../packages/core/bench/memory-store.ts";
import type { BrowserPlan } from "../../../packages/indexeddb/bench/offline-log.ts";
import type { FanoutPlan } from "../../worker/bench/fanout.ts";
import { FANOUT_TRANSPORTS } from "../../worker/bench/fanout-readers.ts";
import type { ThroughputPlan } from "../../worker/bench/http-throughput.ts";
import type { LatencyPlan } from "../../worker/bench/latency.ts";
import type { RebalancePlan } from "../../worker/bench/rebalance.ts";
import type { ReplicationPlan } from "../../worker/bench/replication.ts";
import type { SharePlan } from "../../worker/bench/share-groups.ts";

export interface Plan {
  readonly mode: "quick" | "full";
  readonly repetitions: number;
  readonly core: CorePlan;
  /** Consumer-group heartbeats in Node: measured in the first core repetition only (filling a group is slow). */
  readonly group: GroupPlan;
  readonly throughput: ThroughputPlan;
  readonly latency: LatencyPlan;
  readonly rebalance: RebalancePlan;
  readonly browser: BrowserPlan;
  readonly replication: ReplicationPlan;
  readonly fanout: FanoutPlan;
  /** Records/s through a share group with 1, 4 and 16 consumers, beside a Queues consumer in miniflare. */
  readonly share: SharePlan;
}

/** Issue 17: 1, 4 and 16 share consumers over a backlog of 100-byte records; sized so `--only share` is minutes. */
const SHARE: SharePlan = {
  records: 20_000,
  partitions: 4,
  consumerCounts: [1, 4, 16],
  maxRecords: 500,
  valueBytes: 100,
  queuesRecords: 8_000,
  queuesDelaySeconds: 3,
  timeoutMs: 120_000,
};

/**
 * The replication section: 0 ms (the cost of replication itself, all regions in one process) and 30 ms per region
 * (about a round trip between neighbouring continents' edges, e.g. wnam–enam, weur–eeur). The topic's
 * `replica.lag.time.max.ms` is 1 s so a failover is not dominated by Kafka's 30 s default (see the bench README).
 * Sized so `--only replication` stays under a minute.
 */
const REPLICATION: ReplicationPlan = {
  rttsMs: [0, 30],
  batches: 15,
  recordsPerBatch: 10,
  valueBytes: 100,
  warmup: 2,
  failoverTrigger: "auto",
  failoverTimeoutMs: 20_000,
  lagTimeMaxMs: 1_000,
  leaderSessionTimeoutMs: 1_000,
};

/**
 * The fan-out section (issue 16): 1, 100, 1,000 and 10,000 live readers of one partition over each transport.
 * Its own repetitions (a point at thousands of long-polls takes minutes). Up to 100 measured batches a point, so
 * p99 is not just the slowest batch, fewer once 10 s of measuring have passed, at least 5. A count whose batches
 * would take longer to deliver than `stepTimeoutMs`, going by the count below it, is not tried (fanout-limits.ts
 * says why); one this machine cannot hold is measured at the most it can (main.ts).
 */
const FANOUT: FanoutPlan = {
  readers: [1, 100, 1_000, 10_000],
  transports: FANOUT_TRANSPORTS,
  repetitions: 3,
  batches: 100,
  minBatches: 5,
  pointBudgetMs: 10_000,
  warmup: 1,
  valueBytes: 100,
  joinWave: 500,
  stepTimeoutMs: 60_000,
};

export const FULL: Plan = {
  mode: "full",
  repetitions: 5,
  core: { records: 1_000_000 },
  group: { members: 1_000, heartbeats: 2_000 },
  throughput: {
    sizes: [
      { valueBytes: 100, recordsPerBatch: 1_000, batches: 40 },
      { valueBytes: 1_024, recordsPerBatch: 1_000, batches: 15 },
      { valueBytes: 10_240, recordsPerBatch: 100, batches: 30 },
    ],
    singlesSequential: 300,
    singlesConcurrent: 600,
    concurrency: 32,
    readLimit: 1_000,
  },
  latency: { samples: 200, gapMs: 25, warmup: 10 },
  rebalance: { partitions: 4, settleTimeoutMs: 10_000 },
  browser: { burst: 10_000, slowBurst: 1_000, singles: 300, drain: 100_000 },
  replication: REPLICATION,
  fanout: FANOUT,
  share: SHARE,
};

export const QUICK: Plan = {
  mode: "quick",
  repetitions: 3,
  core: { records: 300_000 },
  group: { members: 300, heartbeats: 600 },
  throughput: {
    sizes: [
      { valueBytes: 100, recordsPerBatch: 1_000, batches: 8 },
      { valueBytes: 1_024, recordsPerBatch: 1_000, batches: 4 },
      { valueBytes: 10_240, recordsPerBatch: 100, batches: 6 },
    ],
    singlesSequential: 60,
    singlesConcurrent: 150,
    concurrency: 32,
    readLimit: 1_000,
  },
  latency: { samples: 40, gapMs: 25, warmup: 5 },
  rebalance: { partitions: 4, settleTimeoutMs: 10_000 },
  browser: { burst: 5_000, slowBurst: 300, singles: 100, drain: 20_000 },
  replication: { ...REPLICATION, batches: 10 },
  fanout: { ...FANOUT, readers: [1, 100], repetitions: 2, pointBudgetMs: 3_000 },
  share: { ...SHARE, records: 5_000, queuesRecords: 5_000 },
};
