/**
 * @module
 * Consumer groups (HTTP-API.md "Consumer groups", fixed): heartbeat (join, confirm, leave), offset commits by a
 * member or by an admin when the group is empty, committed offsets with lag, and a group's description.
 */
import {
  assertPartitionExists,
  assertValidGroupId,
  type CommittedOffset,
  EdgeLogError,
  type LogStore,
  requireTopic,
} from "@edgelog/core";
import type { Hono } from "hono";
import type { AppEnv } from "../context.ts";
import { invalidRequest } from "../errors.ts";
import {
  heartbeat,
  JOIN_EPOCH,
  LEAVE_EPOCH,
  liveMembers,
  readGroupState,
  targetAssignments,
} from "../group-coordinator.ts";
import { limitBody } from "../limits.ts";
import { isPlainObject, pathParam, readJsonObject } from "../params.ts";
import { route } from "../route.ts";

/** The offset shown for a partition the group never committed (HTTP-API.md). */
const NOT_COMMITTED = -1;

export function groupRoutes(app: Hono<AppEnv>): void {
  route(app, "/v1/groups/:group/heartbeat", {
    post: [
      limitBody(),
      async (c) => {
        const groupId = pathParam(c, "group");
        assertValidGroupId(groupId);
        const { memberId, memberEpoch, topics } = await readJsonObject(c);
        if (memberId !== undefined && (typeof memberId !== "string" || memberId.length === 0)) {
          throw invalidRequest("`memberId` must be a non-empty string");
        }
        if (
          typeof memberEpoch !== "number" ||
          !Number.isSafeInteger(memberEpoch) ||
          memberEpoch < LEAVE_EPOCH
        ) {
          throw invalidRequest("`memberEpoch` must be an integer ≥ -1 (0 joins, -1 leaves)");
        }
        if (memberId === undefined && memberEpoch !== JOIN_EPOCH) {
          throw invalidRequest("`memberId` is required unless joining with memberEpoch 0");
        }
        if (topics !== undefined && !(Array.isArray(topics) && topics.every((t) => typeof t === "string"))) {
          throw invalidRequest("`topics` must be an array of topic names");
        }
        const store = c.var.store;
        for (const topic of topics ?? []) await requireTopic(store, topic);
        return c.json(await heartbeat(store, groupId, { memberId, memberEpoch, topics }, c.var.now()));
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
        const offsets = await parseCommits(store, body.offsets);
        const state = readGroupState(await store.getGroupState(groupId));
        const members = liveMembers(state, c.var.now());
        if (body.memberId === undefined) {
          if (members.length > 0) {
            throw new EdgeLogError(
              "NON_EMPTY_GROUP",
              `group "${groupId}" has members; commit as one of them`,
              {
                context: { groupId },
              },
            );
          }
        } else {
          const member = members.find((m) => m.memberId === body.memberId);
          if (member === undefined) {
            throw new EdgeLogError(
              "UNKNOWN_MEMBER_ID",
              `group "${groupId}" has no member "${String(body.memberId)}"`,
              {
                context: { groupId },
              },
            );
          }
          if (member.memberEpoch !== body.memberEpoch) {
            throw new EdgeLogError(
              "FENCED_MEMBER_EPOCH",
              `member "${member.memberId}" is at epoch ${member.memberEpoch}`,
              {
                context: { groupId, memberId: member.memberId, memberEpoch: member.memberEpoch },
              },
            );
          }
        }
        await store.commitOffsets(groupId, offsets);
        return c.body(null, 204);
      },
    ],
    get: async (c) => {
      const groupId = pathParam(c, "group");
      assertValidGroupId(groupId);
      const topics = c.req.queries("topic") ?? [];
      return c.json({ offsets: await offsetsWithLag(c.var.store, groupId, topics) });
    },
  });

  route(app, "/v1/groups/:group", {
    get: async (c) => {
      const groupId = pathParam(c, "group");
      assertValidGroupId(groupId);
      const store = c.var.store;
      const versioned = await store.getGroupState(groupId);
      const offsets = await offsetsWithLag(store, groupId, []);
      if (versioned === null && offsets.length === 0) {
        throw new EdgeLogError("GROUP_ID_NOT_FOUND", `unknown group "${groupId}"`, { context: { groupId } });
      }
      const members = liveMembers(readGroupState(versioned), c.var.now());
      const targets = await targetAssignments(store, members);
      const settled = members.every(
        (m) => JSON.stringify(m.assignment) === JSON.stringify(targets.get(m.memberId) ?? []),
      );
      return c.json({
        group: groupId,
        state: members.length === 0 ? "Empty" : settled ? "Stable" : "Reconciling",
        members: members.map((m) => ({
          memberId: m.memberId,
          memberEpoch: m.memberEpoch,
          assignment: m.assignment,
        })),
        offsets,
      });
    },
  });
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
    if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) {
      throw new EdgeLogError("OFFSET_OUT_OF_RANGE", "a committed offset must be a non-negative integer", {
        context: { topic: metadata.name, partition: entry.partition as number },
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
 * Committed offsets with lag. With `topics`, every partition of each is listed (`-1` when never committed);
 * without, what the group committed. Lag counts records from the committed offset (or the log start) to the
 * high watermark.
 */
async function offsetsWithLag(store: LogStore, groupId: string, topics: readonly string[]) {
  const committed = await store.fetchOffsets(groupId, topics.length > 0 ? topics : undefined);
  const rows: { topic: string; partition: number; offset: number }[] = [];
  if (topics.length === 0) {
    rows.push(...committed.map(({ topic, partition, offset }) => ({ topic, partition, offset })));
  } else {
    for (const topic of topics) {
      const metadata = await requireTopic(store, topic);
      for (let partition = 0; partition < metadata.partitions; partition++) {
        const found = committed.find((o) => o.topic === topic && o.partition === partition);
        rows.push({ topic, partition, offset: found?.offset ?? NOT_COMMITTED });
      }
    }
  }
  return Promise.all(
    rows.map(async (row) => {
      const bounds = await store.offsets(row).catch(() => null);
      const from = row.offset === NOT_COMMITTED ? (bounds?.logStartOffset ?? 0) : row.offset;
      const lag =
        bounds === null ? 0 : Math.max(0, bounds.highWatermark - Math.max(from, bounds.logStartOffset));
      return { ...row, lag };
    }),
  );
}
