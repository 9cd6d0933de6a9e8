/**
 * @module
 * The per-record caps (issue 12's quotas), written once: how many headers a record may carry, how long a header
 * name, a header value, all headers together and a key may be. Every store applies them to a client's new
 * batch while it verifies the batch (`verifyBatch(bytes, RECORD_CAPS)`, inside the walk that checks framing,
 * so no field is read twice); the producer and the server's JSON produce apply them to records before encoding
 * (`assertRecordCaps`), so a bad record is refused before anything is sent or written. Copies of history (a
 * follower's replicated batch, the offline log's upstream replica) are not new writes and are not capped: a
 * record accepted before the caps existed must still copy.
 *
 * The numbers are K2's (32 headers, 256-byte names, 8 KiB values, 64 KiB in all). Kafka has no key cap; edgelog
 * caps keys at 8 KiB because a key is hashed on every produce (murmur2, to pick its partition) and a compaction
 * pass holds one per distinct key in memory, so a megabyte key would cost that much on each of those paths. The
 * one rule that depends on the topic, a key on every record of a compacted topic, is worded here too
 * (`keylessRecord`). "All headers" counts the
 * UTF-8 bytes of each name plus the bytes of each value, not the framing.
 */
import { EdgeLogError, type ErrorContext } from "../errors.ts";
import type { LogRecord } from "../record.ts";
import { utf8Length } from "./utf8-length.ts";

/** The limits one record must stay within. */
export interface RecordCaps {
  /** Headers per record. */
  readonly maxHeaders: number;
  /** UTF-8 bytes of one header name. */
  readonly maxHeaderNameBytes: number;
  /** Bytes of one header value. */
  readonly maxHeaderValueBytes: number;
  /** Names plus values of all of a record's headers. */
  readonly maxHeadersBytes: number;
  /** Bytes of the key. */
  readonly maxKeyBytes: number;
}

/** The caps every store and producer applies to new records. */
export const RECORD_CAPS: RecordCaps = Object.freeze({
  maxHeaders: 32,
  maxHeaderNameBytes: 256,
  maxHeaderValueBytes: 8 * 1024,
  maxHeadersBytes: 64 * 1024,
  maxKeyBytes: 8 * 1024,
});

/** How a message names each cap's limit, and what a record over it has. */
const CAP_WORDS: Readonly<Record<keyof RecordCaps, { limit: string; has: (actual: number) => string }>> = {
  maxHeaders: { limit: "headers per record", has: (n) => `${n} headers` },
  maxHeaderNameBytes: { limit: "bytes per header name", has: (n) => `a header name of ${n} bytes` },
  maxHeaderValueBytes: { limit: "bytes per header value", has: (n) => `a header value of ${n} bytes` },
  maxHeadersBytes: { limit: "bytes of headers per record", has: (n) => `${n} bytes of headers` },
  maxKeyBytes: { limit: "bytes per key", has: (n) => `a key of ${n} bytes` },
};

/**
 * The one `INVALID_RECORD` for a record over a cap. `context` says where the record is (topic, partition, its
 * `index` in a request or its `offsetDelta` in a batch); `limit` and `actual` are added.
 */
export function recordCapExceeded(
  cap: keyof RecordCaps,
  limit: number,
  actual: number,
  context: ErrorContext = {},
): EdgeLogError {
  const { index, offsetDelta } = context;
  const which =
    typeof index === "number"
      ? `record ${index}`
      : typeof offsetDelta === "number"
        ? `record ${offsetDelta} of the batch`
        : "a record";
  const words = CAP_WORDS[cap];
  return new EdgeLogError(
    "INVALID_RECORD",
    `${which} has ${words.has(actual)}, over the limit of ${limit} ${words.limit}`,
    { context: { ...context, cap, limit, actual } },
  );
}

/**
 * The one `INVALID_RECORD` for a record without a key on a compacted topic (Kafka refuses it too: compaction keeps
 * the latest record per key). `context` says where the record is, as for a cap.
 */
export function keylessRecord(context: ErrorContext = {}): EdgeLogError {
  const { index, offsetDelta } = context;
  const which =
    typeof index === "number"
      ? `record ${index}`
      : typeof offsetDelta === "number"
        ? `record ${offsetDelta} of the batch`
        : "a record";
  return new EdgeLogError(
    "INVALID_RECORD",
    `${which} has no key; a compacted topic (cleanup.policy compact) keeps the latest record per key`,
    { context: { ...context, cleanupPolicy: "compact" } },
  );
}

/**
 * Throws `INVALID_RECORD` when `record` is over one of `caps`: for a writer about to encode records (the
 * producer, the JSON produce route), so the record is refused before it is sent. Reads each header once.
 * @example
 * records.forEach((record, index) => assertRecordCaps(record, { topic, index }));
 */
export function assertRecordCaps(record: LogRecord, context: ErrorContext = {}, caps = RECORD_CAPS): void {
  const key = record.key;
  if (key !== null && key.length > caps.maxKeyBytes) {
    throw recordCapExceeded("maxKeyBytes", caps.maxKeyBytes, key.length, context);
  }
  const headers = record.headers;
  if (headers.length > caps.maxHeaders) {
    throw recordCapExceeded("maxHeaders", caps.maxHeaders, headers.length, context);
  }
  let total = 0;
  for (const header of headers) {
    const nameBytes = utf8Length(header.key);
    if (nameBytes > caps.maxHeaderNameBytes) {
      throw recordCapExceeded("maxHeaderNameBytes", caps.maxHeaderNameBytes, nameBytes, context);
    }
    const valueBytes = header.value === null ? 0 : header.value.length;
    if (valueBytes > caps.maxHeaderValueBytes) {
      throw recordCapExceeded("maxHeaderValueBytes", caps.maxHeaderValueBytes, valueBytes, context);
    }
    total += nameBytes + valueBytes;
  }
  if (total > caps.maxHeadersBytes) {
    throw recordCapExceeded("maxHeadersBytes", caps.maxHeadersBytes, total, context);
  }
}
