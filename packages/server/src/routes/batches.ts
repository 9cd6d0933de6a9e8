/**
 * @module
 * The binary fast path. `POST …/batches` forwards one encoded batch to the partition without decoding it (the
 * store verifies checksum, framing, size and producer sequence); `GET …/batches` answers stored batches framed
 * as `[baseOffset: uint64 LE][length: uint32 LE][bytes]`, back to back.
 */

import type { StoredBatch } from "@edgelog/core";
import { requireTopic } from "@edgelog/core";
import type { Hono } from "hono";
import type { AppEnv } from "../context.ts";
import { invalidRequest } from "../errors.ts";
import { DEFAULT_FETCH_MAX_BYTES, limitBody, MAX_FETCH_MAX_BYTES } from "../limits.ts";
import { integerQuery, offsetQuery, pathParam, requirePartition } from "../params.ts";
import { readFrom } from "../read.ts";
import { route } from "../route.ts";
import { waitQuery } from "./fetch.ts";

export const BATCH_CONTENT_TYPE = "application/vnd.edgelog.batch";
export const BATCHES_CONTENT_TYPE = "application/vnd.edgelog.batches";
/** Frame header: uint64 base offset + uint32 length. */
const FRAME_HEADER_BYTES = 12;
const UINT32_SPAN = 0x1_0000_0000;

export function batchRoutes(app: Hono<AppEnv>): void {
  route(app, "/v1/topics/:topic/partitions/:partition/batches", {
    post: [
      limitBody(),
      async (c) => {
        const store = c.var.store;
        const metadata = await requireTopic(store, pathParam(c, "topic"));
        const partition = requirePartition(metadata, pathParam(c, "partition"));
        const type = (c.req.header("Content-Type") ?? "").split(";")[0]?.trim();
        if (type !== BATCH_CONTENT_TYPE) {
          throw invalidRequest(`Content-Type must be ${BATCH_CONTENT_TYPE}`, { contentType: type ?? null });
        }
        const batch = new Uint8Array(await c.req.arrayBuffer());
        if (batch.length === 0) throw invalidRequest("request body is empty; expected one record batch");
        const result = await store.append({ topic: metadata.name, partition }, batch);
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
      const offset = await readFrom(store, tp, offsetQuery(c, "earliest"));
      const read = await store.read(tp, { offset, maxBytes, maxWaitMs, signal: c.req.raw.signal });
      c.header("Content-Type", BATCHES_CONTENT_TYPE);
      c.header("Edgelog-High-Watermark", String(read.highWatermark));
      c.header("Edgelog-Log-Start-Offset", String(read.logStartOffset));
      return c.body(frameBatches(read.batches));
    },
  });
}

/** Frames batches back to back; the inverse is `parseBatchFrames` (used by clients and tests). */
export function frameBatches(batches: readonly StoredBatch[]): Uint8Array<ArrayBuffer> {
  const size = batches.reduce((sum, b) => sum + FRAME_HEADER_BYTES + b.payload.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let pos = 0;
  for (const batch of batches) {
    view.setUint32(pos, batch.baseOffset % UINT32_SPAN, true);
    view.setUint32(pos + 4, Math.floor(batch.baseOffset / UINT32_SPAN), true);
    view.setUint32(pos + 8, batch.payload.length, true);
    out.set(batch.payload, pos + FRAME_HEADER_BYTES);
    pos += FRAME_HEADER_BYTES + batch.payload.length;
  }
  return out;
}

/** Splits a `application/vnd.edgelog.batches` body back into `{ baseOffset, payload }` frames. */
export function parseBatchFrames(bytes: Uint8Array): { baseOffset: number; payload: Uint8Array }[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames: { baseOffset: number; payload: Uint8Array }[] = [];
  let pos = 0;
  while (pos + FRAME_HEADER_BYTES <= bytes.length) {
    const baseOffset = view.getUint32(pos, true) + view.getUint32(pos + 4, true) * UINT32_SPAN;
    const length = view.getUint32(pos + 8, true);
    const start = pos + FRAME_HEADER_BYTES;
    if (start + length > bytes.length) throw new RangeError("truncated batch frame");
    frames.push({ baseOffset, payload: bytes.subarray(start, start + length) });
    pos = start + length;
  }
  if (pos !== bytes.length) throw new RangeError("trailing bytes after the last batch frame");
  return frames;
}
