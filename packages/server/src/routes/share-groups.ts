/**
 * @module
 * Share groups (docs/http-api.md "Share groups", an extension): fetch (acquire records, with the acknowledgements
 * of earlier ones), acknowledge alone, describe with lag, configure, list and delete. The coordinator lives with
 * the store (in production the group's `ShareGroupObject`); these routes translate HTTP, check the rights each
 * named topic needs, and render what was acquired — as JSON records, or as the stored batches (base64) that
 * `@edgelog/client` decodes itself.
 */
import {
  type LogStore,
  type ShareFetchRequest,
  type ShareFetchResponse,
  type ShareGroupStore,
  shareGroupsOf,
} from "@edgelog/core";
import {
  assertValidGroupId,
  consumedRecordsOf,
  MAX_SHARE_FETCH_WAIT_MS,
  randomId,
} from "@edgelog/core/store-kit";
import type { Context, Hono } from "hono";
import { requireRight } from "../auth/middleware.ts";
import { waitWithinSession } from "../auth/session.ts";
import type { AppEnv } from "../context.ts";
import { invalidRequest } from "../errors.ts";
import { parseValueFormat, renderRecord, toBase64 } from "../json-records.ts";
import { limitBody } from "../limits.ts";
import { isPlainObject, pathParam, readJsonObject } from "../params.ts";
import { route } from "../route.ts";

/** Largest share fetch or acknowledge body: 20,000 acknowledged ranges and 100 topic names fit with room to spare. */
export const MAX_SHARE_REQUEST_BYTES = 4 * 1024 * 1024;

export function shareGroupRoutes(app: Hono<AppEnv>): void {
  route(app, "/v1/share-groups", {
    get: async (c) => c.json({ groups: (await shares(c).listShareGroups()).map((group) => ({ group })) }),
  });

  route(app, "/v1/share-groups/:group/fetch", {
    post: [
      limitBody(MAX_SHARE_REQUEST_BYTES),
      async (c) => {
        const groupId = groupParam(c);
        const body = await readJsonObject(c);
        const format = body.format ?? "records";
        if (format !== "records" && format !== "batches") {
          throw invalidRequest('`format` must be "records" or "batches"');
        }
        const valueFormat = parseValueFormat(body.valueFormat);
        const request = shareRequest(c, body, true);
        const answer = await shares(c).shareFetch(groupId, request, c.req.raw.signal);
        const { partitions, ...rest } = answer;
        if (format === "batches") {
          return c.json({
            ...rest,
            partitions: partitions.map((p) => ({
              topic: p.topic,
              partition: p.partition,
              acquired: p.acquired,
              batches: p.batches.map((b) => ({
                baseOffset: b.baseOffset,
                lastOffset: b.lastOffset,
                payload: toBase64(b.payload),
              })),
            })),
          });
        }
        return c.json({ ...rest, records: renderAcquired(answer, valueFormat) });
      },
    ],
  });

  route(app, "/v1/share-groups/:group/acknowledge", {
    post: [
      limitBody(MAX_SHARE_REQUEST_BYTES),
      async (c) => {
        const groupId = groupParam(c);
        const body = await readJsonObject(c);
        const request = shareRequest(c, { ...body, maxRecords: 0 }, false);
        const { memberId, sessionEpoch, acknowledgeErrors } = await shares(c).shareFetch(groupId, request);
        return c.json({ memberId, sessionEpoch, acknowledgeErrors });
      },
    ],
  });

  route(app, "/v1/share-groups/:group/config", {
    patch: [
      limitBody(),
      async (c) => {
        const groupId = groupParam(c);
        const body = await readJsonObject(c);
        if (!isPlainObject(body.config)) throw invalidRequest("`config` must be an object of name → value");
        // Naming a dead-letter topic makes the group write to it: the caller must be allowed to.
        const deadLetters = body.config["errors.deadletterqueue.topic.name"];
        if (typeof deadLetters === "string" && deadLetters !== "") requireRight(c, "produce", deadLetters);
        const config = await shares(c).alterShareGroupConfig(groupId, body.config);
        return c.json({ group: groupId, config });
      },
    ],
  });

  route(app, "/v1/share-groups/:group", {
    get: async (c) => {
      const groupId = groupParam(c);
      const store = c.var.store;
      const described = await shares(c).describeShareGroup(groupId);
      const partitions = await Promise.all(
        described.partitions.map(async (p) => {
          const bounds = await store.offsets(p).catch(() => null);
          const done = p.inFlight.acknowledged + p.inFlight.archived;
          // Records not yet done: from the start offset to the high watermark, less those finished inside the
          // window. A partition gone since (its topic deleted) has nothing left.
          const lag = bounds === null ? 0 : Math.max(0, bounds.highWatermark - p.startOffset - done);
          return { ...p, highWatermark: bounds?.highWatermark ?? null, lag };
        }),
      );
      const { groupId: _id, ...rest } = described;
      return c.json({ group: groupId, ...rest, partitions });
    },
    delete: async (c) => {
      await shares(c).deleteShareGroup(groupParam(c));
      return c.body(null, 204);
    },
  });
}

