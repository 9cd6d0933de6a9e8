/**
 * @module
 * The record batch: the bytes a producer encodes once, a store appends as they are and a consumer decodes. Modelled
 * on Kafka's v2 batch (KIP-98) minus what edgelog does not need; all integers little-endian:
 *
 * ```
 * offset size field
 * 0      2    magic "EL" (0x45 0x4c)
 * 2      1    format version (BATCH_FORMAT_VERSION)
 * 3      4    CRC-32C of bytes [7, end)
 * 7      1    attributes: bits 0-2 compression (0 = none), other bits reserved (0)
 * 8      4    recordCount uint32 (>= 1)
 * 12     8    baseTimestamp int64 ms: the first record's timestamp
 * 20     8    maxTimestamp int64 ms
 * 28     4    producerEpoch int32 (-1 = no producer)
 * 32     4    baseSequence int32 (-1 = no producer)
 * 36     1    producer id byte length N (0 = no producer), then N bytes of UTF-8
 * 37+N   ...  records: varint length, zigzag timestampDelta, varint keyLength+1 (0 = null) + key,
 *             varint valueLength+1 (0 = null) + value, varint headerCount,
 *             headers: varint keyLength + UTF-8 key, varint valueLength+1 (0 = null) + value
 * ```
 *
 * Unlike Kafka's, the batch holds no offsets: the store assigns a base offset and record i has offset
 * `baseOffset + i`, so a batch is never rewritten (nor re-checksummed) after the client encodes it. The batch holds
 * no length of its own either: one batch is one `Uint8Array`, framed by whatever stores or carries it.
 */
import { EdgeLogError, type ErrorContext } from "../errors.ts";
import { assertValidTimestamp, type LogRecord, MAX_TIMESTAMP_MS } from "../record.ts";
import { crc32c } from "./crc32c.ts";
import { keylessRecord, type RecordCaps, recordCapExceeded } from "./record-caps.ts";
import { isLowSurrogate, utf8Length } from "./utf8-length.ts";
import {
  type Cursor,
  readVarint,
  readZigzag,
  varintSize,
  writeVarint,
  writeZigzag,
  zigzagSize,
} from "./varint.ts";

/** The batch format this code writes and the only one it reads. */
export const BATCH_FORMAT_VERSION = 1;

/** Who sent a batch, for idempotent appends (KIP-98): the store checks `baseSequence` per `producerId`. */
export interface ProducerStamp {
  /** 1–255 bytes of UTF-8. */
  producerId: string;
  /** 0..2^31-1; a newer epoch fences older instances of the same producer. */
  producerEpoch: number;
  /** Sequence number of the batch's first record, 0..2^31-1. */
  baseSequence: number;
}

/** The fixed fields of a batch, as read by {@link readBatchHeader}. */
export interface BatchHeader {
  version: number;
  /** The stored CRC-32C of bytes [7, end). */
  crc: number;
  attributes: number;
  recordCount: number;
  /** Timestamp of the first record, ms. */
  baseTimestamp: number;
  /** Largest record timestamp, ms. */
  maxTimestamp: number;
  /** `null` when no producer stamped the batch. */
  producerId: string | null;
  /** -1 when no producer stamped the batch. */
  producerEpoch: number;
  /** -1 when no producer stamped the batch. */
  baseSequence: number;
  /** The whole encoded length. */
  sizeBytes: number;
  /** Byte index of the first record. */
  recordsStart: number;
}

