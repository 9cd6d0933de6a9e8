/**
 * @module
 * The HTTP shapes the groups screens read (docs/http-api.md "Consumer groups", "Topics") and the few requests
 * they make, each through the session's `api` so errors arrive as `EdgeLogError` with the server's code.
 */
import type { GroupMemberDescription, TopicPartitions } from "@edgelog/core";
import { api } from "../session.ts";

/** A member as `GET /v1/groups/{g}` answers it: core's description (owned, target, pending revocation). */
export type MemberView = GroupMemberDescription;
export type TopicPartitionsView = TopicPartitions;

export interface CommittedView {
  readonly topic: string;
  readonly partition: number;
  /** The next offset the group reads; -1 when never committed. */
  readonly offset: number;
  /** High watermark − committed (from the log start once retention passed it); -1 when never committed. */
  readonly lag: number;
  readonly metadata: string | null;
}

export interface GroupView {
  readonly group: string;
  readonly state: "Empty" | "Reconciling" | "Stable";
  readonly groupEpoch: number;
  readonly assignmentEpoch: number;
  readonly assignor: string;
  readonly members: readonly MemberView[];
  readonly offsets: readonly CommittedView[];
}

export interface TopicPartitionView {
  readonly partition: number;
  readonly logStartOffset: number;
  readonly highWatermark: number;
}

export interface TopicView {
  readonly name: string;
  readonly partitions: readonly TopicPartitionView[];
}

const groupPath = (group: string): string => `/v1/groups/${encodeURIComponent(group)}`;

export const listGroups = async (): Promise<string[]> =>
  (await api<{ groups: { group: string }[] }>("/v1/groups")).groups.map((g) => g.group);

export const describeGroup = (group: string): Promise<GroupView> => api<GroupView>(groupPath(group));

export const describeTopic = (topic: string): Promise<TopicView> =>
  api<TopicView>(`/v1/topics/${encodeURIComponent(topic)}`);

/** Every partition of each topic with the group's committed offset and lag (`-1` when never committed). */
export async function committedOffsets(group: string, topics: readonly string[]): Promise<CommittedView[]> {
  if (topics.length === 0) return [];
  const query = topics.map((topic) => `topic=${encodeURIComponent(topic)}`).join("&");
  return (await api<{ offsets: CommittedView[] }>(`${groupPath(group)}/offsets?${query}`)).offsets;
}

/** The earliest offset whose timestamp is ≥ `timestampMs`, or the high watermark (`found: false`). */
export const offsetForTime = (topic: string, partition: number, timestampMs: number) =>
  api<{ offset: number; found: boolean }>(
    `/v1/topics/${encodeURIComponent(topic)}/partitions/${partition}/offsets?timestamp=${timestampMs}`,
  );

/** An admin's commit (no member): only an empty group accepts it, else 409 `NON_EMPTY_GROUP`. */
export const commitAsAdmin = (
  group: string,
  offsets: readonly { topic: string; partition: number; offset: number }[],
): Promise<void> => api<void>(`${groupPath(group)}/offsets`, { body: { offsets } });

export const deleteGroup = (group: string): Promise<void> =>
  api<void>(groupPath(group), { method: "DELETE" });
