/**
 * @module
 * The share-group calls of the HTTP API (docs/http-api.md "Share groups") the console makes, typed: list (admin),
 * describe (config, members, each share-partition's window and records in flight by state, with the high
 * watermark and lag the server adds), change the config, and delete. Through the session's `api`, so a refusal arrives as
 * `EdgeLogError` with the server's code.
 */
import type { ShareGroupConfig, ShareMemberDescription, SharePartitionDescription } from "@edgelog/core";
import { api } from "../session.ts";

export interface SharePartitionView extends SharePartitionDescription {
  /** `null` when the partition is gone (its topic deleted). */
  readonly highWatermark: number | null;
  /** Records not done yet: high watermark − start offset − those finished inside the window. */
  readonly lag: number;
}

export interface ShareGroupView {
  readonly group: string;
  readonly state: "Empty" | "Stable";
  readonly config: ShareGroupConfig;
  readonly members: readonly ShareMemberDescription[];
  readonly partitions: readonly SharePartitionView[];
}

const groupPath = (group: string): string => `/v1/share-groups/${encodeURIComponent(group)}`;

export async function listShareGroups(): Promise<string[]> {
  return (await api<{ groups: { group: string }[] }>("/v1/share-groups")).groups.map((g) => g.group);
}

export const describeShareGroup = (group: string): Promise<ShareGroupView> =>
  api<ShareGroupView>(groupPath(group));

/** Kafka's group configs, incrementally: a `null` value restores the default. Answers the config in force. */
export async function alterShareGroupConfig(
  group: string,
  config: Readonly<Record<string, string | null>>,
): Promise<ShareGroupConfig> {
  return (
    await api<{ config: ShareGroupConfig }>(`${groupPath(group)}/config`, {
      method: "PATCH",
      body: { config },
    })
  ).config;
}

/** 409 `NON_EMPTY_GROUP` while a member has a session. */
export const deleteShareGroup = (group: string): Promise<void> =>
  api<void>(groupPath(group), { method: "DELETE" });

/** Records in flight in a share-partition, all states together. */
export function inFlightOf(partition: SharePartitionView): number {
  const f = partition.inFlight;
  return f.available + f.acquired + f.acknowledged + f.archived;
}
