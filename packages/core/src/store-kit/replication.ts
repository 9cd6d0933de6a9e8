/**
 * @module
 * Replication rules every store applies, written once: which replicas a topic asks for and whether its
 * `min.insync.replicas` fits them, what `acks` a produce may name, the high watermark of a replicated partition
 * (the in-sync replicas' committed offset) and when a follower leaves or rejoins the in-sync set. A store that
 * keeps one copy (memory, IndexedDB) applies the same checks with a replica count of 1.
 */
import { EdgeLogError } from "../errors.ts";
import type { TopicPartition } from "../store.ts";
import {
  DEFAULT_MIN_INSYNC_REPLICAS,
  DEFAULT_REPLICA_LAG_TIME_MAX_MS,
  type TopicConfig,
} from "../topic-config.ts";

/** Kafka's producer `acks`: `1` answers on the leader's commit, `"all"` once every in-sync replica holds the batch. */
export type Acks = 1 | "all";

/** Upper bound on a replica set: one replica per Durable Object location hint is already nine. */
export const MAX_REPLICAS = 9;

/** Who holds a partition and who leads it, as the controller records it. */
export interface PartitionReplication {
  /** Region of the leader replica. */
  readonly leader: string;
  /** Every replica's region; the first is the preferred leader. */
  readonly replicas: readonly string[];
  /** The in-sync replicas (always including the leader), in `replicas` order. */
  readonly isr: readonly string[];
  /** Raised at every leadership change; every replication call carries it, a stale one is refused. */
  readonly leaderEpoch: number;
}

/** A topic's replica set request: explicit regions, or a factor spread over the deployment's regions. */
export interface ReplicaRequest {
  readonly replicas?: unknown;
  readonly replicationFactor?: unknown;
}

/**
 * The replicas' regions for a create request: `replicas` (distinct regions of `allowed`, 1..MAX_REPLICAS) or
 * `replicationFactor` (1..|allowed|, the first regions of `allowed`); `undefined` when neither is given.
 * `INVALID_REPLICATION_FACTOR` otherwise, as Kafka answers a replica assignment it cannot place.
 */
export function resolveReplicas(request: ReplicaRequest, allowed: readonly string[]): string[] | undefined {
  const { replicas, replicationFactor } = request;
  if (replicas !== undefined && replicationFactor !== undefined) {
    throw invalidReplication("give `replicas` or `replicationFactor`, not both");
  }
  if (replicas !== undefined) {
    if (
      !Array.isArray(replicas) ||
      replicas.length === 0 ||
      replicas.length > MAX_REPLICAS ||
      !replicas.every((r): r is string => typeof r === "string" && allowed.includes(r))
    ) {
      throw invalidReplication(
        `\`replicas\` must be a non-empty array (at most ${MAX_REPLICAS}) of ${allowed.join(", ")}`,
        { allowed: allowed.join(",") },
      );
    }
    if (new Set(replicas).size !== replicas.length) {
      throw invalidReplication("`replicas` must name each region once", { replicas: replicas.join(",") });
    }
    return [...replicas];
  }
  if (replicationFactor !== undefined) {
    if (
      typeof replicationFactor !== "number" ||
      !Number.isInteger(replicationFactor) ||
      replicationFactor < 1 ||
      replicationFactor > allowed.length
    ) {
      throw invalidReplication(
        `\`replicationFactor\` must be an integer in 1..${allowed.length} (the deployment's regions)`,
        { allowed: allowed.join(",") },
      );
    }
    return allowed.slice(0, replicationFactor);
  }
  return undefined;
}

/** Kafka's rule, checked at create: `min.insync.replicas` lies in 1..replicas (`INVALID_CONFIG` otherwise). */
export function assertMinInsyncFits(config: TopicConfig, replicaCount: number): void {
  const min = config["min.insync.replicas"];
  if (min !== undefined && min > replicaCount) {
    throw new EdgeLogError(
      "INVALID_CONFIG",
      `invalid min.insync.replicas=${min}: the topic has ${replicaCount} replica(s)`,
      { context: { config: "min.insync.replicas", replicas: replicaCount } },
    );
  }
}

export function minInsyncReplicas(config: TopicConfig): number {
  return config["min.insync.replicas"] ?? DEFAULT_MIN_INSYNC_REPLICAS;
}

export function replicaLagTimeMaxMs(config: TopicConfig): number {
  return config["replica.lag.time.max.ms"] ?? DEFAULT_REPLICA_LAG_TIME_MAX_MS;
}

/** Kafka's `unclean.leader.election.enable`, default false. */
export function uncleanLeaderElectionEnabled(config: TopicConfig): boolean {
  return config["unclean.leader.election.enable"] ?? false;
}

/** `acks` of a produce: absent (`undefined`: the topic's default), `1`, `"all"` or `-1` (Kafka's spelling of all). */
export function parseAcks(value: unknown): Acks | undefined {
  if (value === undefined) return undefined;
  if (value === 1 || value === "1") return 1;
  if (value === "all" || value === -1 || value === "-1") return "all";
  throw new EdgeLogError("INVALID_REQUEST", '`acks` must be "all" (or -1) or 1', {
    context: { acks: typeof value === "string" ? value : (JSON.stringify(value) ?? "?") },
  });
}

/** Kafka 3+ defaults producers to `acks=all`; on one copy the two are the same. */
export function effectiveAcks(acks: Acks | undefined): Acks {
  return acks ?? "all";
}

/**
 * Refuses an `acks: "all"` produce while the in-sync set is smaller than `min.insync.replicas` (Kafka checks
 * before appending, so nothing is written).
 */
export function assertEnoughReplicas(tp: TopicPartition, isrSize: number, config: TopicConfig): void {
  const min = minInsyncReplicas(config);
  if (isrSize < min) {
    throw new EdgeLogError(
      "NOT_ENOUGH_REPLICAS",
      `${tp.topic}/${tp.partition} has ${isrSize} in-sync replica(s), fewer than min.insync.replicas=${min}`,
      { context: { topic: tp.topic, partition: tp.partition, isr: isrSize, minInsyncReplicas: min } },
    );
  }
}

/**
 * The high watermark of a replicated partition: the smallest log end offset among the in-sync replicas (the
 * leader's included), so nothing a reader sees can be lost by electing any of them. Never moves backwards.
 */
export function replicatedHighWatermark(
  current: number,
  leaderLogEnd: number,
  followerLogEnds: Iterable<number>,
): number {
  let hw = leaderLogEnd;
  for (const end of followerLogEnds) hw = Math.min(hw, end);
  return Math.max(current, hw);
}

/**
 * Whether a follower stays in (or may join) the in-sync set, by Kafka's rule: it has caught up to the leader's
 * log end within the last `replica.lag.time.max.ms`.
 */
export function followerInSync(lastCaughtUpAt: number, now: number, config: TopicConfig): boolean {
  return now - lastCaughtUpAt <= replicaLagTimeMaxMs(config);
}

function invalidReplication(message: string, context: Record<string, string> = {}): EdgeLogError {
  return new EdgeLogError("INVALID_REPLICATION_FACTOR", message, { context });
}
