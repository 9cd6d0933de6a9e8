/**
 * @module
 * The typed operations of edgelog's Workers binding (`EdgeLogService`): the v1 HTTP API's operations as
 * methods, their arguments and answers the JSON of docs/http-api.md as values, with one addition that JSON
 * cannot carry — `valueFormat: "bytes"`, values as `Uint8Array`. Types only, so a calling Worker imports them
 * without bundling anything.
 */
import type {
  GroupHeartbeatRequest,
  GroupHeartbeatResponse,
  GroupMemberDescription,
  TopicConfig,
} from "@edgelog/core";

/** How record values travel: as in HTTP (`json`, `text`, `base64`), or as raw bytes (`Uint8Array`). */
export type BindingValueFormat = "json" | "text" | "base64" | "bytes";

/** `createTopic`'s spec: `POST /v1/topics`'s body. */
export interface TopicToCreate {
  readonly name: string;
  /** Default 1. */
  readonly partitions?: number;
  readonly config?: Partial<TopicConfig>;
  /** Location hints the partitions are led from (docs/http-api.md "Regions"). */
  readonly regions?: readonly string[];
}

export interface PartitionPlacementView {
  readonly partition: number;
  readonly region: string;
}

export interface CreatedTopic {
  readonly name: string;
  readonly partitions: number;
  readonly config: TopicConfig;
  readonly topicId: string;
  readonly placement?: readonly PartitionPlacementView[];
}

export interface TopicSummary {
  readonly name: string;
  readonly partitions: number;
  readonly topicId: string;
  readonly config: TopicConfig;
}

export interface PartitionBounds {
  readonly logStartOffset: number;
  readonly highWatermark: number;
}

/** `describeTopic`: `GET /v1/topics/{topic}`. */
export interface TopicView {
  readonly name: string;
  readonly topicId: string;
  readonly config: TopicConfig;
  readonly partitions: readonly (PartitionBounds & {
    readonly partition: number;
    readonly region?: string;
    /** Retained bytes of the partition, where the store keeps the figure (every store but one over HTTP). */
    readonly sizeBytes?: number;
  })[];
}

/** One record to produce. `value` is JSON, a string or a `Uint8Array` according to the call's `valueFormat`. */
export interface RecordToSend {
  readonly key?: string | null;
  readonly value: unknown;
  /** Header name → text (or null). Names are data, `__proto__` included. */
  readonly headers?: Readonly<Record<string, string | null>>;
  /** Explicit partition; else by key (murmur2, as Kafka), else one partition for the call's keyless records. */
  readonly partition?: number;
  /** Milliseconds since the epoch; default now. */
  readonly timestamp?: number;
}

/** The idempotent producer's stamp: a retry with the same stamp is answered `duplicate`, not appended again. */
export interface ProducerStampView {
  readonly id: string;
  readonly epoch: number;
  /** Partition → base sequence of the records this call sends there. */
  readonly sequences: Readonly<Record<number, number>>;
}

export interface SendOptions {
  /** Default `json`. */
  readonly valueFormat?: BindingValueFormat;
  readonly producer?: ProducerStampView;
}

export interface SendResult {
  /** Per record, in call order. */
  readonly offsets: readonly { readonly partition: number; readonly offset: number }[];
  readonly batches: readonly {
    readonly partition: number;
    readonly baseOffset: number;
    readonly lastOffset: number;
    readonly duplicate: boolean;
  }[];
}

export interface FetchOptions {
  /** A number, `earliest` (the default) or `latest`. */
  readonly offset?: number | "earliest" | "latest";
  /** Records at most; default and bounds as HTTP (`DEFAULT_FETCH_LIMIT`, `MAX_FETCH_LIMIT`). */
  readonly limit?: number;
  /** Long-poll: ms to wait for a record when there is none yet (clamped to `MAX_WAIT_MS`). Default 0. */
  readonly wait?: number;
  /** Default `json`. */
  readonly valueFormat?: BindingValueFormat;
  /**
   * Read from this region's in-sync replica, else the leader (HTTP's `?region=`; one of the deployment's
   * `REGIONS`, else `INVALID_REQUEST`). Default: the leader.
   */
  readonly region?: string;
}