const MAGIC_0 = 0x45; // "E"
const MAGIC_1 = 0x4c; // "L"
const VERSION_OFFSET = 2;
const CRC_OFFSET = 3;
/** The CRC covers everything from the attributes on, so it can be written last. */
const ATTRIBUTES_OFFSET = 7;
const RECORD_COUNT_OFFSET = 8;
const BASE_TIMESTAMP_OFFSET = 12;
const MAX_TIMESTAMP_OFFSET = 20;
const PRODUCER_EPOCH_OFFSET = 28;
const BASE_SEQUENCE_OFFSET = 32;
const PRODUCER_ID_LENGTH_OFFSET = 36;
const FIXED_HEADER_BYTES = 37;
const COMPRESSION_MASK = 0x07;
const COMPRESSION_NONE = 0;
const NO_PRODUCER = -1;
const MAX_PRODUCER_ID_BYTES = 255;
const MAX_INT32 = 0x7fffffff;
const UINT32_SPAN = 0x1_0000_0000;
/** The largest high word of a valid int64 timestamp. */
const MAX_TIMESTAMP_HIGH_WORD = Math.floor(MAX_TIMESTAMP_MS / UINT32_SPAN);
/** The smallest record: length, timestamp delta, null key, null value and header count, one byte each. */
const MIN_RECORD_BYTES = 5;
/** The smallest header: an empty key's length and a null value, one byte each. */
const MIN_HEADER_BYTES = 2;
/** A string of up to 42 UTF-16 units is at most 126 UTF-8 bytes: its length varint is one byte. */
const ONE_BYTE_LENGTH_MAX_UNITS = 42;
/** Strings longer than this go through `TextEncoder.encodeInto`; shorter ones are faster by hand. */
const HAND_ENCODE_MAX_UNITS = 64;
/** Header keys up to this many bytes go through the key cache (and, when ASCII, are decoded by hand). */
const CACHED_KEY_MAX_BYTES = 32;
const KEY_CACHE_BITS = 6;
const KEY_CACHE_SIZE = 1 << KEY_CACHE_BITS;
/** 2^32 / golden ratio: a multiplicative hash that spreads short keys over the top bits. */
const HASH_MULTIPLIER = 0x9e3779b1;
/** Batches with more records get their own size table instead of growing the shared one. */
const SHARED_SIZES_MAX_RECORDS = 65_536;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
const NO_HEADERS: readonly never[] = Object.freeze([]);
const NO_BYTES = new Uint8Array(0);

/** Record sizes from `encodeBatch`'s sizing pass, reused so the write pass needs no per-batch allocation. */
let sharedSizes = new Float64Array(256);

function corrupt(message: string, sizeBytes: number): EdgeLogError {
  return new EdgeLogError("CORRUPT_MESSAGE", `corrupt record batch: ${message}`, { context: { sizeBytes } });
}

function invalidRecord(message: string, context: ErrorContext = {}): EdgeLogError {
  return new EdgeLogError("INVALID_RECORD", message, { context });
}

// ---------------------------------------------------------------------------------------------------------------
// Sizes

/**
 * Bytes the batch header takes before the first record: 37 plus the producer id's UTF-8 length.
 * @example
 * batchHeaderSize(null) // 37
 */
export function batchHeaderSize(producerId: string | null): number {
  return FIXED_HEADER_BYTES + (producerId === null ? 0 : utf8Length(producerId));
}

/**
 * Bytes `record` takes inside a batch whose first record has `baseTimestamp`, its length prefix included. With
 * {@link batchHeaderSize} a producer cuts batches at a byte budget without encoding twice: a batch's size is the
 * header size plus the sum of its records' sizes. Inputs are assumed valid; `encodeBatch` checks them.
 * @example
 * let size = batchHeaderSize(null);
 * const base = pending[0].timestamp;
 * const batch = pending.filter((r) => (size += encodedRecordSize(r, base)) <= maxBatchBytes);
 */
export function encodedRecordSize(record: LogRecord, baseTimestamp: number): number {
  const body = recordBodySize(record, baseTimestamp);
  return varintSize(body) + body;
}

function recordBodySize(record: LogRecord, baseTimestamp: number): number {
  let size = zigzagSize(record.timestamp - baseTimestamp) + nullableBytesSize(record.key);
  size += nullableBytesSize(record.value);
  const headers = record.headers;
  size += varintSize(headers.length);
  for (const header of headers) {
    const keyBytes = utf8Length(header.key);
    size += varintSize(keyBytes) + keyBytes + nullableBytesSize(header.value);
  }
  return size;
}

