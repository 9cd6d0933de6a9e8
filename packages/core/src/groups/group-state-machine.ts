/**
 * @module
 * The consumer-group coordinator as a pure state machine (KIP-848's group and member epochs, server-side
 * assignment, incremental reconciliation), over JSON state that any store can keep. No I/O and no clock:
 * callers pass `now` and a snapshot of topic metadata, so the same transitions run in the memory store, in
 * IndexedDB and inside a Durable Object, and property tests can drive them directly.
 *
 * The safety rule: a partition is owned (assigned or awaiting revocation) by at most one member at any time.
 * When the target moves a partition, its old owner first gets an assignment without it and keeps owning it
 * until a later heartbeat shows it released (or the member is removed); only then can the new owner receive it.
 */
import { dict } from "../dict.ts";
import { EdgeLogError } from "../errors.ts";
import { compareStrings } from "../validation.ts";
import { type AssignorMember, assignorNamed, DEFAULT_ASSIGNOR } from "./assignors.ts";
import type {
  GroupDescription,
  GroupHeartbeatRequest,
  GroupHeartbeatResponse,
  GroupMemberRef,
  GroupStateName,
} from "./group-types.ts";
import { JOIN_GROUP_EPOCH, LEAVE_GROUP_EPOCH } from "./group-types.ts";
import {
  add,
  entries,
  equal,
  filter,
  fromList,
  intersect,
  isEmpty,
  minus,
  type PartitionMap,
  partitionMapOf,
  toList,
} from "./partition-map.ts";

/**
 * Members one consumer group holds at most (Kafka's `group.consumer.max.size`, whose default is unbounded): every
 * heartbeat of the group reads and writes the whole member table and every assignment walks it, so it is bounded
 * like every other user-supplied collection. 1,000 is also the most partitions a topic has: more members than
 * that could not all be given work by a group on one topic.
 */
export const MAX_GROUP_MEMBERS = 1_000;

/** Bounds and defaults a coordinator applies (Kafka's `group.consumer.*` settings). */
export interface CoordinatorConfig {
  /** Members the group takes at most (default {@link MAX_GROUP_MEMBERS}); a join past it is `GROUP_MAX_SIZE_REACHED`. */
  readonly maxMembers: number;
  /** Default 45 000 (Kafka's `group.consumer.session.timeout.ms`). */
  readonly sessionTimeoutMs: number;
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  /** Default 3 000; never more than a third of the member's session timeout. */
  readonly heartbeatIntervalMs: number;
  /** How long a member may take to release revoked partitions. Default 60 000 (KafkaJS's rebalance timeout). */
  readonly rebalanceTimeoutMs: number;
  readonly maxRebalanceTimeoutMs: number;
}

export const DEFAULT_COORDINATOR_CONFIG: CoordinatorConfig = {
  maxMembers: MAX_GROUP_MEMBERS,
  sessionTimeoutMs: 45_000,
  minSessionTimeoutMs: 1_000,
  maxSessionTimeoutMs: 1_800_000,
  heartbeatIntervalMs: 3_000,
  rebalanceTimeoutMs: 60_000,
  maxRebalanceTimeoutMs: 1_800_000,
};

export interface MemberRecord {
  readonly memberId: string;
  memberEpoch: number;
  /** Accepted too when the owned partitions match: the answer that moved the epoch may have been lost. */
  previousMemberEpoch: number;
  clientId: string | null;
  topics: string[];
  serverAssignor: string | null;
  /** What the member owns and may process. */
  assigned: PartitionMap;
  /** What it still owns but was asked to release. */
  pendingRevocation: PartitionMap;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  lastHeartbeatMs: number;
  revocationDeadlineMs: number | null;
}

/** What a topic looked like when the target was computed; a change (growth, deletion, re-creation) re-assigns. */
export interface TopicSnapshot {
  readonly topicId: string;
  readonly partitions: number;
}

export interface GroupState {
  readonly kind: typeof STATE_KIND;
  /** Bumps whenever membership, subscriptions or the subscribed topics change. */
  groupEpoch: number;
  /** The group epoch the target assignment was computed at. */
  assignmentEpoch: number;
  assignor: string;
  topics: Record<string, TopicSnapshot>;
  members: Record<string, MemberRecord>;
  target: Record<string, PartitionMap>;
}

const STATE_KIND = "edgelog.consumer-group.v1";

