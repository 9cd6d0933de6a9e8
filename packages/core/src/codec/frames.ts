/**
 * @module
 * The binary fetch body (`application/vnd.edgelog.batches`): stored batches framed back to back as
 *
 * ```
 * offset size field
 * 0      8    baseOffset uint64 LE (below 2^53)
 * 8      4    length uint32 LE
 * 12     N    the batch, as stored
 * ```
 *
 * The server encodes it, the HTTP client decodes it; both sides and their one set of errors live here, beside the
 * content types of the binary endpoints. The frame carries only what a batch does not hold itself (its base offset):
 * record count and max timestamp come from the batch's header, so a read over HTTP yields the same `StoredBatch`es
 * a local store would.
 */
import { EdgeLogError } from "../errors.ts";
import type { StoredBatch } from "../store.ts";
import { MAX_MESSAGE_BYTES_LIMIT } from "../topic-config.ts";
import { readBatchHeader } from "./record-batch.ts";

/** The MIME type of the binary fetch response: frames of batches. */
export const BATCHES_CONTENT_TYPE = "application/vnd.edgelog.batches";
/** The MIME type of one encoded batch sent to the binary append endpoint. */
export const BATCH_CONTENT_TYPE = "application/vnd.edgelog.batch";
/** Bytes before each frame's batch: the base offset and the length. */
export const FRAME_HEADER_BYTES = 12;
/**
 * The frame format carries no append time; `-1` is Kafka's "no log append time" (`RecordBatch.NO_TIMESTAMP`).
 * Nothing in core's read path looks at it.
 */
export const UNKNOWN_LOG_APPEND_TIME = -1;

const LENGTH_OFFSET = 8;
const UINT32_SPAN = 0x1_0000_0000;
/** Offsets are below 2^53 (JavaScript's exact integers), so the high word of a valid one is below 2^21. */
const MAX_OFFSET_HIGH_WORD = 2 ** 21 - 1;

/** One frame: a stored batch's base offset and bytes. */
export interface Frame {
  readonly baseOffset: number;
  readonly payload: Uint8Array;
}

export interface DecodeFramesOptions {
  /**
   * The longest batch a frame may hold. Default `MAX_MESSAGE_BYTES_LIMIT`: no topic accepts a larger batch, so a
   * longer frame is corruption, reported before its bytes are awaited or copied.
   */
  readonly maxFrameBytes?: number;
}

/**
 * Frames batches back to back: the server's side of {@link decodeFrames}.
 * @example
 * const body = encodeFrames(read.batches);
 */
export function encodeFrames(frames: readonly Frame[]): Uint8Array<ArrayBuffer> {
  let size = 0;
  for (const frame of frames) size += FRAME_HEADER_BYTES + frame.payload.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const { baseOffset, payload } of frames) {
    view.setUint32(at, baseOffset % UINT32_SPAN, true);
    view.setUint32(at + 4, Math.floor(baseOffset / UINT32_SPAN), true);
    view.setUint32(at + LENGTH_OFFSET, payload.length, true);
    out.set(payload, at + FRAME_HEADER_BYTES);
    at += FRAME_HEADER_BYTES + payload.length;
  }
  return out;
}

/**
 * Splits a binary fetch body into stored batches. Payloads are copies, so the caller owns them (as the `LogStore`
 * contract says) and the response buffer can be collected.
 * @throws EdgeLogError `CORRUPT_MESSAGE` for a truncated frame, a frame longer than `maxFrameBytes`, a base
 * offset not below 2^53, or a batch whose header does not parse; its context holds the body's `sizeBytes`, the
 * failing frame's `frameStart` byte and, where read, its `frameBytes`.
 * @example
 * const batches = decodeFrames(new Uint8Array(await response.arrayBuffer()));
 */
export function decodeFrames(body: Uint8Array, options: DecodeFramesOptions = {}): StoredBatch[] {
  const maxFrameBytes = options.maxFrameBytes ?? MAX_MESSAGE_BYTES_LIMIT;
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const size = body.length;
  const batches: StoredBatch[] = [];
  let at = 0;
  while (at < size) {
    if (size - at < FRAME_HEADER_BYTES) {
      throw corruptFrame(`truncated frame header at byte ${at} of ${size}`, size, at);
    }
    const high = view.getUint32(at + 4, true);
    if (high > MAX_OFFSET_HIGH_WORD) {
      throw corruptFrame(`frame at byte ${at} has a base offset not below 2^53`, size, at);
    }
    const baseOffset = high * UINT32_SPAN + view.getUint32(at, true);
    const length = view.getUint32(at + LENGTH_OFFSET, true);
    if (length > maxFrameBytes) {
      throw corruptFrame(
        `frame at byte ${at} holds ${length} bytes, over the limit of ${maxFrameBytes}`,
        size,
        at,
        {
          frameBytes: length,
          maxBytes: maxFrameBytes,
        },
      );
    }
    const start = at + FRAME_HEADER_BYTES;
    if (size - start < length) {
      throw corruptFrame(`truncated frame at byte ${at} of ${size}: ${length} bytes announced`, size, at, {
        frameBytes: length,
      });
    }
    const payload = body.slice(start, start + length);
    let recordCount: number;
    let maxTimestamp: number;
    try {
      ({ recordCount, maxTimestamp } = readBatchHeader(payload));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw corruptFrame(`frame at byte ${at}: ${reason}`, size, at, { frameBytes: length }, error);
    }
    batches.push({
      baseOffset,
      lastOffset: baseOffset + recordCount - 1,
      recordCount,
      maxTimestamp,
      logAppendTime: UNKNOWN_LOG_APPEND_TIME,
      sizeBytes: length,
      payload,
    });
    at = start + length;
  }
  return batches;
}

function corruptFrame(
  message: string,
  sizeBytes: number,
  frameStart: number,
  extra: { frameBytes?: number; maxBytes?: number } = {},
  cause?: unknown,
): EdgeLogError {
  return new EdgeLogError("CORRUPT_MESSAGE", `corrupt batch frames: ${message}`, {
    context: { sizeBytes, frameStart, ...extra },
    cause,
  });
}
