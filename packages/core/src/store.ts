/**
 * @module
 * The two seams between edgelog's Kafka semantics and where bytes live.
 *
 * - `LogStore` is the client-facing seam: everything `EdgeLog`, its admin, producer and consumer use. The memory,
 *   Durable Object, IndexedDB and HTTP client stores each implement it; `@edgelog/core/testing` checks that they do.
 * - `StorageEngine` adds what only a store's *host* needs, never a client: the versioned group state the group
 *   coordinator persists where it runs beside the store (`GroupStateStore`), Durable Streams commands run inside
 *   the append transaction (`StreamStore`), and private documents of components running on the store
 *   (`PrivateStateStore`, the offline outbox). A store over a remote server (HTTP) has none of these: the server
 *   keeps them.
 *
 * The unit of storage is the encoded record batch (see `codec/record-batch.ts`), never the single record: a
 * store keeps one entry per batch and assigns it the offsets `[baseOffset, baseOffset + recordCount)`. Everything
 * Kafka-semantic — partitioning, batching, the consumer loop, validation of user input — lives above these
 * interfaces, once, in core. What a store must do itself is what only it can do atomically: assign offsets,
 * check an idempotent producer's sequence in the same transaction as the append, and wake waiting readers; the
 * rules for that are core's too (`store-kit`), so a store only loads state, plans with them and applies the plan.
 */
import type {
  GroupDescription,
  GroupHeartbeatRequest,
  GroupHeartbeatResponse,
  GroupMemberRef,
} from "./groups/group-types.ts";
import type { ShareGroupConfig } from "./share/share-config.ts";
import type { ShareFetchRequest, ShareFetchResponse, ShareGroupDescription } from "./share/share-types.ts";
import type { StreamCommand, StreamOutcome } from "./store-kit/stream-state.ts";
import type { TopicConfig } from "./topic-config.ts";

/** A partition of a topic. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** What a store knows about a topic. */
export interface TopicMetadata {
  readonly name: string;
  /** Fresh for every creation, so a deleted and re-created topic of the same name is told apart. */
  readonly topicId: string;
  /** Number of partitions, numbered from 0. */
  readonly partitions: number;
  readonly config: TopicConfig;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
}

/** What a caller asks for when creating a topic; the store assigns `topicId` and `createdAt`. */
export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly config: TopicConfig;
}

/** The bounds of a partition. */
export interface PartitionOffsets {
  /** The earliest offset still retained. */
  readonly logStartOffset: number;
  /** The next offset to be written: the exclusive end of what can be read. */
  readonly highWatermark: number;
}

/** How `append` treats a batch. */
export interface AppendOptions {
  /**
   * Whether the per-record caps (`RECORD_CAPS`: headers, header and key sizes) apply. Default `true`: every new
   * write is capped. `false` only for a copy of records accepted before (a replica of another log, records set
   * aside after a refusal), which must copy even if a cap came later. A store reached over HTTP ignores it: the
   * server applies its own rules.
   */
  readonly checkRecordCaps?: boolean;
  /**
   * Kafka's producer `acks`: `1` answers on the leader's commit, `"all"` (the default) once every in-sync replica
   * holds the batch, refused with `NOT_ENOUGH_REPLICAS` while fewer than `min.insync.replicas` are in sync.
   */
  readonly acks?: 1 | "all";
}

/** The outcome of `append`. */
export interface AppendResult extends PartitionOffsets {
  /** Offset of the batch's first record (the original one when `duplicate`). */
  readonly baseOffset: number;
  /** Offset of the batch's last record. */
  readonly lastOffset: number;
  /** When the store accepted the batch (the original time when `duplicate`), ms since the epoch. */
  readonly logAppendTime: number;
  /** True when this was an idempotent producer's retry of a batch already in the log: nothing was written. */
  readonly duplicate: boolean;
}

/** Metadata of one stored batch, without its payload. */
export interface BatchInfo {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly recordCount: number;
  readonly maxTimestamp: number;
  readonly logAppendTime: number;
  /** Encoded size of the batch in bytes. */
  readonly sizeBytes: number;
}

