/**
 * @module
 * The binary fast path. `POST …/batches` forwards one encoded batch to the partition without decoding it (the
 * store verifies checksum, framing, size and producer sequence); `GET …/batches` answers stored batches framed
 * as `[baseOffset: uint64 LE][length: uint32 LE][bytes]`, back to back (core's frame codec, which the HTTP client
 * decodes with). The GET may name the reader's region (`?region=`, `read-region.ts`); an answer below the high
 * watermark may be cached (`read-cache/answer.ts`), and a long-poll's answer carries a tail cursor (`cursor.ts`).
 */

import {
  BATCH_CONTENT_TYPE,
  BATCHES_CONTENT_TYPE,
  encodeFrames,
  mediaType,
  parseAcks,
  requireTopic,
} from "@edgelog/core/store-kit";
import type { Hono } from "hono";
import type { AppEnv } from "../context.ts";
import { invalidRequest } from "../errors.ts";
import { DEFAULT_FETCH_MAX_BYTES, limitBody, MAX_FETCH_MAX_BYTES } from "../limits.ts";
import { integerQuery, offsetQuery, pathParam, requirePartition } from "../params.ts";
import { chargeProduceBytes } from "../quota/charge.ts";
import { readFrom } from "../read.ts";
import {
  answerRead,
  cachedAnswer,
  cacheRequest,
  ownCopy,
  type ReadAnswer,
  readCacheKey,
  readOnMiss,
} from "../read-cache/answer.ts";
import { readPreference } from "../read-region.ts";
import { route } from "../route.ts";
import { tailCursor, waitQuery, withCursor } from "./fetch.ts";

export function batchRoutes(app: Hono<AppEnv>): void {
  route(app, "/v1/topics/:topic/partitions/:partition/batches", {
    post: [
      limitBody(),
      async (c) => {
        const store = c.var.store;
        const metadata = await requireTopic(store, pathParam(c, "topic"));
        const partition = requirePartition(metadata, pathParam(c, "partition"));
        const type = mediaType(c.req.header("Content-Type"));
        if (type !== BATCH_CONTENT_TYPE) {
          throw invalidRequest(`Content-Type must be ${BATCH_CONTENT_TYPE}`, { contentType: type });
        }
        const batch = new Uint8Array(await c.req.arrayBuffer());
        if (batch.length === 0) throw invalidRequest("request body is empty; expected one record batch");
        const acks = parseAcks(c.req.query("acks"));
        await chargeProduceBytes(c, batch.length);
        const result = await store.append(
          { topic: metadata.name, partition },
          batch,
          acks === undefined ? undefined : { acks },
        );
        return c.json({ partition, ...result });
      },
    ],
    get: async (c) => {
      const store = c.var.store;
      const metadata = await requireTopic(store, pathParam(c, "topic"));
      const tp = { topic: metadata.name, partition: requirePartition(metadata, pathParam(c, "partition")) };
      const requested = integerQuery(c, "maxBytes") ?? DEFAULT_FETCH_MAX_BYTES;
      if (requested < 1) throw invalidRequest("maxBytes must be a positive integer", { maxBytes: requested });
      const maxBytes = Math.min(requested, MAX_FETCH_MAX_BYTES);
      const maxWaitMs = waitQuery(c);
      const cursor = tailCursor(c, maxWaitMs);
      const near = readPreference(c);
      const offset = await readFrom(store, tp, offsetQuery(c, "earliest"), near);
      // Whole batches from `offset`: the answer ends at a batch boundary, where the reader's next request starts.
      const key = readCacheKey(c, metadata.topicId, tp.partition, "batches", { offset, maxBytes });
      const cached = await cachedAnswer(c, key);
      if (cached !== null) return withCursor(await answerRead(c, key, cached, false), cursor);
      const read = async (): Promise<ReadAnswer> => {
        const result = await store.read(tp, {
          offset,
          maxBytes,
          maxWaitMs,
          signal: c.req.raw.signal,
          ...cacheRequest(c),
          ...near,
        });
        return {
          body: encodeFrames(result.batches),
          headers: {
            "Content-Type": BATCHES_CONTENT_TYPE,
            "Edgelog-High-Watermark": String(result.highWatermark),
            "Edgelog-Log-Start-Offset": String(result.logStartOffset),
          },
          cacheUntil: result.cacheUntil,
        };
      };
      const { answer, fresh } = await readOnMiss(c, key, maxWaitMs > 0, read, (a) => a.cacheUntil);
      return withCursor(await answerRead(c, key, fresh ? answer : ownCopy(answer), fresh), cursor);
    },
  });
}
