/**
 * @module
 * The share-group protocol's public shapes (KIP-932's ShareFetch and ShareAcknowledge, one request here): a member
 * sends its share session epoch, the topics it reads and what it says about records it holds, and gets records
 * acquired for it back — whole stored batches plus the offset ranges it now holds, with their delivery counts. The
 * HTTP API (docs/http-api.md "Share groups") carries these objects.
 */
import type { StoredBatch } from "../store.ts";
import type { ShareGroupConfig } from "./share-config.ts";
import type { AcknowledgeType } from "./share-partition.ts";

/** What a member says about a run of offsets of one partition it holds. */
export interface ShareAcknowledgementBatch {
  readonly topic: string;
  readonly partition: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly type: AcknowledgeType;
  /** Why (release, reject): kept with the records and copied to the dead-letter topic. At most 512 characters. */
  readonly error?: string | null;
}

export interface ShareFetchRequest {
  /** Chosen by the client, so a retried open is the same member. */
  readonly memberId: string;
  /** `0` opens a share session (releasing what an older session of this member held), `-1` closes it, else the epoch last answered. */
  readonly sessionEpoch: number;
  /** The topics to acquire from: required unless `maxRecords` is 0 or the session closes. */
  readonly topics?: readonly string[];
  /** Records to acquire at most (default 500, at most 10,000); `0` only acknowledges. */
  readonly maxRecords?: number;
  /** When nothing can be acquired now, wait up to this long (ms, default 0, at most 30,000). */
  readonly maxWaitMs?: number;
  /** Acknowledgements of records acquired earlier, applied before anything is acquired. */
  readonly acknowledgements?: readonly ShareAcknowledgementBatch[];
  readonly clientId?: string;
}

/** A run of offsets a member now holds, each delivered `deliveryCount` times (this delivery included). */
export interface AcquiredRange {
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly deliveryCount: number;
}

/** What one partition gave a fetch: whole batches, of which only the acquired offsets are the member's. */
export interface ShareFetchPartition {
  readonly topic: string;
  readonly partition: number;
  readonly batches: StoredBatch[];
  readonly acquired: AcquiredRange[];
}

/** An acknowledgement the group refused (all of that partition's acknowledgements in the request are refused). */
export interface ShareAcknowledgeError {
  readonly topic: string;
  readonly partition: number;
  readonly code: string;
  readonly message: string;
}

export interface ShareFetchResponse {
  readonly memberId: string;
  /** The epoch the member's next request carries (`-1` once the session is closed). */
  readonly sessionEpoch: number;
  /** How long the records acquired now stay locked to this member (ms). */
  readonly acquisitionLockTimeoutMs: number;
  readonly partitions: ShareFetchPartition[];
  readonly acknowledgeErrors: ShareAcknowledgeError[];
}

export interface ShareMemberDescription {
  readonly memberId: string;
  readonly clientId: string | null;
  readonly topics: readonly string[];
  readonly sessionEpoch: number;
  readonly lastSeenMs: number;
}

export interface SharePartitionDescription {
  readonly topic: string;
  readonly partition: number;
  /** KIP-932's share-partition start offset: records below it are done. */
  readonly startOffset: number;
  /** The next offset the group will take from the log. */
  readonly endOffset: number;
  /** Records between the two, by state. */
  readonly inFlight: {
    readonly available: number;
    readonly acquired: number;
    readonly acknowledged: number;
    readonly archived: number;
  };
  readonly pendingDeadLetters: number;
  readonly nextLockDeadline: number | null;
}

export interface ShareGroupDescription {
  readonly groupId: string;
  /** `Stable` while members have sessions, else `Empty`. */
  readonly state: "Empty" | "Stable";
  readonly config: ShareGroupConfig;
  readonly members: readonly ShareMemberDescription[];
  readonly partitions: readonly SharePartitionDescription[];
}