export function emptyGroupState(): GroupState {
  return {
    kind: STATE_KIND,
    groupEpoch: 0,
    assignmentEpoch: 0,
    assignor: DEFAULT_ASSIGNOR,
    topics: dict(),
    members: dict(),
    target: dict(),
  };
}

export function isGroupState(stored: unknown): boolean {
  return typeof stored === "object" && stored !== null && (stored as { kind?: unknown }).kind === STATE_KIND;
}

/**
 * Reads stored state back; state some other component keeps under the same id is refused. Takes `stored` over
 * rather than copying it: every `GroupStateStore` hands out a copy of its own (as JSON parsing and structured
 * clone do), and a second copy of the whole group was most of a heartbeat's cost in a large group.
 */
export function readGroupState(groupId: string, stored: unknown): GroupState {
  if (stored === null || stored === undefined) return emptyGroupState();
  if (!isGroupState(stored)) {
    throw new EdgeLogError("INVALID_GROUP_ID", `"${groupId}" is not a consumer group`, {
      context: { groupId },
    });
  }
  // Every map keyed by topic or member names becomes a dict again: JSON and structured clone hand out ordinary
  // objects, on which a member named "constructor" would be found before it joined.
  const state = stored as GroupState;
  const members = dict(state.members);
  for (const member of Object.values(members)) {
    member.assigned = partitionMapOf(member.assigned);
    member.pendingRevocation = partitionMapOf(member.pendingRevocation);
  }
  const target = dict<PartitionMap>();
  for (const [memberId, map] of Object.entries(state.target)) target[memberId] = partitionMapOf(map);
  return { ...state, topics: dict(state.topics), members, target };
}

/** The topics any member subscribes to (plus `extra`): the metadata a transition needs. */
export function subscribedTopics(state: GroupState, extra: readonly string[] = []): string[] {
  const all = new Set(extra);
  for (const member of Object.values(state.members)) for (const t of member.topics) all.add(t);
  return [...all].sort(compareStrings);
}

/** Removes members whose session or revocation deadline passed; returns their ids. */
export function expireMembers(state: GroupState, nowMs: number): string[] {
  const expired = Object.values(state.members)
    .filter((m) => nowMs > deadlineOf(m))
    .map((m) => m.memberId);
  for (const memberId of expired) removeMember(state, memberId);
  return expired;
}

/** Whether `expireMembers` would remove anyone now (without changing the state). */
export function anyExpired(state: GroupState, nowMs: number): boolean {
  for (const member of Object.values(state.members)) if (nowMs > deadlineOf(member)) return true;
  return false;
}

/** When the next member would expire (for alarms), or `null` without members. */
export function nextDeadline(state: GroupState): number | null {
  let next: number | null = null;
  for (const member of Object.values(state.members)) {
    const deadline = deadlineOf(member);
    if (next === null || deadline < next) next = deadline;
  }
  return next;
}

/**
 * Brings the group up to date with `topics` (metadata of every subscribed topic that exists) and recomputes the
 * target when the group epoch moved. Partitions of deleted topics are dropped from every member at once: no one
 * can read them any more.
 */
export function refreshTarget(state: GroupState, topics: ReadonlyMap<string, TopicSnapshot>): void {
  const known: Record<string, TopicSnapshot> = dict();
  for (const name of referencedTopics(state)) {
    const snapshot = topics.get(name);
    if (snapshot !== undefined) known[name] = { topicId: snapshot.topicId, partitions: snapshot.partitions };
  }
  // Nothing to drop when every topic is as it was: what members own was checked against these same snapshots
  // (a partition is only ever taken from a target computed over them), so a steady heartbeat skips the walk.
  if (sameTopics(state.topics, known)) {
    if (state.groupEpoch !== state.assignmentEpoch) retarget(state, known);
    return;
  }
  // Owned partitions of a topic that is gone (deleted, or deleted and re-created) are dropped at once: nobody
  // can read them any more. Partitions of a topic merely unsubscribed are revoked the usual way.
  const stillThere = (topic: string, p: number): boolean => {
    const before = state.topics[topic];
    const after = known[topic];
    return (
      after !== undefined &&
      p < after.partitions &&
      (before === undefined || before.topicId === after.topicId)
    );
  };
  for (const member of Object.values(state.members)) {
    member.assigned = filter(member.assigned, stillThere);
    member.pendingRevocation = filter(member.pendingRevocation, stillThere);
    if (isEmpty(member.pendingRevocation)) member.revocationDeadlineMs = null;
  }
  const subscribed = subscribedTopics(state);
  if (!sameTopics(pick(state.topics, subscribed), pick(known, subscribed))) state.groupEpoch++;
  state.topics = known;
  if (state.groupEpoch === state.assignmentEpoch) return;
  retarget(state, known);
}

