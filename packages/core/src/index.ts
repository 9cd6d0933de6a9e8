/**
 * @module
 * `@edgelog/core`: Kafka's model — topics, partitions, offsets, producers, consumers — over any `LogStore`,
 * in any JavaScript runtime.
 *
 * Store, server and client implementers find the rules every store applies in `@edgelog/core/store-kit`.
 */
export {
  Admin,
  type ConfigResourceChange,
  type ConfigResourceView,
  type GroupPartitionOffset,
  type PartitionOffsetsView,
  type TopicDescription,
  type TopicMetadataView,
  type TopicToCreate,
} from "./admin.ts";
export { decodeBatch, encodeBatch } from "./codec/record-batch.ts";
export { RECORD_CAPS, type RecordCaps } from "./codec/record-caps.ts";
export type { Batch, KafkaMessage, MessageHeader } from "./consumer/consumed-batch.ts";
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
export { type BytesEncoding, MessageBytes } from "./consumer/message-bytes.ts";
export {
  type ShareAcknowledgeErrorEvent,
  ShareConsumer,
  type ShareConsumerConfig,
  type ShareConsumerEvent,
  type ShareMessagePayload,
  type ShareRunOptions,
} from "./consumer/share-consumer.ts";
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
export { MAX_GROUP_MEMBERS } from "./groups/group-state-machine.ts";
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
export {
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
export { DEFAULT_RETRY, type RetryOptions } from "./retry.ts";
export { fromRpcError, toRpcError, withEdgeLogErrors } from "./rpc-errors.ts";
export { DEAD_LETTER_HEADERS } from "./share/dead-letter.ts";
export {
  DEFAULT_SHARE_GROUP_CONFIG,
  type ShareGroupConfig,
  type ShareGroupConfigName,
} from "./share/share-config.ts";
export type { AcknowledgeType } from "./share/share-partition.ts";
export { isShareGroupStore, shareGroupsOf } from "./share/share-request.ts";
export type {
  AcquiredRange,
  ShareAcknowledgeError,
  ShareAcknowledgementBatch,
  ShareFetchPartition,
  ShareFetchRequest,
  ShareFetchResponse,
  ShareGroupDescription,
  ShareMemberDescription,
  SharePartitionDescription,
} from "./share/share-types.ts";
export type {
  AppendOptions,
  AppendResult,
  BatchInfo,
  CacheableReadRequest,
  CommittedOffset,
  ListBatchesOptions,
  LogStore,
  OffsetsOptions,
  PartitionOffsets,
  PartitionOffsetsWithSize,
  ReadOptions,
  ReadPreference,
  ReadResult,
  ShareGroupStore,
  StoredBatch,
  TopicMetadata,
  TopicPartition,
  TopicSpec,
} from "./store.ts";
export {
  type CleanupPolicy,
  type ConfigEntryView,
  DEFAULT_DELETE_RETENTION_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MIN_CLEANABLE_DIRTY_RATIO,
  DEFAULT_MIN_INSYNC_REPLICAS,
  DEFAULT_REPLICA_LAG_TIME_MAX_MS,
  DEFAULT_RETENTION_MS,
  DEFAULT_TOPIC_CONFIG,
  describeTopicConfig,
  MAX_MESSAGE_BYTES_LIMIT,
  MAX_PARTITIONS,
  MAX_TOPICS,
  type TopicConfig,
} from "./topic-config.ts";
