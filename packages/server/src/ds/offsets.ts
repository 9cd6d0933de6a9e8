/**
 * @module
 * Stream offsets ⇄ edgelog offsets. A Durable Streams offset names a position between messages and reads
 * return what follows it; an edgelog offset names a record. So the stream offset of position `n` (after `n`
 * records) is edgelog offset `n`, written `0000000000000000_%016d`: fixed width, so byte order is numeric
 * order, and the shape of the reference server's `readSeq_byteOffset`, so the zero offset is the same string
 * (the conformance suite spells it out). The first field is reserved and always 0.
 */

/** Decimal digits per field: 2^53 has 16. */
const FIELD_DIGITS = 16;
const ZERO_FIELD = "0".repeat(FIELD_DIGITS);
const OFFSET_SHAPE = /^(\d+)_(\d+)$/;

/** The stream offset of edgelog position `offset`. */
export function encodeStreamOffset(offset: number): string {
  return `${ZERO_FIELD}_${String(offset).padStart(FIELD_DIGITS, "0")}`;
}

/** A parsed `offset` query value: the start, the tail, or a position. */
export type StreamOffsetSpec = "start" | "now" | number;

/**
 * Parses a stream offset (`-1`, `now` or `digits_digits`); `null` when malformed. A position beyond what a
 * safe integer holds (or with a non-zero reserved field) reads as "past the tail".
 */
export function parseStreamOffset(value: string): StreamOffsetSpec | null {
  if (value === "-1") return "start";
  if (value === "now") return "now";
  const match = OFFSET_SHAPE.exec(value);
  if (match === null) return null;
  const [, reserved, position] = match as unknown as [string, string, string];
  const offset = Number(position);
  if (/[^0]/.test(reserved) || !Number.isSafeInteger(offset)) return Number.MAX_SAFE_INTEGER;
  return offset;
}
