/**
 * @module
 * Validation of names and numbers that cross the public API: topic names (Kafka's `Topic.java` rules),
 * partition numbers and counts, offsets, group ids. Each failure is an `EdgeLogError` with the code a Kafka
 * user would expect.
 */
import { EdgeLogError } from "./errors.ts";
import type { LogStore, PartitionOffsets, TopicMetadata, TopicPartition } from "./store.ts";
import { MAX_PARTITIONS, MAX_TOPICS } from "./topic-config.ts";

/** Kafka's limit (`Topic.MAX_NAME_LENGTH`). */
export const MAX_TOPIC_NAME_LENGTH = 249;
const LEGAL_TOPIC_NAME = /^[a-zA-Z0-9._-]+$/;
/** Kafka's group ids are free-form; bound them so they stay usable as storage keys and URL segments. */
export const MAX_GROUP_ID_LENGTH = 255;

/** Throws `INVALID_TOPIC` unless `name` is a legal Kafka topic name. */
export function assertValidTopicName(name: unknown): asserts name is string {
  if (typeof name !== "string" || name.length === 0) {
    throw new EdgeLogError("INVALID_TOPIC", "topic name must be a non-empty string");
  }
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    throw new EdgeLogError("INVALID_TOPIC", `topic name is longer than ${MAX_TOPIC_NAME_LENGTH} characters`, {
      context: { topic: name.slice(0, 64) },
    });
  }
  if (name === "." || name === "..") {
    throw new EdgeLogError("INVALID_TOPIC", `topic name cannot be "${name}"`, { context: { topic: name } });
  }
  if (!LEGAL_TOPIC_NAME.test(name)) {
    throw new EdgeLogError("INVALID_TOPIC", `topic name "${name}" may only contain [a-zA-Z0-9._-]`, {
      context: { topic: name },
    });
  }
}

/** Kafka refuses topics whose names differ only by `.` versus `_`, because its metrics names would collide. */
export function topicNamesCollide(a: string, b: string): boolean {
  return a !== b && topicCollisionKey(a) === topicCollisionKey(b);
}

/** What colliding names share ('.' read as '_'): a store can index its names by it to find collisions at once. */
export function topicCollisionKey(name: string): string {
  return name.replaceAll(".", "_");
}

/**
 * Throws `INVALID_TOPIC` when `name` collides with one of `existing` ('.' and '_' alike). A store calls it inside
 * the transaction that creates the topic, so two concurrent creates of colliding names cannot both succeed.
 */
export function assertNoTopicCollision(name: string, existing: Iterable<string>): void {
  for (const other of existing) {
    if (topicNamesCollide(name, other)) {
      throw new EdgeLogError(
        "INVALID_TOPIC",
        `topic "${name}" collides with "${other}" ('.' and '_' are alike)`,
        {
          context: { topic: name },
        },
      );
    }
  }
}

/**
 * Throws `POLICY_VIOLATION` (Kafka's code for a create the broker's policy refuses) when a store already holding
 * `existing` topics may not create `name`. A store calls it inside the transaction that creates the topic, with
 * topics still being created counted, so concurrent creates cannot overshoot. `maxTopics` is for tests.
 */
export function assertTopicCapacity(name: string, existing: number, maxTopics = MAX_TOPICS): void {
  if (existing >= maxTopics) {
    throw new EdgeLogError(
      "POLICY_VIOLATION",
      `cannot create topic "${name}": the deployment already holds ${existing} topics, the limit is ${maxTopics}`,
      { context: { topic: name, limit: maxTopics, actual: existing } },
    );
  }
}

/** Throws `INVALID_PARTITIONS` unless `count` is a whole number of partitions in `1..MAX_PARTITIONS`. */
export function assertValidPartitionCount(count: unknown, topic?: string): asserts count is number {
  if (typeof count !== "number" || !Number.isInteger(count) || count < 1 || count > MAX_PARTITIONS) {
    throw new EdgeLogError(
      "INVALID_PARTITIONS",
      `partition count must be an integer in 1..${MAX_PARTITIONS}`,
      {
        context: { topic, partitions: typeof count === "number" ? count : String(count) },
      },
    );
  }
}