function shares(c: Context<AppEnv>): LogStore & ShareGroupStore {
  return shareGroupsOf(c.var.store);
}

function groupParam(c: Context<AppEnv>): string {
  const groupId = pathParam(c, "group");
  assertValidGroupId(groupId);
  return groupId;
}

/**
 * The store's request from a body, after checking the caller may consume every topic it reads or acknowledges
 * (before the store hears of them: a refused caller learns nothing). The store validates the rest.
 */
function shareRequest(
  c: Context<AppEnv>,
  body: Record<string, unknown>,
  fetching: boolean,
): ShareFetchRequest {
  const { topics, acknowledgements, wait } = body;
  if (Array.isArray(topics))
    for (const topic of topics) if (typeof topic === "string") requireRight(c, "consume", topic);
  if (acknowledgements !== undefined && !Array.isArray(acknowledgements)) {
    throw invalidRequest("`acknowledgements` must be an array");
  }
  for (const ack of acknowledgements ?? []) {
    if (isPlainObject(ack) && typeof ack.topic === "string") requireRight(c, "consume", ack.topic);
  }
  if (wait !== undefined && (typeof wait !== "number" || !Number.isSafeInteger(wait) || wait < 0)) {
    throw invalidRequest("`wait` must be a non-negative number of ms");
  }
  // A client may let the server pick its id when it opens a session; later it must name itself.
  const memberId = body.memberId ?? (body.sessionEpoch === 0 ? randomId() : undefined);
  if (memberId === undefined)
    throw invalidRequest("`memberId` is required unless opening a session (sessionEpoch 0)");
  // Only the request's own fields go on (the store checks each); `format` and `valueFormat` are this route's.
  const request = {
    memberId,
    sessionEpoch: body.sessionEpoch,
    topics,
    maxRecords: body.maxRecords,
    maxWaitMs: fetching ? waitWithinSession(c, Math.min(wait ?? 0, MAX_SHARE_FETCH_WAIT_MS)) : 0,
    acknowledgements,
    clientId: body.clientId,
  };
  return Object.fromEntries(
    Object.entries(request).filter(([, v]) => v !== undefined),
  ) as unknown as ShareFetchRequest;
}

/** The acquired records of an answer, rendered as the fetch route renders records, with where they are from. */
function renderAcquired(answer: ShareFetchResponse, valueFormat: ReturnType<typeof parseValueFormat>) {
  const records = [];
  for (const p of answer.partitions) {
    const counts = new Map<number, number>();
    for (const r of p.acquired)
      for (let o = r.firstOffset; o <= r.lastOffset; o++) counts.set(o, r.deliveryCount);
    for (const batch of p.batches) {
      for (const record of consumedRecordsOf(batch)) {
        const deliveryCount = counts.get(record.offset);
        if (deliveryCount === undefined) continue;
        records.push({
          topic: p.topic,
          partition: p.partition,
          ...renderRecord(record, valueFormat),
          deliveryCount,
        });
      }
    }
  }
  return records;
}