/** One stored batch: its metadata and its encoded bytes (the caller owns the returned array). */
export interface StoredBatch extends BatchInfo {
  readonly payload: Uint8Array;
}

/**
 * Where the reader is (Kafka's `client.rack`, KIP-392's follower fetching): a store that keeps replicas in several
 * regions may serve the read from that region's in-sync replica, up to the high watermark that replica has learned.
 * A preference, never an error: without a replica there (or one out of sync, or unreachable) the leader answers,
 * and a store with one copy of each partition ignores it. Which replica served never changes what an offset holds.
 */
export interface ReadPreference {
  /** The reader's region (a location hint such as `weur`). */
  readonly region?: string | undefined;
}

/** Options of `LogStore.offsets`. */
export interface OffsetsOptions extends ReadPreference {
  /**
   * Also answer `sizeBytes`. Asked for, not always sent, so the bounds that callers compare and pass around stay
   * the two offsets.
   */
  readonly includeSize?: boolean;
}

/** `offsets()`'s answer: the bounds, and the retained bytes when asked and the store keeps the figure. */
export interface PartitionOffsetsWithSize extends PartitionOffsets {
  /**
   * Bytes of the batches the partition retains (what `retention.bytes` counts), on the replica that answered.
   * The stores with a storage engine keep it (memory, Durable Objects, IndexedDB); a store over HTTP does not.
   */
  readonly sizeBytes?: number;
}

export interface ReadOptions extends ReadPreference {
  /** First offset wanted; must lie in `[logStartOffset, highWatermark]`. */
  readonly offset: number;
  /**
   * Byte budget for the payloads returned. The batch holding `offset` is returned even when it alone exceeds
   * the budget, so a reader always makes progress (as Kafka's fetch does).
   */
  readonly maxBytes?: number;
  /** When nothing is readable at `offset` (it equals the high watermark), wait up to this long for an append. */
  readonly maxWaitMs?: number;
  /** Aborting ends a wait early: the read rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
  /**
   * Asks for an answer that caches may keep (a server's catch-up reads). A store that can hold its deletions back
   * until such answers expire (store-kit `read-cache.ts`) answers `cacheUntil`; any other store ignores it.
   */
  readonly cache?: CacheableReadRequest;
}

/** What a reader that may cache a read's answer asks for (`ReadOptions.cache`). */
export interface CacheableReadRequest {
  /** The longest the answer may be cached. */
  readonly maxAgeMs: number;
  /**
   * The reader keeps at most this many records from `offset` (a JSON fetch's limit): once it holds that many, its
   * answer cannot change, even when the batches read reach the high watermark. Default: every batch answered.
   */
  readonly records?: number;
}

export interface ListBatchesOptions extends ReadPreference {
  readonly fromOffset?: number;
  readonly limit?: number;
}

export interface ReadResult extends PartitionOffsets {
  /**
   * Whole batches in offset order, starting with the one that holds `offset`. The first batch may begin before
   * `offset` (and before `logStartOffset`): readers skip records below `max(offset, logStartOffset)`.
   */
  readonly batches: StoredBatch[];
  /**
   * Set only when the read asked for `cache` and its answer (what the reader keeps of it) may be cached: until this
   * time (ms since the epoch) none of its records can be deleted, and the same read would return the same.
   */
  readonly cacheUntil?: number;
}

/** A committed position of a consumer group: the next offset the group will read. */
export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly metadata: string | null;
}

/** Opaque consumer-group state (members, epochs, assignments) with a version for compare-and-set. */
export interface VersionedGroupState {
  /** Any JSON-serialisable value; the store does not look inside. */
  readonly state: unknown;
  /** Grows by one on every successful `putGroupState`. */
  readonly version: number;
}

/** Defaults shared by every store. */
export const DEFAULT_READ_MAX_BYTES = 1024 * 1024;

/**
 * The storage contract. All methods are asynchronous and reject with `EdgeLogError`s:
 * `UNKNOWN_TOPIC_OR_PARTITION` for a missing topic or partition, `OFFSET_OUT_OF_RANGE`, `STORE_CLOSED`, and the
 * codes named on each method.
 */
