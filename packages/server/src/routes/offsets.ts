/**
 * @module
 * Partition offsets: the bounds, the offset for a timestamp (Kafka's ListOffsets) and DeleteRecords. The GET may
 * name the reader's region (`?region=`): the bounds are then those its fetches there will see.
 */
import { EdgeLogError } from "@edgelog/core";
import { assertOffsetInRange, requireTopic } from "@edgelog/core/store-kit";
import type { Hono } from "hono";
import type { AppEnv } from "../context.ts";
import { invalidRequest } from "../errors.ts";
import { limitBody } from "../limits.ts";
import { integerQuery, pathParam, readJsonObject, requirePartition } from "../params.ts";
import { readPreference } from "../read-region.ts";
import { route } from "../route.ts";

/** Kafka's DeleteRecords sentinel: delete up to the high watermark. */
const HIGH_WATERMARK = -1;

export function offsetRoutes(app: Hono<AppEnv>): void {
  route(app, "/v1/topics/:topic/partitions/:partition/offsets", {
    get: async (c) => {
      const store = c.var.store;
      const metadata = await requireTopic(store, pathParam(c, "topic"));
      const tp = { topic: metadata.name, partition: requirePartition(metadata, pathParam(c, "partition")) };
      const near = readPreference(c);
      const bounds = () => (near.region === undefined ? store.offsets(tp) : store.offsets(tp, near));
      const timestampText = c.req.query("timestamp");
      if (timestampText === undefined) {
        const { logStartOffset, highWatermark } = await bounds();
        return c.json({ logStartOffset, highWatermark });
      }
      let timestamp: number | undefined;
      try {
        timestamp = integerQuery(c, "timestamp");
      } catch {
        timestamp = undefined;
      }
      if (timestamp === undefined || timestamp < 0) {
        throw new EdgeLogError("INVALID_TIMESTAMP", "timestamp must be a non-negative integer of ms", {
          context: { timestamp: timestampText },
        });
      }
      const found = await (near.region === undefined
        ? store.offsetForTimestamp(tp, timestamp)
        : store.offsetForTimestamp(tp, timestamp, near));
      if (found !== null) return c.json({ offset: found, found: true });
      return c.json({ offset: (await bounds()).highWatermark, found: false });
    },
  });

  route(app, "/v1/topics/:topic/partitions/:partition/delete-records", {
    post: [
      limitBody(),
      async (c) => {
        const store = c.var.store;
        const metadata = await requireTopic(store, pathParam(c, "topic"));
        const tp = { topic: metadata.name, partition: requirePartition(metadata, pathParam(c, "partition")) };
        const { beforeOffset } = await readJsonObject(c);
        if (typeof beforeOffset !== "number" || !Number.isSafeInteger(beforeOffset)) {
          throw invalidRequest("`beforeOffset` must be an integer (-1 = the high watermark)");
        }
        const bounds = await store.offsets(tp);
        const target = beforeOffset === HIGH_WATERMARK ? bounds.highWatermark : beforeOffset;
        assertOffsetInRange(tp, target, bounds);
        const { logStartOffset, highWatermark } = await store.deleteRecords(tp, target);
        return c.json({ logStartOffset, highWatermark });
      },
    ],
  });
}
