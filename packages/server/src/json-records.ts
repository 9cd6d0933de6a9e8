/**
 * @module
 * JSON ⇄ records. On the way in, a produce request's records become `LogRecord`s (bytes) according to its
 * `valueFormat`; on the way out, stored bytes render as JSON values, text or base64 so nothing is lost: a value
 * that is not JSON falls back to text, and text that is not UTF-8 to base64, each marked with `valueFormat`. A JSON
 * value nested deeper than {@link MAX_RENDERED_JSON_DEPTH} falls back to text too: serializing it again (the answer's
 * `JSON.stringify`) would overflow the engine's stack and turn a read of one odd record into a 500.
 */
import {
  type ConsumedRecord,
  EdgeLogError,
  type LogRecord,
  MAX_TIMESTAMP_MS,
  type RecordHeader,
} from "@edgelog/core";
import { assertRecordCaps, dict, RECORD_CAPS, recordCapExceeded } from "@edgelog/core/store-kit";
import { isPlainObject } from "./params.ts";

export type ValueFormat = "json" | "text" | "base64";
const VALUE_FORMATS: readonly string[] = ["json", "text", "base64"];

const utf8Encoder = new TextEncoder();
// `ignoreBOM` spelled out: Cloudflare's types require it (false is the standard default).
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
const lossyUtf8 = new TextDecoder("utf-8");
/**
 * A lone surrogate (in `u` mode a pair is one code point, so only unpaired halves match). UTF-8 cannot carry one:
 * encoding would silently turn it into U+FFFD, so a key, header or text value holding one is refused instead.
 */
const LONE_SURROGATE = /\p{Cs}/u;
/**
 * The deepest JSON value rendered as JSON: arrays and objects nested deeper render as their text. Well above what
 * real payloads use, and well below what V8's recursive `JSON.stringify` (and a reader's tree view) can take.
 */
export const MAX_RENDERED_JSON_DEPTH = 1_000;

/** Canonical or unpadded base64; `atob` alone would also accept whitespace. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

/** `valueFormat` from a body or query; absent → `json`; anything else → 400. */
export function parseValueFormat(value: unknown): ValueFormat {
  if (value === undefined) return "json";
  if (typeof value === "string" && VALUE_FORMATS.includes(value)) return value as ValueFormat;
  throw new EdgeLogError("INVALID_REQUEST", 'valueFormat must be "json", "text" or "base64"', {
    context: { valueFormat: String(value) },
  });
}

/** One produce record, decoded: the bytes to store and where the caller wants it. */
export interface IncomingRecord {
  readonly record: LogRecord;
  /** The explicit `partition`, if any (range-checked against the topic later). */
  readonly partition: number | undefined;
}

function invalidRecord(index: number, message: string): EdgeLogError {
  return new EdgeLogError("INVALID_RECORD", `record ${index}: ${message}`, { context: { index } });
}

/**
 * Turns the `records` array of a produce body into records, checking every field's type. `nowMs` stamps
 * records without a `timestamp`.
 * @example
 * parseRecords([{ key: "k", value: { total: 42 } }], "json", Date.now())
 */
export function parseRecords(
  input: readonly unknown[],
  format: ValueFormat,
  nowMs: number,
  topic?: string,
): IncomingRecord[] {
  return input.map((raw, index) => {
    if (!isPlainObject(raw)) throw invalidRecord(index, "must be an object");
    if (!("value" in raw)) throw invalidRecord(index, "needs a `value` (null for a tombstone)");
    const { key, headers, partition, timestamp } = raw;
    if (key !== undefined && key !== null && typeof key !== "string") {
      throw invalidRecord(index, "`key` must be a string or null");
    }
    if (typeof key === "string") assertWellFormed(key, index, "`key`");
    if (partition !== undefined && !(typeof partition === "number" && Number.isInteger(partition))) {
      throw invalidRecord(index, "`partition` must be an integer");
    }
    let time = nowMs;
    if (timestamp !== undefined) {
      if (typeof timestamp !== "number") throw invalidRecord(index, "`timestamp` must be a number of ms");
      if (!Number.isSafeInteger(timestamp) || timestamp < 0 || timestamp > MAX_TIMESTAMP_MS) {
        throw new EdgeLogError("INVALID_TIMESTAMP", `record ${index}: invalid timestamp ${timestamp}`, {
          context: { index, timestamp },
        });
      }
      time = timestamp;
    }
    const where = topic === undefined ? { index } : { topic, index };
    const record: LogRecord = {
      key: typeof key === "string" ? utf8Encoder.encode(key) : null,
      value: valueBytes(raw.value, format, index),
      headers: parseHeaders(headers, where),
      timestamp: time,
    };
    // Core's caps, as every store applies them, but here before any batch is built: the error names the record.
    assertRecordCaps(record, where);
    return { record, partition };
  });
}

function valueBytes(value: unknown, format: ValueFormat, index: number): Uint8Array | null {
  if (value === null) return null;
  switch (format) {
    case "json":
      return jsonBytes(value, index);
    case "text":
      if (typeof value !== "string")
        throw invalidRecord(index, 'with valueFormat "text", `value` must be a string');
      assertWellFormed(value, index, "`value`");
      return utf8Encoder.encode(value);
    case "base64":
      if (typeof value !== "string" || !BASE64.test(value)) {
        throw invalidRecord(index, 'with valueFormat "base64", `value` must be a base64 string');
      }
      return fromBase64(value);
  }
}