/** The assignor's target for the members as they are now, at the current group epoch. */
function retarget(state: GroupState, known: Record<string, TopicSnapshot>): void {
  const subscribed = subscribedTopics(state);
  state.assignor = preferredAssignor(state);
  // Assignors see only topics that exist: their work then follows what exists, not what members named.
  const members: AssignorMember[] = Object.values(state.members).map((m) => ({
    memberId: m.memberId,
    topics: m.topics.filter((t) => known[t] !== undefined),
    previous: state.target[m.memberId] ?? dict(),
  }));
  const counts = new Map(
    subscribed.flatMap((name) => (known[name] === undefined ? [] : [[name, known[name].partitions]])),
  );
  state.target = assignorNamed(state.assignor).assign(members, counts);
  state.assignmentEpoch = state.groupEpoch;
}

/** Topics the group subscribes to or still owns partitions of: those whose metadata a transition needs. */
export function referencedTopics(state: GroupState, extra: readonly string[] = []): string[] {
  const all = new Set(subscribedTopics(state, extra));
  for (const member of Object.values(state.members)) {
    for (const t of Object.keys(member.assigned)) all.add(t);
    for (const t of Object.keys(member.pendingRevocation)) all.add(t);
  }
  return [...all].sort(compareStrings);
}

/** Checks and records the membership part of a heartbeat (join, leave, fencing, subscription); no assignment yet. */
export function applyMembership(
  state: GroupState,
  groupId: string,
  request: GroupHeartbeatRequest,
  nowMs: number,
  config: CoordinatorConfig,
): MemberRecord | null {
  const { memberId, memberEpoch } = request;
  const existing = state.members[memberId];
  if (memberEpoch === LEAVE_GROUP_EPOCH) {
    if (existing !== undefined) removeMember(state, memberId);
    return null;
  }
  let member: MemberRecord;
  if (memberEpoch === JOIN_GROUP_EPOCH) {
    if (request.topics === undefined) {
      throw new EdgeLogError("INVALID_REQUEST", "joining (memberEpoch 0) needs `topics`", {
        context: { groupId, memberId },
      });
    }
    // A rejoin replaces its member and always fits; only a new member can overfill the group. Expired members
    // were removed before this transition, so their places are free again.
    if (existing === undefined) assertRoomFor(state, groupId, memberId, config.maxMembers);
    // A join owns nothing: a fenced member rejoining has dropped its partitions, so they are free again.
    member = {
      memberId,
      memberEpoch: JOIN_GROUP_EPOCH,
      previousMemberEpoch: LEAVE_GROUP_EPOCH,
      clientId: null,
      topics: [],
      serverAssignor: null,
      assigned: dict(),
      pendingRevocation: dict(),
      sessionTimeoutMs: config.sessionTimeoutMs,
      rebalanceTimeoutMs: config.rebalanceTimeoutMs,
      lastHeartbeatMs: nowMs,
      revocationDeadlineMs: null,
    };
    state.members[memberId] = member;
    state.groupEpoch++;
  } else {
    if (existing === undefined) {
      throw new EdgeLogError(
        "UNKNOWN_MEMBER_ID",
        `group "${groupId}" has no member "${memberId}"; rejoin with epoch 0`,
        {
          context: { groupId, memberId },
        },
      );
    }
    member = existing;
    const owned = request.ownedPartitions === undefined ? null : fromList(request.ownedPartitions);
    const answerLost =
      memberEpoch === member.previousMemberEpoch && owned !== null && isEmpty(minus(owned, member.assigned));
    if (memberEpoch !== member.memberEpoch && !answerLost) {
      throw new EdgeLogError(
        "FENCED_MEMBER_EPOCH",
        `member "${memberId}" of group "${groupId}" is at epoch ${member.memberEpoch}, not ${memberEpoch}; rejoin with epoch 0`,
        { context: { groupId, memberId, memberEpoch: member.memberEpoch } },
      );
    }
  }
  if (request.topics !== undefined) {
    const topics = [...new Set(request.topics)].sort(compareStrings);
    if (topics.join("\u0000") !== member.topics.join("\u0000")) {
      member.topics = topics;
      if (memberEpoch !== JOIN_GROUP_EPOCH) state.groupEpoch++;
    }
  }
  if (request.serverAssignor !== undefined && request.serverAssignor !== member.serverAssignor) {
    assignorNamed(request.serverAssignor);
    member.serverAssignor = request.serverAssignor;
    if (memberEpoch !== JOIN_GROUP_EPOCH) state.groupEpoch++;
  }
  if (request.clientId !== undefined) member.clientId = request.clientId;
  if (request.sessionTimeoutMs !== undefined) {
    member.sessionTimeoutMs = clamp(
      request.sessionTimeoutMs,
      config.minSessionTimeoutMs,
      config.maxSessionTimeoutMs,
    );
  }
  if (request.rebalanceTimeoutMs !== undefined) {
    member.rebalanceTimeoutMs = clamp(request.rebalanceTimeoutMs, 0, config.maxRebalanceTimeoutMs);
  }
  member.lastHeartbeatMs = nowMs;
  return member;
}