function nullableBytesSize(bytes: Uint8Array | null): number {
  return bytes === null ? 1 : varintSize(bytes.length + 1) + bytes.length;
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding

/**
 * Encodes records into one batch: sizes it exactly, allocates once, writes, then checksums.
 * @throws EdgeLogError `INVALID_RECORD` for no records, a key/value/header that is not bytes (or a header key that
 * is not a string), or a bad producer stamp; `INVALID_TIMESTAMP` for a timestamp `assertValidTimestamp` rejects.
 * @example
 * const batch = encodeBatch(
 *   [{ key: null, value: encodeJson({ total: 42 }), headers: [], timestamp: Date.now() }],
 *   { producerId: "p-1", producerEpoch: 0, baseSequence: 0 },
 * );
 */
export function encodeBatch(records: readonly LogRecord[], producer?: ProducerStamp): Uint8Array {
  const first = records[0];
  if (first === undefined) throw invalidRecord("a record batch needs at least one record");
  const count = records.length;
  const producerIdBytes = producer === undefined ? NO_BYTES : encodeProducerId(producer);
  const baseTimestamp = first.timestamp;

  // Sizing pass: validates every record and remembers each body size for the length prefixes.
  const sizes = count <= SHARED_SIZES_MAX_RECORDS ? sharedSizesFor(count) : new Float64Array(count);
  let maxTimestamp = baseTimestamp;
  let size = FIXED_HEADER_BYTES + producerIdBytes.length;
  for (let i = 0; i < count; i++) {
    const record = records[i] as LogRecord;
    const timestamp = record.timestamp;
    if (!(Number.isSafeInteger(timestamp) && timestamp >= 0 && timestamp <= MAX_TIMESTAMP_MS)) {
      assertValidTimestamp(timestamp);
    }
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    checkRecordTypes(record, i);
    const body = recordBodySize(record, baseTimestamp);
    sizes[i] = body;
    size += varintSize(body) + body;
  }

  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = MAGIC_0;
  out[1] = MAGIC_1;
  out[VERSION_OFFSET] = BATCH_FORMAT_VERSION;
  out[ATTRIBUTES_OFFSET] = COMPRESSION_NONE;
  view.setUint32(RECORD_COUNT_OFFSET, count, true);
  writeTimestamp(view, BASE_TIMESTAMP_OFFSET, baseTimestamp);
  writeTimestamp(view, MAX_TIMESTAMP_OFFSET, maxTimestamp);
  view.setInt32(PRODUCER_EPOCH_OFFSET, producer === undefined ? NO_PRODUCER : producer.producerEpoch, true);
  view.setInt32(BASE_SEQUENCE_OFFSET, producer === undefined ? NO_PRODUCER : producer.baseSequence, true);
  out[PRODUCER_ID_LENGTH_OFFSET] = producerIdBytes.length;
  out.set(producerIdBytes, FIXED_HEADER_BYTES);

  let pos = FIXED_HEADER_BYTES + producerIdBytes.length;
  for (let i = 0; i < count; i++) {
    pos = writeRecord(out, pos, records[i] as LogRecord, baseTimestamp, sizes[i] as number);
  }
  if (pos !== size) {
    // Unreachable unless a getter answered differently in the two passes; never return a batch that lies.
    throw invalidRecord(`records changed while being encoded (${pos} bytes written, ${size} sized)`);
  }
  view.setUint32(CRC_OFFSET, crc32c(out, ATTRIBUTES_OFFSET), true);
  return out;
}

function sharedSizesFor(count: number): Float64Array {
  if (sharedSizes.length < count) {
    sharedSizes = new Float64Array(
      Math.min(SHARED_SIZES_MAX_RECORDS, Math.max(count, sharedSizes.length * 2)),
    );
  }
  return sharedSizes;
}

function encodeProducerId(producer: ProducerStamp): Uint8Array {
  const { producerId, producerEpoch, baseSequence } = producer;
  if (typeof producerId !== "string") throw invalidRecord("producerId must be a string");
  const bytes = utf8Encoder.encode(producerId);
  if (bytes.length === 0 || bytes.length > MAX_PRODUCER_ID_BYTES) {
    throw invalidRecord(`producerId must be 1-${MAX_PRODUCER_ID_BYTES} bytes of UTF-8, got ${bytes.length}`, {
      producerId,
    });
  }
  if (!isNonNegativeInt32(producerEpoch)) {
    throw invalidRecord(`producerEpoch must be an integer in 0..${MAX_INT32}, got ${String(producerEpoch)}`, {
      producerId,
    });
  }
  if (!isNonNegativeInt32(baseSequence)) {
    throw invalidRecord(`baseSequence must be an integer in 0..${MAX_INT32}, got ${String(baseSequence)}`, {
      producerId,
    });
  }
  return bytes;
}

function isNonNegativeInt32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= MAX_INT32;
}

