/**
 * @module
 * Variable-length integers as in protobuf and Kafka's record format (KIP-98): unsigned LEB128, seven bits per byte,
 * low group first; signed values zigzag-mapped first so small magnitudes of either sign stay short.
 *
 * JavaScript numbers hold integers exactly up to 2^53 - 1, so that is the range here: past 32 bits the code uses
 * arithmetic, because bitwise operators truncate to 32 bits. Reads advance a {@link Cursor} in place instead of
 * returning a `{ value, pos }` pair, so decoding a record allocates nothing per field.
 */
import { EdgeLogError } from "../errors.ts";

/** The longest varint: 2^53 - 1 needs 53 bits, eight groups of seven. Longer input is corrupt. */
export const MAX_VARINT_BYTES = 8;

/** A read position in a byte array; the `read*` functions advance `pos` past what they consumed. */
export interface Cursor {
  pos: number;
}

const CONTINUATION = 0x80;
const PAYLOAD = 0x7f;
const INT31_LIMIT = 0x80000000;
/** In the eighth byte only four bits fit below 2^53 (7 × 7 = 49 bits come before it). */
const LAST_BYTE_LIMIT = 0x10;
/** A zigzag varint's first byte carries the sign bit and six bits of magnitude; the rest is a plain varint. */
const ZIGZAG_FIRST_BYTE_MAGNITUDE = 64;
/** Magnitudes below this zigzag into 31 bits, where the bitwise formula `(n << 1) ^ (n >> 31)` is exact. */
const ZIGZAG_BITWISE_LIMIT = 0x40000000;

function corrupt(message: string, pos: number): EdgeLogError {
  return new EdgeLogError("CORRUPT_MESSAGE", `${message} at byte ${pos}`, { context: { position: pos } });
}

function invalid(kind: string, value: number): EdgeLogError {
  return new EdgeLogError("INVALID_RECORD", `cannot encode ${String(value)} as a ${kind}`, {
    context: { value },
  });
}

/**
 * Bytes the unsigned varint of `value` takes (1–8). `value` must be an integer in 0..2^53-1.
 * @example
 * varintSize(127) // 1
 * varintSize(128) // 2
 */
export function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  if (value < 0x800000000) return 5;
  if (value < 0x40000000000) return 6;
  if (value < 0x2000000000000) return 7;
  return 8;
}

/**
 * Bytes the zigzag varint of `value` takes (1–8). `value` must be an integer in -(2^53-1)..2^53-1.
 * @example
 * zigzagSize(-64) // 1
 * zigzagSize(64) // 2
 */
export function zigzagSize(value: number): number {
  // zigzag(value) = 2m + sign, so it fits k groups exactly when m < 2^(7k - 1).
  const magnitude = value < 0 ? -value - 1 : value;
  if (magnitude < 0x40) return 1;
  if (magnitude < 0x2000) return 2;
  if (magnitude < 0x100000) return 3;
  if (magnitude < 0x8000000) return 4;
  if (magnitude < 0x400000000) return 5;
  if (magnitude < 0x20000000000) return 6;
  if (magnitude < 0x1000000000000) return 7;
  return 8;
}

/**
 * Writes `value` (an integer in 0..2^53-1) as an unsigned varint at `pos` and returns the position after it.
 * The caller sizes the array ({@link varintSize}); a typed array silently drops writes past its end.
 * @example
 * const bytes = new Uint8Array(varintSize(300));
 * writeVarint(bytes, 0, 300) // 2; bytes = [0xac, 0x02]
 */
export function writeVarint(bytes: Uint8Array, pos: number, value: number): number {
  if (!(Number.isSafeInteger(value) && value >= 0)) throw invalid("varint", value);
  let v = value;
  let p = pos;
  // Above 31 bits `&` and `>>>` would truncate: peel groups off arithmetically until the bitwise loop is exact.
  while (v >= INT31_LIMIT) {
    const group = v % 128;
    bytes[p++] = group | CONTINUATION;
    v = (v - group) / 128;
  }
  while (v >= CONTINUATION) {
    bytes[p++] = (v & PAYLOAD) | CONTINUATION;
    v >>>= 7;
  }
  bytes[p++] = v;
  return p;
}

/**
 * Reads an unsigned varint at `cursor.pos` and advances the cursor past it.
 * @throws EdgeLogError `CORRUPT_MESSAGE` if the varint runs past the end of `bytes`, is longer than
 * {@link MAX_VARINT_BYTES} or exceeds 2^53 - 1.
 * @example
 * const cursor = { pos: 0 };
 * readVarint(new Uint8Array([0xac, 0x02]), cursor) // 300; cursor.pos === 2
 */
