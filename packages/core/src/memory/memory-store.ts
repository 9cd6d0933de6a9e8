/**
 * @module
 * The embedded default `LogStore`: everything in memory, nothing persisted. It is what `new EdgeLog()` uses when
 * given no store, what tests run against, and the reference the conformance suite was written from.
 */
import {
  GroupCoordinator,
  type GroupCoordinatorOptions,
  type GroupStatePort,
} from "../groups/group-coordinator.ts";
import type {
  GroupDescription,
  GroupHeartbeatRequest,
  GroupHeartbeatResponse,
  GroupMemberRef,
} from "../groups/group-types.ts";
import type { ShareGroupConfig } from "../share/share-config.ts";
import { ShareCoordinator, type ShareCoordinatorOptions } from "../share/share-coordinator.ts";
import type { ShareFetchRequest, ShareFetchResponse, ShareGroupDescription } from "../share/share-types.ts";
import {
  type AppendOptions,
  type AppendResult,
  type BatchInfo,
  type CommittedOffset,
  DEFAULT_READ_MAX_BYTES,
  type OffsetsOptions,
  type PartitionOffsets,
  type PartitionOffsetsWithSize,
  type ReadOptions,
  type ReadResult,
  type ShareGroupStore,
  type StorageEngine,
  type TopicMetadata,
  type TopicPartition,
  type TopicSpec,
  type VersionedGroupState,
} from "../store.ts";
import type { CompactionPassStats } from "../store-kit/compaction.ts";
import { nextGroupStateVersion, nextPrivateStateVersion } from "../store-kit/group-state.ts";
import { inspectBatchForAppend } from "../store-kit/inspect-batch.ts";
import { runStreamCommand, type StreamCommand, type StreamOutcome } from "../store-kit/stream-state.ts";
import { alteredTopicMetadata, newTopicMetadata } from "../store-kit/topic-metadata.ts";
import { MAX_TOPICS } from "../topic-config.ts";
import {
  assertNoTopicCollision,
  assertPartitionExists,
  assertPartitionsGrow,
  assertTopicCapacity,
  compareStrings,
  storeClosedError,
  topicAlreadyExists,
  topicCollisionKey,
  unknownGroup,
  unknownTopic,
} from "../validation.ts";
import { MemoryPartition } from "./memory-partition.ts";
import { MemoryShareState } from "./memory-share-state.ts";

export interface MemoryStoreOptions {
  /** The clock for append times and retention; tests inject one. */
  readonly now?: () => number;
  /** Session timeouts, heartbeat interval and member limit of the group coordinator (its clock is `now`). */
  readonly groups?: Omit<GroupCoordinatorOptions, "now">;
  /** Topics the store holds at most; default `MAX_TOPICS`. Tests lower it. */
  readonly maxTopics?: number;
  /** The share-group coordinator's member limit and failure reporting (its clock is `now`). */
  readonly shareGroups?: Omit<ShareCoordinatorOptions, "now" | "onWrite">;
}

interface MemoryTopic {
  metadata: TopicMetadata;
  readonly partitions: MemoryPartition[];
}

interface MemoryGroup {
  state: VersionedGroupState | null;
  /** Keyed by `topic` + NUL + `partition`: NUL cannot occur in a topic name. */
  readonly offsets: Map<string, CommittedOffset>;
}

const DEFAULT_LIST_BATCHES_LIMIT = 1000;

/**
 * @example
 * const log = new EdgeLog({ store: new MemoryStore() }) // the same as new EdgeLog()
 */
