/**
 * @module
 * A share group's own document as a pure state machine over JSON: its config overrides, its members' share
 * sessions (KIP-932's ShareSessionEpoch: 0 opens, -1 closes, otherwise the epoch the group answered last), and an
 * index of its share-partitions (bounds, counts and next lock deadline of each), so a request loads only the
 * partitions it touches and an alarm knows when the next lock runs out without reading them all. The records in
 * flight live in one document per partition (`share-partition.ts`).
 */
import { type Dict, dict } from "../dict.ts";
import { EdgeLogError } from "../errors.ts";
import { MAX_GROUP_MEMBERS } from "../groups/group-state-machine.ts";
import { compareStrings } from "../validation.ts";
import type { ShareGroupConfig, ShareGroupConfigOverrides } from "./share-config.ts";
import { countStates, nextLockDeadline, type SharePartitionState, startOffsetOf } from "./share-partition.ts";

/** `sessionEpoch` values with a meaning of their own. */
export const OPEN_SHARE_SESSION_EPOCH = 0;
export const CLOSE_SHARE_SESSION_EPOCH = -1;
/** Epochs wrap to 1 past this (Kafka's int32). */
const MAX_SESSION_EPOCH = 2_147_483_647;

export interface ShareMember {
  /** The epoch the member's next request must carry. */
  sessionEpoch: number;
  lastSeenMs: number;
  clientId: string | null;
  topics: string[];
}

/** What the group knows of one share-partition without loading its records. */
export interface SharePartitionIndex {
  readonly topic: string;
  readonly partition: number;
  topicId: string;
  startOffset: number;
  endOffset: number;
  available: number;
  acquired: number;
  acknowledged: number;
  archived: number;
  /** Archived records whose dead-letter copy is still to be written. */
  pendingDeadLetters: number;
  /** The earliest lock deadline, `null` when nothing is acquired. */
  nextDeadline: number | null;
}

export interface ShareGroupMeta {
  readonly kind: typeof META_KIND;
  config: ShareGroupConfigOverrides;
  members: Dict<ShareMember>;
  /** By `sharePartitionKey`. */
  partitions: Dict<SharePartitionIndex>;
}

const META_KIND = "edgelog.share-group.v1";

/** The key of a share-partition in the group's index and its store: NUL cannot occur in a topic name. */
export function sharePartitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export function emptyShareGroupMeta(): ShareGroupMeta {
  return { kind: META_KIND, config: dict(), members: dict(), partitions: dict() };
}

/**
 * Reads a stored document back (JSON parsing and structured clone hand out ordinary objects: every map keyed by
 * user strings becomes a dict again, so a member named "constructor" is only ever an entry).
 */
export function readShareGroupMeta(groupId: string, stored: unknown): ShareGroupMeta {
  if (stored === null || stored === undefined) return emptyShareGroupMeta();
  if (typeof stored !== "object" || (stored as { kind?: unknown }).kind !== META_KIND) {
    throw new EdgeLogError("INVALID_GROUP_ID", `"${groupId}" is not a share group`, { context: { groupId } });
  }
  const meta = stored as ShareGroupMeta;
  return {
    kind: META_KIND,
    config: dict(meta.config),
    members: dict(meta.members),
    partitions: dict(meta.partitions),
  };
}

export interface SessionStep {
  /** Whether the member had a session that this request replaced (epoch 0) or ended (-1). */
  readonly replaced: boolean;
  readonly closing: boolean;
}

/**
 * Checks and moves a member's share session for one request: epoch 0 opens one (replacing any the member had),
 * -1 closes it, anything else must equal the epoch the group answered last. Any request counts as the member
 * being alive. Throws `SHARE_SESSION_NOT_FOUND`, `INVALID_SHARE_SESSION_EPOCH`, `GROUP_MAX_SIZE_REACHED`.
 */
