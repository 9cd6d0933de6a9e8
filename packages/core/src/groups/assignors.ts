/**
 * @module
 * Server-side assignors (Kafka's `group.consumer.assignors`, default `[uniform, range]`). An assignor maps the
 * group's members and the partition counts of their topics to a target assignment; the coordinator then moves
 * the group there incrementally. Assignors are pure and deterministic, so every coordinator computes the same.
 */
import { dict } from "../dict.ts";
import { EdgeLogError } from "../errors.ts";
import { compareStrings } from "../validation.ts";
import { add, entries, has, type PartitionMap, remove } from "./partition-map.ts";

export interface AssignorMember {
  readonly memberId: string;
  readonly topics: readonly string[];
  /** The member's previous target: a sticky assignor keeps what it can. */
  readonly previous: PartitionMap;
}

export interface Assignor {
  readonly name: string;
  /** Every partition of every subscribed topic to exactly one subscriber; a member without topics gets nothing. */
  assign(
    members: readonly AssignorMember[],
    partitionCounts: ReadonlyMap<string, number>,
  ): Record<string, PartitionMap>;
}

/**
 * Kafka's range assignor: per topic, partitions in order, subscribers in member-id order, contiguous shares;
 * the first `P % C` subscribers get one extra. Co-partitioned topics land together; not sticky.
 */
export const rangeAssignor: Assignor = {
  name: "range",
  assign(members, partitionCounts) {
    const result = emptyResult(members);
    const subscribersOf = subscribersByTopic(members);
    for (const [topic, count] of [...partitionCounts].sort(([a], [b]) => compareStrings(a, b))) {
      const subscribers = subscribersOf.get(topic) ?? [];
      if (subscribers.length === 0) continue;
      const share = Math.floor(count / subscribers.length);
      const extra = count % subscribers.length;
      let next = 0;
      subscribers.forEach((memberId, i) => {
        const take = share + (i < extra ? 1 : 0);
        for (let p = next; p < next + take; p++) add(result[memberId] as PartitionMap, topic, p);
        next += take;
      });
    }
    return result;
  },
};

/**
 * KIP-848's uniform assignor: balanced (member counts differ by at most one among members that could take each
 * other's partitions) and sticky (a partition stays with its previous target owner unless balance needs it to
 * move), so a membership change moves as few partitions as it can.
 */
export const uniformAssignor: Assignor = {
  name: "uniform",
  assign(members, partitionCounts) {
    const result = emptyResult(members);
    const subscribed = new Map(members.map((m) => [m.memberId, new Set(m.topics)]));
    // Loads and subscriber lists are kept, not recomputed: each placement and each balancing move asks for them.
    const loads = new Map<string, number>(members.map((m) => [m.memberId, 0]));
    const subscribers = subscribersByTopic(members);
    const owned = new Map<string, Set<number>>();
    const give = (memberId: string, topic: string, p: number): void => {
      add(result[memberId] as PartitionMap, topic, p);
      loads.set(memberId, (loads.get(memberId) as number) + 1);
    };
    const load = (memberId: string): number => loads.get(memberId) as number;
    // Keep previous targets that are still valid, each partition once.
    for (const member of [...members].sort((a, b) => compareStrings(a.memberId, b.memberId))) {
      for (const [topic, p] of entries(member.previous)) {
        const count = partitionCounts.get(topic);
        if (count === undefined || p >= count || !subscribed.get(member.memberId)?.has(topic)) continue;
        const taken = owned.get(topic) ?? new Set<number>();
        owned.set(topic, taken);
        if (taken.has(p)) continue;
        taken.add(p);
        give(member.memberId, topic, p);
      }
    }
    // Place the rest, the most constrained partitions first, each on its least loaded subscriber.
    const unplaced: { topic: string; partition: number; subscribers: readonly string[] }[] = [];
    for (const [topic, count] of partitionCounts) {
      const candidates = subscribers.get(topic) ?? [];
      if (candidates.length === 0) continue;
      const taken = owned.get(topic);
      for (let p = 0; p < count; p++) {
        if (taken === undefined || !taken.has(p))
          unplaced.push({ topic, partition: p, subscribers: candidates });
      }
    }
    unplaced.sort(
      (a, b) =>
        a.subscribers.length - b.subscribers.length ||
        compareStrings(a.topic, b.topic) ||
        a.partition - b.partition,
    );
    for (const { topic, partition, subscribers: candidates } of unplaced) {
      give(leastLoaded(candidates, load), topic, partition);
    }
    // Balance: move a partition from a member to a subscriber holding at least two fewer. Each move lowers the
    // sum of squared loads, so this ends. The partition moved is the first (topic, partition) in order of the
    // most loaded member that has a topic with such a subscriber; whether one exists depends on the topic only.
    for (let moved = true; moved; ) {
      moved = false;
      const byLoad = [...members].sort(
        (a, b) => load(b.memberId) - load(a.memberId) || compareStrings(a.memberId, b.memberId),
      );
      for (const from of byLoad) {
        const fromMap = result[from.memberId] as PartitionMap;
        const limit = load(from.memberId) - 1;
        for (const topic of Object.keys(fromMap).sort()) {
          const candidates = (subscribers.get(topic) ?? []).filter((id) => load(id) < limit);
          if (candidates.length === 0) continue;
          const p = (fromMap[topic] as number[])[0] as number;
          const to = leastLoaded(candidates, load);
          remove(fromMap, topic, p);
          loads.set(from.memberId, limit);
          give(to, topic, p);
          moved = true;
          break;
        }
        if (moved) break;
      }
    }
    return result;
  },
};

export const ASSIGNORS: readonly Assignor[] = [uniformAssignor, rangeAssignor];
export const DEFAULT_ASSIGNOR = uniformAssignor.name;

export function assignorNamed(name: string): Assignor {
  const found = ASSIGNORS.find((a) => a.name === name);
  if (found === undefined) {
    throw new EdgeLogError(
      "INVALID_REQUEST",
      `unknown assignor "${name}"; use one of ${ASSIGNORS.map((a) => a.name).join(", ")}`,
    );
  }
  return found;
}

/** Members of a target assignment that own `topic`/`partition` (for checks: exactly one once assigned). */
export function ownersIn(result: Record<string, PartitionMap>, topic: string, partition: number): string[] {
  return Object.keys(result).filter((id) => has(result[id] as PartitionMap, topic, partition));
}

function emptyResult(members: readonly AssignorMember[]): Record<string, PartitionMap> {
  return dict(members.map((m): [string, PartitionMap] => [m.memberId, dict()]));
}

/** Each topic's subscribers in member-id order, in one pass over the members. */
function subscribersByTopic(members: readonly AssignorMember[]): Map<string, string[]> {
  const byTopic = new Map<string, string[]>();
  for (const m of [...members].sort((a, b) => compareStrings(a.memberId, b.memberId))) {
    for (const topic of new Set(m.topics)) {
      const list = byTopic.get(topic);
      if (list === undefined) byTopic.set(topic, [m.memberId]);
      else list.push(m.memberId);
    }
  }
  return byTopic;
}

function leastLoaded(ids: readonly string[], load: (id: string) => number): string {
  let best = ids[0] as string;
  for (const id of ids) if (load(id) < load(best)) best = id;
  return best;
}
