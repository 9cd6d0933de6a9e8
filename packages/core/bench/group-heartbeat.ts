/**
 * @module
 * What a consumer-group heartbeat costs as the group grows, through the memory store's `GroupCoordinator`: a
 * group of N members on one topic is joined and settled, then its members heartbeat in steady state (nothing
 * changed). Recorded as same-process figures under `core.group.*` keys: steady heartbeats/s at 10 and at 1,000
 * members (their ratio says whether a heartbeat's cost grows with the group) and the joins/s of filling a group
 * to 1,000 members (joined one by one, each heartbeating until every answer stops changing).
 */

import type { GroupHeartbeatResponse } from "../src/groups/group-types.ts";
import { MemoryStore } from "../src/index.ts";
import { DEFAULT_TOPIC_CONFIG } from "../src/topic-config.ts";
import type { Sink } from "./memory-store.ts";

export interface GroupPlan {
  /** The large group's size (the small one has 10 members). */
  readonly members: number;
  /** Steady heartbeats measured per group size. */
  readonly heartbeats: number;
}

const TOPIC = "bench";
const PARTITIONS = 1_000;
const GROUP = "bench-group";

interface Member {
  readonly memberId: string;
  epoch: number;
  assignment: GroupHeartbeatResponse["assignment"];
}

/** A store holding one group of `size` settled members (every one at the group's epoch with its target). */
export async function settledGroup(size: number): Promise<{ store: MemoryStore; members: Member[] }> {
  const store = new MemoryStore();
  await store.createTopic({ name: TOPIC, partitions: PARTITIONS, config: DEFAULT_TOPIC_CONFIG });
  const members: Member[] = [];
  for (let i = 0; i < size; i++) {
    const memberId = `member-${i}`;
    const answer = await store.groupHeartbeat(GROUP, {
      memberId,
      memberEpoch: 0,
      topics: [TOPIC],
      // Filling a large group takes longer than the default session: nobody may expire meanwhile.
      sessionTimeoutMs: 1_800_000,
    });
    members.push({ memberId, epoch: answer.memberEpoch, assignment: answer.assignment });
  }
  // Rounds of heartbeats that acknowledge each answer until nobody's answer changes: revocations complete,
  // freed partitions reach their new owners.
  for (let changed = true; changed; ) {
    changed = false;
    for (const member of members) {
      const before = JSON.stringify([member.epoch, member.assignment]);
      await beat(store, member);
      if (JSON.stringify([member.epoch, member.assignment]) !== before) changed = true;
    }
  }
  return { store, members };
}

async function beat(store: MemoryStore, member: Member): Promise<void> {
  const answer = await store.groupHeartbeat(GROUP, {
    memberId: member.memberId,
    memberEpoch: member.epoch,
    ownedPartitions: member.assignment,
  });
  member.epoch = answer.memberEpoch;
  member.assignment = answer.assignment;
}

/** Steady heartbeats per second: each member of a settled group in turn, `count` in all. */
export async function steadyHeartbeatRate(
  group: { store: MemoryStore; members: Member[] },
  count: number,
): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) await beat(group.store, group.members[i % group.members.length] as Member);
  return count / ((performance.now() - started) / 1000);
}

export async function groupRepetition(plan: GroupPlan, _rep: number, sink: Sink): Promise<void> {
  const small = await steadyHeartbeatRate(await settledGroup(10), plan.heartbeats);
  const filling = performance.now();
  const group = await settledGroup(plan.members);
  const joins = plan.members / ((performance.now() - filling) / 1000);
  const large = await steadyHeartbeatRate(group, plan.heartbeats);
  sink.record("core.group.heartbeat.10", small);
  sink.record("core.group.heartbeat.large", large);
  sink.record("core.group.join.large", joins);
  sink.progress(
    `group: steady heartbeats/s ${Math.round(small)} at 10 members, ${Math.round(large)} at ${plan.members} ` +
      `(÷ ${(small / large).toFixed(1)}); ${joins.toFixed(1)} joins/s filling ${plan.members}`,
  );
}
