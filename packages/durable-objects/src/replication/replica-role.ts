/**
 * @module
 * What a partition object knows about its replica set: the controller's record (leader, replicas, in-sync set,
 * leader epoch) plus its own region and the namespace it lives in, so a leader can name its followers and its
 * controller. And the messages replication sends between them.
 */
import type { LeaderEpochEntry, PartitionReplication } from "@edgelog/core/store-kit";

export interface ReplicaRole extends PartitionReplication {
  /** The region of the object that holds this role. */
  readonly region: string;
  /** The namespace prefix of the log (object names of followers and controller). */
  readonly prefix: string;
}

/** One batch as the leader placed it. */
export interface ReplicatedBatch {
  readonly baseOffset: number;
  readonly logAppendTime: number;
  readonly payload: Uint8Array;
}

/**
 * Leader → follower: batches from the follower's log end on, and the leader's high watermark (no batches: a
 * watermark-only push to a follower serving readers).
 */
export interface ReplicateRequest {
  readonly topicId: string;
  readonly leader: string;
  readonly leaderEpoch: number;
  /** Contiguous, in offset order, starting at or below the follower's log end. */
  readonly batches: readonly ReplicatedBatch[];
  readonly highWatermark: number;
  /** The leader's log start: records deleted there (retention, DeleteRecords) go on the followers too. */
  readonly logStartOffset: number;
  /** The leader's leader-epoch table and log end: a follower cuts what it wrote past them first (KIP-101). */
  readonly leaderEpochs: readonly LeaderEpochEntry[];
  readonly leaderLogEnd: number;
}

export interface ReplicateResponse {
  /** The follower's log end offset after applying what fitted. */
  readonly logEnd: number;
  /**
   * Readers wait (or recently waited) on this follower: it wants a watermark-only push whenever the high watermark
   * moves, not only with the next write (reads near the reader).
   */
  readonly readers?: boolean;
}

export function isLeader(role: ReplicaRole): boolean {
  return role.leader === role.region;
}

export function followersOf(role: ReplicaRole): string[] {
  return role.replicas.filter((region) => region !== role.region);
}
