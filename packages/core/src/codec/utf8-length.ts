/**
 * @module
 * The UTF-8 length of a string without encoding it: what the batch codec sizes header names with and what the
 * record caps measure them with, so both count the same bytes.
 */

/** UTF-8 length of `s`, counting a lone surrogate as U+FFFD (3 bytes), as `TextEncoder` encodes it. */
export function utf8Length(s: string): number {
  const units = s.length;
  let bytes = units;
  for (let i = 0; i < units; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      bytes += 1;
    } else if (c >= 0xd800 && c < 0xdc00 && i + 1 < units && isLowSurrogate(s.charCodeAt(i + 1))) {
      bytes += 2; // two units, four bytes
      i++;
    } else {
      bytes += 2;
    }
  }
  return bytes;
}

export function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit < 0xe000;
}
