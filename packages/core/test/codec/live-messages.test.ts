// The WebSocket live tail's messages: records round-trip with their header, control messages parse strictly on
// both sides, and a damaged or hostile message is one clear error, never a misread.
import { describe, expect, it } from "vitest";
import {
  decodeLiveRecords,
  encodeLiveControl,
  encodeLiveRecords,
  LIVE_HEADER_BYTES,
  liveCloseCode,
  MAX_LIVE_CLIENT_MESSAGE_BYTES,
  parseLiveClientMessage,
  parseLiveServerMessage,
} from "../../src/codec/live-messages.ts";
import { encodeBatch } from "../../src/codec/record-batch.ts";
import { EdgeLogError } from "../../src/errors.ts";

const batch = (n: number) =>
  encodeBatch(
    Array.from({ length: n }, (_, i) => ({
      key: null,
      value: new Uint8Array([i]),
      headers: [],
      timestamp: i,
    })),
  );

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(EdgeLogError);
    return (error as EdgeLogError).code;
  }
  throw new Error("nothing was thrown");
}

describe("live records messages", () => {
  it("round-trip batches with the high watermark and log start, offsets up to 2^53 - 1", () => {
    const top = Number.MAX_SAFE_INTEGER;
    const message = encodeLiveRecords(top, 7, [
      { baseOffset: 10, payload: batch(3) },
      { baseOffset: 13, payload: batch(1) },
    ]);
    const decoded = decodeLiveRecords(message);
    expect(decoded.highWatermark).toBe(top);
    expect(decoded.logStartOffset).toBe(7);
    expect(decoded.batches.map((b) => [b.baseOffset, b.lastOffset])).toEqual([
      [10, 12],
      [13, 13],
    ]);
    expect(decoded.batches[0]?.payload).toEqual(batch(3));
    expect(decodeLiveRecords(encodeLiveRecords(0, 0, [])).batches).toEqual([]);
  });

  it("refuses a wrong kind, a short header, an offset past 2^53 and broken frames", () => {
    const good = encodeLiveRecords(5, 0, [{ baseOffset: 0, payload: batch(2) }]);
    const wrongKind = good.slice();
    wrongKind[0] = 2;
    expect(codeOf(() => decodeLiveRecords(wrongKind))).toBe("CORRUPT_MESSAGE");
    expect(codeOf(() => decodeLiveRecords(good.subarray(0, LIVE_HEADER_BYTES - 1)))).toBe("CORRUPT_MESSAGE");
    const huge = good.slice();
    new DataView(huge.buffer).setUint32(5, 2 ** 21, true);
    expect(codeOf(() => decodeLiveRecords(huge))).toBe("CORRUPT_MESSAGE");
    expect(codeOf(() => decodeLiveRecords(good.subarray(0, good.length - 1)))).toBe("CORRUPT_MESSAGE");
  });
});

describe("a reader's control messages", () => {
  it("parse resume and pause", () => {
    expect(parseLiveClientMessage(encodeLiveControl({ type: "resume", offset: 42 }))).toEqual({
      type: "resume",
      offset: 42,
    });
    expect(parseLiveClientMessage('{"type":"pause","extra":1}')).toEqual({ type: "pause" });
  });

  it.each([
    ["not JSON", "resume 4"],
    ["an array", "[]"],
    ["null", "null"],
    ["an unknown type", '{"type":"subscribe"}'],
    ["__proto__ as type", '{"type":"__proto__"}'],
    ["a negative offset", '{"type":"resume","offset":-1}'],
    ["a fractional offset", '{"type":"resume","offset":1.5}'],
    ["an offset past 2^53", `{"type":"resume","offset":${2 ** 53}}`],
    ["a string offset", '{"type":"resume","offset":"1"}'],
    ["a missing offset", '{"type":"resume"}'],
  ])("refuse %s as INVALID_REQUEST", (_, text) => {
    expect(codeOf(() => parseLiveClientMessage(text))).toBe("INVALID_REQUEST");
  });

  it("refuse a message over the byte limit, counted in UTF-8", () => {
    const padding = "é".repeat(MAX_LIVE_CLIENT_MESSAGE_BYTES / 2);
    expect(codeOf(() => parseLiveClientMessage(`{"type":"pause","p":"${padding}"}`))).toBe("INVALID_REQUEST");
  });
});

describe("the partition's control messages", () => {
  it("parse ready, behind and error", () => {
    expect(
      parseLiveServerMessage(
        encodeLiveControl({ type: "ready", offset: 3, highWatermark: 5, logStartOffset: 0, expiresAt: null }),
      ),
    ).toEqual({ type: "ready", offset: 3, highWatermark: 5, logStartOffset: 0, expiresAt: null });
    expect(parseLiveServerMessage('{"type":"behind","nextOffset":4,"highWatermark":9}')).toEqual({
      type: "behind",
      nextOffset: 4,
      highWatermark: 9,
    });
    const error = parseLiveServerMessage(
      '{"type":"error","error":{"code":"AUTHENTICATION_FAILED","message":"expired"}}',
    );
    expect(error).toMatchObject({ type: "error", error: { code: "AUTHENTICATION_FAILED" } });
  });

  it.each([
    "nope",
    '{"type":"ready","offset":1}',
    '{"type":"behind","nextOffset":"1","highWatermark":2}',
    '{"type":"error","error":{"code":"NO_SUCH_CODE"}}',
    '{"type":"records"}',
  ])("refuse %s as CORRUPT_MESSAGE", (text) => {
    expect(codeOf(() => parseLiveServerMessage(text))).toBe("CORRUPT_MESSAGE");
  });

  it("close with 4000 + the error's HTTP status", () => {
    expect(liveCloseCode("AUTHENTICATION_FAILED")).toBe(4401);
    expect(liveCloseCode("UNKNOWN_TOPIC_OR_PARTITION")).toBe(4404);
    expect(liveCloseCode("OFFSET_OUT_OF_RANGE")).toBe(4416);
    expect(liveCloseCode("UNKNOWN_SERVER_ERROR")).toBe(4500);
  });
});
