/**
 * @module
 * `@edgelog/core/store-kit`: what implementers of stores, servers and clients of edgelog need and users of
 * `EdgeLog` do not — the host-side store seams, the rules every store applies inside its transactions (append
 * planning, idempotent producer state, retention, Durable Streams state, long-poll waiters), the batch codec's
 * verification, the group coordinator, validation and error builders, the HTTP status table.
 */
export {
  type BatchBudget,
  BatchBuilder,
  recordTooLarge,
  type SplitOptions,
  soloBatchSize,
  splitIntoBatches,
} from "../codec/batch-builder.ts";
export {
  BATCH_CONTENT_TYPE,
  BATCHES_CONTENT_TYPE,
  type DecodeFramesOptions,
  decodeFrames,
  encodeFrames,
  FRAME_HEADER_BYTES,
  type Frame,
  UNKNOWN_LOG_APPEND_TIME,
} from "../codec/frames.ts";
export {
  decodeLiveRecords,
  encodeLiveControl,
  encodeLiveRecords,
  LIVE_HEADER_BYTES,
  LIVE_PING,
  LIVE_PONG,
  LIVE_RECORDS_KIND,
  type LiveClientMessage,
  type LiveRecords,
  type LiveServerMessage,
  liveCloseCode,
  MAX_LIVE_CLIENT_MESSAGE_BYTES,
  parseLiveClientMessage,
  parseLiveServerMessage,
} from "../codec/live-messages.ts";
export {
  BATCH_FORMAT_VERSION,
  type BatchHeader,
  batchHeaderSize,
  encodedRecordSize,
  findOffsetForTimestamp,
  type ProducerStamp,
  readBatchHeader,
  verifyBatch,
} from "../codec/record-batch.ts";
export {
  assertRecordCaps,
  keylessRecord,
  RECORD_CAPS,
  type RecordCaps,
  recordCapExceeded,
} from "../codec/record-caps.ts";
export { type Dict, dict } from "../dict.ts";
export {
  ASSIGNORS,
  type Assignor,
  type AssignorMember,
  DEFAULT_ASSIGNOR,
  rangeAssignor,
  uniformAssignor,
} from "../groups/assignors.ts";
export {
  GroupCoordinator,
  type GroupCoordinatorOptions,
  type GroupStatePort,
  validateHeartbeat,
  validatePartitionList,
} from "../groups/group-coordinator.ts";
export {
  type CoordinatorConfig,
  DEFAULT_COORDINATOR_CONFIG,
  MAX_GROUP_MEMBERS,
} from "../groups/group-state-machine.ts";
export { consumerLag, NOT_COMMITTED } from "../groups/lag.ts";
export { HTTP_STATUS_BY_CODE, httpStatusFor } from "../http-status.ts";
export { MemoryShareState } from "../memory/memory-share-state.ts";
export {
  grantLease,
  type LeaseAnswer,
  type LeaseRequest,
  QUOTA_DIMENSIONS,
  type QuotaAmounts,
  type QuotaBuckets,
  type QuotaDimension,
  type QuotaLimits,
} from "../quota/quota-lease.ts";
export {
  type BucketLimit,
  type BucketState,
  fullBucket,
  isBucketLimit,
  msUntil,
  refill,
  type TakeResult,
  take,
  threshold,
} from "../quota/token-bucket.ts";
export { randomId } from "../random-id.ts";
export { assertValidTimestamp } from "../record.ts";
export { backoffMs, retryAfterOf, retryDelayMs, sleep, withRetry } from "../retry.ts";
export { consumedRecordsOf, recordOffsetsOf } from "../share/batch-records.ts";
export { SHARE_PARTITIONS_PER_FETCH } from "../share/share-acquisition.ts";
export { alterShareConfig, effectiveShareConfig } from "../share/share-config.ts";
export {
  MAX_SHARE_PARTITIONS,
  ShareCoordinator,
  type ShareCoordinatorOptions,
  type ShareLogPort,
} from "../share/share-coordinator.ts";
export {
  DEFAULT_SHARE_MAX_RECORDS,
  MAX_ACKNOWLEDGED_OFFSETS,
  MAX_SHARE_FETCH_RECORDS,
  MAX_SHARE_FETCH_WAIT_MS,
  MAX_SHARE_TOPICS,
  validateShareFetch,
} from "../share/share-request.ts";
export {
  DEFAULT_READ_MAX_BYTES,
  type GroupStateStore,
  type PrivateStateStore,
  type ShareStateStore,
  type ShareStateWrite,
  type StorageEngine,
  type StreamStore,
  type VersionedGroupState,
  type VersionedShareState,
} from "../store.ts";
export { alterTopicConfig, configEntriesToRecord, resolveTopicConfig } from "../topic-config.ts";
export {
  assertNoTopicCollision,
  assertOffsetInRange,
  assertPartitionExists,
  assertPartitionsGrow,
  assertTopicCapacity,
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
  topicCollisionKey,
  topicNamesCollide,
  unknownGroup,
  unknownTopic,
} from "../validation.ts";
export {
  type AppendOutcome,
  type AppendPlan,
  type AppendPlanInput,
  type AssignedPlacement,
  type CheckBatchOptions,
  type CheckedBatch,
  checkBatch,
  type PartitionBounds,
  planAppend,
  producerIdsOf,
  type RejectedBatch,
  resultOf,
} from "./append-plan.ts";
export { AppendWaiters, type WaitOutcome } from "./append-waiters.ts";
export {
  batchCleanable,
  batchTime,
  COMPACTION_INDEX_BUDGET_BYTES,
  type CompactionCheckpoint,
  CompactionIndex,
  CompactionPass,
  type CompactionPassInput,
  type CompactionPassStats,
  INDEX_ENTRY_BYTES,
  NO_COMPACTION_CHECKPOINT,
  runCompactionPass,
} from "./compaction.ts";
export {
  assertCompactionFits,
  compacts,
  deleteRetentionMs,
  deletes,
  maxCompactionLagMs,
  minCleanableDirtyRatio,
  minCompactionLagMs,
} from "./compaction-config.ts";
export { type CompactionState, compactionDueAt, compactionNeedsBatches } from "./compaction-schedule.ts";
export { nextGroupStateVersion, nextPrivateStateVersion } from "./group-state.ts";
export { inspectBatchForAppend } from "./inspect-batch.ts";
export {
  divergenceOffset,
  endOffsetForEpoch,
  type FailoverCandidate,
  type FailoverPlan,
  type LeaderEpochEntry,
  leaderEpochStarted,
  MAX_LEADER_EPOCHS_RETAINED,
  mergeLeaderEpochs,
  planElection,
  planFailover,
  truncateLeaderEpochs,
  truncateProducerState,
} from "./leader-election.ts";
export { offsetForTimestampIn, offsetForTimestampInBatch } from "./offset-for-timestamp.ts";
export { type ParkedWait, type ParkOptions, parkWait } from "./parked-wait.ts";
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
} from "./producer-state.ts";
export { ReadBudget } from "./read-budget.ts";
export {
  type CacheableRead,
  type CacheFence,
  cacheableUntil,
  closeCacheFence,
  compactionFencedAt,
  DEFAULT_READ_CACHE_MAX_AGE_MS,
  extendCacheFence,
  type FencedDeletion,
  OPEN_CACHE_FENCE,
  planFencedDeletion,
  READ_CACHE_CLOCK_SLACK_MS,
  READ_CACHE_MAX_AGE_LIMIT_MS,
  READ_CACHE_MIN_LIFETIME_MS,
} from "./read-cache.ts";
export { followerForRead } from "./read-replica.ts";
export {
  type Acks,
  assertEnoughReplicas,
  assertMinInsyncFits,
  effectiveAcks,
  followerInSync,
  MAX_REPLICAS,
  minInsyncReplicas,
  type PartitionReplication,
  parseAcks,
  type ReplicaRequest,
  replicaLagTimeMaxMs,
  replicatedHighWatermark,
  resolveReplicas,
  uncleanLeaderElectionEnabled,
} from "./replication.ts";
export { batchExpiresAt, planRetention, retentionDueAt, retentionNeedsOldest } from "./retention.ts";
export { SharedFlights } from "./shared-flights.ts";
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
} from "./stream-state.ts";
export { alteredTopicMetadata, assertConfigFitsReplicas, newTopicMetadata } from "./topic-metadata.ts";
export { untilAborted } from "./until-aborted.ts";
export { type CoalescedWait, type WaitCall, WaitCoalescer } from "./wait-coalescer.ts";
