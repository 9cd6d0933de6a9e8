// Fuzzing of the decoders that read bytes from the network: the batch decoders (`readBatchHeader`, `verifyBatch`,
// `decodeBatch`, `findOffsetForTimestamp`) and the frame decoder (`decodeFrames`). record-batch.test.ts already
// flips single bytes, truncates, and scrambles records behind a fixed-up CRC; this file adds what it does not:
// wholly random input, length and count fields set to huge values (2^31, 2^32 - 1, 2^53 - 1), varints that run
// past 2^53 or past eight bytes, and mutated frame bodies. Whatever the input, a decoder answers or throws an
// `EdgeLogError` with a decoding code, and never copies more bytes than it was given (a length field is checked
// against the input before anything is allocated for it).
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { crc32c } from "../../src/codec/crc32c.ts";
import { decodeFrames, encodeFrames, FRAME_HEADER_BYTES } from "../../src/codec/frames.ts";
import {
  decodeBatch,
  encodeBatch,
  findOffsetForTimestamp,
  readBatchHeader,
  verifyBatch,
} from "../../src/codec/record-batch.ts";
import { writeVarint } from "../../src/codec/varint.ts";
import { EdgeLogError, type ErrorCode } from "../../src/errors.ts";
import type { LogRecord } from "../../src/record.ts";

/** What a decoder may throw: the batch's own version check, or corruption. */
const DECODE_CODES: readonly ErrorCode[] = ["CORRUPT_MESSAGE", "UNSUPPORTED_VERSION"];
const HEADER_BYTES = 37;
const CRC_OFFSET = 3;
const ATTRIBUTES_OFFSET = 7;
const RECORD_COUNT_OFFSET = 8;
const BASE = 1_700_000_000_000;

/** Lengths a hostile sender would write into a length or count field. */
const HUGE = [2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 48, Number.MAX_SAFE_INTEGER] as const;

/** Raw varint byte sequences that are not valid varints: past 2^53 - 1, longer than eight bytes, unterminated. */
const BAD_VARINTS: readonly number[][] = [
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x10],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
  [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
  [0xff],
  [0x80, 0x80],
];

function outcome(fn: () => unknown): ErrorCode | "ok" {
  try {
    fn();
    return "ok";
  } catch (error) {
    // Anything but an EdgeLogError (a RangeError from a DataView, a TypeError) fails the property here.
    if (!(error instanceof EdgeLogError)) throw error;
    return error.code;
  }
}

function fixCrc(bytes: Uint8Array): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(
    CRC_OFFSET,
    crc32c(bytes, ATTRIBUTES_OFFSET),
    true,
  );
  return bytes;
}

function varintBytes(value: number): number[] {
  const out = new Uint8Array(8);
  return [...out.subarray(0, writeVarint(out, 0, value))];
}

function splice(bytes: Uint8Array, at: number, remove: number, insert: readonly number[]): Uint8Array {
  const out = new Uint8Array(bytes.length - remove + insert.length);
  out.set(bytes.subarray(0, at));
  out.set(insert, at);
  out.set(bytes.subarray(at + remove), at + insert.length);
  return out;
}

/** Runs every batch decoder on `bytes`; each answers or throws a decoding code, and decode agrees with verify. */
function checkBatchDecoders(bytes: Uint8Array): ErrorCode | "ok" {
  largestCopy = 0;
  const header = outcome(() => readBatchHeader(bytes));
  const verified = outcome(() => verifyBatch(bytes));
  const decoded = outcome(() => decodeBatch(bytes));
  expect(decoded).toBe(verified);
  for (const result of [header, verified]) {
    if (result !== "ok") expect(DECODE_CODES).toContain(result);
  }
  // A header that does not parse fails verification too.
  if (header !== "ok") expect(verified).toBe(header);
  const found = outcome(() => findOffsetForTimestamp(bytes, 0, BASE + 5));
  if (found !== "ok") expect(DECODE_CODES).toContain(found);
  return verified;
}

// Every copy a decoder makes is recorded (the checks reset the count before decoding), so a length field trusted before being checked shows up as a copy
// larger than the input (a `slice` of a claimed 2^31 bytes would also throw a RangeError or exhaust memory).
const realSlice = Uint8Array.prototype.slice;
let largestCopy = 0;
beforeEach(() => {
  largestCopy = 0;
  Uint8Array.prototype.slice = function (this: Uint8Array, start?: number, end?: number) {
    const copy = realSlice.call(this, start, end);
    largestCopy = Math.max(largestCopy, copy.length);
    return copy;
  } as typeof Uint8Array.prototype.slice;
});
afterEach(() => {
  Uint8Array.prototype.slice = realSlice;
});

