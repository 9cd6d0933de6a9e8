/**
 * @module
 * What a producer accepts as a message (KafkaJS's `Message`, plus the ordered header list) and its conversion
 * into a stored `LogRecord`, with every check that can fail before anything is queued.
 */
import { EdgeLogError } from "../errors.ts";
import {
  assertValidTimestamp,
  type BytesInput,
  type HeadersInput,
  type LogRecord,
  toBytes,
  toHeaders,
} from "../record.ts";

/**
 * A message to produce. `value` may be `null` (a tombstone); strings are stored as UTF-8; for JSON use
 * `encodeJson(value)`.
 */
export interface Message {
  readonly key?: BytesInput;
  readonly value: BytesInput;
  /** An explicit partition wins over the partitioner. */
  readonly partition?: number;
  readonly headers?: HeadersInput;
  /** Milliseconds since the epoch, as a number or (KafkaJS style) a numeric string. Default: now. */
  readonly timestamp?: number | string;
}

/** Converts a message into a record, or throws `INVALID_RECORD` / `INVALID_TIMESTAMP`. */
export function toLogRecord(message: Message, nowMs: number): LogRecord {
  if (typeof message !== "object" || message === null) {
    throw new EdgeLogError("INVALID_RECORD", "a message must be an object with a `value`");
  }
  if (!("value" in message)) {
    throw new EdgeLogError("INVALID_RECORD", "a message needs a `value` (null for a tombstone)");
  }
  const { value } = message;
  if (value !== null && value !== undefined && typeof value !== "string" && !(value instanceof Uint8Array)) {
    throw new EdgeLogError(
      "INVALID_RECORD",
      "a message value must be a string, a Uint8Array or null; encode objects with encodeJson()",
    );
  }
  const timestamp =
    message.timestamp === undefined
      ? nowMs
      : typeof message.timestamp === "string"
        ? Number(message.timestamp)
        : message.timestamp;
  assertValidTimestamp(timestamp);
  return {
    key: toBytes(message.key),
    value: toBytes(value),
    headers: toHeaders(message.headers),
    timestamp,
  };
}