/** Guards against plain-JS callers: a string where bytes belong would otherwise encode as zeros. */
function checkRecordTypes(record: LogRecord, index: number): void {
  if (!(isNullableBytes(record.key) && isNullableBytes(record.value))) {
    throw invalidRecord(`record ${index}: key and value must be a Uint8Array or null`);
  }
  for (const header of record.headers) {
    if (typeof header.key !== "string" || !isNullableBytes(header.value)) {
      throw invalidRecord(`record ${index}: headers need a string key and a Uint8Array or null value`);
    }
  }
}

function isNullableBytes(value: unknown): boolean {
  return value === null || value instanceof Uint8Array;
}

function writeTimestamp(view: DataView, offset: number, timestamp: number): void {
  const low = timestamp >>> 0; // ToUint32 is exact modulo 2^32 for any integer, not only 32-bit ones
  view.setUint32(offset, low, true);
  view.setUint32(offset + 4, (timestamp - low) / UINT32_SPAN, true);
}

function writeRecord(
  out: Uint8Array,
  pos: number,
  record: LogRecord,
  baseTimestamp: number,
  bodySize: number,
): number {
  let p = writeVarint(out, pos, bodySize);
  p = writeZigzag(out, p, record.timestamp - baseTimestamp);
  p = writeNullableBytes(out, p, record.key);
  p = writeNullableBytes(out, p, record.value);
  const headers = record.headers;
  p = writeVarint(out, p, headers.length);
  for (const header of headers) {
    const key = header.key;
    if (key.length <= ONE_BYTE_LENGTH_MAX_UNITS) {
      // The length fits one byte whatever the characters: write the key, then its length before it.
      const end = writeUtf8(out, p + 1, key);
      out[p] = end - p - 1;
      p = end;
    } else {
      p = writeUtf8(out, writeVarint(out, p, utf8Length(key)), key);
    }
    p = writeNullableBytes(out, p, header.value);
  }
  return p;
}

function writeNullableBytes(out: Uint8Array, pos: number, bytes: Uint8Array | null): number {
  if (bytes === null) {
    out[pos] = 0;
    return pos + 1;
  }
  const length = bytes.length;
  const p = writeVarint(out, pos, length + 1);
  out.set(bytes, p);
  return p + length;
}

// ---------------------------------------------------------------------------------------------------------------
// UTF-8 by hand: header keys are short, and a native call per key costs more than the loop.

/** Writes `s` as UTF-8 (lone surrogates as U+FFFD, like `TextEncoder`) and returns the position after it. */
function writeUtf8(out: Uint8Array, pos: number, s: string): number {
  const units = s.length;
  if (units > HAND_ENCODE_MAX_UNITS) return pos + utf8Encoder.encodeInto(s, out.subarray(pos)).written;
  let p = pos;
  for (let i = 0; i < units; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[p++] = c;
      continue;
    }
    if (c < 0x800) {
      out[p++] = 0xc0 | (c >>> 6);
      out[p++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c < 0xe000) {
      const next = i + 1 < units ? s.charCodeAt(i + 1) : 0;
      if (c < 0xdc00 && isLowSurrogate(next)) {
        const codePoint = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        out[p++] = 0xf0 | (codePoint >>> 18);
        out[p++] = 0x80 | ((codePoint >>> 12) & 0x3f);
        out[p++] = 0x80 | ((codePoint >>> 6) & 0x3f);
        out[p++] = 0x80 | (codePoint & 0x3f);
        i++;
        continue;
      }
      c = 0xfffd;
    }
    out[p++] = 0xe0 | (c >>> 12);
    out[p++] = 0x80 | ((c >>> 6) & 0x3f);
    out[p++] = 0x80 | (c & 0x3f);
  }
  return p;
}