/** Throws `UNKNOWN_TOPIC_OR_PARTITION` unless `partition` exists in a topic of `partitionCount` partitions. */
export function assertPartitionExists(topic: string, partition: unknown, partitionCount: number): void {
  if (
    typeof partition !== "number" ||
    !Number.isInteger(partition) ||
    partition < 0 ||
    partition >= partitionCount
  ) {
    throw new EdgeLogError(
      "UNKNOWN_TOPIC_OR_PARTITION",
      `topic "${topic}" has no partition ${String(partition)} (it has ${partitionCount})`,
      { context: { topic, partition: typeof partition === "number" ? partition : undefined } },
    );
  }
}

/** Throws `OFFSET_OUT_OF_RANGE` unless `offset` is a non-negative safe integer. */
export function assertValidOffset(
  offset: unknown,
  context: { topic?: string; partition?: number } = {},
): number {
  if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) {
    throw new EdgeLogError(
      "OFFSET_OUT_OF_RANGE",
      `offset must be a non-negative integer, got ${String(offset)}`,
      {
        context,
      },
    );
  }
  return offset;
}

/** Throws `INVALID_GROUP_ID` unless `groupId` is a non-empty string of reasonable length. */
export function assertValidGroupId(groupId: unknown): asserts groupId is string {
  if (typeof groupId !== "string" || groupId.length === 0 || groupId.length > MAX_GROUP_ID_LENGTH) {
    throw new EdgeLogError(
      "INVALID_GROUP_ID",
      `group id must be a string of 1..${MAX_GROUP_ID_LENGTH} characters`,
    );
  }
}

/** The unknown-topic error, worded once. */
export function unknownTopic(topic: string): EdgeLogError {
  return new EdgeLogError("UNKNOWN_TOPIC_OR_PARTITION", `unknown topic "${topic}"`, { context: { topic } });
}

/** `OFFSET_OUT_OF_RANGE` for an offset outside `[logStartOffset, highWatermark]` of a partition, worded once. */
export function offsetOutOfRange(tp: TopicPartition, offset: number, bounds: PartitionOffsets): EdgeLogError {
  const { logStartOffset, highWatermark } = bounds;
  return new EdgeLogError(
    "OFFSET_OUT_OF_RANGE",
    `offset ${offset} is outside [${logStartOffset}, ${highWatermark}] of ${tp.topic}/${tp.partition}`,
    { context: { topic: tp.topic, partition: tp.partition, offset, logStartOffset, highWatermark } },
  );
}

/** Throws `offsetOutOfRange` unless `offset` lies in `[logStartOffset, highWatermark]` (what a read or a delete may name). */
export function assertOffsetInRange(tp: TopicPartition, offset: number, bounds: PartitionOffsets): void {
  if (offset < bounds.logStartOffset || offset > bounds.highWatermark)
    throw offsetOutOfRange(tp, offset, bounds);
}

/** `TOPIC_ALREADY_EXISTS`, worded once for every store. */
export function topicAlreadyExists(topic: string): EdgeLogError {
  return new EdgeLogError("TOPIC_ALREADY_EXISTS", `topic "${topic}" already exists`, { context: { topic } });
}

/** Throws `INVALID_PARTITIONS` unless `requested` grows a topic of `current` partitions: they are never removed. */
export function assertPartitionsGrow(topic: string, current: number, requested: number): void {
  if (requested <= current) {
    throw new EdgeLogError(
      "INVALID_PARTITIONS",
      `topic "${topic}" has ${current} partitions; the new count must be larger (partitions are never removed)`,
      { context: { topic, partitions: current, requested } },
    );
  }
}

/** `GROUP_ID_NOT_FOUND` for a group with neither state nor offsets, worded once. */
export function unknownGroup(groupId: string): EdgeLogError {
  return new EdgeLogError("GROUP_ID_NOT_FOUND", `unknown group "${groupId}"`, { context: { groupId } });
}

/** A topic named by a caller, which must be a legal name (`INVALID_TOPIC`) and exist (`UNKNOWN_TOPIC_OR_PARTITION`). */
export async function requireTopic(store: LogStore, topic: string): Promise<TopicMetadata> {
  assertValidTopicName(topic);
  const metadata = await store.getTopic(topic);
  if (metadata === null) throw unknownTopic(topic);
  return metadata;
}

/** The closed-store error, worded once for every store. */
export function storeClosedError(): EdgeLogError {
  return new EdgeLogError("STORE_CLOSED", "the store is closed");
}

/** Code-unit order, the same in every runtime (unlike `localeCompare`): how stores order topics and groups. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
