/**
 * @module
 * A topic's cleanup policy as the stores read it (docs/semantics.md §A6, §A10): whether retention deletes,
 * whether compaction runs, and the compaction settings with Kafka's defaults filled in, so no store repeats a
 * default or a policy test.
 */
import { EdgeLogError } from "../errors.ts";
import {
  type CleanupPolicy,
  DEFAULT_DELETE_RETENTION_MS,
  DEFAULT_MIN_CLEANABLE_DIRTY_RATIO,
  type TopicConfig,
} from "../topic-config.ts";

type PolicyConfig = { readonly "cleanup.policy"?: CleanupPolicy };

/** Whether the topic is compacted (`compact` or `compact,delete`). */
export function compacts(config: PolicyConfig): boolean {
  return config["cleanup.policy"] === "compact" || config["cleanup.policy"] === "compact,delete";
}

/** Whether retention deletes old batches (`delete` or `compact,delete`; absent: `delete`). */
export function deletes(config: PolicyConfig): boolean {
  return config["cleanup.policy"] !== "compact";
}

/** How long a tombstone stays readable before compaction may remove it. */
export function deleteRetentionMs(config: TopicConfig): number {
  return config["delete.retention.ms"] ?? DEFAULT_DELETE_RETENTION_MS;
}

/** How old a batch must be before compaction may touch it (0: no time condition). */
export function minCompactionLagMs(config: TopicConfig): number {
  return config["min.compaction.lag.ms"] ?? 0;
}

/** The longest a written batch waits for a pass whatever the dirty ratio; `null`: no bound. */
export function maxCompactionLagMs(config: TopicConfig): number | null {
  return config["max.compaction.lag.ms"] ?? null;
}

/** The share of cleanable bytes written since the last pass at which a pass runs. */
export function minCleanableDirtyRatio(config: TopicConfig): number {
  return config["min.cleanable.dirty.ratio"] ?? DEFAULT_MIN_CLEANABLE_DIRTY_RATIO;
}

/**
 * Refuses compaction where it is not built: on a replicated topic every replica would compact on its own and a
 * follower's log would no longer line up batch for batch with its leader's, which replication relies on.
 */
export function assertCompactionFits(config: TopicConfig, replicaCount: number): void {
  if (compacts(config) && replicaCount > 1) {
    throw new EdgeLogError(
      "INVALID_CONFIG",
      `invalid cleanup.policy=${config["cleanup.policy"]}: compaction of replicated topics is not supported (the topic has ${replicaCount} replicas)`,
      { context: { config: "cleanup.policy", replicas: replicaCount } },
    );
  }
}