export class MemoryStore implements StorageEngine, ShareGroupStore {
  readonly #now: () => number;
  readonly #maxTopics: number;
  readonly #topics = new Map<string, MemoryTopic>();
  /** Topic names by `topicCollisionKey`: a create checks for a colliding name without walking every topic. */
  readonly #byCollisionKey = new Map<string, string>();
  readonly #groups = new Map<string, MemoryGroup>();
  readonly #coordinator: GroupCoordinator;
  /** Share groups run in process: their state is here, their locks expire when the group is next used. */
  readonly #shares: ShareCoordinator;
  #closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#maxTopics = options.maxTopics ?? MAX_TOPICS;
    // The coordinator never touches a state after writing it, so its writes are kept as they are: one copy of the
    // group per heartbeat (the one it reads) instead of two.
    const port: GroupStatePort = {
      getGroupState: (groupId) => this.getGroupState(groupId),
      putGroupState: async (groupId, state, expectedVersion) =>
        this.#putGroupState(groupId, state, expectedVersion),
      getTopic: (name) => this.getTopic(name),
      listTopics: () => this.listTopics(),
    };
    this.#coordinator = new GroupCoordinator(port, { ...options.groups, now: this.#now });
    this.#shares = new ShareCoordinator(new MemoryShareState(() => this.#assertOpen()), this, {
      ...options.shareGroups,
      now: this.#now,
    });
  }

  async createTopic(spec: TopicSpec): Promise<TopicMetadata> {
    this.#assertOpen();
    if (this.#topics.has(spec.name)) throw topicAlreadyExists(spec.name);
    const collisionKey = topicCollisionKey(spec.name);
    const similar = this.#byCollisionKey.get(collisionKey);
    assertNoTopicCollision(spec.name, similar === undefined ? [] : [similar]);
    assertTopicCapacity(spec.name, this.#topics.size, this.#maxTopics);
    const metadata = newTopicMetadata(spec, this.#now());
    const partitions = Array.from(
      { length: spec.partitions },
      (_, partition) => new MemoryPartition({ topic: spec.name, partition }),
    );
    this.#topics.set(spec.name, { metadata, partitions });
    this.#byCollisionKey.set(collisionKey, spec.name);
    return metadata;
  }

  async getTopic(name: string): Promise<TopicMetadata | null> {
    this.#assertOpen();
    return this.#topics.get(name)?.metadata ?? null;
  }

  async listTopics(): Promise<TopicMetadata[]> {
    this.#assertOpen();
    return [...this.#topics.values()].map((t) => t.metadata).sort((a, b) => compareStrings(a.name, b.name));
  }

  async deleteTopic(name: string): Promise<void> {
    const topic = this.#topic(name);
    this.#topics.delete(name);
    this.#byCollisionKey.delete(topicCollisionKey(name));
    for (const partition of topic.partitions) partition.waiters.fail(unknownTopic(name));
    for (const [groupId, group] of this.#groups) {
      for (const [key, offset] of group.offsets) if (offset.topic === name) group.offsets.delete(key);
      if (group.state === null && group.offsets.size === 0) this.#groups.delete(groupId);
    }
  }

  async createPartitions(name: string, count: number): Promise<TopicMetadata> {
    const topic = this.#topic(name);
    const current = topic.metadata.partitions;
    assertPartitionsGrow(name, current, count);
    for (let partition = current; partition < count; partition++) {
      topic.partitions.push(new MemoryPartition({ topic: name, partition }));
    }
    topic.metadata = { ...topic.metadata, partitions: count };
    return topic.metadata;
  }

  async alterTopicConfig(name: string, changes: Readonly<Record<string, unknown>>): Promise<TopicMetadata> {
    const topic = this.#topic(name);
    // Partitions read the topic's metadata on every append: the next one applies the new config.
    topic.metadata = alteredTopicMetadata(topic.metadata, changes);
    return topic.metadata;
  }

  /**
   * Runs a compaction pass of a compacted topic's partition now, whether or not one is due (passes otherwise run
   * after appends, when core's schedule says so): for tests, and after changing a topic's compaction settings.
   * `nowMs` defaults to the store's clock; `indexBudgetBytes` lowers the key index's budget.
   */
  async compact(
    tp: TopicPartition,
    options: { readonly nowMs?: number; readonly indexBudgetBytes?: number } = {},
  ): Promise<CompactionPassStats> {
    const topic = this.#topic(tp.topic);
    const partition = this.#partitionOf(topic, tp);
    const stats = partition.compact(topic.metadata, options.nowMs ?? this.#now(), options.indexBudgetBytes);
    return stats;
  }

  /** One copy: `acks` 1 and all are both answered on the commit. */
  async append(tp: TopicPartition, batch: Uint8Array, options?: AppendOptions): Promise<AppendResult> {
    const topic = this.#topic(tp.topic);
    const checkRecordCaps = options?.checkRecordCaps ?? true;
    return this.#partitionOf(topic, tp).append(topic.metadata, batch, this.#now(), checkRecordCaps);
  }

  async read(tp: TopicPartition, options: ReadOptions): Promise<ReadResult> {
    const maxBytes = options.maxBytes ?? DEFAULT_READ_MAX_BYTES;
    const partition = this.#partition(tp);
    const result = partition.read(options.offset, maxBytes);
    const maxWaitMs = options.maxWaitMs ?? 0;
    if (result.batches.length > 0 || maxWaitMs <= 0 || options.offset < result.highWatermark) return result;
    await partition.waiters.wait(maxWaitMs, options.signal);
    return this.#partition(tp).read(options.offset, maxBytes);
  }

  async offsets(tp: TopicPartition, options: OffsetsOptions = {}): Promise<PartitionOffsetsWithSize> {
    const partition = this.#partition(tp);
    return options.includeSize === true
      ? { ...partition.offsets(), sizeBytes: partition.sizeBytes }
      : partition.offsets();
  }

  async offsetForTimestamp(tp: TopicPartition, timestamp: number): Promise<number | null> {
    return this.#partition(tp).offsetForTimestamp(timestamp);
  }

  async listBatches(
    tp: TopicPartition,
    options: { fromOffset?: number; limit?: number } = {},
  ): Promise<BatchInfo[]> {
    return this.#partition(tp).listBatches(options.fromOffset, options.limit ?? DEFAULT_LIST_BATCHES_LIMIT);
  }

  async deleteRecords(tp: TopicPartition, beforeOffset: number): Promise<PartitionOffsets> {
    return this.#partition(tp).deleteRecords(beforeOffset);
  }

  async stream(tp: TopicPartition, command: StreamCommand): Promise<StreamOutcome> {
    const topic = this.#topic(tp.topic);
    const partition = this.#partitionOf(topic, tp);
    const now = this.#now();
    // Nothing can roll back here, so every batch is verified before the first is written: after that an append
    // cannot fail (stream batches are unstamped) and the command is all or nothing, as in a transaction.
    if (command.kind === "create" || command.kind === "append") {
      for (const batch of command.batches) inspectBatchForAppend(topic.metadata, tp, batch);
    }
    // Synchronous from read to write: atomic in a single-threaded runtime, like every memory-store append.
    return runStreamCommand(
      {
        readState: () => partition.streamState,
        writeState: (state) => {
          partition.streamState = state;
        },
        append: (batch) => partition.append(topic.metadata, batch, now, true),
        offsets: () => partition.offsets(),
        notify: () => partition.waiters.notify(),
      },
      command,
      now,
    );
  }

  async groupHeartbeat(groupId: string, request: GroupHeartbeatRequest): Promise<GroupHeartbeatResponse> {
    this.#assertOpen();
    return this.#coordinator.heartbeat(groupId, request);
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    this.#assertOpen();
    return this.#coordinator.describeForStore(
      groupId,
      async () => (this.#groups.get(groupId)?.offsets.size ?? 0) > 0,
    );
  }

  async commitOffsets(
    groupId: string,
    offsets: readonly CommittedOffset[],
    member?: GroupMemberRef,
  ): Promise<void> {
    this.#assertOpen();
    // Validate everything before writing anything: a commit is all or nothing.
    for (const offset of offsets) this.#partition(offset);
    await this.#coordinator.checkCommit(groupId, member);
    const group = this.#group(groupId);
    for (const offset of offsets) {
      group.offsets.set(offsetKey(offset), {
        topic: offset.topic,
        partition: offset.partition,
        offset: offset.offset,
        metadata: offset.metadata,
      });
    }
  }

  async fetchOffsets(groupId: string, topics?: readonly string[]): Promise<CommittedOffset[]> {
    this.#assertOpen();
    const group = this.#groups.get(groupId);
    if (group === undefined) return [];
    const wanted = topics === undefined ? null : new Set(topics);
    return [...group.offsets.values()]
      .filter((o) => wanted === null || wanted.has(o.topic))
      .sort((a, b) => compareStrings(a.topic, b.topic) || a.partition - b.partition);
  }

  async getGroupState(groupId: string): Promise<VersionedGroupState | null> {
    this.#assertOpen();
    const state = this.#groups.get(groupId)?.state ?? null;
    // Hand out a copy: the stored state must only change through putGroupState.
    return state === null ? null : { state: structuredClone(state.state), version: state.version };
  }

  async putGroupState(groupId: string, state: unknown, expectedVersion: number | null): Promise<number> {
    // A copy: the caller may go on changing its object.
    return this.#putGroupState(groupId, structuredClone(state), expectedVersion);
  }

  /** Keeps `state` itself: only for a writer that never changes it afterwards. */
  #putGroupState(groupId: string, state: unknown, expectedVersion: number | null): number {
    this.#assertOpen();
    const current = this.#groups.get(groupId)?.state ?? null;
    const version = nextGroupStateVersion(groupId, current?.version ?? null, expectedVersion);
    this.#group(groupId).state = { state, version };
    return version;
  }

  async listGroups(): Promise<string[]> {
    this.#assertOpen();
    return [...this.#groups.keys()].sort(compareStrings);
  }

  async deleteGroup(groupId: string): Promise<void> {
    this.#assertOpen();
    if (this.#groups.has(groupId)) await this.#coordinator.assertDeletable(groupId);
    if (!this.#groups.delete(groupId)) throw unknownGroup(groupId);
  }

  // ── share groups (`ShareGroupStore`) ─────────────────────────────────────────────────────────────────────────

  async shareFetch(
    groupId: string,
    request: ShareFetchRequest,
    signal?: AbortSignal,
  ): Promise<ShareFetchResponse> {
    this.#assertOpen();
    return this.#shares.fetch(groupId, request, signal);
  }

  async describeShareGroup(groupId: string): Promise<ShareGroupDescription> {
    this.#assertOpen();
    return this.#shares.describe(groupId);
  }

  async alterShareGroupConfig(
    groupId: string,
    changes: Readonly<Record<string, unknown>>,
  ): Promise<ShareGroupConfig> {
    this.#assertOpen();
    return this.#shares.alterConfig(groupId, changes);
  }

  async listShareGroups(): Promise<string[]> {
    this.#assertOpen();
    return this.#shares.list();
  }

  async deleteShareGroup(groupId: string): Promise<void> {
    this.#assertOpen();
    return this.#shares.delete(groupId);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const error = storeClosedError();
    for (const topic of this.#topics.values())
      for (const partition of topic.partitions) partition.waiters.fail(error);
  }

  #assertOpen(): void {
    if (this.#closed) throw storeClosedError();
  }

  #topic(name: string): MemoryTopic {
    this.#assertOpen();
    const topic = this.#topics.get(name);
    if (topic === undefined) throw unknownTopic(name);
    return topic;
  }

  #partition(tp: TopicPartition): MemoryPartition {
    return this.#partitionOf(this.#topic(tp.topic), tp);
  }

  #partitionOf(topic: MemoryTopic, tp: TopicPartition): MemoryPartition {
    assertPartitionExists(tp.topic, tp.partition, topic.partitions.length);
    return topic.partitions[tp.partition] as MemoryPartition;
  }

  #group(groupId: string): MemoryGroup {
    let group = this.#groups.get(groupId);
    if (group === undefined) {
      group = { state: null, offsets: new Map() };
      this.#groups.set(groupId, group);
    }
    return group;
  }

  // ── private state (`PrivateStateStore`) ─────────────────────────────────────────────────────────────────────

  /** Private documents (the offline outbox's state): a key space of their own, no group call ever sees them. */
  readonly #private = new Map<string, VersionedGroupState>();

  async getPrivateState(key: string): Promise<VersionedGroupState | null> {
    this.#assertOpen();
    const stored = this.#private.get(key);
    // A copy, as getGroupState hands out: the stored document changes only through putPrivateState.
    return stored === undefined ? null : { state: structuredClone(stored.state), version: stored.version };
  }

  async putPrivateState(key: string, state: unknown, expectedVersion: number | null): Promise<number> {
    this.#assertOpen();
    const version = nextPrivateStateVersion(key, this.#private.get(key)?.version ?? null, expectedVersion);
    this.#private.set(key, { state: structuredClone(state), version });
    return version;
  }
}

function offsetKey(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`;
}
