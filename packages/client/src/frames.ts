/**
 * @module
 * Parsing the binary fetch body (`application/vnd.edgelog.batches`, docs/http-api.md): frames of
 * `[baseOffset: uint64 LE][length: uint32 LE][batch bytes]`, back to back. Each batch's header supplies what
 * the frame does not (record count, max timestamp), so a read over HTTP yields the same `StoredBatch`es a local
 * store would.
 */
import { EdgeLogError, readBatchHeader, type StoredBatch } from "@edgelog/core";

/** The MIME type of the binary fetch response. */
export const BATCHES_CONTENT_TYPE = "application/vnd.edgelog.batches";
/** The MIME type of one batch sent to the binary append endpoint. */
export const BATCH_CONTENT_TYPE = "application/vnd.edgelog.batch";

const FRAME_HEADER_BYTES = 12;
const LENGTH_OFFSET = 8;
const UINT32_SPAN = 0x1_0000_0000;

/**
 * The frame format carries no append time; `-1` is Kafka's "no log append time" (`RecordBatch.NO_TIMESTAMP`).
 * Nothing in core's read path looks at it.
 */
export const UNKNOWN_LOG_APPEND_TIME = -1;

/**
 * Splits a binary fetch body into stored batches. Payloads are copies, so the caller owns them (as the
 * `LogStore` contract says) and the response buffer can be collected.
 * @throws EdgeLogError `CORRUPT_MESSAGE` for a truncated frame or a batch whose header does not parse.
 * @example
 * const batches = parseFrames(new Uint8Array(await response.arrayBuffer()));
 */
export function parseFrames(body: Uint8Array): StoredBatch[] {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const batches: StoredBatch[] = [];
  let at = 0;
  while (at < body.length) {
    if (body.length - at < FRAME_HEADER_BYTES) throw truncated(body.length, at);
    // Offsets are below 2^53 (docs/http-api.md), so the high word times 2^32 is exact.
    const baseOffset = view.getUint32(at + 4, true) * UINT32_SPAN + view.getUint32(at, true);
    const length = view.getUint32(at + LENGTH_OFFSET, true);
    const start = at + FRAME_HEADER_BYTES;
    if (body.length - start < length) throw truncated(body.length, at);
    const payload = body.slice(start, start + length);
    const header = readBatchHeader(payload);
    batches.push({
      baseOffset,
      lastOffset: baseOffset + header.recordCount - 1,
      recordCount: header.recordCount,
      maxTimestamp: header.maxTimestamp,
      logAppendTime: UNKNOWN_LOG_APPEND_TIME,
      sizeBytes: length,
      payload,
    });
    at = start + length;
  }
  return batches;
}

/** Encodes stored batches as frames: the server's side of `parseFrames`, for tests and stub servers. */
export function encodeFrames(
  batches: readonly { baseOffset: number; payload: Uint8Array }[],
): Uint8Array<ArrayBuffer> {
  const size = batches.reduce((sum, b) => sum + FRAME_HEADER_BYTES + b.payload.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const { baseOffset, payload } of batches) {
    view.setUint32(at, baseOffset % UINT32_SPAN, true);
    view.setUint32(at + 4, Math.floor(baseOffset / UINT32_SPAN), true);
    view.setUint32(at + LENGTH_OFFSET, payload.length, true);
    out.set(payload, at + FRAME_HEADER_BYTES);
    at += FRAME_HEADER_BYTES + payload.length;
  }
  return out;
}

function truncated(size: number, at: number): EdgeLogError {
  return new EdgeLogError("CORRUPT_MESSAGE", `truncated batch frame at byte ${at} of ${size}`, {
    context: { sizeBytes: size },
  });
}