/** Whether `bytes[start, end)` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
function isWellFormedUtf8(bytes: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let continuations: number;
    // The second byte's range excludes overlong forms, UTF-16 surrogates and code points past U+10FFFF.
    let secondMin = 0x80;
    let secondMax = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) {
      continuations = 1;
    } else if (b >= 0xe0 && b <= 0xef) {
      continuations = 2;
      if (b === 0xe0) secondMin = 0xa0;
      else if (b === 0xed) secondMax = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      continuations = 3;
      if (b === 0xf0) secondMin = 0x90;
      else if (b === 0xf4) secondMax = 0x8f;
    } else {
      return false;
    }
    if (i + continuations >= end) return false;
    const second = bytes[i + 1] as number;
    if (second < secondMin || second > secondMax) return false;
    for (let k = 2; k <= continuations; k++) {
      const next = bytes[i + k] as number;
      if (next < 0x80 || next > 0xbf) return false;
    }
    i += continuations + 1;
  }
  return true;
}

/**
 * Recently decoded short header keys, by a hash of their bytes. Header keys repeat from record to record, and
 * comparing a dozen bytes costs a third of building the string again; records also end up sharing one string.
 */
const keyCacheBytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(KEY_CACHE_SIZE);
const keyCacheStrings: string[] = new Array<string>(KEY_CACHE_SIZE).fill("");

/** Decodes a header key; the caller has bounds-checked `[start, end)`. */
function decodeUtf8(bytes: Uint8Array, start: number, end: number): string {
  const length = end - start;
  if (length > CACHED_KEY_MAX_BYTES) return decodeUtf8Native(bytes, start, end);
  let hash = length;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ (bytes[i] as number), HASH_MULTIPLIER);
  const slot = hash >>> (32 - KEY_CACHE_BITS);
  const cached = keyCacheBytes[slot];
  if (cached !== undefined && cached.length === length) {
    let i = 0;
    while (i < length && cached[i] === bytes[start + i]) i++;
    if (i === length) return keyCacheStrings[slot] as string;
  }
  let key = "";
  for (let i = start; i < end; i++) {
    const b = bytes[i] as number;
    if (b >= 0x80) {
      key = decodeUtf8Native(bytes, start, end);
      break;
    }
    key += String.fromCharCode(b);
  }
  keyCacheBytes[slot] = bytes.slice(start, end);
  keyCacheStrings[slot] = key;
  return key;
}

