/**
 * @module
 * Consumer groups (docs/http-api.md "Consumer groups", fixed): heartbeat (join, stay, leave), offset commits
 * by a member or by an admin while the group is empty, committed offsets with lag, and a group's description;
 * plus the listing and deletion of groups (extensions). The coordinator itself lives with the store (in
 * production the group's `GroupObject`); these routes only translate HTTP.
 */
import {
  type CommittedOffset,
  type GroupHeartbeatRequest,
  type GroupMemberRef,
  JOIN_GROUP_EPOCH,
  type LogStore,
} from "@edgelog/core";
import {
  assertPartitionExists,
  assertValidGroupId,
  consumerLag,
  NOT_COMMITTED,
  randomId,
  requireTopic,
} from "@edgelog/core/store-kit";
import type { Hono } from "hono";
import { requireRight } from "../auth/middleware.ts";
import type { AppEnv } from "../context.ts";
import { invalidRequest } from "../errors.ts";
import { limitBody, MAX_OFFSETS_QUERY_TOPICS } from "../limits.ts";
import { isPlainObject, pathParam, readJsonObject } from "../params.ts";
import { route } from "../route.ts";

/**
 * Largest heartbeat body: room for a full subscription (1,000 names of up to 249 characters) and the partitions
 * a member owns, far below the general 8 MiB, so a heartbeat cannot make the coordinator parse megabytes.
 */
export const MAX_HEARTBEAT_BYTES = 1024 * 1024;

export function groupRoutes(app: Hono<AppEnv>): void {
  route(app, "/v1/groups", {
    get: async (c) => c.json({ groups: (await c.var.store.listGroups()).map((group) => ({ group })) }),
  });

  route(app, "/v1/groups/:group/heartbeat", {
    post: [
      limitBody(MAX_HEARTBEAT_BYTES),
      async (c) => {
        const groupId = pathParam(c, "group");
        assertValidGroupId(groupId);
        const body = await readJsonObject(c);
        // A client may let the server pick its id on join (KIP-848 before KIP-1082); later it must name itself.
        const memberId = body.memberId ?? (body.memberEpoch === JOIN_GROUP_EPOCH ? randomId() : undefined);
        if (memberId === undefined)
          throw invalidRequest("`memberId` is required unless joining with memberEpoch 0");
        // As in Kafka, a subscription may name a topic that does not exist (yet, or any more): its partitions are
        // assigned once it does. (The consumers check their subscription when they subscribe.)
        const request = { ...body, memberId } as unknown as GroupHeartbeatRequest;
        return c.json(await c.var.store.groupHeartbeat(groupId, request));
      },
    ],
  });

  route(app, "/v1/groups/:group/offsets", {
    post: [
      limitBody(),
      async (c) => {
        const groupId = pathParam(c, "group");
        assertValidGroupId(groupId);
        const store = c.var.store;
        const body = await readJsonObject(c);
        // Rights first, before the store is asked about the named topics: a refused caller learns nothing of them.
        // A commit without a member resets the group's positions, an operator's act.
        if (body.memberId === undefined) requireRight(c, "admin");
        for (const entry of Array.isArray(body.offsets) ? body.offsets : []) {
          if (isPlainObject(entry) && typeof entry.topic === "string")
            requireRight(c, "consume", entry.topic);
        }
        const offsets = await parseCommits(store, body.offsets);
        await store.commitOffsets(groupId, offsets, parseMember(body));
        return c.body(null, 204);
      },
    ],
    get: async (c) => {
      const groupId = pathParam(c, "group");
      assertValidGroupId(groupId);
      const topics = c.req.queries("topic") ?? [];
      // Each named topic costs a metadata read and a bounds read per partition: the list is bounded.
      if (topics.length > MAX_OFFSETS_QUERY_TOPICS) {
        throw invalidRequest(`a committed-offsets query names at most ${MAX_OFFSETS_QUERY_TOPICS} topics`, {
          topics: topics.length,
        });
      }
      return c.json({ offsets: await offsetsWithLag(c.var.store, groupId, topics) });
    },
  });

  route(app, "/v1/groups/:group", {
    get: async (c) => {
      const groupId = pathParam(c, "group");
      assertValidGroupId(groupId);
      const store = c.var.store;
      const { state, groupEpoch, assignmentEpoch, assignor, members } = await store.describeGroup(groupId);
      return c.json({
        group: groupId,
        state,
        groupEpoch,
        assignmentEpoch,
        assignor,
        members,
        offsets: await offsetsWithLag(store, groupId, []),
      });
    },
    delete: async (c) => {
      const groupId = pathParam(c, "group");
      assertValidGroupId(groupId);
      await c.var.store.deleteGroup(groupId);
      return c.body(null, 204);
    },
  });
}

