import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MAX_VARINT_BYTES,
  readVarint,
  readZigzag,
  varintSize,
  writeVarint,
  writeZigzag,
  zigzagSize,
} from "../../src/codec/varint.ts";
import { EdgeLogError } from "../../src/errors.ts";

const MAX = Number.MAX_SAFE_INTEGER;

/** Reference LEB128 with BigInt, immune to the 32-bit pitfalls the implementation works around. */
function referenceVarint(value: bigint): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

function referenceZigzag(value: number): number[] {
  const v = BigInt(value);
  return referenceVarint(v >= 0n ? v << 1n : (-v << 1n) - 1n);
}

function encodeVarint(value: number): Uint8Array {
  const bytes = new Uint8Array(varintSize(value));
  expect(writeVarint(bytes, 0, value)).toBe(bytes.length);
  return bytes;
}

function encodeZigzag(value: number): Uint8Array {
  const bytes = new Uint8Array(zigzagSize(value));
  expect(writeZigzag(bytes, 0, value)).toBe(bytes.length);
  return bytes;
}

function expectCorrupt(read: () => unknown): void {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(EdgeLogError);
    expect((error as EdgeLogError).code).toBe("CORRUPT_MESSAGE");
    return;
  }
  expect.fail("expected CORRUPT_MESSAGE");
}

const boundaries = [0, 1, 63, 64, 127, 128, 255, 256, 16_383, 16_384];
for (let bits = 14; bits <= 53; bits++) boundaries.push(2 ** bits - 1, 2 ** bits, 2 ** bits + 1);
const unsignedBoundaries = boundaries.filter((v) => v <= MAX);
const signedBoundaries = unsignedBoundaries.flatMap((v) => (v === 0 ? [0] : [v, -v]));

/** Integers spread over every magnitude up to 2^53 - 1, not just the small ones `fc.integer` favours. */
const anyMagnitude = fc
  .tuple(fc.integer({ min: 0, max: 53 }), fc.double({ min: 0, max: 1, noNaN: true }))
  .map(([bits, fraction]) => Math.min(MAX, Math.floor(fraction * 2 ** bits)));

describe("unsigned varint", () => {
  it("round-trips boundary values with the reference bytes and size", () => {
    for (const value of unsignedBoundaries) {
      const bytes = encodeVarint(value);
      expect([...bytes], String(value)).toEqual(referenceVarint(BigInt(value)));
      const cursor = { pos: 0 };
      expect(readVarint(bytes, cursor)).toBe(value);
      expect(cursor.pos).toBe(bytes.length);
    }
    expect(varintSize(MAX)).toBe(MAX_VARINT_BYTES);
  });

  it("round-trips any integer in 0..2^53-1 at any position", () => {
    fc.assert(
      fc.property(fc.oneof(anyMagnitude, fc.maxSafeNat()), fc.nat({ max: 9 }), (value, at) => {
        const bytes = new Uint8Array(at + varintSize(value) + 3);
        const end = writeVarint(bytes, at, value);
        expect(end).toBe(at + varintSize(value));
        expect([...bytes.subarray(at, end)]).toEqual(referenceVarint(BigInt(value)));
        const cursor = { pos: at };
        expect(readVarint(bytes, cursor)).toBe(value);
        expect(cursor.pos).toBe(end);
      }),
    );
  });

  it("rejects values it cannot encode", () => {
    const bytes = new Uint8Array(16);
    for (const value of [-1, 0.5, MAX + 1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => writeVarint(bytes, 0, value)).toThrow(EdgeLogError);
    }
  });

  it("throws CORRUPT_MESSAGE on truncation, over-long input and values past 2^53 - 1", () => {
    const full = encodeVarint(MAX);
    for (let length = 0; length < full.length; length++) {
      expectCorrupt(() => readVarint(full.subarray(0, length), { pos: 0 }));
    }
    expectCorrupt(() => readVarint(new Uint8Array([0x80]), { pos: 0 }));
    expectCorrupt(() => readVarint(new Uint8Array([1]), { pos: 1 }));
    // 2^53 exactly: the eighth byte may carry only four bits.
    expectCorrupt(() =>
      readVarint(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]), { pos: 0 }),
    );
    // Nine bytes.
    expectCorrupt(() => readVarint(new Uint8Array(9).fill(0x80).fill(0, 8), { pos: 0 }));
  });

  it("never throws anything but CORRUPT_MESSAGE on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (bytes) => {
        try {
          const cursor = { pos: 0 };
          const value = readVarint(bytes, cursor);
          expect(Number.isSafeInteger(value) && value >= 0).toBe(true);
          expect(cursor.pos).toBeLessThanOrEqual(MAX_VARINT_BYTES);
        } catch (error) {
          expect((error as EdgeLogError).code).toBe("CORRUPT_MESSAGE");
        }
      }),
    );
  });
});