export interface FetchedRecord {
  readonly offset: number;
  readonly key: string | null;
  /** Present only when the key is not UTF-8: then `key` is base64. */
  readonly keyFormat?: "base64";
  readonly value: unknown;
  /** Present when `value` is not in the requested format (json fell back to text or base64). */
  readonly valueFormat?: "json" | "text" | "base64";
  readonly headers: Readonly<Record<string, string | null>>;
  readonly timestamp: number;
}

export interface FetchResult extends PartitionBounds {
  readonly records: readonly FetchedRecord[];
  /** Where the next fetch starts. */
  readonly nextOffset: number;
}

export interface OffsetForTime {
  /** The first offset whose timestamp is at or after the asked time, else the high watermark. */
  readonly offset: number;
  readonly found: boolean;
}

export interface OffsetToCommit {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly metadata?: string | null;
}

export interface CommitOptions {
  /** The committing member; omitted, the commit is an admin's reset of an empty group. */
  readonly memberId?: string;
  readonly memberEpoch?: number;
}

export interface CommittedOffsetView {
  readonly topic: string;
  readonly partition: number;
  /** `-1` when never committed. */
  readonly offset: number;
  /** `-1` when never committed. */
  readonly lag: number;
  readonly metadata: string | null;
}

export interface GroupView {
  readonly group: string;
  readonly state: "Empty" | "Reconciling" | "Stable";
  readonly groupEpoch: number;
  readonly assignmentEpoch: number;
  readonly assignor: string;
  readonly members: readonly GroupMemberDescription[];
  readonly offsets: readonly CommittedOffsetView[];
}

/** A heartbeat; `memberId` may be left out when joining (`memberEpoch: 0`), the server then picks one. */
export type HeartbeatRequest = Omit<GroupHeartbeatRequest, "memberId"> & { readonly memberId?: string };

/**
 * What a Worker bound to edgelog can call (`env.EDGELOG.createTopic(...)`), with the HTTP API's validation,
 * limits and error codes. Failures reject with an `Error` whose message is the error's JSON; `fromRpcError` /
 * `withEdgeLogErrors` from `@edgelog/core` turn it back into an `EdgeLogError`.
 */
export interface EdgeLogBinding {
  // Admin
  createTopic(topic: TopicToCreate): Promise<CreatedTopic>;
  describeTopic(topic: string): Promise<TopicView>;
  listTopics(): Promise<TopicSummary[]>;
  deleteTopic(topic: string): Promise<void>;
  createPartitions(topic: string, count: number): Promise<TopicView>;
  /** `PATCH /v1/topics/{topic}`: sets the named configs, `null` resets one to its default. */
  alterTopicConfig(
    topic: string,
    config: Readonly<Record<string, string | number | boolean | null>>,
  ): Promise<TopicView>;
  deleteRecords(topic: string, partition: number, beforeOffset: number): Promise<PartitionBounds>;
  // Producer
  send(topic: string, records: readonly RecordToSend[], options?: SendOptions): Promise<SendResult>;
  // Consumer
  fetchRecords(topic: string, partition: number, options?: FetchOptions): Promise<FetchResult>;
  listOffsets(topic: string, partition: number): Promise<PartitionBounds>;
  offsetForTimestamp(topic: string, partition: number, timestamp: number): Promise<OffsetForTime>;
  // Consumer groups
  heartbeat(group: string, request: HeartbeatRequest): Promise<GroupHeartbeatResponse>;
  commitOffsets(group: string, offsets: readonly OffsetToCommit[], options?: CommitOptions): Promise<void>;
  fetchOffsets(group: string, topics?: readonly string[]): Promise<CommittedOffsetView[]>;
  describeGroup(group: string): Promise<GroupView>;
  listGroups(): Promise<string[]>;
  deleteGroup(group: string): Promise<void>;
}