/**
 * A batch whose every length is one varint byte, so the byte index of each field is known: one record with a
 * key, a value and one header, then `extra` plain records.
 */
function knownBatch(key: number, value: number, headerKey: number, headerValue: number, extra: number) {
  const records: LogRecord[] = [
    {
      key: new Uint8Array(key).fill(0x6b),
      value: new Uint8Array(value).fill(0x76),
      headers: [{ key: "h".repeat(headerKey), value: new Uint8Array(headerValue).fill(0x68) }],
      timestamp: BASE,
    },
  ];
  for (let i = 0; i < extra; i++) {
    records.push({ key: null, value: new Uint8Array([i]), headers: [], timestamp: BASE + i });
  }
  const batch = encodeBatch(records);
  const start = HEADER_BYTES;
  // length, timestamp delta, key length + 1, key, value length + 1, value, header count, header key length,
  // header key, header value length + 1, header value.
  const fields = {
    recordLength: start,
    keyLength: start + 2,
    valueLength: start + 3 + key,
    headerCount: start + 4 + key + value,
    headerKeyLength: start + 5 + key + value,
    headerValueLength: start + 6 + key + value + headerKey,
  };
  return { batch, fields };
}

// Up to 25 bytes each keeps the first record under 128 bytes, so its own length is one varint byte too.
const smallLength = fc.integer({ min: 0, max: 25 });
const field = fc.constantFrom(
  "recordLength",
  "keyLength",
  "valueLength",
  "headerCount",
  "headerKeyLength",
  "headerValueLength",
) as fc.Arbitrary<keyof ReturnType<typeof knownBatch>["fields"]>;