/**
 * A produce body's JSON value as bytes. The request parsed, so it is representable, but one nested deeper than reads
 * render as JSON is refused: it would overflow `JSON.stringify` (a 500) or read back as text, not as what was sent.
 */
function jsonBytes(value: unknown, index: number): Uint8Array {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    // RangeError: the engine's stack ran out on the nesting.
  }
  if (text === undefined || nestedDeeperThan(text, MAX_RENDERED_JSON_DEPTH)) {
    throw new EdgeLogError(
      "INVALID_RECORD",
      `record ${index}: \`value\` nests arrays/objects deeper than ${MAX_RENDERED_JSON_DEPTH} levels; send it with valueFormat "text"`,
      { context: { index, limit: MAX_RENDERED_JSON_DEPTH } },
    );
  }
  return utf8Encoder.encode(text);
}

function parseHeaders(headers: unknown, where: { index: number; topic?: string }): RecordHeader[] {
  const { index } = where;
  if (headers === undefined || headers === null) return [];
  if (!isPlainObject(headers)) throw invalidRecord(index, "`headers` must be an object of strings");
  const names = Object.keys(headers);
  // Counted before any value is encoded: a body may name thousands of headers.
  if (names.length > RECORD_CAPS.maxHeaders) {
    throw recordCapExceeded("maxHeaders", RECORD_CAPS.maxHeaders, names.length, where);
  }
  const list: RecordHeader[] = [];
  for (const [key, value] of Object.entries(headers)) {
    if (value !== null && typeof value !== "string") {
      throw invalidRecord(index, `header "${key}" must be a string or null`);
    }
    assertWellFormed(key, index, "a header name");
    if (value !== null) assertWellFormed(value, index, `header "${key}"`);
    list.push({ key, value: value === null ? null : utf8Encoder.encode(value) });
  }
  return list;
}

function assertWellFormed(text: string, index: number, what: string): void {
  if (LONE_SURROGATE.test(text)) {
    throw invalidRecord(index, `${what} holds a lone UTF-16 surrogate, which UTF-8 cannot store`);
  }
}

/** A record as the fetch and SSE endpoints render it. */
export interface RenderedRecord {
  offset: number;
  key: string | null;
  /** Present only when the key is not UTF-8: then `key` is base64. */
  keyFormat?: "base64";
  value: unknown;
  /** Present when `value` is not rendered as the requested format (json fell back to text or base64). */
  valueFormat?: ValueFormat;
  headers: Record<string, string | null>;
  timestamp: number;
}

/** Renders one stored record per `format` (see the module comment). */
export function renderRecord(record: ConsumedRecord, format: ValueFormat): RenderedRecord {
  const rendered: RenderedRecord = {
    offset: record.offset,
    key: null,
    value: null,
    // Header keys are the producer's strings: "__proto__" must be a key, not the prototype.
    headers: dict(),
    timestamp: record.timestamp,
  };
  if (record.key !== null) {
    const text = utf8OrNull(record.key);
    if (text === null) {
      rendered.key = toBase64(record.key);
      rendered.keyFormat = "base64";
    } else {
      rendered.key = text;
    }
  }
  // docs/http-api.md: headers as `{ key: text }`, the last value of a repeated key winning.
  for (const header of record.headers) {
    rendered.headers[header.key] = header.value === null ? null : lossyUtf8.decode(header.value);
  }
  if (record.value !== null) renderValue(rendered, record.value, format);
  return rendered;
}

function renderValue(rendered: RenderedRecord, bytes: Uint8Array, format: ValueFormat): void {
  if (format === "base64") {
    rendered.value = toBase64(bytes);
    return;
  }
  const text = utf8OrNull(bytes);
  if (text === null) {
    rendered.value = toBase64(bytes);
    rendered.valueFormat = "base64";
    return;
  }
  if (format === "text") {
    rendered.value = text;
    return;
  }
  if (nestedDeeperThan(text, MAX_RENDERED_JSON_DEPTH)) {
    rendered.value = text;
    rendered.valueFormat = "text";
    return;
  }
  try {
    rendered.value = JSON.parse(text) as unknown;
  } catch {
    rendered.value = text;
    rendered.valueFormat = "text";
  }
}

/**
 * Whether JSON text opens more than `limit` arrays/objects at once, brackets inside strings not counted. One pass
 * over the text, skipped for text too short to nest that deep (each level takes two characters).
 */
export function nestedDeeperThan(text: string, limit: number): boolean {
  if (text.length <= 2 * limit) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c)
        i++; // backslash: the next character is escaped
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x5b || code === 0x7b) {
      if (++depth > limit) return true;
    } else if (code === 0x5d || code === 0x7d) depth--;
  }
  return false;
}

function utf8OrNull(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

/** Chunked so a large value never exceeds the engine's argument limit of `String.fromCharCode`. */
const BASE64_CHUNK = 0x8000;

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += BASE64_CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(i, i + BASE64_CHUNK));
  }
  return btoa(binary);
}

export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