describe("zigzag varint", () => {
  it("maps small magnitudes of either sign to short codes", () => {
    expect([...encodeZigzag(0)]).toEqual([0]);
    expect([...encodeZigzag(-1)]).toEqual([1]);
    expect([...encodeZigzag(1)]).toEqual([2]);
    expect([...encodeZigzag(-64)]).toEqual([127]);
    expect([...encodeZigzag(64)]).toEqual([0x80, 1]);
    expect(zigzagSize(MAX)).toBe(MAX_VARINT_BYTES);
    expect(zigzagSize(-MAX)).toBe(MAX_VARINT_BYTES);
  });

  it("round-trips boundary values, including ±(2^53 - 1) whose zigzag exceeds 2^53", () => {
    for (const value of signedBoundaries) {
      const bytes = encodeZigzag(value);
      expect([...bytes], String(value)).toEqual(referenceZigzag(value));
      const cursor = { pos: 0 };
      expect(readZigzag(bytes, cursor)).toBe(value);
      expect(cursor.pos).toBe(bytes.length);
    }
  });

  it("round-trips any integer in -(2^53-1)..2^53-1", () => {
    const signed = fc.oneof(
      fc.tuple(anyMagnitude, fc.boolean()).map(([m, negative]) => (negative ? -m : m)),
      fc.maxSafeInteger(),
    );
    fc.assert(
      fc.property(signed, fc.nat({ max: 9 }), (value, at) => {
        const bytes = new Uint8Array(at + zigzagSize(value) + 2);
        const end = writeZigzag(bytes, at, value);
        expect(end).toBe(at + zigzagSize(value));
        expect([...bytes.subarray(at, end)]).toEqual(referenceZigzag(value));
        const cursor = { pos: at };
        expect(Object.is(readZigzag(bytes, cursor), value === 0 ? 0 : value)).toBe(true);
        expect(cursor.pos).toBe(end);
      }),
    );
  });

  it("rejects values it cannot encode", () => {
    const bytes = new Uint8Array(16);
    for (const value of [0.5, -MAX - 1, MAX + 1, Number.NaN, Number.NEGATIVE_INFINITY]) {
      expect(() => writeZigzag(bytes, 0, value)).toThrow(EdgeLogError);
    }
  });

  it("throws CORRUPT_MESSAGE on truncation and out-of-range magnitudes", () => {
    const full = encodeZigzag(-MAX);
    for (let length = 0; length < full.length; length++) {
      expectCorrupt(() => readZigzag(full.subarray(0, length), { pos: 0 }));
    }
    // Zigzag 2^54 - 1 is -2^53 and 2^54 is 2^53: both one past the range.
    const tooNegative = new Uint8Array(referenceVarint(2n ** 54n - 1n));
    expectCorrupt(() => readZigzag(tooNegative, { pos: 0 }));
    const tooPositive = new Uint8Array(referenceVarint(2n ** 54n));
    expectCorrupt(() => readZigzag(tooPositive, { pos: 0 }));
    // Nine bytes.
    expectCorrupt(() => readZigzag(new Uint8Array(9).fill(0x80).fill(0, 8), { pos: 0 }));
  });

  it("never throws anything but CORRUPT_MESSAGE on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (bytes) => {
        try {
          const value = readZigzag(bytes, { pos: 0 });
          expect(Number.isSafeInteger(value)).toBe(true);
        } catch (error) {
          expect((error as EdgeLogError).code).toBe("CORRUPT_MESSAGE");
        }
      }),
    );
  });
});