export interface LogStore {
  // ── topics ────────────────────────────────────────────────────────────────────────────────────────────────
  /** Creates a topic. `TOPIC_ALREADY_EXISTS` when the name is taken. Validation of the spec happens above. */
  createTopic(spec: TopicSpec): Promise<TopicMetadata>;
  /** The topic's metadata, or `null` when there is no such topic. */
  getTopic(name: string): Promise<TopicMetadata | null>;
  /** Every topic, in name order. */
  listTopics(): Promise<TopicMetadata[]>;
  /**
   * Deletes a topic with its data, its producer state and the group offsets committed for it; waiting reads of
   * it reject with `UNKNOWN_TOPIC_OR_PARTITION`.
   */
  deleteTopic(name: string): Promise<void>;
  /** Grows a topic to `count` partitions in total. `INVALID_PARTITIONS` unless `count` exceeds the current count. */
  createPartitions(name: string, count: number): Promise<TopicMetadata>;
  /**
   * Changes a topic's config (Kafka's IncrementalAlterConfigs): each named setting to its value, or back to its
   * default for `null`; the others stay. Validated as at creation, against the config as it is when the change
   * applies (store-kit `alteredTopicMetadata`): `INVALID_CONFIG` for an unknown or read-only name, a value out of
   * range or settings that contradict each other, and then nothing changes. Answers the topic as changed.
   */
  alterTopicConfig(name: string, changes: Readonly<Record<string, unknown>>): Promise<TopicMetadata>;

  // ── partitions ────────────────────────────────────────────────────────────────────────────────────────────
  /**
   * Appends one encoded batch atomically and assigns its offsets. The store verifies the batch (checksum and
   * framing → `CORRUPT_MESSAGE`; larger than the topic's `max.message.bytes` → `MESSAGE_TOO_LARGE`; a record
   * over a cap of `RECORD_CAPS` → `INVALID_RECORD`, unless `options.checkRecordCaps` is `false`) and, for a
   * batch stamped with a producer id, checks its epoch and sequence in the same transaction as the write
   * (Kafka's idempotent producer): an identical retry returns the original offsets with `duplicate: true`;
   * a gap → `OUT_OF_ORDER_SEQUENCE_NUMBER`; an older epoch → `INVALID_PRODUCER_EPOCH`; a producer the
   * partition does not know starting past sequence 0 → `UNKNOWN_PRODUCER_ID`. Waiting reads wake.
   */
  append(tp: TopicPartition, batch: Uint8Array, options?: AppendOptions): Promise<AppendResult>;
  /** Reads whole batches from an offset within a byte budget, optionally waiting for new data. */
  read(tp: TopicPartition, options: ReadOptions): Promise<ReadResult>;
  /**
   * The partition's bounds as readers see them (`options.region`: as that region's replica sees them), and with
   * `options.includeSize` the bytes it retains, where the store keeps that figure.
   */
  offsets(tp: TopicPartition, options?: OffsetsOptions): Promise<PartitionOffsetsWithSize>;
  /** The earliest offset whose record timestamp is ≥ `timestamp`, or `null` when there is none. */
  offsetForTimestamp(tp: TopicPartition, timestamp: number, options?: ReadPreference): Promise<number | null>;
  /** Metadata of retained batches from `fromOffset` on (default: the log start), at most `limit` of them. */
  listBatches(tp: TopicPartition, options?: ListBatchesOptions): Promise<BatchInfo[]>;
  /**
   * The retention hook (Kafka's DeleteRecords): advances the log start to `beforeOffset`, which must lie in
   * `[logStartOffset, highWatermark]`, drops batches wholly below it and forgets producers whose batches are
   * all gone. Returns the new bounds.
   */
  deleteRecords(tp: TopicPartition, beforeOffset: number): Promise<PartitionOffsets>;

