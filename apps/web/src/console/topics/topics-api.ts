/**
 * @module
 * The topic calls of the HTTP API (docs/http-api.md "Topics", "Offsets", "Cluster") as the console uses them,
 * typed. Straight HTTP rather than `client().admin()`: the console shows what the API answers — regions, leaders,
 * in-sync replicas, retained bytes — which Kafka's admin shapes leave out.
 */
import type { TopicConfig } from "@edgelog/core";
import { api } from "../session.ts";

/** `GET /v1/topics` entries. */
export interface TopicSummary {
  readonly name: string;
  readonly partitions: number;
  readonly topicId: string;
  readonly config: TopicConfig;
}

/** One partition of `GET /v1/topics/{t}`. */
export interface PartitionView {
  readonly partition: number;
  readonly logStartOffset: number;
  readonly highWatermark: number;
  readonly sizeBytes?: number;
  /** Where the partition lives (its leader's region when replicated). */
  readonly region?: string;
  readonly leader?: string;
  readonly replicas?: readonly string[];
  readonly isr?: readonly string[];
  readonly leaderEpoch?: number;
  /** The follower that gave the bounds while the leader could not. */
  readonly offsetsFrom?: string;
  /** Why no replica could give the bounds (they are -1). */
  readonly error?: { readonly code: string; readonly message: string };
}

export interface TopicView {
  readonly name: string;
  readonly topicId: string;
  readonly config: TopicConfig;
  readonly partitions: readonly PartitionView[];
}

/** `GET /v1/cluster`. */
export interface ClusterView {
  readonly regions: readonly string[];
  readonly replication: boolean;
}

const topicPath = (name: string) => `/v1/topics/${encodeURIComponent(name)}`;

export async function listTopics(): Promise<readonly TopicSummary[]> {
  return (await api<{ topics: TopicSummary[] }>("/v1/topics")).topics;
}

export function describeTopic(name: string): Promise<TopicView> {
  return api<TopicView>(topicPath(name));
}

export interface NewTopic {
  readonly name: string;
  readonly partitions: number;
  readonly config: Readonly<Record<string, number | string | boolean>>;
  /** Replica regions, the first leading; absent for an unreplicated topic. */
  readonly replicas?: readonly string[];
}

export function createTopic(topic: NewTopic): Promise<unknown> {
  return api("/v1/topics", { body: topic });
}

export function deleteTopic(name: string): Promise<void> {
  return api(topicPath(name), { method: "DELETE" });
}

/** `PATCH /v1/topics/{t}`: Kafka's IncrementalAlterConfigs; a `null` value returns the setting to its default. */
export function alterTopicConfig(
  name: string,
  config: Readonly<Record<string, string | null>>,
): Promise<TopicView> {
  return api<TopicView>(topicPath(name), { method: "PATCH", body: { config } });
}

export function addPartitions(name: string, count: number): Promise<TopicView> {
  return api<TopicView>(`${topicPath(name)}/partitions`, { body: { count } });
}

/** Kafka's DeleteRecords: the partition's log start moves to `beforeOffset` (-1: the high watermark). */
export function deleteRecords(
  name: string,
  partition: number,
  beforeOffset: number,
): Promise<{ logStartOffset: number; highWatermark: number }> {
  return api(`${topicPath(name)}/partitions/${partition}/delete-records`, { body: { beforeOffset } });
}

export function describeCluster(): Promise<ClusterView> {
  return api<ClusterView>("/v1/cluster");
}

/** Records a partition holds: high watermark − log start; unknown (-1) when its bounds could not be read. */
export function recordsOf(partition: PartitionView): number {
  return partition.error === undefined ? partition.highWatermark - partition.logStartOffset : -1;
}

/** A topic's totals over the partitions whose figures are known. */
export function totalsOf(view: TopicView): { records: number; bytes: number; unknown: number } {
  let records = 0;
  let bytes = 0;
  let unknown = 0;
  for (const partition of view.partitions) {
    if (partition.error !== undefined) {
      unknown++;
      continue;
    }
    records += recordsOf(partition);
    bytes += partition.sizeBytes ?? 0;
  }
  const sized = view.partitions.every((p) => p.sizeBytes !== undefined || p.error !== undefined);
  return { records, bytes: sized ? bytes : -1, unknown };
}

/** Where each partition's leader is: region → partitions led there, in first-seen order. */
export function leadersOf(view: TopicView): Map<string, number> {
  const leaders = new Map<string, number>();
  for (const partition of view.partitions) {
    const where = partition.leader ?? partition.region;
    if (where !== undefined) leaders.set(where, (leaders.get(where) ?? 0) + 1);
  }
  return leaders;
}
