// The binary fetch body: frames round-trip (offsets up to 2^53 - 1), and every way a body can be damaged is one
// CORRUPT_MESSAGE that says where, never a misread.
import { describe, expect, it } from "vitest";
import { decodeFrames, encodeFrames, FRAME_HEADER_BYTES } from "../../src/codec/frames.ts";
import { encodeBatch } from "../../src/codec/record-batch.ts";
import { EdgeLogError } from "../../src/errors.ts";
import type { LogRecord } from "../../src/record.ts";
import { MAX_MESSAGE_BYTES_LIMIT } from "../../src/topic-config.ts";

const T0 = 1_700_000_000_000;
const batchOf = (count: number): Uint8Array =>
  encodeBatch(
    Array.from(
      { length: count },
      (_, i): LogRecord => ({ key: null, value: new Uint8Array([i]), headers: [], timestamp: T0 + i }),
    ),
  );

function corruption(fn: () => unknown): EdgeLogError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(EdgeLogError);
    expect((error as EdgeLogError).code).toBe("CORRUPT_MESSAGE");
    return error as EdgeLogError;
  }
  throw new Error("expected CORRUPT_MESSAGE, nothing was thrown");
}

/** Overwrites the frame at `at`'s header fields. */
function patch(
  body: Uint8Array,
  at: number,
  fields: { low?: number; high?: number; length?: number },
): Uint8Array {
  const copy = body.slice();
  const view = new DataView(copy.buffer);
  if (fields.low !== undefined) view.setUint32(at, fields.low, true);
  if (fields.high !== undefined) view.setUint32(at + 4, fields.high, true);
  if (fields.length !== undefined) view.setUint32(at + 8, fields.length, true);
  return copy;
}

describe("encodeFrames / decodeFrames", () => {
  it("round-trips batches with their offsets, counts and sizes, up to offsets near 2^53", () => {
    const a = batchOf(3);
    const b = batchOf(1);
    const c = batchOf(2);
    const offsets = [0, 2 ** 32 - 1, Number.MAX_SAFE_INTEGER - 1];
    const body = encodeFrames([
      { baseOffset: offsets[0] as number, payload: a },
      { baseOffset: offsets[1] as number, payload: b },
      { baseOffset: offsets[2] as number, payload: c },
    ]);
    expect(body.length).toBe(3 * FRAME_HEADER_BYTES + a.length + b.length + c.length);
    const batches = decodeFrames(body);
    expect(batches.map(({ payload: _, ...info }) => info)).toEqual([
      {
        baseOffset: 0,
        lastOffset: 2,
        recordCount: 3,
        maxTimestamp: T0 + 2,
        logAppendTime: -1,
        sizeBytes: a.length,
      },
      {
        baseOffset: 2 ** 32 - 1,
        lastOffset: 2 ** 32 - 1,
        recordCount: 1,
        maxTimestamp: T0,
        logAppendTime: -1,
        sizeBytes: b.length,
      },
      {
        baseOffset: Number.MAX_SAFE_INTEGER - 1,
        lastOffset: Number.MAX_SAFE_INTEGER,
        recordCount: 2,
        maxTimestamp: T0 + 1,
        logAppendTime: -1,
        sizeBytes: c.length,
      },
    ]);
    expect(batches.map((batch) => batch.payload)).toEqual([a, b, c]);
  });

  it("encodes nothing as an empty body, and decodes an empty body as no batches", () => {
    expect(encodeFrames([]).length).toBe(0);
    expect(decodeFrames(new Uint8Array(0))).toEqual([]);
  });

  it("hands out copies: the body can be reused without changing a payload", () => {
    const payload = batchOf(1);
    const body = encodeFrames([{ baseOffset: 7, payload }]);
    const [batch] = decodeFrames(body);
    body.fill(0);
    expect(batch?.payload).toEqual(payload);
  });

  it("decodes a frame inside a larger buffer (a subarray with an offset)", () => {
    const body = encodeFrames([{ baseOffset: 5, payload: batchOf(2) }]);
    const padded = new Uint8Array(body.length + 9);
    padded.set(body, 4);
    expect(decodeFrames(padded.subarray(4, 4 + body.length)).map((b) => b.baseOffset)).toEqual([5]);
  });

  it("reports a body cut at any byte inside a frame, and reads one cut between frames as the frames before", () => {
    const first = batchOf(2);
    const body = encodeFrames([
      { baseOffset: 10, payload: first },
      { baseOffset: 12, payload: batchOf(1) },
    ]);
    const boundary = FRAME_HEADER_BYTES + first.length;
    for (let cut = 1; cut < body.length; cut++) {
      const part = body.subarray(0, cut);
      if (cut === boundary) {
        expect(decodeFrames(part).map((b) => b.baseOffset)).toEqual([10]);
        continue;
      }
      const error = corruption(() => decodeFrames(part));
      expect(error.context.sizeBytes).toBe(cut);
      expect(error.context.frameStart).toBe(cut < boundary ? 0 : boundary);
    }
  });

  it("reports a frame length over the limit before looking for its bytes", () => {
    const body = encodeFrames([{ baseOffset: 0, payload: batchOf(1) }]);
    const huge = patch(body, 0, { length: 0xffff_ffff });
    expect(corruption(() => decodeFrames(huge)).context).toMatchObject({
      frameStart: 0,
      frameBytes: 0xffff_ffff,
      maxBytes: MAX_MESSAGE_BYTES_LIMIT,
    });
    const length = body.length - FRAME_HEADER_BYTES;
    expect(decodeFrames(body, { maxFrameBytes: length })).toHaveLength(1);
    expect(corruption(() => decodeFrames(body, { maxFrameBytes: length - 1 })).context).toMatchObject({
      frameBytes: length,
      maxBytes: length - 1,
    });
  });

  it("reports a length that runs past the body, and one that leaves trailing bytes", () => {
    const body = encodeFrames([{ baseOffset: 0, payload: batchOf(1) }]);
    const length = body.length - FRAME_HEADER_BYTES;
    expect(corruption(() => decodeFrames(patch(body, 0, { length: length + 1 }))).message).toContain(
      "truncated",
    );
    // One byte short: the frame's batch is cut (its header does not parse) and a 1-byte "frame" follows.
    corruption(() => decodeFrames(patch(body, 0, { length: length - 1 })));
  });

  it("reports a base offset at or above 2^53", () => {
    const body = encodeFrames([{ baseOffset: 0, payload: batchOf(1) }]);
    expect(decodeFrames(patch(body, 0, { low: 0xffff_ffff, high: 2 ** 21 - 1 }))[0]?.baseOffset).toBe(
      Number.MAX_SAFE_INTEGER,
    );
    expect(corruption(() => decodeFrames(patch(body, 0, { low: 0, high: 2 ** 21 }))).message).toContain(
      "2^53",
    );
  });

  it("reports a frame whose batch header does not parse, with where it starts", () => {
    const good = batchOf(1);
    const garbage = new Uint8Array(good.length).fill(0xab);
    const body = encodeFrames([
      { baseOffset: 0, payload: good },
      { baseOffset: 1, payload: garbage },
    ]);
    const error = corruption(() => decodeFrames(body));
    expect(error.context).toMatchObject({
      frameStart: FRAME_HEADER_BYTES + good.length,
      frameBytes: garbage.length,
    });
    expect(error.cause).toBeInstanceOf(EdgeLogError);
    corruption(() => decodeFrames(encodeFrames([{ baseOffset: 0, payload: new Uint8Array(0) }])));
  });
});
