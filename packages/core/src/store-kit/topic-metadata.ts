/**
 * @module
 * The metadata a store records for a topic, built once for every store: for a new topic, checks that its config
 * fits its replicas (`min.insync.replicas`, compaction), a fresh `topicId` (so a deleted and re-created topic is
 * told apart), the partition count, a copy of the config, the creation time; for a config change, the same checks
 * on the changed config.
 */
import { randomId } from "../random-id.ts";
import type { TopicMetadata, TopicSpec } from "../store.ts";
import { alterTopicConfig, type TopicConfig } from "../topic-config.ts";
import { assertCompactionFits } from "./compaction-config.ts";
import { assertMinInsyncFits } from "./replication.ts";

/** Checks the settings that depend on how many copies a store keeps of each partition. */
export function assertConfigFitsReplicas(config: TopicConfig, replicaCount: number): void {
  assertMinInsyncFits(config, replicaCount);
  assertCompactionFits(config, replicaCount);
}

/** `replicaCount`: copies the store keeps of each partition (1 but in a replicated Durable Object topic). */
export function newTopicMetadata(spec: TopicSpec, createdAt: number, replicaCount = 1): TopicMetadata {
  assertConfigFitsReplicas(spec.config, replicaCount);
  return {
    name: spec.name,
    topicId: randomId(),
    partitions: spec.partitions,
    // A copy: the caller's object must not change the stored topic.
    config: { ...spec.config },
    createdAt,
  };
}

/**
 * The topic after an incremental config change (core's `alterTopicConfig`: unknown and read-only names, values
 * and their consistency), checked against the topic's replicas. A store calls it inside whatever makes its
 * read-change-write atomic, so two changes at once both apply.
 */
export function alteredTopicMetadata(
  metadata: TopicMetadata,
  changes: Readonly<Record<string, unknown>>,
  replicaCount = 1,
): TopicMetadata {
  const config = alterTopicConfig(metadata.config, changes);
  assertConfigFitsReplicas(config, replicaCount);
  return { ...metadata, config };
}
