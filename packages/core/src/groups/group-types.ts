/**
 * @module
 * The consumer-group protocol's public shapes, in the spirit of Kafka's KIP-848 `ConsumerGroupHeartbeat`: a
 * member heartbeats with its subscription and gets its assignment back; the coordinator (in the store) decides.
 * The HTTP API (docs/http-api.md "Consumer groups") carries exactly these objects.
 */

/** Some partitions of one topic. */
export interface TopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

/** KIP-848's member epochs with a meaning of their own. */
export const JOIN_GROUP_EPOCH = 0;
export const LEAVE_GROUP_EPOCH = -1;

export interface GroupHeartbeatRequest {
  /** Chosen by the client (KIP-1082), so a retried join is idempotent. */
  readonly memberId: string;
  /** `0` joins (or rejoins after being fenced), `-1` leaves, otherwise the epoch the member last received. */
  readonly memberEpoch: number;
  /** Subscribed topic names: required when joining, optional afterwards (absent = unchanged). */
  readonly topics?: readonly string[];
  /**
   * The partitions the member still owns. A revocation completes once they exclude the revoked partitions;
   * absent, the heartbeat itself counts as acknowledging the previous answer (fine for clients that apply an
   * assignment before sending their next heartbeat).
   */
  readonly ownedPartitions?: readonly TopicPartitions[];
  /** How long the member may stay silent before it is removed. Clamped to the coordinator's bounds. */
  readonly sessionTimeoutMs?: number;
  /** How long the member may take to release revoked partitions before it is removed. */
  readonly rebalanceTimeoutMs?: number;
  /** Preferred assignor (`"uniform"` or `"range"`); the group uses the one most of its members prefer. */
  readonly serverAssignor?: string;
  readonly clientId?: string;
}

export interface GroupHeartbeatResponse {
  readonly memberId: string;
  readonly memberEpoch: number;
  /** When to heartbeat next. */
  readonly heartbeatIntervalMs: number;
  /** The session timeout the coordinator applies to this member. */
  readonly sessionTimeoutMs: number;
  /** Every partition the member owns now (never one another member still owns). */
  readonly assignment: readonly TopicPartitions[];
}

/** Who commits: a member proves it still belongs to the group with its current epoch. */
export interface GroupMemberRef {
  readonly memberId: string;
  readonly memberEpoch: number;
}

/** Kafka's consumer-group states as KIP-848 reports them. */
export type GroupStateName = "Empty" | "Reconciling" | "Stable";

export interface GroupMemberDescription {
  readonly memberId: string;
  readonly memberEpoch: number;
  readonly clientId: string | null;
  readonly topics: readonly string[];
  /** What the member owns now. */
  readonly assignment: readonly TopicPartitions[];
  /** What it will own once the group converges. */
  readonly targetAssignment: readonly TopicPartitions[];
  /** Partitions it was asked to release and has not yet. */
  readonly pendingRevocation: readonly TopicPartitions[];
  readonly lastHeartbeatMs: number;
  readonly sessionTimeoutMs: number;
}

export interface GroupDescription {
  readonly groupId: string;
  readonly state: GroupStateName;
  readonly groupEpoch: number;
  readonly assignmentEpoch: number;
  readonly assignor: string;
  readonly members: readonly GroupMemberDescription[];
}
