/**
 * @module
 * `@edgelog/core`: Kafka's model — topics, partitions, offsets, producers, consumers — over any `LogStore`,
 * in any JavaScript runtime.
 */
export {
  Admin,
  type GroupPartitionOffset,
  type PartitionOffsetsView,
  type TopicDescription,
  type TopicMetadataView,
  type TopicToCreate,
} from "./admin.ts";
export {
  type BatchBudget,
  BatchBuilder,
  recordTooLarge,
  type SplitOptions,
  soloBatchSize,
  splitIntoBatches,
} from "./codec/batch-builder.ts";
export {
  BATCH_CONTENT_TYPE,
  BATCHES_CONTENT_TYPE,
  type DecodeFramesOptions,
  decodeFrames,
  encodeFrames,
  FRAME_HEADER_BYTES,
  type Frame,
  UNKNOWN_LOG_APPEND_TIME,
} from "./codec/frames.ts";
export {
  BATCH_FORMAT_VERSION,
  type BatchHeader,
  batchHeaderSize,
  decodeBatch,
  encodeBatch,
  encodedRecordSize,
  findOffsetForTimestamp,
  type ProducerStamp,
  readBatchHeader,
  verifyBatch,
} from "./codec/record-batch.ts";
export type { Batch, KafkaMessage } from "./consumer/consumed-batch.ts";
export {
  Consumer,
  type ConsumerConfig,
  type ConsumerCrashEvent,
  type ConsumerEvent,
  type ConsumerGroupJoinEvent,
  type EachBatchPayload,
  type EachMessagePayload,
  type RunOptions,
  type SubscribeOptions,
} from "./consumer/consumer.ts";
export { type Dict, dict } from "./dict.ts";
export { EdgeLog, type EdgeLogConfig } from "./edge-log.ts";
export {
  EdgeLogError,
  type EdgeLogErrorOptions,
  type ErrorCode,
  type ErrorContext,
  isEdgeLogError,
  isErrorCode,
  isRetriable,
} from "./errors.ts";
export {
  ASSIGNORS,
  type Assignor,
  type AssignorMember,
  DEFAULT_ASSIGNOR,
  rangeAssignor,
  uniformAssignor,
} from "./groups/assignors.ts";
export {
  GroupCoordinator,
  type GroupCoordinatorOptions,
  type GroupStatePort,
  validateHeartbeat,
  validatePartitionList,
} from "./groups/group-coordinator.ts";
export { type CoordinatorConfig, DEFAULT_COORDINATOR_CONFIG } from "./groups/group-state-machine.ts";
export {
  type GroupDescription,
  type GroupHeartbeatRequest,
  type GroupHeartbeatResponse,
  type GroupMemberDescription,
  type GroupMemberRef,
  type GroupStateName,
  JOIN_GROUP_EPOCH,
  LEAVE_GROUP_EPOCH,
  type TopicPartitions,
} from "./groups/group-types.ts";
export { consumerLag, NOT_COMMITTED } from "./groups/lag.ts";
export { HTTP_STATUS_BY_CODE, httpStatusFor } from "./http-status.ts";
export { MemoryStore, type MemoryStoreOptions } from "./memory/memory-store.ts";
export {
  createRoundRobinPartitioner,
  createStickyPartitioner,
  murmur2,
  type Partitioner,
  type PartitionerArgs,
  type PartitionerFactory,
  Partitioners,
  partitionForKey,
  toPositive,
} from "./partitioner/index.ts";
export type { Message } from "./producer/message.ts";
export {
  DEFAULT_MAX_BATCH_BYTES,
  Producer,
  type ProducerConfig,
  type ProducerRecord,
  type RecordMetadata,
} from "./producer/producer.ts";
export { randomId } from "./random-id.ts";
export {
  assertValidTimestamp,
  type BytesInput,
  type ConsumedRecord,
  decodeJson,
  decodeText,
  encodeJson,
  type HeadersInput,
  headerText,
  type LogRecord,
  MAX_TIMESTAMP_MS,
  type RecordHeader,
  toBytes,
  toHeaders,
} from "./record.ts";
export { backoffMs, DEFAULT_RETRY, type RetryOptions, sleep, withRetry } from "./retry.ts";
export {
  type AppendResult,
  type BatchInfo,
  type CommittedOffset,
  DEFAULT_READ_MAX_BYTES,
  type GroupStateStore,
  type LogStore,
  type PartitionOffsets,
  type PrivateStateStore,
  type ReadOptions,
  type ReadResult,
  type StorageEngine,
  type StoredBatch,
  type StreamStore,
  type TopicMetadata,
  type TopicPartition,
  type TopicSpec,
  type VersionedGroupState,
} from "./store.ts";
export {
  type AppendOutcome,
  type AppendPlan,
  type AppendPlanInput,
  type AssignedPlacement,
  type CheckedBatch,
  checkBatch,
  type PartitionBounds,
  planAppend,
  producerIdsOf,
  type RejectedBatch,
  resultOf,
} from "./store-kit/append-plan.ts";
export { AppendWaiters, type WaitOutcome } from "./store-kit/append-waiters.ts";
export { nextGroupStateVersion, nextPrivateStateVersion } from "./store-kit/group-state.ts";
export { inspectBatchForAppend } from "./store-kit/inspect-batch.ts";
export { offsetForTimestampIn, offsetForTimestampInBatch } from "./store-kit/offset-for-timestamp.ts";
export { type ParkedWait, type ParkOptions, parkWait } from "./store-kit/parked-wait.ts";
export {
  checkProducerSequence,
  lastSequenceOf,
  nextSequenceAfter,
  PRODUCER_BATCHES_RETAINED,
  type ProducerBatchEntry,
  type ProducerState,
  producerStateAfterAppend,
  producerStateIsLive,
  type SequenceCheck,
} from "./store-kit/producer-state.ts";
export { ReadBudget } from "./store-kit/read-budget.ts";
export {
  batchExpiresAt,
  planRetention,
  retentionDueAt,
  retentionNeedsOldest,
} from "./store-kit/retention.ts";
export {
  checkStreamProducer,
  mediaType,
  openJsonStreamState,
  runStreamCommand,
  STREAM_PRODUCER_TTL_MS,
  type StreamCommand,
  type StreamHost,
  type StreamOutcome,
  type StreamProducerState,
  type StreamProducerTuple,
  type StreamState,
  type StreamVerdict,
  streamExpired,
} from "./store-kit/stream-state.ts";
export { newTopicMetadata } from "./store-kit/topic-metadata.ts";
export {
  configEntriesToRecord,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_RETENTION_MS,
  DEFAULT_TOPIC_CONFIG,
  MAX_MESSAGE_BYTES_LIMIT,
  MAX_PARTITIONS,
  resolveTopicConfig,
  type TopicConfig,
} from "./topic-config.ts";
export {
  assertOffsetInRange,
  assertPartitionExists,
  assertPartitionsGrow,
  assertValidGroupId,
  assertValidOffset,
  assertValidPartitionCount,
  assertValidTopicName,
  compareStrings,
  MAX_TOPIC_NAME_LENGTH,
  offsetOutOfRange,
  requireTopic,
  storeClosedError,
  topicAlreadyExists,
  topicNamesCollide,
  unknownGroup,
  unknownTopic,
} from "./validation.ts";
