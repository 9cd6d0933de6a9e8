/**
 * @module
 * The metadata a store records for a new topic, built once for every store: a fresh `topicId` (so a deleted
 * and re-created topic is told apart), the partition count, a copy of the config, the creation time.
 */
import { randomId } from "../random-id.ts";
import type { TopicMetadata, TopicSpec } from "../store.ts";

export function newTopicMetadata(spec: TopicSpec, createdAt: number): TopicMetadata {
  return {
    name: spec.name,
    topicId: randomId(),
    partitions: spec.partitions,
    // A copy: the caller's object must not change the stored topic.
    config: { ...spec.config },
    createdAt,
  };
}