/** `GROUP_MAX_SIZE_REACHED` (Kafka's code) when the group already holds `maxMembers` members. */
function assertRoomFor(state: GroupState, groupId: string, memberId: string, maxMembers: number): void {
  const members = Object.keys(state.members).length;
  if (members >= maxMembers) {
    throw new EdgeLogError(
      "GROUP_MAX_SIZE_REACHED",
      `group "${groupId}" already has ${members} members, the limit is ${maxMembers}; "${memberId}" cannot join`,
      { context: { groupId, memberId, limit: maxMembers, actual: members } },
    );
  }
}

/**
 * Moves one member toward its target (KIP-848's current-assignment builder): first release what the target
 * took away (the epoch stays until the release is acknowledged), then take the new epoch, then receive the
 * partitions of the target that no other member owns any more.
 */
export function reconcileMember(
  state: GroupState,
  member: MemberRecord,
  ownedPartitions: GroupHeartbeatRequest["ownedPartitions"],
  nowMs: number,
): void {
  if (!isEmpty(member.pendingRevocation)) {
    const owned = ownedPartitions === undefined ? null : fromList(ownedPartitions);
    if (owned !== null && !isEmpty(intersect(owned, member.pendingRevocation))) return;
    member.pendingRevocation = dict();
    member.revocationDeadlineMs = null;
  }
  const target = state.target[member.memberId] ?? dict();
  if (member.memberEpoch !== state.assignmentEpoch) {
    const revoked = minus(member.assigned, target);
    if (!isEmpty(revoked)) {
      member.assigned = intersect(member.assigned, target);
      member.pendingRevocation = revoked;
      member.revocationDeadlineMs = nowMs + member.rebalanceTimeoutMs;
      return;
    }
    member.previousMemberEpoch = member.memberEpoch;
    member.memberEpoch = state.assignmentEpoch;
  }
  // Only the partitions still missing are looked up in other members: a member that has its whole target (the
  // steady state) costs nothing here, and otherwise the cost follows what is missing, not what others own.
  const missing = minus(target, member.assigned);
  if (isEmpty(missing)) return;
  const ownedByOthers = new Map<string, Set<number>>();
  for (const topic of Object.keys(missing)) ownedByOthers.set(topic, new Set());
  for (const other of Object.values(state.members)) {
    if (other.memberId === member.memberId) continue;
    for (const map of [other.assigned, other.pendingRevocation]) {
      for (const [topic, owned] of ownedByOthers) for (const p of map[topic] ?? []) owned.add(p);
    }
  }
  for (const [t, p] of entries(missing)) if (!ownedByOthers.get(t)?.has(p)) add(member.assigned, t, p);
}

export function heartbeatResponse(member: MemberRecord, config: CoordinatorConfig): GroupHeartbeatResponse {
  return {
    memberId: member.memberId,
    memberEpoch: member.memberEpoch,
    heartbeatIntervalMs: heartbeatIntervalFor(member.sessionTimeoutMs, config),
    sessionTimeoutMs: member.sessionTimeoutMs,
    assignment: toList(member.assigned),
  };
}

export function leaveResponse(memberId: string, config: CoordinatorConfig): GroupHeartbeatResponse {
  return {
    memberId,
    memberEpoch: LEAVE_GROUP_EPOCH,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    sessionTimeoutMs: config.sessionTimeoutMs,
    assignment: [],
  };
}

/**
 * Whether an offset commit may go ahead: a member must be in the group at its current epoch
 * (`UNKNOWN_MEMBER_ID`, `STALE_MEMBER_EPOCH`, `FENCED_MEMBER_EPOCH` for an epoch from the future); a commit
 * without a member (an admin's) only while the group has no members (`NON_EMPTY_GROUP`).
 */
