/**
 * @module
 * The metadata a store records for a new topic, built once for every store: a check that `min.insync.replicas` fits the replicas, a fresh `topicId` (so a deleted
 * and re-created topic is told apart), the partition count, a copy of the config, the creation time.
 */
import { randomId } from "../random-id.ts";
import type { TopicMetadata, TopicSpec } from "../store.ts";
import { assertMinInsyncFits } from "./replication.ts";

/** `replicaCount`: copies the store keeps of each partition (1 but in a replicated Durable Object topic). */
export function newTopicMetadata(spec: TopicSpec, createdAt: number, replicaCount = 1): TopicMetadata {
  assertMinInsyncFits(spec.config, replicaCount);
  return {
    name: spec.name,
    topicId: randomId(),
    partitions: spec.partitions,
    // A copy: the caller's object must not change the stored topic.
    config: { ...spec.config },
    createdAt,
  };
}
