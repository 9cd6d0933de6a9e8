/**
 * @module
 * One look at a consumer group, as its screen shows it: the description (state, epochs, members), and for every
 * partition of the topics it subscribes to or committed to, the committed offset, the partition's bounds, the lag
 * and who owns it. Built from a handful of requests (the description, each topic's bounds, the committed offsets
 * of every partition), so a poll costs the same whatever the lag.
 */

import type { EdgeLogError } from "@edgelog/core";
import { mapLimit } from "../map-limit.ts";
import { asEdgeLogError } from "../ui/errors.ts";
import {
  committedOffsets,
  describeGroup,
  describeTopic,
  type GroupView,
  type MemberView,
  type TopicPartitionsView,
  type TopicView,
} from "./group-api.ts";

/** Topics one screen follows: a subscription may name 1,000, each costing a request per poll. */
export const MAX_TOPICS_SHOWN = 100;
/** Topics per committed-offsets request, keeping its URL short (a topic name is up to 249 characters). */
const TOPICS_PER_OFFSETS_REQUEST = 20;
/** Topic descriptions in flight at once. */
const TOPIC_READS_IN_FLIGHT = 6;

export interface PartitionRow {
  readonly topic: string;
  readonly partition: number;
  /** -1 when the group never committed this partition. */
  readonly committed: number;
  /** -1 when never committed. */
  readonly lag: number;
  /** Null when the topic could not be described (deleted since the commit, or no right to it). */
  readonly logStartOffset: number | null;
  readonly highWatermark: number | null;
  /** The member that owns the partition now, if any. */
  readonly owner: string | null;
  /** The member the coordinator assigned it to, when that differs from the owner (a rebalance in progress). */
  readonly target: string | null;
  /** The owner was asked to release it and has not yet. */
  readonly revoking: boolean;
}

export interface GroupSnapshot {
  readonly view: GroupView;
  readonly partitions: readonly PartitionRow[];
  /** Σ lag over committed partitions. */
  readonly totalLag: number;
  /** Topics the group follows that exist now, with their partition counts (what a reset can move). */
  readonly topics: readonly TopicView[];
  /** Topics that could not be described, with why (the server's error). */
  readonly topicErrors: readonly { readonly topic: string; readonly error: EdgeLogError }[];
  /** Topics left out past `MAX_TOPICS_SHOWN`. */
  readonly topicsNotShown: number;
}

/** The topics a group follows: every member's subscription and assignment, and every committed offset's. */
export function followedTopics(view: GroupView): string[] {
  const names = new Set<string>();
  for (const member of view.members) {
    for (const topic of member.topics) names.add(topic);
    for (const { topic } of member.assignment) names.add(topic);
  }
  for (const { topic } of view.offsets) names.add(topic);
  return [...names].sort();
}

/** `topic/partition` → member id, for one of a member's partition lists. */
function ownership(
  members: readonly MemberView[],
  pick: (member: MemberView) => readonly TopicPartitionsView[],
): Map<string, string> {
  const owners = new Map<string, string>();
  for (const member of members) {
    for (const { topic, partitions } of pick(member)) {
      for (const partition of partitions) owners.set(partitionKey(topic, partition), member.memberId);
    }
  }
  return owners;
}

const partitionKey = (topic: string, partition: number): string => `${partition}/${topic}`;

export async function loadGroupSnapshot(group: string): Promise<GroupSnapshot> {
  const view = await describeGroup(group);
  const followed = followedTopics(view);
  const shown = followed.slice(0, MAX_TOPICS_SHOWN);
  const described = await mapLimit(shown, TOPIC_READS_IN_FLIGHT, async (topic) => {
    try {
      return { topic, view: await describeTopic(topic) };
    } catch (error) {
      return {
        topic,
        error: asEdgeLogError(error),
      };
    }
  });
  const topics: TopicView[] = [];
  const topicErrors: { topic: string; error: EdgeLogError }[] = [];
  for (const entry of described) {
    if ("view" in entry) topics.push(entry.view);
    else topicErrors.push({ topic: entry.topic, error: entry.error });
  }
  const committed: Awaited<ReturnType<typeof committedOffsets>> = [];
  for (let i = 0; i < topics.length; i += TOPICS_PER_OFFSETS_REQUEST) {
    const names = topics.slice(i, i + TOPICS_PER_OFFSETS_REQUEST).map((t) => t.name);
    committed.push(...(await committedOffsets(group, names)));
  }
  // Commits to topics that could not be described (deleted since) still show, from the description's offsets.
  const unreadable = new Set(topicErrors.map((e) => e.topic));
  committed.push(...view.offsets.filter((o) => unreadable.has(o.topic)));

  const bounds = new Map<string, { logStartOffset: number; highWatermark: number }>();
  for (const topic of topics) {
    for (const p of topic.partitions) bounds.set(partitionKey(topic.name, p.partition), p);
  }
  const owners = ownership(view.members, (m) => m.assignment);
  const targets = ownership(view.members, (m) => m.targetAssignment);
  const revoking = ownership(view.members, (m) => m.pendingRevocation);
  const partitions = committed
    .map((row): PartitionRow => {
      const key = partitionKey(row.topic, row.partition);
      const owner = owners.get(key) ?? null;
      const target = targets.get(key) ?? null;
      return {
        topic: row.topic,
        partition: row.partition,
        committed: row.offset,
        lag: row.lag,
        logStartOffset: bounds.get(key)?.logStartOffset ?? null,
        highWatermark: bounds.get(key)?.highWatermark ?? null,
        owner,
        target: target === owner ? null : target,
        revoking: revoking.has(key),
      };
    })
    .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  const totalLag = partitions.reduce((sum, row) => sum + Math.max(0, row.lag), 0);
  return { view, partitions, totalLag, topics, topicErrors, topicsNotShown: followed.length - shown.length };
}