  // ── consumer groups ───────────────────────────────────────────────────────────────────────────────────────
  // The coordinator (KIP-848: server-side assignment, member epochs) lives with the store, because only the
  // store sees every member; `GroupCoordinator` in core implements it over a `GroupStateStore`.
  /**
   * One member heartbeat: join (`memberEpoch` 0), stay (its current epoch), leave (-1). Answers the member's
   * epoch and assignment. `FENCED_MEMBER_EPOCH` for a stale epoch, `UNKNOWN_MEMBER_ID` for a member the group
   * removed (both: rejoin with 0); `INVALID_REQUEST` for a malformed request.
   */
  groupHeartbeat(groupId: string, request: GroupHeartbeatRequest): Promise<GroupHeartbeatResponse>;
  /** Members, epochs and assignments as of now. `GROUP_ID_NOT_FOUND` when the group has neither state nor offsets. */
  describeGroup(groupId: string): Promise<GroupDescription>;
  /**
   * Stores committed offsets, each replacing the previous one for its partition, all at once. With `member`,
   * only while it is in the group at that epoch (`UNKNOWN_MEMBER_ID`, `STALE_MEMBER_EPOCH`); without, only while
   * the group has no members (`NON_EMPTY_GROUP`), as an admin's commit.
   */
  commitOffsets(groupId: string, offsets: readonly CommittedOffset[], member?: GroupMemberRef): Promise<void>;
  /** The group's committed offsets, optionally only for some topics, ordered by topic then partition. */
  fetchOffsets(groupId: string, topics?: readonly string[]): Promise<CommittedOffset[]>;
  /** Groups that have state or committed offsets, in id order. */
  listGroups(): Promise<string[]>;
  /**
   * Deletes a group's state and offsets. `GROUP_ID_NOT_FOUND` when it has neither; `NON_EMPTY_GROUP` while it
   * has members.
   */
  deleteGroup(groupId: string): Promise<void>;

  // ── lifecycle ─────────────────────────────────────────────────────────────────────────────────────────────
  /** Releases resources; waiting reads reject with `STORE_CLOSED`, and so does every later call. */
  close(): Promise<void>;
}

/**
 * Versioned group state: what core's `GroupCoordinator` persists where it runs beside the store (in-process for
 * the memory and IndexedDB stores, inside the group's Durable Object at the edge). Not for clients: a client
 * changes a group only through heartbeats, commits and deletes.
 */
export interface GroupStateStore {
  /**
   * Versioned state for a group id, `null` when it has none. The state handed out is the caller's (a copy, as
   * JSON parsing or structured clone give): the coordinator changes it in place without copying it again.
   */
  getGroupState(groupId: string): Promise<VersionedGroupState | null>;
  /**
   * Replaces the group's state if its version is still `expectedVersion` (`null`: the group must have no state
   * yet); returns the new version. `CONCURRENT_TRANSACTIONS` (retriable) when someone else wrote first.
   */
  putGroupState(groupId: string, state: unknown, expectedVersion: number | null): Promise<number>;
}

/** Durable Streams commands, run by the store inside its append transaction. */
export interface StreamStore {
  /**
   * Runs a Durable Streams command on a partition (`store-kit/stream-state.ts`): the stream's state document
   * changes in the same transaction as the batches it admits. The `/ds` routes need it.
   */
  stream(tp: TopicPartition, command: StreamCommand): Promise<StreamOutcome>;
}

// ── private state ───────────────────────────────────────────────────────────────────────────────────────────

/**
 * Versioned documents private to a component running on a store (the offline outbox): never a consumer group,
 * never listed, described or deleted by any admin call. Same compare-and-set rule as group state.
 */
export interface PrivateStateStore {
  /** The document under `key`, or `null` when there is none. */
  getPrivateState(key: string): Promise<VersionedGroupState | null>;
  /**
   * Replaces the document if its version is still `expectedVersion` (`null`: there must be none yet); returns the
   * new version. `CONCURRENT_TRANSACTIONS` (retriable) when someone else wrote first.
   */
  putPrivateState(key: string, state: unknown, expectedVersion: number | null): Promise<number>;
}

