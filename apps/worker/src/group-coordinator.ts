/**
 * @module
 * A small server-side group coordinator in the spirit of KIP-848: members heartbeat, the server computes the
 * assignment, and member epochs fence stale members. State lives in the store (`getGroupState` /
 * `putGroupState`, compare-and-set), so any Worker isolate can serve any heartbeat; a lost race is retried.
 *
 * Simplifications (documented in the README): assignment is round-robin per topic over the subscribed members in
 * id order; a member learns of a changed assignment on its next heartbeat (its epoch then moves), so for a
 * moment an old owner may still hold a partition — "exactly one owner" holds once every member has heartbeated.
 */
import {
  EdgeLogError,
  isEdgeLogError,
  type LogStore,
  randomId,
  type VersionedGroupState,
} from "@edgelog/core";

/** How often members should heartbeat. */
export const HEARTBEAT_INTERVAL_MS = 3_000;
/** A member silent for longer is removed and its partitions move (Kafka's `group.consumer.session.timeout.ms`). */
export const SESSION_TIMEOUT_MS = 45_000;
/** Compare-and-set attempts before giving up with the retriable `CONCURRENT_TRANSACTIONS`. */
const MAX_CAS_ATTEMPTS = 8;
/** KIP-848's epochs: 0 joins, -1 leaves. */
export const JOIN_EPOCH = 0;
export const LEAVE_EPOCH = -1;

export interface TopicAssignment {
  topic: string;
  partitions: number[];
}

export interface MemberState {
  memberId: string;
  memberEpoch: number;
  topics: string[];
  lastHeartbeatMs: number;
  /** The assignment last given to the member. */
  assignment: TopicAssignment[];
}

export interface GroupState {
  groupEpoch: number;
  members: MemberState[];
}

export interface HeartbeatRequest {
  memberId: string | undefined;
  memberEpoch: number;
  topics: string[] | undefined;
}

export interface HeartbeatResponse {
  memberId: string;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: TopicAssignment[];
}

export function readGroupState(versioned: VersionedGroupState | null): GroupState {
  const state = versioned?.state as Partial<GroupState> | undefined;
  return { groupEpoch: state?.groupEpoch ?? 0, members: Array.isArray(state?.members) ? state.members : [] };
}

/** Members whose session has not expired at `nowMs`. */
export function liveMembers(state: GroupState, nowMs: number): MemberState[] {
  return state.members.filter((m) => nowMs - m.lastHeartbeatMs <= SESSION_TIMEOUT_MS);
}

/** One heartbeat: join, leave, or confirm; answers the member's (possibly new) epoch and assignment. */
export async function heartbeat(
  store: LogStore,
  groupId: string,
  request: HeartbeatRequest,
  nowMs: number,
): Promise<HeartbeatResponse> {
  const memberId = request.memberId ?? randomId();
  for (let attempt = 1; ; attempt++) {
    const versioned = await store.getGroupState(groupId);
    const state = readGroupState(versioned);
    state.members = liveMembers(state, nowMs);
    const response = await apply(store, groupId, state, { ...request, memberId }, nowMs);
    try {
      await store.putGroupState(groupId, state, versioned?.version ?? null);
      return response;
    } catch (error) {
      if (!isEdgeLogError(error) || error.code !== "CONCURRENT_TRANSACTIONS" || attempt >= MAX_CAS_ATTEMPTS) {
        throw error;
      }
    }
  }
}

async function apply(
  store: LogStore,
  groupId: string,
  state: GroupState,
  request: HeartbeatRequest & { memberId: string },
  nowMs: number,
): Promise<HeartbeatResponse> {
  const { memberId, memberEpoch } = request;
  const index = state.members.findIndex((m) => m.memberId === memberId);
  if (memberEpoch === LEAVE_EPOCH) {
    if (index >= 0) state.members.splice(index, 1);
    return { memberId, memberEpoch: LEAVE_EPOCH, heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS, assignment: [] };
  }
  let member = state.members[index];
  if (memberEpoch === JOIN_EPOCH) {
    if (request.topics === undefined) {
      throw new EdgeLogError("INVALID_REQUEST", "joining (memberEpoch 0) needs `topics`", {
        context: { groupId, memberId },
      });
    }
    member = { memberId, memberEpoch: JOIN_EPOCH, topics: [], lastHeartbeatMs: nowMs, assignment: [] };
    if (index >= 0) state.members[index] = member;
    else state.members.push(member);
  } else if (member === undefined) {
    throw new EdgeLogError(
      "UNKNOWN_MEMBER_ID",
      `group "${groupId}" has no member "${memberId}"; rejoin with epoch 0`,
      {
        context: { groupId, memberId },
      },
    );
  } else if (member.memberEpoch !== memberEpoch) {
    throw new EdgeLogError(
      "FENCED_MEMBER_EPOCH",
      `member "${memberId}" is at epoch ${member.memberEpoch}, not ${memberEpoch}; rejoin with epoch 0`,
      { context: { groupId, memberId, memberEpoch: member.memberEpoch } },
    );
  }
  if (request.topics !== undefined) member.topics = [...new Set(request.topics)].sort();
  member.lastHeartbeatMs = nowMs;

  const target = (await targetAssignments(store, state.members)).get(memberId) ?? [];
  if (member.memberEpoch === JOIN_EPOCH || !sameAssignment(member.assignment, target)) {
    state.groupEpoch += 1;
    member.memberEpoch = state.groupEpoch;
    member.assignment = target;
  }
  return {
    memberId,
    memberEpoch: member.memberEpoch,
    heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
    assignment: member.assignment,
  };
}

/** Round-robin per topic over its subscribers in member-id order; deleted topics assign nothing. */
export async function targetAssignments(
  store: LogStore,
  members: readonly MemberState[],
): Promise<Map<string, TopicAssignment[]>> {
  const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
  const counts = await Promise.all(topics.map(async (t) => (await store.getTopic(t))?.partitions ?? 0));
  const result = new Map<string, TopicAssignment[]>(members.map((m) => [m.memberId, []]));
  topics.forEach((topic, i) => {
    const subscribers = members
      .filter((m) => m.topics.includes(topic))
      .map((m) => m.memberId)
      .sort();
    const byMember = new Map<string, number[]>();
    for (let partition = 0; partition < (counts[i] as number); partition++) {
      const owner = subscribers[partition % subscribers.length] as string;
      byMember.set(owner, [...(byMember.get(owner) ?? []), partition]);
    }
    for (const [owner, partitions] of byMember) result.get(owner)?.push({ topic, partitions });
  });
  return result;
}

function sameAssignment(a: readonly TopicAssignment[], b: readonly TopicAssignment[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