function decodeUtf8Native(bytes: Uint8Array, start: number, end: number): string {
  try {
    return utf8Decoder.decode(bytes.subarray(start, end));
  } catch (cause) {
    throw new EdgeLogError("CORRUPT_MESSAGE", "corrupt record batch: a header key is not valid UTF-8", {
      cause,
      context: { sizeBytes: bytes.length },
    });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding

/**
 * Reads and sanity-checks the fixed header without touching the records or the CRC: cheap enough to route or
 * index a batch. Use {@link verifyBatch} before trusting the rest.
 * @throws EdgeLogError `UNSUPPORTED_VERSION` for another format version; `CORRUPT_MESSAGE` for wrong magic, a
 * short buffer, reserved attribute bits, compression, or inconsistent fields.
 * @example
 * const { recordCount, maxTimestamp } = readBatchHeader(batch);
 */
export function readBatchHeader(bytes: Uint8Array): BatchHeader {
  const size = bytes.length;
  if (size <= VERSION_OFFSET) throw corrupt(`${size} bytes is too short for a batch`, size);
  if (bytes[0] !== MAGIC_0 || bytes[1] !== MAGIC_1) throw corrupt("wrong magic: not an edgelog batch", size);
  const version = bytes[VERSION_OFFSET] as number;
  if (version !== BATCH_FORMAT_VERSION) {
    throw new EdgeLogError(
      "UNSUPPORTED_VERSION",
      `record batch format version ${version} is not supported (this build reads version ${BATCH_FORMAT_VERSION})`,
      { context: { version, sizeBytes: size } },
    );
  }
  if (size < FIXED_HEADER_BYTES) {
    throw corrupt(`${size} bytes is shorter than the ${FIXED_HEADER_BYTES}-byte header`, size);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, size);
  const attributes = bytes[ATTRIBUTES_OFFSET] as number;
  if ((attributes & ~COMPRESSION_MASK) !== 0) {
    throw corrupt(`reserved attribute bits set (0x${attributes.toString(16)})`, size);
  }
  if ((attributes & COMPRESSION_MASK) !== COMPRESSION_NONE) {
    throw corrupt(`compression codec ${attributes & COMPRESSION_MASK} is not supported`, size);
  }
  const recordCount = view.getUint32(RECORD_COUNT_OFFSET, true);
  if (recordCount === 0) throw corrupt("recordCount is 0", size);
  const baseTimestamp = readTimestamp(view, BASE_TIMESTAMP_OFFSET);
  const maxTimestamp = readTimestamp(view, MAX_TIMESTAMP_OFFSET);
  if (baseTimestamp < 0 || maxTimestamp < baseTimestamp) {
    throw corrupt("baseTimestamp or maxTimestamp is out of range", size);
  }
  const producerEpoch = view.getInt32(PRODUCER_EPOCH_OFFSET, true);
  const baseSequence = view.getInt32(BASE_SEQUENCE_OFFSET, true);
  const producerIdLength = bytes[PRODUCER_ID_LENGTH_OFFSET] as number;
  const recordsStart = FIXED_HEADER_BYTES + producerIdLength;
  if (recordsStart > size) throw corrupt("producer id runs past the end of the batch", size);
  let producerId: string | null = null;
  if (producerIdLength === 0) {
    if (producerEpoch !== NO_PRODUCER || baseSequence !== NO_PRODUCER) {
      throw corrupt("producerEpoch and baseSequence must be -1 without a producer id", size);
    }
  } else {
    try {
      producerId = utf8Decoder.decode(bytes.subarray(FIXED_HEADER_BYTES, recordsStart));
    } catch (cause) {
      throw new EdgeLogError("CORRUPT_MESSAGE", "corrupt record batch: producer id is not valid UTF-8", {
        cause,
        context: { sizeBytes: size },
      });
    }
    if (producerEpoch < 0 || baseSequence < 0) {
      throw corrupt("producerEpoch and baseSequence must be non-negative with a producer id", size);
    }
  }
  if (recordCount > (size - recordsStart) / MIN_RECORD_BYTES) {
    throw corrupt(`${recordCount} records cannot fit in ${size - recordsStart} bytes`, size);
  }
  return {
    version,
    crc: view.getUint32(CRC_OFFSET, true),
    attributes,
    recordCount,
    baseTimestamp,
    maxTimestamp,
    producerId,
    producerEpoch,
    baseSequence,
    sizeBytes: size,
    recordsStart,
  };
}

/** An int64 timestamp, or -1 when it is negative or past `MAX_TIMESTAMP_MS`. */
function readTimestamp(view: DataView, offset: number): number {
  const high = view.getUint32(offset + 4, true);
  if (high > MAX_TIMESTAMP_HIGH_WORD) return -1;
  const timestamp = high * UINT32_SPAN + view.getUint32(offset, true);
  return timestamp > MAX_TIMESTAMP_MS ? -1 : timestamp;
}

/**
 * Fully checks a batch without building records: header, CRC, and every record's structure (lengths within
 * bounds, records exactly filling the buffer, `recordCount` of them, timestamps matching the header, header keys
 * valid UTF-8). A store runs this on a batch a client encoded; a batch that passes always decodes. With `caps`
 * (a new write: `RECORD_CAPS`) every record must also stay within them, checked in the same walk; with
 * `requireKeys` (a compacted topic) every record must have a key.
 * @throws EdgeLogError `CORRUPT_MESSAGE` (or `UNSUPPORTED_VERSION`) saying what is wrong; `INVALID_RECORD` for a
 * well-formed record over a cap (`offsetDelta`, `cap`, `limit` and `actual` in the context), or without a key
 * when `requireKeys`.
 * @example
 * const header = verifyBatch(body, RECORD_CAPS); // throws before anything is stored
 * await store.append(topic, partition, body, header.recordCount);
 */
export function verifyBatch(
  bytes: Uint8Array,
  caps: RecordCaps | null = null,
  requireKeys = false,
): BatchHeader {
  const header = readBatchHeader(bytes);
  checkCrc(bytes, header);
  walkRecords(bytes, header, null, caps, null, requireKeys);
  return header;
}

/**
 * Verifies and decodes a batch. Keys, values and header values are zero-copy `subarray` views of `bytes`.
 * @throws EdgeLogError `CORRUPT_MESSAGE` (or `UNSUPPORTED_VERSION`) for any malformed input — never another error.
 * @example
 * const { records } = decodeBatch(batch);
 * records.forEach((record, i) => handle({ ...record, offset: baseOffset + i }));
 */
export function decodeBatch(bytes: Uint8Array): { header: BatchHeader; records: LogRecord[] } {
  return decodeBatchAs(bytes, subarrayView);
}

/** Makes the view of `bytes[start, end)` a decoded key, value or header value is handed out as. */
export type BytesView<B extends Uint8Array> = (bytes: Uint8Array, start: number, end: number) => B;

/** A decoded record whose byte fields are views of type `B`. */
export interface DecodedRecord<B extends Uint8Array> extends LogRecord {
  readonly key: B | null;
  readonly value: B | null;
  readonly headers: readonly { readonly key: string; readonly value: B | null }[];
}

/**
 * `decodeBatch` with the byte fields made by `view`: a consumer hands its handlers `MessageBytes` made here, one
 * view per field instead of a `subarray` and then a second view of it (measured: half the allocation cost).
 */
export function decodeBatchAs<B extends Uint8Array>(
  bytes: Uint8Array,
  view: BytesView<B>,
): { header: BatchHeader; records: DecodedRecord<B>[] } {
  const header = readBatchHeader(bytes);
  checkCrc(bytes, header);
  const records: DecodedRecord<B>[] = [];
  walkRecords(bytes, header, records, null, view);
  return { header, records };
}

const subarrayView: BytesView<Uint8Array> = (bytes, start, end) => bytes.subarray(start, end);

function checkCrc(bytes: Uint8Array, header: BatchHeader): void {
  const actual = crc32c(bytes, ATTRIBUTES_OFFSET);
  if (actual !== header.crc) {
    throw corrupt(
      `CRC mismatch: header says 0x${header.crc.toString(16)}, content hashes to 0x${actual.toString(16)}`,
      bytes.length,
    );
  }
}

/**
 * Walks every record, bounds-checking each field. With `out` it decodes into it; with `null` it only checks, so
 * the header keys it would have decoded are checked for well-formed UTF-8 instead. With `caps` each record is
 * held to them as soon as the fields a cap measures are known to lie within the record.
 */
function walkRecords<B extends Uint8Array>(
  bytes: Uint8Array,
  header: BatchHeader,
  out: DecodedRecord<B>[] | null,
  caps: RecordCaps | null,
  view: BytesView<B> | null,
  requireKeys = false,
): void {
  const { recordCount, baseTimestamp } = header;
  const size = bytes.length;
  const cursor: Cursor = { pos: header.recordsStart };
  let maxTimestamp = baseTimestamp;
  for (let index = 0; index < recordCount; index++) {
    const length = readVarint(bytes, cursor);
    const recordEnd = cursor.pos + length;
    if (recordEnd > size) throw corrupt(`record ${index} claims ${length} bytes, past the end`, size);

    const delta = readZigzag(bytes, cursor);
    const timestamp = baseTimestamp + delta;
    if (index === 0 ? delta !== 0 : !(timestamp >= 0 && timestamp <= MAX_TIMESTAMP_MS)) {
      throw corrupt(`record ${index} has timestamp delta ${delta} from ${baseTimestamp}`, size);
    }
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;

    // Lengths are stored +1 so 0 can mean null; -1 here is null. Overruns are caught once the fields are read:
    // a varint read past a field end reads other bytes of this buffer or throws, never outside it.
    const keyLength = readVarint(bytes, cursor) - 1;
    if (keyLength < 0 && requireKeys) throw keylessRecord({ offsetDelta: index });
    const keyStart = cursor.pos;
    if (keyLength > 0) cursor.pos += keyLength;
    const valueLength = readVarint(bytes, cursor) - 1;
    const valueStart = cursor.pos;
    if (valueLength > 0) cursor.pos += valueLength;
    const headerCount = readVarint(bytes, cursor);
    if (cursor.pos > recordEnd || headerCount > (recordEnd - cursor.pos) / MIN_HEADER_BYTES) {
      throw corrupt(`record ${index}'s fields overrun its ${length} bytes`, size);
    }
    if (caps !== null) {
      if (keyLength > caps.maxKeyBytes) {
        throw recordCapExceeded("maxKeyBytes", caps.maxKeyBytes, keyLength, { offsetDelta: index });
      }
      if (headerCount > caps.maxHeaders) {
        throw recordCapExceeded("maxHeaders", caps.maxHeaders, headerCount, { offsetDelta: index });
      }
    }
    let headersBytes = 0;
    let headers: { key: string; value: B | null }[] | null = null;
    if (headerCount > 0 && out !== null) headers = [];
    for (let h = 0; h < headerCount; h++) {
      const keyBytes = readVarint(bytes, cursor);
      const headerKeyStart = cursor.pos;
      const headerKeyEnd = headerKeyStart + keyBytes;
      if (headerKeyEnd > recordEnd) throw corrupt(`record ${index} header ${h} overruns the record`, size);
      cursor.pos = headerKeyEnd;
      const headerValueLength = readVarint(bytes, cursor) - 1;
      const headerValueStart = cursor.pos;
      if (headerValueLength > 0) cursor.pos += headerValueLength;
      if (cursor.pos > recordEnd) throw corrupt(`record ${index} header ${h} overruns the record`, size);
      if (headers === null) {
        if (!isWellFormedUtf8(bytes, headerKeyStart, headerKeyEnd)) {
          throw corrupt(`record ${index} header ${h} key is not valid UTF-8`, size);
        }
      } else {
        headers.push({
          key: decodeUtf8(bytes, headerKeyStart, headerKeyEnd),
          value:
            headerValueLength < 0 || view === null
              ? null
              : view(bytes, headerValueStart, headerValueStart + headerValueLength),
        });
      }
      if (caps !== null) {
        const valueBytes = headerValueLength < 0 ? 0 : headerValueLength;
        if (keyBytes > caps.maxHeaderNameBytes) {
          const cap = caps.maxHeaderNameBytes;
          throw recordCapExceeded("maxHeaderNameBytes", cap, keyBytes, { offsetDelta: index });
        }
        if (valueBytes > caps.maxHeaderValueBytes) {
          const cap = caps.maxHeaderValueBytes;
          throw recordCapExceeded("maxHeaderValueBytes", cap, valueBytes, { offsetDelta: index });
        }
        headersBytes += keyBytes + valueBytes;
      }
    }
    if (cursor.pos !== recordEnd) {
      throw corrupt(
        `record ${index} is ${length} bytes but its fields take ${cursor.pos - recordEnd + length}`,
        size,
      );
    }
    if (caps !== null && headersBytes > caps.maxHeadersBytes) {
      throw recordCapExceeded("maxHeadersBytes", caps.maxHeadersBytes, headersBytes, { offsetDelta: index });
    }
    if (out !== null && view !== null) {
      out.push({
        key: keyLength < 0 ? null : view(bytes, keyStart, keyStart + keyLength),
        value: valueLength < 0 ? null : view(bytes, valueStart, valueStart + valueLength),
        headers: headers ?? NO_HEADERS,
        timestamp,
      });
    }
  }
  if (cursor.pos !== size) {
    throw corrupt(`${size - cursor.pos} bytes follow the last of ${recordCount} records`, size);
  }
  if (maxTimestamp !== header.maxTimestamp) {
    throw corrupt(`maxTimestamp is ${header.maxTimestamp} but the records' largest is ${maxTimestamp}`, size);
  }
}

/**
 * The offset of the first record, in batch order, whose timestamp is at least `timestamp`, or `null` if none is
 * (Kafka's ListOffsets by timestamp, within one batch). Reads only record lengths and timestamps, and trusts the
 * header's base and max timestamps to skip the walk, so give it a verified batch; malformed input still only
 * throws `CORRUPT_MESSAGE`.
 * @example
 * findOffsetForTimestamp(batch, 1200, Date.parse("2025-01-01")) // e.g. 1203, or null
 */
export function findOffsetForTimestamp(
  bytes: Uint8Array,
  baseOffset: number,
  timestamp: number,
): number | null {
  const header = readBatchHeader(bytes);
  if (timestamp <= header.baseTimestamp) return baseOffset;
  if (timestamp > header.maxTimestamp) return null;
  const size = bytes.length;
  const cursor: Cursor = { pos: header.recordsStart };
  for (let index = 0; index < header.recordCount; index++) {
    const length = readVarint(bytes, cursor);
    const recordEnd = cursor.pos + length;
    if (recordEnd > size) throw corrupt(`record ${index} claims ${length} bytes, past the end`, size);
    if (header.baseTimestamp + readZigzag(bytes, cursor) >= timestamp) return baseOffset + index;
    cursor.pos = recordEnd;
  }
  return null;
}