export function checkCommit(state: GroupState, groupId: string, member: GroupMemberRef | undefined): void {
  if (member === undefined) {
    const count = Object.keys(state.members).length;
    if (count > 0) {
      throw new EdgeLogError(
        "NON_EMPTY_GROUP",
        `group "${groupId}" has ${count} active member(s): commit as a member (memberId, memberEpoch) or stop them first`,
        { context: { groupId } },
      );
    }
    return;
  }
  const record = state.members[member.memberId];
  if (record === undefined) {
    throw new EdgeLogError("UNKNOWN_MEMBER_ID", `group "${groupId}" has no member "${member.memberId}"`, {
      context: { groupId, memberId: member.memberId },
    });
  }
  if (member.memberEpoch > record.memberEpoch) {
    throw new EdgeLogError(
      "FENCED_MEMBER_EPOCH",
      `member "${member.memberId}" is at epoch ${record.memberEpoch}, not ${member.memberEpoch}`,
      { context: { groupId, memberId: member.memberId, memberEpoch: record.memberEpoch } },
    );
  }
  if (member.memberEpoch < record.memberEpoch) {
    throw new EdgeLogError(
      "STALE_MEMBER_EPOCH",
      `member "${member.memberId}" committed with epoch ${member.memberEpoch}; it is at ${record.memberEpoch}`,
      { context: { groupId, memberId: member.memberId, memberEpoch: record.memberEpoch } },
    );
  }
}

export function describeGroupState(groupId: string, state: GroupState): GroupDescription {
  const members = Object.values(state.members).sort((a, b) => compareStrings(a.memberId, b.memberId));
  const settled = members.every(
    (m) =>
      m.memberEpoch === state.assignmentEpoch &&
      isEmpty(m.pendingRevocation) &&
      equal(m.assigned, state.target[m.memberId] ?? dict()),
  );
  const name: GroupStateName =
    members.length === 0
      ? "Empty"
      : settled && state.groupEpoch === state.assignmentEpoch
        ? "Stable"
        : "Reconciling";
  return {
    groupId,
    state: name,
    groupEpoch: state.groupEpoch,
    assignmentEpoch: state.assignmentEpoch,
    assignor: state.assignor,
    members: members.map((m) => ({
      memberId: m.memberId,
      memberEpoch: m.memberEpoch,
      clientId: m.clientId,
      topics: [...m.topics],
      assignment: toList(m.assigned),
      targetAssignment: toList(state.target[m.memberId] ?? dict()),
      pendingRevocation: toList(m.pendingRevocation),
      lastHeartbeatMs: m.lastHeartbeatMs,
      sessionTimeoutMs: m.sessionTimeoutMs,
    })),
  };
}

export function heartbeatIntervalFor(sessionTimeoutMs: number, config: CoordinatorConfig): number {
  return Math.max(1, Math.min(config.heartbeatIntervalMs, Math.floor(sessionTimeoutMs / 3)));
}

function removeMember(state: GroupState, memberId: string): void {
  delete state.members[memberId];
  delete state.target[memberId];
  state.groupEpoch++;
}

function deadlineOf(member: MemberRecord): number {
  const session = member.lastHeartbeatMs + member.sessionTimeoutMs;
  return member.revocationDeadlineMs === null ? session : Math.min(session, member.revocationDeadlineMs);
}

/** The assignor most members prefer; ties and no preference go to the coordinator's order (uniform first). */
function preferredAssignor(state: GroupState): string {
  const votes = new Map<string, number>();
  for (const m of Object.values(state.members)) {
    if (m.serverAssignor !== null) votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1);
  }
  let best = DEFAULT_ASSIGNOR;
  let bestVotes = votes.get(best) ?? 0;
  for (const [name, count] of votes) {
    if (count > bestVotes) {
      best = name;
      bestVotes = count;
    }
  }
  return best;
}

function pick(
  topics: Record<string, TopicSnapshot>,
  names: readonly string[],
): Record<string, TopicSnapshot> {
  return dict(
    names.flatMap((n): [string, TopicSnapshot][] => (topics[n] === undefined ? [] : [[n, topics[n]]])),
  );
}

function sameTopics(a: Record<string, TopicSnapshot>, b: Record<string, TopicSnapshot>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => a[k]?.topicId === b[k]?.topicId && a[k]?.partitions === b[k]?.partitions);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
