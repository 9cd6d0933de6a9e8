/**
 * A `LogStore` wrapper for tests that injects the failures a remote store has and the memory store never
 * does: an append whose request is lost (nothing written), an append whose response is lost (written, but the
 * caller sees a retriable timeout), and slow `offsets` answers (a round trip that other requests overtake). A read
 * hook lets a test watch (or fail) every read.
 */
import {
  type AppendResult,
  type BatchInfo,
  type CommittedOffset,
  EdgeLogError,
  type GroupDescription,
  type GroupHeartbeatRequest,
  type GroupHeartbeatResponse,
  type GroupMemberRef,
  type ListBatchesOptions,
  type LogStore,
  type PartitionOffsets,
  type ReadOptions,
  type ReadPreference,
  type ReadResult,
  type TopicMetadata,
  type TopicPartition,
  type TopicSpec,
} from "../../src/index.ts";

/**
 * `lose-request`: fail before the inner store sees the append. `lose-response`: append, then fail. `throttle`: a
 * quota refusal (429 `THROTTLING_QUOTA_EXCEEDED` with `retryAfterMs`), nothing written.
 */
export type AppendFault = "lose-request" | "lose-response" | "throttle";

export class FlakyStore implements LogStore {
  readonly inner: LogStore;
  /** Every append attempt, in order, with the fault injected into it (if any). */
  readonly appends: { tp: TopicPartition; fault: AppendFault | null }[] = [];
  /** The `retryAfterMs` a `throttle` fault answers with. */
  throttleRetryAfterMs = 1_000;
  /** Delay before `offsets` reads the inner store, in ms: a slow round trip. */
  offsetsDelayMs = 0;
  /** Called before every read; whatever it throws, the read rejects with. */
  onRead: ((tp: TopicPartition) => void) | null = null;
  readonly #faults: AppendFault[] = [];

  constructor(inner: LogStore) {
    this.inner = inner;
  }

  /** Makes the next `count` appends fail (retriably) in the way `fault` says. */
  failNextAppends(count: number, fault: AppendFault): void {
    for (let i = 0; i < count; i++) this.#faults.push(fault);
  }

  async append(tp: TopicPartition, batch: Uint8Array): Promise<AppendResult> {
    const fault = this.#faults.shift() ?? null;
    this.appends.push({ tp, fault });
    if (fault === "lose-request") throw timedOut(tp);
    if (fault === "throttle") {
      throw new EdgeLogError("THROTTLING_QUOTA_EXCEEDED", "quota used up", {
        context: { retryAfterMs: this.throttleRetryAfterMs, throttleTimeMs: this.throttleRetryAfterMs },
      });
    }
    const result = await this.inner.append(tp, batch);
    if (fault === "lose-response") throw timedOut(tp);
    return result;
  }

  async offsets(tp: TopicPartition, options?: ReadPreference): Promise<PartitionOffsets> {
    if (this.offsetsDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.offsetsDelayMs));
    return this.inner.offsets(tp, options);
  }

  createTopic(spec: TopicSpec): Promise<TopicMetadata> {
    return this.inner.createTopic(spec);
  }
  getTopic(name: string): Promise<TopicMetadata | null> {
    return this.inner.getTopic(name);
  }
  listTopics(): Promise<TopicMetadata[]> {
    return this.inner.listTopics();
  }
  deleteTopic(name: string): Promise<void> {
    return this.inner.deleteTopic(name);
  }
  createPartitions(name: string, count: number): Promise<TopicMetadata> {
    return this.inner.createPartitions(name, count);
  }
  alterTopicConfig(name: string, changes: Readonly<Record<string, unknown>>): Promise<TopicMetadata> {
    return this.inner.alterTopicConfig(name, changes);
  }
  async read(tp: TopicPartition, options: ReadOptions): Promise<ReadResult> {
    this.onRead?.(tp);
    return this.inner.read(tp, options);
  }
  offsetForTimestamp(
    tp: TopicPartition,
    timestamp: number,
    options?: ReadPreference,
  ): Promise<number | null> {
    return this.inner.offsetForTimestamp(tp, timestamp, options);
  }
  listBatches(tp: TopicPartition, options?: ListBatchesOptions): Promise<BatchInfo[]> {
    return this.inner.listBatches(tp, options);
  }
  deleteRecords(tp: TopicPartition, beforeOffset: number): Promise<PartitionOffsets> {
    return this.inner.deleteRecords(tp, beforeOffset);
  }
  groupHeartbeat(groupId: string, request: GroupHeartbeatRequest): Promise<GroupHeartbeatResponse> {
    return this.inner.groupHeartbeat(groupId, request);
  }
  describeGroup(groupId: string): Promise<GroupDescription> {
    return this.inner.describeGroup(groupId);
  }
  commitOffsets(
    groupId: string,
    offsets: readonly CommittedOffset[],
    member?: GroupMemberRef,
  ): Promise<void> {
    return this.inner.commitOffsets(groupId, offsets, member);
  }
  fetchOffsets(groupId: string, topics?: readonly string[]): Promise<CommittedOffset[]> {
    return this.inner.fetchOffsets(groupId, topics);
  }
  listGroups(): Promise<string[]> {
    return this.inner.listGroups();
  }
  deleteGroup(groupId: string): Promise<void> {
    return this.inner.deleteGroup(groupId);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

function timedOut(tp: TopicPartition): EdgeLogError {
  return new EdgeLogError("REQUEST_TIMED_OUT", "injected: the store did not answer in time", {
    context: { topic: tp.topic, partition: tp.partition },
  });
}
