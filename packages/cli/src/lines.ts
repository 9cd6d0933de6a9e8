/**
 * @module
 * Turning stdin into records for `produce`: lines split on `\n` as bytes (so any bytes round-trip, not only
 * UTF-8), pulled one chunk at a time so a fast writer waits for the producer instead of filling memory, each
 * line bounded, and the optional key separator applied.
 */
import { EdgeLogError } from "@edgelog/core";
import { usageError } from "./exit-codes.ts";

const NEWLINE = 0x0a;

/** Longer lines are refused: no single record may be larger (the server's default `max.message.bytes` is 1 MiB). */
export const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;

/** Lines handed out together at most, so one huge input chunk does not become one huge send. */
export const MAX_GROUP_LINES = 4_096;

/**
 * The lines of a byte stream, without their `\n` (a `\r` before it is kept: the bytes are the record), in groups:
 * the complete lines of each chunk read, at most `maxGroupLines` together, so a caller can send what arrived at
 * once in one go. A last line without a newline is a line; an empty input has none. Lines are copies, safe to
 * keep. A line longer than `maxLineBytes` fails the iteration (after the lines before it were handed out).
 */
export async function* splitLineGroups(
  chunks: AsyncIterable<Uint8Array>,
  maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  maxGroupLines = MAX_GROUP_LINES,
): AsyncGenerator<Uint8Array[]> {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let lineNumber = 0;
  let group: Uint8Array[] = [];
  const tooLong = (): EdgeLogError =>
    new EdgeLogError("MESSAGE_TOO_LARGE", `line ${lineNumber + 1} is longer than ${maxLineBytes} bytes`);
  for await (const chunk of chunks) {
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(NEWLINE, start);
      if (end === -1) break;
      if (pendingBytes + end - start > maxLineBytes) {
        if (group.length > 0) yield group;
        throw tooLong();
      }
      pending.push(chunk.subarray(start, end));
      group.push(join(pending, pendingBytes + end - start));
      lineNumber++;
      pending = [];
      pendingBytes = 0;
      start = end + 1;
      if (group.length >= maxGroupLines) {
        yield group;
        group = [];
      }
    }
    if (group.length > 0) {
      yield group;
      group = [];
    }
    if (start < chunk.byteLength) {
      pendingBytes += chunk.byteLength - start;
      if (pendingBytes > maxLineBytes) throw tooLong();
      // The rest of the chunk is kept until its line ends; copied, because a stream may reuse its buffers.
      // (`new Uint8Array(view)` copies; a Buffer's `slice` would not.)
      pending.push(new Uint8Array(chunk.subarray(start)));
    }
  }
  if (pendingBytes > 0) yield [join(pending, pendingBytes)];
}

/** The lines of a byte stream one by one (see `splitLineGroups`). */
export async function* splitLines(
  chunks: AsyncIterable<Uint8Array>,
  maxLineBytes = DEFAULT_MAX_LINE_BYTES,
): AsyncGenerator<Uint8Array> {
  for await (const group of splitLineGroups(chunks, maxLineBytes)) yield* group;
}

/** A line's key and value: split at the first occurrence of `separator`. */
export function splitKey(
  line: Uint8Array,
  separator: Uint8Array,
  lineNumber: number,
): { key: Uint8Array; value: Uint8Array } {
  const at = indexOfBytes(line, separator);
  if (at === -1) {
    throw usageError(`line ${lineNumber} has no key separator (--key-separator)`);
  }
  return { key: line.slice(0, at), value: line.slice(at + separator.byteLength) };
}

/** The first index of `needle` in `haystack`, or -1. */
export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  const first = needle[0];
  if (first === undefined) return -1;
  for (let i = haystack.indexOf(first); i !== -1 && i + needle.length <= haystack.length; ) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
    i = haystack.indexOf(first, i + 1);
  }
  return -1;
}

function join(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}
