import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc32c, crc32cUpdate } from "../../src/codec/crc32c.ts";

/** The textbook bit-at-a-time CRC-32C, the reference the sliced tables must agree with. */
function referenceCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe("crc32c", () => {
  it("matches the published check values (RFC 3720 appendix B.4)", () => {
    expect(crc32c(new TextEncoder().encode("123456789"))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it("matches a bytewise reference for every length and alignment", () => {
    const bytes = Uint8Array.from({ length: 200 }, (_, i) => (i * 131 + 7) & 0xff);
    for (let start = 0; start < 17; start++) {
      for (let end = start; end <= bytes.length; end++) {
        expect(crc32c(bytes, start, end)).toBe(referenceCrc32c(bytes.subarray(start, end)));
      }
    }
  });

  it("honours the byte offset of a subarray", () => {
    const backing = Uint8Array.from({ length: 64 }, (_, i) => i);
    const view = backing.subarray(5, 50);
    expect(crc32c(view)).toBe(referenceCrc32c(backing.slice(5, 50)));
  });

  it("agrees with the reference on random input", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(crc32c(bytes)).toBe(referenceCrc32c(bytes));
      }),
    );
  });

  it("continues incrementally across any split into chunks", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.array(fc.nat({ max: 200 }), { maxLength: 5 }),
        (bytes, cuts) => {
          const points = [0, ...cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b), bytes.length];
          let crc = 0;
          for (let i = 1; i < points.length; i++) {
            crc = crc32cUpdate(crc, bytes, points[i - 1], points[i]);
          }
          expect(crc).toBe(referenceCrc32c(bytes));
          // The same with separate arrays, as chunks arrive from a stream.
          let chunked = 0;
          for (let i = 1; i < points.length; i++) {
            chunked = crc32cUpdate(chunked, bytes.slice(points[i - 1], points[i]));
          }
          expect(chunked).toBe(crc);
        },
      ),
    );
  });

  it("rejects a range outside the array", () => {
    const bytes = new Uint8Array(4);
    expect(() => crc32c(bytes, 0, 5)).toThrow(RangeError);
    expect(() => crc32c(bytes, 3, 2)).toThrow(RangeError);
    expect(() => crc32c(bytes, -1)).toThrow(RangeError);
  });
});
