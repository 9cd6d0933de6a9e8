// The binary fetch body: frames round-trip and truncation is reported, never misread.
import { EdgeLogError } from "@edgelog/core";
import { makeBatch } from "@edgelog/core/testing";
import { describe, expect, it } from "vitest";
import { encodeFrames, parseFrames } from "../src/frames.ts";

describe("parseFrames", () => {
  it("reads back batches with their offsets, counts and sizes", () => {
    const a = makeBatch(3, "a");
    const b = makeBatch(1, "b");
    const batches = parseFrames(
      encodeFrames([
        { baseOffset: 2 ** 40 + 5, payload: a },
        { baseOffset: 2 ** 40 + 8, payload: b },
      ]),
    );
    expect(batches.map(({ payload: _, ...info }) => info)).toEqual([
      {
        baseOffset: 2 ** 40 + 5,
        lastOffset: 2 ** 40 + 7,
        recordCount: 3,
        maxTimestamp: 1_700_000_000_002,
        logAppendTime: -1,
        sizeBytes: a.length,
      },
      {
        baseOffset: 2 ** 40 + 8,
        lastOffset: 2 ** 40 + 8,
        recordCount: 1,
        maxTimestamp: 1_700_000_000_000,
        logAppendTime: -1,
        sizeBytes: b.length,
      },
    ]);
    expect(batches[0]?.payload).toEqual(a);
  });

  it("answers an empty body with no batches", () => {
    expect(parseFrames(new Uint8Array(0))).toEqual([]);
  });

  it("reports a truncated frame as CORRUPT_MESSAGE", () => {
    const body = encodeFrames([{ baseOffset: 0, payload: makeBatch(2) }]);
    for (const cut of [5, 12, body.length - 1]) {
      expect(() => parseFrames(body.subarray(0, cut))).toThrow(EdgeLogError);
      try {
        parseFrames(body.subarray(0, cut));
      } catch (error) {
        expect((error as EdgeLogError).code).toBe("CORRUPT_MESSAGE");
      }
    }
  });
});