describe("batch decoders under hostile input", () => {
  it("random bytes, bare or behind a valid magic and version: only decoding errors", () => {
    const prefix = fc.constantFrom([], [0x45, 0x4c], [0x45, 0x4c, 0x01], [0x45, 0x4c, 0x01, 0, 0, 0, 0, 0]);
    fc.assert(
      fc.property(prefix, fc.uint8Array({ maxLength: 120 }), fc.boolean(), (head, tail, crc) => {
        const bytes = new Uint8Array(head.length + tail.length);
        bytes.set(head);
        bytes.set(tail, head.length);
        if (crc && bytes.length > ATTRIBUTES_OFFSET) fixCrc(bytes);
        checkBatchDecoders(bytes);
        expect(largestCopy).toBeLessThanOrEqual(bytes.length);
      }),
      { numRuns: 300 },
    );
  });

  it("a length or count field set to a huge value is corruption, found without allocating for it", () => {
    fc.assert(
      fc.property(
        smallLength,
        smallLength,
        smallLength,
        smallLength,
        fc.integer({ min: 0, max: 3 }),
        field,
        fc.constantFrom(...HUGE),
        (key, value, headerKey, headerValue, extra, name, huge) => {
          const { batch, fields } = knownBatch(key, value, headerKey, headerValue, extra);
          expect(verifyBatch(batch).recordCount).toBe(1 + extra);
          const mutated = fixCrc(splice(batch, fields[name], 1, varintBytes(huge)));
          expect(checkBatchDecoders(mutated), name).toBe("CORRUPT_MESSAGE");
          expect(largestCopy).toBeLessThanOrEqual(mutated.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a varint past 2^53 - 1, past eight bytes or cut short is corruption", () => {
    fc.assert(
      fc.property(
        smallLength,
        smallLength,
        field,
        fc.constantFrom(...BAD_VARINTS),
        fc.boolean(),
        (key, value, name, varint, truncate) => {
          const { batch, fields } = knownBatch(key, value, 1, 1, 1);
          let mutated = splice(batch, fields[name], 1, varint);
          // Cut right after the varint too: a decoder must not read past the end looking for its last byte.
          if (truncate) mutated = mutated.slice(0, fields[name] + varint.length);
          fixCrc(mutated);
          expect(checkBatchDecoders(mutated), name).toBe("CORRUPT_MESSAGE");
        },
      ),
      { numRuns: 200 },
    );
  });

  it("a record count or producer id length beyond the buffer is corruption", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.oneof(fc.constantFrom(2 ** 32 - 1, 2 ** 31, 0), fc.integer({ min: 0, max: 2 ** 32 - 1 })),
        fc.integer({ min: 0, max: 255 }),
        (count, claimed, producerIdLength) => {
          const records = Array.from({ length: count }, (_, i) => ({
            key: null,
            value: new Uint8Array([i]),
            headers: [],
            timestamp: BASE,
          }));
          const batch = encodeBatch(records);
          const view = new DataView(batch.buffer);
          view.setUint32(RECORD_COUNT_OFFSET, claimed, true);
          const withCount = outcome(() => verifyBatch(fixCrc(batch.slice())));
          expect(withCount).toBe(claimed === count ? "ok" : "CORRUPT_MESSAGE");
          view.setUint32(RECORD_COUNT_OFFSET, count, true);
          batch[HEADER_BYTES - 1] = producerIdLength;
          fixCrc(batch);
          const result = checkBatchDecoders(batch);
          if (producerIdLength > 0) expect(result).toBe("CORRUPT_MESSAGE");
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("decodeFrames under hostile input", () => {
  const frames = fc
    .array(
      fc.record({
        baseOffset: fc.oneof(fc.nat(), fc.constantFrom(0, 2 ** 32, Number.MAX_SAFE_INTEGER - 10)),
        count: fc.integer({ min: 1, max: 4 }),
      }),
      { maxLength: 4 },
    )
    .map((list) =>
      list.map(({ baseOffset, count }) => ({
        baseOffset,
        payload: encodeBatch(
          Array.from({ length: count }, (_, i) => ({
            key: null,
            value: new Uint8Array([i]),
            headers: [],
            timestamp: BASE,
          })),
        ),
      })),
    );

  function checkFrames(body: Uint8Array): void {
    largestCopy = 0;
    try {
      const batches = decodeFrames(body);
      // Whatever decodes accounts for every byte of the body, and each batch's header parsed.
      const total = batches.reduce((sum, b) => sum + FRAME_HEADER_BYTES + b.sizeBytes, 0);
      expect(total).toBe(body.length);
      for (const batch of batches) {
        expect(batch.lastOffset - batch.baseOffset + 1).toBe(batch.recordCount);
        expect(Number.isSafeInteger(batch.baseOffset)).toBe(true);
      }
    } catch (error) {
      if (!(error instanceof EdgeLogError)) throw error;
      expect(error.code).toBe("CORRUPT_MESSAGE");
    }
    expect(largestCopy).toBeLessThanOrEqual(body.length);
  }

  it("random bytes: decodes or reports corruption, never another error", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (body) => checkFrames(body)),
      { numRuns: 300 },
    );
  });

  it("valid frames with bit flips, truncations, and huge lengths or offsets", () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
      fc.record({ kind: fc.constant("length" as const), frame: fc.nat(), value: fc.constantFrom(...HUGE) }),
      fc.record({ kind: fc.constant("offsetHigh" as const), frame: fc.nat(), value: fc.nat() }),
    );
    fc.assert(
      fc.property(frames, fc.array(mutation, { minLength: 1, maxLength: 3 }), (list, mutations) => {
        let body = encodeFrames(list);
        const starts: number[] = [];
        let at = 0;
        for (const frame of list) {
          starts.push(at);
          at += FRAME_HEADER_BYTES + frame.payload.length;
        }
        for (const m of mutations) {
          if (body.length === 0) break;
          const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
          const frameStart =
            starts[(m.kind === "length" || m.kind === "offsetHigh" ? m.frame : 0) % starts.length];
          if (m.kind === "flip")
            body[m.at % body.length] = (body[m.at % body.length] as number) ^ (1 << m.bit);
          else if (m.kind === "truncate") body = body.slice(0, m.at % body.length);
          else if (frameStart !== undefined && frameStart + FRAME_HEADER_BYTES <= body.length) {
            if (m.kind === "length") view.setUint32(frameStart + 8, Math.min(m.value, 2 ** 32 - 1), true);
            else view.setUint32(frameStart + 4, m.value % 2 ** 32, true);
          }
        }
        checkFrames(body);
      }),
      { numRuns: 300 },
    );
  });
});