export function readVarint(bytes: Uint8Array, cursor: Cursor): number {
  const start = cursor.pos;
  let b = bytes[start];
  if (b === undefined) throw corrupt("varint runs past the end of the data", start);
  if (b < CONTINUATION) {
    cursor.pos = start + 1;
    return b;
  }
  let value = b & PAYLOAD;
  // Groups 2–4 reach bit 27 at most: bitwise is exact and stays positive.
  for (let i = 1; i < 4; i++) {
    b = bytes[start + i];
    if (b === undefined) throw corrupt("varint runs past the end of the data", start);
    value |= (b & PAYLOAD) << (7 * i);
    if (b < CONTINUATION) {
      cursor.pos = start + i + 1;
      return value;
    }
  }
  let scale = 0x10000000; // 2^28
  for (let i = 4; i < MAX_VARINT_BYTES; i++) {
    b = bytes[start + i];
    if (b === undefined) throw corrupt("varint runs past the end of the data", start);
    if (b < CONTINUATION) {
      if (i === MAX_VARINT_BYTES - 1 && b >= LAST_BYTE_LIMIT) throw corrupt("varint exceeds 2^53 - 1", start);
      cursor.pos = start + i + 1;
      return value + b * scale;
    }
    value += (b & PAYLOAD) * scale;
    scale *= 128;
  }
  throw corrupt(`varint longer than ${MAX_VARINT_BYTES} bytes`, start);
}

/**
 * Writes `value` (an integer in -(2^53-1)..2^53-1) as a zigzag varint at `pos` and returns the position after it.
 * @example
 * const bytes = new Uint8Array(1);
 * writeZigzag(bytes, 0, -1) // 1; bytes = [0x01]
 */
export function writeZigzag(bytes: Uint8Array, pos: number, value: number): number {
  if (value > -ZIGZAG_BITWISE_LIMIT && value < ZIGZAG_BITWISE_LIMIT && (value | 0) === value) {
    return writeVarint(bytes, pos, ((value << 1) ^ (value >> 31)) >>> 0);
  }
  if (!Number.isSafeInteger(value)) throw invalid("zigzag varint", value);
  // 2|value| can exceed 2^53, where doubles lose odd numbers. Zigzag is 2m + sign with m = |value| or |value| - 1:
  // its low seven bits are (m mod 64) << 1 | sign, the rest is the plain varint of floor(m / 64).
  const negative = value < 0;
  const magnitude = negative ? -value - 1 : value;
  const low = magnitude % ZIGZAG_FIRST_BYTE_MAGNITUDE;
  const rest = (magnitude - low) / ZIGZAG_FIRST_BYTE_MAGNITUDE;
  // |value| >= 2^30 here, so `rest` is non-zero and a continuation always follows.
  bytes[pos] = (low << 1) | (negative ? 1 : 0) | CONTINUATION;
  return writeVarint(bytes, pos + 1, rest);
}

/**
 * Reads a zigzag varint at `cursor.pos` and advances the cursor past it.
 * @throws EdgeLogError `CORRUPT_MESSAGE` on truncated, over-long or out-of-range input.
 * @example
 * const cursor = { pos: 0 };
 * readZigzag(new Uint8Array([0x03]), cursor) // -2
 */
export function readZigzag(bytes: Uint8Array, cursor: Cursor): number {
  const start = cursor.pos;
  const b = bytes[start];
  if (b === undefined) throw corrupt("varint runs past the end of the data", start);
  if (b < CONTINUATION) {
    cursor.pos = start + 1;
    return (b >>> 1) ^ -(b & 1);
  }
  const sign = b & 1;
  const low = (b & PAYLOAD) >>> 1;
  cursor.pos = start + 1;
  const rest = readVarint(bytes, cursor);
  if (cursor.pos - start > MAX_VARINT_BYTES)
    throw corrupt(`varint longer than ${MAX_VARINT_BYTES} bytes`, start);
  // Exact below 2^53; anything that rounds is above 2^53 - 1 and rejected anyway.
  const magnitude = rest * ZIGZAG_FIRST_BYTE_MAGNITUDE + low;
  if (magnitude > Number.MAX_SAFE_INTEGER || (sign === 1 && magnitude === Number.MAX_SAFE_INTEGER)) {
    throw corrupt("zigzag varint exceeds 2^53 - 1 in magnitude", start);
  }
  return sign === 1 ? -magnitude - 1 : magnitude;
}