/**
// ── share groups ────────────────────────────────────────────────────────────────────────────────────────────

/**
 * Share groups (KIP-932: queues on a topic), as a client sees them. A separate seam from `LogStore`, because a store
 * may lack it (a user's own store): `shareGroupsOf` refuses such a store clearly instead of failing on a missing
 * method. The memory, IndexedDB and Durable Object stores run core's `ShareCoordinator` where the group's state
 * lives; `HttpLogStore` sends the same calls to a server.
 */
export interface ShareGroupStore {
  /**
   * One share fetch: checks and moves the member's share session, applies its acknowledgements, then acquires up to
   * `maxRecords` records of `topics` for it (waiting up to `maxWaitMs` when there are none). `INVALID_SHARE_SESSION_EPOCH`,
   * `SHARE_SESSION_NOT_FOUND` (open a session with epoch 0), `GROUP_MAX_SIZE_REACHED`, `INVALID_REQUEST`. A refused
   * acknowledgement does not fail the fetch: it is answered in `acknowledgeErrors` (`INVALID_RECORD_STATE`).
   */
  shareFetch(groupId: string, request: ShareFetchRequest, signal?: AbortSignal): Promise<ShareFetchResponse>;
  /** The group's config, members and share-partitions; `GROUP_ID_NOT_FOUND` when it has no state. */
  describeShareGroup(groupId: string): Promise<ShareGroupDescription>;
  /**
   * Changes the group's config (a `null` value restores a default), creating the group when it has no state yet;
   * answers the effective config. `INVALID_CONFIG` for an unknown name or a bad value.
   */
  alterShareGroupConfig(
    groupId: string,
    changes: Readonly<Record<string, unknown>>,
  ): Promise<ShareGroupConfig>;
  /** Share groups that have state, in id order. */
  listShareGroups(): Promise<string[]>;
  /** Deletes a share group's state. `GROUP_ID_NOT_FOUND` when it has none; `NON_EMPTY_GROUP` while members have sessions. */
  deleteShareGroup(groupId: string): Promise<void>;
}

/** A share group's stored state: its document and the share-partitions asked for, with the group's version. */
export interface VersionedShareState {
  readonly version: number;
  readonly meta: unknown;
  /** The partitions' documents by key (only those asked for; a key without a document is absent). */
  readonly partitions: ReadonlyMap<string, unknown>;
}

/** What a write of share-group state changes: the group's document and some partitions (`null`: removed). */
export interface ShareStateWrite {
  readonly meta: unknown;
  readonly partitions: ReadonlyMap<string, unknown>;
}

/**
 * Where core's `ShareCoordinator` keeps a share group's state: one document for the group plus one per
 * share-partition, so a request reads and writes only the partitions it touches. One version per group for
 * compare-and-set, as for group state. Not for clients.
 */
export interface ShareStateStore {
  /**
   * The group's state, `null` when it has none. `select` is given the group's document and names the partitions
   * to read with it, in the same read. What is handed out is the caller's (a copy).
   */
  getShareState(
    groupId: string,
    select: (meta: unknown) => Iterable<string>,
  ): Promise<VersionedShareState | null>;
  /**
   * Writes the group's document and the named partitions if the version is still `expectedVersion` (`null`: no
   * state yet), all at once; returns the new version. `CONCURRENT_TRANSACTIONS` (retriable) otherwise.
   */
  putShareState(groupId: string, write: ShareStateWrite, expectedVersion: number | null): Promise<number>;
  /** Removes all of the group's state if its version is still `expectedVersion` (else `CONCURRENT_TRANSACTIONS`). */
  deleteShareState(groupId: string, expectedVersion: number): Promise<void>;
  /** Groups that have share state, in id order. */
  listShareStates(): Promise<string[]>;
}

/**
 * The host-side seam: a `LogStore` plus what only the code hosting it needs (the group coordinator's state,
 * Durable Streams, private documents). The memory and IndexedDB stores are engines; the Durable Object store keeps
 * group state and streams but has no private documents (nothing runs on it that needs them); the HTTP client
 * store is only a `LogStore`.
 */
export interface StorageEngine extends LogStore, GroupStateStore, StreamStore, PrivateStateStore {}
