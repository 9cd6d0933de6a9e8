/**
 * @module
 * The record model. A record is bytes — key, value, ordered headers — plus a millisecond timestamp; strings and
 * JSON are conveniences that encode to UTF-8 bytes on the way in and decode on the way out.
 */
import { EdgeLogError } from "./errors.ts";

/** One header. Headers are ordered and may repeat a key, as in Kafka; a `null` value is allowed. */
export interface RecordHeader {
  readonly key: string;
  readonly value: Uint8Array | null;
}

/** A record as stored: everything is bytes. `value: null` is a tombstone. */
export interface LogRecord {
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: readonly RecordHeader[];
  /** Milliseconds since the Unix epoch (Kafka `CreateTime`). */
  readonly timestamp: number;
}

/** A record read back from a partition, with its offset. */
export interface ConsumedRecord extends LogRecord {
  readonly offset: number;
}

/** What callers may pass for a key, a value or a header value. */
export type BytesInput = Uint8Array | string | null | undefined;

/**
 * Headers as callers write them: KafkaJS's object form (an array value repeats the key, in order) or the
 * explicit ordered list.
 */
export type HeadersInput =
  | Readonly<Record<string, BytesInput | readonly (Uint8Array | string)[]>>
  | readonly { key: string; value: BytesInput }[];

/** The latest timestamp JavaScript's `Date` can represent; anything later is a bug, not a time. */
export const MAX_TIMESTAMP_MS = 8_640_000_000_000_000;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** UTF-8 bytes of a string; bytes pass through; `null`/`undefined` become `null`. */
export function toBytes(input: BytesInput): Uint8Array | null {
  if (input === null || input === undefined) return null;
  if (typeof input === "string") return utf8Encoder.encode(input);
  if (input instanceof Uint8Array) return input;
  throw new EdgeLogError("INVALID_RECORD", `expected a string, Uint8Array or null, got ${typeof input}`);
}

/**
 * JSON as UTF-8 bytes, for a record value.
 * @example
 * await producer.send({ topic: "orders", messages: [{ key: "o-1", value: encodeJson({ total: 42 }) }] })
 */
export function encodeJson(value: unknown): Uint8Array {
  const text = JSON.stringify(value);
  if (text === undefined) throw new EdgeLogError("INVALID_RECORD", "value is not representable as JSON");
  return utf8Encoder.encode(text);
}

/** The UTF-8 text of some bytes; `null` stays `null`. Invalid UTF-8 is an `INVALID_RECORD` error. */
export function decodeText(bytes: Uint8Array | null): string | null {
  if (bytes === null) return null;
  try {
    return utf8Decoder.decode(bytes);
  } catch (cause) {
    throw new EdgeLogError("INVALID_RECORD", "bytes are not valid UTF-8", { cause });
  }
}

/** Parses bytes written by `encodeJson` (or any UTF-8 JSON); `null` (a tombstone) stays `null`. */
export function decodeJson<T = unknown>(bytes: Uint8Array | null): T | null {
  const text = decodeText(bytes);
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new EdgeLogError("INVALID_RECORD", "bytes are not valid JSON", { cause });
  }
}

/** Normalises either header form into the ordered list. */
export function toHeaders(input: HeadersInput | undefined): RecordHeader[] {
  if (input === undefined) return [];
  if (Array.isArray(input)) {
    return input.map((header: { key: unknown; value: BytesInput }) => {
      if (typeof header.key !== "string")
        throw new EdgeLogError("INVALID_RECORD", "header keys must be strings");
      return { key: header.key, value: toBytes(header.value) };
    });
  }
  const headers: RecordHeader[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (Array.isArray(value)) {
      for (const item of value) headers.push({ key, value: toBytes(item) });
    } else if (value !== undefined) {
      headers.push({ key, value: toBytes(value as BytesInput) });
    }
  }
  return headers;
}

/** The first value of a header by key, as text. */
export function headerText(record: Pick<LogRecord, "headers">, key: string): string | null | undefined {
  const header = record.headers.find((h) => h.key === key);
  return header === undefined ? undefined : decodeText(header.value);
}

/** Throws `INVALID_TIMESTAMP` unless `timestamp` is a whole, non-negative millisecond count `Date` can hold. */
export function assertValidTimestamp(timestamp: number): void {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0 || timestamp > MAX_TIMESTAMP_MS) {
    throw new EdgeLogError(
      "INVALID_TIMESTAMP",
      `invalid timestamp ${String(timestamp)}: expected integer ms`,
      {
        context: { timestamp },
      },
    );
  }
}
