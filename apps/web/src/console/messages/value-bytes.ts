/**
 * @module
 * A value's exact bytes, and two ways to show them. The JSON fetch renders values (a JSON value comes back
 * re-serialised: `1.0` as `1`, a 20-digit number rounded), so the hex and base64 views read the one record again
 * with `valueFormat=base64`, which renders every value as the base64 of its stored bytes (docs/http-api.md
 * "Fetch"). The binary fetch would give the same bytes, but decoding batches would add core's codec (CRC-32C and
 * all, ~7 KB gzipped) to the page for a view people open now and then. Hex is a classic dump (offset, 16 bytes,
 * printable ASCII); both views are cut at `MAX_SHOWN_BYTES`.
 */
import { EdgeLogError } from "@edgelog/core";
import { apiFetch } from "../session.ts";

/** A million-byte value renders as a 3.4 MB dump; the first 64 KiB is what a person reads. */
export const MAX_SHOWN_BYTES = 64 * 1024;

/** The stored value of `offset` in `partition` (`null` for a tombstone). */
export async function fetchValueBytes(
  topic: string,
  partition: number,
  offset: number,
): Promise<Uint8Array | null> {
  const response = await apiFetch(
    `/v1/topics/${encodeURIComponent(topic)}/partitions/${partition}/records?offset=${offset}&limit=1&valueFormat=base64`,
  );
  const { records } = (await response.json()) as { records: { offset: number; value: string | null }[] };
  const [record] = records;
  // Deleted or compacted away since it was listed: the read starts at the next record.
  if (record?.offset === offset) return record.value === null ? null : base64ToBytes(record.value);
  throw new EdgeLogError("OFFSET_OUT_OF_RANGE", `offset ${offset} is no longer in partition ${partition}`, {
    context: { partition, offset },
  });
}

export function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Chunked: `String.fromCharCode(...bytes)` of a large value exceeds the engine's argument limit. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/**
 * `00000000  7b 22 61 22 3a 31 7d                              |{"a":1}|` lines of the first `MAX_SHOWN_BYTES`.
 * @example
 * hexDump(new TextEncoder().encode("hi")) // "00000000  68 69 … |hi|"
 */
export function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  const shown = Math.min(bytes.length, MAX_SHOWN_BYTES);
  for (let at = 0; at < shown; at += 16) {
    const row = bytes.subarray(at, Math.min(at + 16, shown));
    const hex = Array.from(row, (byte) => HEX[byte]).join(" ");
    const ascii = Array.from(row, (byte) =>
      byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : ".",
    ).join("");
    lines.push(`${at.toString(16).padStart(8, "0")}  ${hex.padEnd(47)}  |${ascii}|`);
  }
  return lines.join("\n");
}
