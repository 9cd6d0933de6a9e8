/**
 * @module
 * A record as the Messages screen holds it: the JSON fetch's rendering (docs/http-api.md "Fetch") plus the
 * partition it came from, since one list may interleave several partitions. Values stay as the server rendered
 * them (parsed JSON, or text / base64 marked by `valueFormat`); exact bytes are fetched on demand (value-bytes.ts).
 */

/** How the server rendered a value: parsed JSON unless it says otherwise. */
export type RenderedFormat = "json" | "text" | "base64";

export interface ConsoleRecord {
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  /** UTF-8 text, or base64 when `keyFormat` says so; `null` for no key. */
  readonly key: string | null;
  readonly keyFormat?: "base64";
  /** Parsed JSON, text or base64 per `valueFormat`; `null` with no `valueFormat` is a tombstone. */
  readonly value: unknown;
  readonly valueFormat?: "text" | "base64";
  /** As JSON.parse built it: header names are own properties, read with `Object.entries`, never indexed. */
  readonly headers: Readonly<Record<string, string | null>>;
  /** Roughly what the record weighs in memory (its share of the response's JSON text), for the window's bound. */
  readonly sizeChars: number;
}

/** The fetch and SSE answers' record shape, before the console adds `partition` and `sizeChars`. */
export interface WireRecord {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: string | null;
  readonly keyFormat?: "base64";
  readonly value: unknown;
  readonly valueFormat?: "text" | "base64";
  readonly headers: Readonly<Record<string, string | null>>;
}

/**
 * `JSON.stringify` that cannot throw: a value nested thousands deep exceeds the engine's stack (JSON.parse reads it,
 * JSON.stringify recurses), and one such record must not take the screen down.
 */
export function jsonText(value: unknown, indent?: number): string {
  try {
    return JSON.stringify(value, null, indent) ?? String(value);
  } catch {
    return "(JSON nested too deeply to show as text)";
  }
}

export function formatOf(record: ConsoleRecord): RenderedFormat {
  return record.valueFormat ?? "json";
}

/** The list's identity of a record: unique across the partitions of one topic. */
export function recordKey(record: Pick<ConsoleRecord, "partition" | "offset">): string {
  return `${record.partition}:${record.offset}`;
}

/**
 * The wire records of one answer as console records. `textChars` is the answer's JSON length, spread evenly: exact
 * enough to bound memory without measuring every record.
 */
export function fromWire(
  partition: number,
  records: readonly WireRecord[],
  textChars: number,
): ConsoleRecord[] {
  const each = records.length === 0 ? 0 : Math.ceil(textChars / records.length);
  return records.map((record) => ({
    partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key,
    ...(record.keyFormat === undefined ? {} : { keyFormat: record.keyFormat }),
    value: record.value,
    ...(record.valueFormat === undefined ? {} : { valueFormat: record.valueFormat }),
    headers: record.headers ?? {},
    sizeChars: each,
  }));
}