export function stepSession(
  meta: ShareGroupMeta,
  groupId: string,
  request: {
    memberId: string;
    sessionEpoch: number;
    topics?: readonly string[] | undefined;
    clientId?: string | undefined;
  },
  now: number,
  maxMembers = MAX_GROUP_MEMBERS,
): SessionStep {
  const { memberId, sessionEpoch } = request;
  const member = meta.members[memberId];
  const context = { groupId, memberId };
  if (sessionEpoch === OPEN_SHARE_SESSION_EPOCH) {
    if (member === undefined && Object.keys(meta.members).length >= maxMembers) {
      throw new EdgeLogError(
        "GROUP_MAX_SIZE_REACHED",
        `share group "${groupId}" has ${maxMembers} members, its maximum`,
        { context: { ...context, limit: maxMembers } },
      );
    }
    meta.members[memberId] = {
      sessionEpoch: 1,
      lastSeenMs: now,
      clientId: request.clientId ?? null,
      topics: [...new Set(request.topics ?? [])].sort(compareStrings),
    };
    return { replaced: member !== undefined, closing: false };
  }
  if (member === undefined) {
    throw new EdgeLogError(
      "SHARE_SESSION_NOT_FOUND",
      `member "${memberId}" has no share session in group "${groupId}"; open one with sessionEpoch 0`,
      { context },
    );
  }
  if (sessionEpoch === CLOSE_SHARE_SESSION_EPOCH) return { replaced: true, closing: true };
  if (sessionEpoch !== member.sessionEpoch) {
    throw new EdgeLogError(
      "INVALID_SHARE_SESSION_EPOCH",
      `share session epoch ${sessionEpoch} of member "${memberId}" is not the expected ${member.sessionEpoch}`,
      { context: { ...context, expectedEpoch: member.sessionEpoch } },
    );
  }
  member.sessionEpoch = member.sessionEpoch >= MAX_SESSION_EPOCH ? 1 : member.sessionEpoch + 1;
  member.lastSeenMs = now;
  if (request.topics !== undefined && request.topics.length > 0) {
    member.topics = [...new Set(request.topics)].sort(compareStrings);
  }
  return { replaced: false, closing: false };
}

/** Members whose session ran out by `now` (silent for longer than the session timeout). */
export function expiredMembers(meta: ShareGroupMeta, now: number, config: ShareGroupConfig): string[] {
  const timeout = config["share.session.timeout.ms"];
  return Object.entries(meta.members)
    .filter(([, member]) => member.lastSeenMs + timeout < now)
    .map(([memberId]) => memberId);
}

/** Records the partition's bounds, counts and next deadline in the group's index. */
export function indexPartition(
  meta: ShareGroupMeta,
  topic: string,
  partition: number,
  state: SharePartitionState,
): void {
  const counts = countStates(state);
  meta.partitions[sharePartitionKey(topic, partition)] = {
    topic,
    partition,
    topicId: state.topicId,
    startOffset: startOffsetOf(state),
    endOffset: state.endOffset,
    available: counts.Available,
    acquired: counts.Acquired,
    acknowledged: counts.Acknowledged,
    archived: counts.Archived,
    pendingDeadLetters: counts.pending,
    nextDeadline: nextLockDeadline(state),
  };
}

/** When the group next has work without a request: a lock or a session running out. `null`: nothing to watch. */
export function nextShareDeadline(meta: ShareGroupMeta, config: ShareGroupConfig): number | null {
  let next: number | null = null;
  const consider = (at: number | null): void => {
    if (at !== null && (next === null || at < next)) next = at;
  };
  for (const index of Object.values(meta.partitions)) consider(index.nextDeadline);
  // Expiry is strictly after the timeout (as for consumer groups): wake a millisecond later.
  for (const member of Object.values(meta.members))
    consider(member.lastSeenMs + config["share.session.timeout.ms"] + 1);
  return next;
}

/** Whether any partition has dead-letter copies still to write. */
export function hasPendingDeadLetters(meta: ShareGroupMeta): boolean {
  return Object.values(meta.partitions).some((index) => index.pendingDeadLetters > 0);
}