/** `memberId` + `memberEpoch` of a member's commit, or `undefined` for an admin's. */
function parseMember(body: Record<string, unknown>): GroupMemberRef | undefined {
  const { memberId, memberEpoch } = body;
  if (memberId === undefined) return undefined;
  if (typeof memberId !== "string" || memberId.length === 0) {
    throw invalidRequest("`memberId` must be a non-empty string");
  }
  if (typeof memberEpoch !== "number" || !Number.isSafeInteger(memberEpoch)) {
    throw invalidRequest("a member's commit needs its `memberEpoch`");
  }
  return { memberId, memberEpoch };
}

async function parseCommits(store: LogStore, input: unknown): Promise<CommittedOffset[]> {
  if (!Array.isArray(input) || input.length === 0)
    throw invalidRequest("`offsets` must be a non-empty array");
  const commits: CommittedOffset[] = [];
  for (const entry of input) {
    if (!isPlainObject(entry) || typeof entry.topic !== "string") {
      throw invalidRequest("each offset needs `topic`, `partition` and `offset`");
    }
    const metadata = await requireTopic(store, entry.topic);
    assertPartitionExists(metadata.name, entry.partition, metadata.partitions);
    const { offset, metadata: note } = entry;
    // A malformed offset is a bad request (400), not a position outside the log (416).
    if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) {
      throw invalidRequest("a committed offset must be a non-negative integer", {
        topic: metadata.name,
        partition: entry.partition as number,
      });
    }
    if (note !== undefined && note !== null && typeof note !== "string") {
      throw invalidRequest("`metadata` must be a string");
    }
    commits.push({
      topic: metadata.name,
      partition: entry.partition as number,
      offset,
      metadata: note ?? null,
    });
  }
  return commits;
}

/**
 * Committed offsets with lag (high watermark − committed offset, counted from the log start when retention
 * removed what was committed). With `topics`, every partition of each is listed, `-1` (offset and lag) when never
 * committed; without, what the group committed.
 */
async function offsetsWithLag(store: LogStore, groupId: string, topics: readonly string[]) {
  const committed = await store.fetchOffsets(groupId, topics.length > 0 ? topics : undefined);
  const rows: { topic: string; partition: number; offset: number; metadata: string | null }[] = [];
  if (topics.length === 0) {
    rows.push(
      ...committed.map(({ topic, partition, offset, metadata }) => ({ topic, partition, offset, metadata })),
    );
  } else {
    for (const topic of topics) {
      const metadata = await requireTopic(store, topic);
      for (let partition = 0; partition < metadata.partitions; partition++) {
        const found = committed.find((o) => o.topic === topic && o.partition === partition);
        rows.push({
          topic,
          partition,
          offset: found?.offset ?? NOT_COMMITTED,
          metadata: found?.metadata ?? null,
        });
      }
    }
  }
  return Promise.all(
    rows.map(async (row) => {
      const { topic, partition, offset, metadata } = row;
      if (offset === NOT_COMMITTED) return { topic, partition, offset, lag: NOT_COMMITTED, metadata };
      const bounds = await store.offsets(row).catch(() => null);
      // A partition gone since the commit (its topic deleted meanwhile) has nothing left to read.
      const lag = bounds === null ? 0 : consumerLag(offset, bounds);
      return { topic, partition, offset, lag, metadata };
    }),
  );
}
