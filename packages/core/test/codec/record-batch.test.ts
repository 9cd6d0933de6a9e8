import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc32c } from "../../src/codec/crc32c.ts";
import {
  BATCH_FORMAT_VERSION,
  batchHeaderSize,
  decodeBatch,
  encodeBatch,
  encodedRecordSize,
  findOffsetForTimestamp,
  type ProducerStamp,
  readBatchHeader,
  verifyBatch,
} from "../../src/codec/record-batch.ts";
import { EdgeLogError, type ErrorCode } from "../../src/errors.ts";
import { type LogRecord, MAX_TIMESTAMP_MS, type RecordHeader } from "../../src/record.ts";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const utf8Length = (s: string): number => text(s).length;

function record(
  timestamp: number,
  key: Uint8Array | null = null,
  value: Uint8Array | null = null,
  headers: RecordHeader[] = [],
): LogRecord {
  return { key, value, headers, timestamp };
}

/** Rewrites the CRC so a hand-edited batch gets past the checksum and exercises the structural checks. */
function fixCrc(bytes: Uint8Array): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.length).setUint32(3, crc32c(bytes, 7), true);
  return bytes;
}

/** The error code `fn` throws; fails the test if it throws anything but an `EdgeLogError`. */
function errorCode(fn: () => unknown): ErrorCode | undefined {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof EdgeLogError)) throw new Error(`expected an EdgeLogError, got ${String(error)}`);
    return error.code;
  }
  return undefined;
}

/** Plain arrays so failures print readably and a view compares equal to a copy. */
function plain(records: readonly LogRecord[]): unknown[] {
  const bytes = (b: Uint8Array | null): number[] | null => (b === null ? null : [...b]);
  return records.map((r) => ({
    key: bytes(r.key),
    value: bytes(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: bytes(h.value) })),
    timestamp: r.timestamp,
  }));
}

// ---------------------------------------------------------------------------------------------------------------
// Arbitraries

const arbBytes = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 24 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 100, maxLength: 300 }) },
);
const arbNullableBytes = fc.option(arbBytes, { nil: null, freq: 4 });
const arbHeaderKey = fc.oneof(
  fc.constantFrom("", "trace-id", "content-type", "é", "😀", "a😀b", "\u{10ffff}"),
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 12 }),
  // Long keys take the multi-byte length and the TextEncoder.encodeInto paths.
  fc.string({ unit: "binary", minLength: 40, maxLength: 150 }),
);
const arbHeader: fc.Arbitrary<RecordHeader> = fc.record({ key: arbHeaderKey, value: arbNullableBytes });
const arbTimestamp = fc.oneof(
  fc.integer({ min: 0, max: MAX_TIMESTAMP_MS }),
  fc.integer({ min: 1_700_000_000_000, max: 1_700_000_100_000 }),
  fc.constantFrom(0, 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, MAX_TIMESTAMP_MS - 1, MAX_TIMESTAMP_MS),
);
const arbRecord: fc.Arbitrary<LogRecord> = fc.record({
  key: arbNullableBytes,
  value: arbNullableBytes,
  headers: fc.oneof(
    fc.constant([]),
    fc.array(arbHeader, { maxLength: 5 }),
    // Repeated keys, in order.
    fc.array(fc.record({ key: fc.constantFrom("a", "b"), value: arbNullableBytes }), { maxLength: 4 }),
  ),
  timestamp: arbTimestamp,
});
const arbRecords = fc.array(arbRecord, { minLength: 1, maxLength: 12 });
const arbProducer: fc.Arbitrary<ProducerStamp | undefined> = fc.option(
  fc.record({
    producerId: fc
      .string({ unit: "binary", minLength: 1, maxLength: 60 })
      .filter((s) => utf8Length(s) <= 255),
    producerEpoch: fc.oneof(fc.constantFrom(0, 2 ** 31 - 1), fc.integer({ min: 0, max: 2 ** 31 - 1 })),
    baseSequence: fc.oneof(fc.constantFrom(0, 2 ** 31 - 1), fc.integer({ min: 0, max: 2 ** 31 - 1 })),
  }),
  { nil: undefined },
);
const arbBatch = fc.tuple(arbRecords, arbProducer);

// ---------------------------------------------------------------------------------------------------------------

describe("encodeBatch / decodeBatch", () => {
  it("writes the documented layout byte for byte", () => {
    const batch = encodeBatch(
      [record(1000, text("k"), text("v"), [{ key: "h", value: null }]), record(999, null, new Uint8Array(0))],
      { producerId: "p", producerEpoch: 2, baseSequence: 7 },
    );
    const crc = crc32c(batch, 7);
    // biome-ignore format: one line per header field, as in the layout table
    const expected = [
      0x45, 0x4c, 0x01, crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24,
      0x00, // attributes
      0x02, 0, 0, 0, // recordCount
      0xe8, 0x03, 0, 0, 0, 0, 0, 0, // baseTimestamp 1000
      0xe8, 0x03, 0, 0, 0, 0, 0, 0, // maxTimestamp 1000
      0x02, 0, 0, 0, // producerEpoch
      0x07, 0, 0, 0, // baseSequence
      0x01, 0x70, // producer id "p"
      // record 0: length 9, delta 0, key "k", value "v", 1 header "h" = null
      0x09, 0x00, 0x02, 0x6b, 0x02, 0x76, 0x01, 0x01, 0x68, 0x00,
      // record 1: length 4, delta -1, null key, empty value, no headers
      0x04, 0x01, 0x00, 0x01, 0x00,
    ];
    expect([...batch]).toEqual(expected);
    expect(BATCH_FORMAT_VERSION).toBe(1);
  });

  it("writes -1 producer fields and no id without a producer", () => {
    const batch = encodeBatch([record(5)]);
    const header = readBatchHeader(batch);
    expect(header).toEqual({
      version: 1,
      crc: crc32c(batch, 7),
      attributes: 0,
      recordCount: 1,
      baseTimestamp: 5,
      maxTimestamp: 5,
      producerId: null,
      producerEpoch: -1,
      baseSequence: -1,
      sizeBytes: batch.length,
      recordsStart: 37,
    });
    expect(batch.length).toBe(37 + 5);
  });

  it("round-trips any records exactly, and re-encodes to the same bytes", () => {
    fc.assert(
      fc.property(arbBatch, ([records, producer]) => {
        const batch = encodeBatch(records, producer);
        const { header, records: decoded } = decodeBatch(batch);
        expect(plain(decoded)).toEqual(plain(records));
        expect(encodeBatch(decoded, producer)).toEqual(batch);
        expect(header).toEqual(verifyBatch(batch));
        expect(header).toEqual(readBatchHeader(batch));
        expect(header.recordCount).toBe(records.length);
        expect(header.baseTimestamp).toBe(records[0]?.timestamp);
        expect(header.maxTimestamp).toBe(Math.max(...records.map((r) => r.timestamp)));
        expect(header.producerId).toBe(producer?.producerId ?? null);
        expect(header.producerEpoch).toBe(producer?.producerEpoch ?? -1);
        expect(header.baseSequence).toBe(producer?.baseSequence ?? -1);
        expect(header.sizeBytes).toBe(batch.length);
        expect(header.recordsStart).toBe(batchHeaderSize(producer?.producerId ?? null));
      }),
      { numRuns: 300 },
    );
  });

  it("sizes batches exactly with batchHeaderSize and encodedRecordSize", () => {
    fc.assert(
      fc.property(arbBatch, ([records, producer]) => {
        const base = records[0]?.timestamp ?? 0;
        let size = batchHeaderSize(producer?.producerId ?? null);
        for (const r of records) size += encodedRecordSize(r, base);
        expect(encodeBatch(records, producer).length).toBe(size);
      }),
    );
  });

  it("decodes zero-copy views, also of a batch inside a larger buffer", () => {
    const batch = encodeBatch([record(1, text("key"), text("value"), [{ key: "h", value: text("hv") }])]);
    const backing = new Uint8Array(batch.length + 10);
    backing.set(batch, 7);
    const view = backing.subarray(7, 7 + batch.length);
    const [decoded] = decodeBatch(view).records;
    expect(decoded?.key?.buffer).toBe(backing.buffer);
    expect(decoded?.value?.buffer).toBe(backing.buffer);
    expect(decoded?.headers[0]?.value?.buffer).toBe(backing.buffer);
    expect(plain(decodeBatch(view).records)).toEqual(plain(decodeBatch(batch).records));
    expect(findOffsetForTimestamp(view, 0, 1)).toBe(0);
  });

  it("handles the widest timestamp spread in either direction", () => {
    const records = [record(MAX_TIMESTAMP_MS), record(0), record(MAX_TIMESTAMP_MS)];
    expect(decodeBatch(encodeBatch(records)).records.map((r) => r.timestamp)).toEqual([
      MAX_TIMESTAMP_MS,
      0,
      MAX_TIMESTAMP_MS,
    ]);
    const reversed = [record(0), record(MAX_TIMESTAMP_MS)];
    expect(readBatchHeader(encodeBatch(reversed)).maxTimestamp).toBe(MAX_TIMESTAMP_MS);
  });

  it("encodes lone surrogates in header keys as U+FFFD, as TextEncoder does", () => {
    const key = "a\ud800b\udc00";
    const [decoded] = decodeBatch(encodeBatch([record(0, null, null, [{ key, value: null }])])).records;
    expect(decoded?.headers[0]?.key).toBe("a\ufffdb\ufffd");
    expect(batchHeaderSize(null) + encodedRecordSize(record(0, null, null, [{ key, value: null }]), 0)).toBe(
      encodeBatch([record(0, null, null, [{ key, value: null }])]).length,
    );
  });

  it("rejects what it cannot encode", () => {
    const ok = record(0);
    const stamp = { producerId: "p", producerEpoch: 0, baseSequence: 0 };
    expect(errorCode(() => encodeBatch([]))).toBe("INVALID_RECORD");
    for (const timestamp of [-1, 1.5, Number.NaN, MAX_TIMESTAMP_MS + 1, Number.POSITIVE_INFINITY]) {
      expect(errorCode(() => encodeBatch([record(timestamp)]))).toBe("INVALID_TIMESTAMP");
      expect(errorCode(() => encodeBatch([ok, ok, record(timestamp)]))).toBe("INVALID_TIMESTAMP");
    }
    expect(errorCode(() => encodeBatch([ok], { ...stamp, producerId: "" }))).toBe("INVALID_RECORD");
    expect(errorCode(() => encodeBatch([ok], { ...stamp, producerId: "x".repeat(256) }))).toBe(
      "INVALID_RECORD",
    );
    expect(errorCode(() => encodeBatch([ok], { ...stamp, producerId: "€".repeat(86) }))).toBe(
      "INVALID_RECORD",
    );
    expect(readBatchHeader(encodeBatch([ok], { ...stamp, producerId: "€".repeat(85) })).producerId).toBe(
      "€".repeat(85),
    );
    for (const bad of [-1, 2 ** 31, 1.5, Number.NaN]) {
      expect(errorCode(() => encodeBatch([ok], { ...stamp, producerEpoch: bad }))).toBe("INVALID_RECORD");
      expect(errorCode(() => encodeBatch([ok], { ...stamp, baseSequence: bad }))).toBe("INVALID_RECORD");
    }
    const notBytes = "text" as unknown as Uint8Array;
    expect(errorCode(() => encodeBatch([record(0, notBytes)]))).toBe("INVALID_RECORD");
    expect(errorCode(() => encodeBatch([record(0, null, notBytes)]))).toBe("INVALID_RECORD");
    expect(errorCode(() => encodeBatch([record(0, null, null, [{ key: "h", value: notBytes }])]))).toBe(
      "INVALID_RECORD",
    );
    const badKey = { key: 1 as unknown as string, value: null };
    expect(errorCode(() => encodeBatch([record(0, null, null, [badKey])]))).toBe("INVALID_RECORD");
  });
});

describe("readBatchHeader", () => {
  const batch = encodeBatch([record(10), record(20)], { producerId: "p", producerEpoch: 0, baseSequence: 0 });
  const edited = (index: number, value: number): Uint8Array => {
    const copy = batch.slice();
    copy[index] = value;
    return copy;
  };

  it("rejects wrong magic, other versions, flags and impossible fields", () => {
    expect(errorCode(() => readBatchHeader(edited(0, 0x46)))).toBe("CORRUPT_MESSAGE");
    expect(errorCode(() => readBatchHeader(edited(1, 0)))).toBe("CORRUPT_MESSAGE");
    expect(errorCode(() => readBatchHeader(edited(2, 2)))).toBe("UNSUPPORTED_VERSION");
    expect(errorCode(() => readBatchHeader(edited(2, 0)))).toBe("UNSUPPORTED_VERSION");
    expect(errorCode(() => readBatchHeader(edited(7, 1)))).toBe("CORRUPT_MESSAGE"); // compression
    expect(errorCode(() => readBatchHeader(edited(7, 0x80)))).toBe("CORRUPT_MESSAGE"); // reserved bit
    expect(errorCode(() => readBatchHeader(edited(8, 0)))).toBe("CORRUPT_MESSAGE"); // recordCount 0
    expect(errorCode(() => readBatchHeader(edited(8, 200)))).toBe("CORRUPT_MESSAGE"); // cannot fit
    expect(errorCode(() => readBatchHeader(edited(19, 0x80)))).toBe("CORRUPT_MESSAGE"); // negative base
    expect(errorCode(() => readBatchHeader(edited(20, 5)))).toBe("CORRUPT_MESSAGE"); // max < base
    expect(errorCode(() => readBatchHeader(edited(31, 0x80)))).toBe("CORRUPT_MESSAGE"); // negative epoch
    expect(errorCode(() => readBatchHeader(edited(36, 0)))).toBe("CORRUPT_MESSAGE"); // no id, epoch 0
    expect(errorCode(() => readBatchHeader(edited(36, 255)))).toBe("CORRUPT_MESSAGE"); // id past the end
    expect(errorCode(() => readBatchHeader(edited(37, 0xff)))).toBe("CORRUPT_MESSAGE"); // id not UTF-8
    expect(errorCode(() => readBatchHeader(new Uint8Array(0)))).toBe("CORRUPT_MESSAGE");
  });

  it("reads a header without checking the CRC", () => {
    const header = readBatchHeader(edited(batch.length - 1, 0x7f));
    expect(header.recordCount).toBe(2);
    expect(header.maxTimestamp).toBe(20);
  });
});

// The corruption properties throw thousands of errors each (a stack trace apiece): seconds on a loaded machine,
// so they get a timeout of their own rather than flaking at the default.
describe("corruption", () => {
  it("detects every single-byte change", () => {
    fc.assert(
      fc.property(arbBatch, fc.integer({ min: 1, max: 255 }), ([records, producer], mask) => {
        const batch = encodeBatch(records, producer);
        // Mismatches are collected and asserted once: an `expect` per byte costs more than the check itself,
        // and this runs thousands of times.
        const wrong: string[] = [];
        for (let i = 0; i < batch.length; i++) {
          const copy = batch.slice();
          copy[i] = (copy[i] ?? 0) ^ mask;
          const expected = i === 2 ? "UNSUPPORTED_VERSION" : "CORRUPT_MESSAGE";
          const verified = errorCode(() => verifyBatch(copy));
          const decoded = errorCode(() => decodeBatch(copy));
          if (verified !== expected || decoded !== expected) wrong.push(`byte ${i}: ${verified}/${decoded}`);
        }
        expect(wrong).toEqual([]);
      }),
      { numRuns: 40 },
    );
  }, 30_000);

  it("rejects every truncation and any trailing bytes", () => {
    fc.assert(
      fc.property(arbBatch, ([records, producer]) => {
        const batch = encodeBatch(records, producer);
        const wrong: string[] = [];
        for (let length = 0; length < batch.length; length++) {
          const prefix = batch.subarray(0, length);
          const verified = errorCode(() => verifyBatch(prefix));
          const decoded = errorCode(() => decodeBatch(prefix));
          if (verified !== "CORRUPT_MESSAGE" || decoded !== "CORRUPT_MESSAGE") {
            wrong.push(`length ${length}: ${verified}/${decoded}`);
          }
          errorCode(() => findOffsetForTimestamp(prefix, 0, MAX_TIMESTAMP_MS));
        }
        expect(wrong).toEqual([]);
        const longer = new Uint8Array(batch.length + 1);
        longer.set(batch);
        expect(errorCode(() => verifyBatch(fixCrc(longer)))).toBe("CORRUPT_MESSAGE");
      }),
      { numRuns: 40 },
    );
  }, 30_000);

  it("only ever throws EdgeLogError on structurally random batches with a valid CRC", () => {
    // Mutations with the CRC fixed up get past the checksum, so the bounds checks alone must hold.
    const mutation = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
      minLength: 1,
      maxLength: 4,
    });
    fc.assert(
      fc.property(arbBatch, mutation, ([records, producer], edits) => {
        const batch = encodeBatch(records, producer);
        const start = readBatchHeader(batch).recordsStart;
        for (const [at, value] of edits) batch[start + (at % (batch.length - start))] = value;
        fixCrc(batch);
        const verified = errorCode(() => verifyBatch(batch));
        const decoded = errorCode(() => decodeBatch(batch));
        expect(decoded).toBe(verified);
        expect([undefined, "CORRUPT_MESSAGE"]).toContain(verified);
        errorCode(() => findOffsetForTimestamp(batch, 0, 1_700_000_050_000));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 80 }),
        fc.integer({ min: 1, max: 30 }),
        fc.boolean(),
        (body, count, withProducer) => {
          const batch = encodeBatch(
            Array.from({ length: count }, () => record(0)),
            withProducer ? { producerId: "p", producerEpoch: 1, baseSequence: 1 } : undefined,
          );
          const start = readBatchHeader(batch).recordsStart;
          const random = new Uint8Array(start + body.length);
          random.set(batch.subarray(0, start));
          random.set(body, start);
          fixCrc(random);
          const verified = errorCode(() => verifyBatch(random));
          expect(errorCode(() => decodeBatch(random))).toBe(verified);
          expect([undefined, "CORRUPT_MESSAGE"]).toContain(verified);
          errorCode(() => findOffsetForTimestamp(random, 0, 1));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("checks header keys for well-formed UTF-8 exactly as a fatal TextDecoder does", () => {
    const decoder = new TextDecoder("utf-8", { fatal: true });
    const isUtf8 = (bytes: Uint8Array): boolean => {
      try {
        decoder.decode(bytes);
        return true;
      } catch {
        return false;
      }
    };
    // Lead and continuation bytes at the edges of the ranges that exclude overlongs, surrogates and > U+10FFFF.
    const edges = [
      0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4,
      0xf5, 0xff,
    ];
    const interesting = fc.constantFrom(...edges);
    const keyBytes = fc.array(fc.oneof(interesting, fc.integer({ min: 0, max: 255 })), {
      minLength: 1,
      maxLength: 40,
    });
    const check = (bytes: number[]): void => {
      const key = "a".repeat(bytes.length);
      const batch = encodeBatch([record(0, null, null, [{ key, value: null }])]);
      // 37-byte header; record length, delta, key, value, header count, key length, then the key.
      const keyStart = 37 + 6;
      expect(batch[keyStart - 1]).toBe(bytes.length);
      batch.set(bytes, keyStart);
      fixCrc(batch);
      const expected = isUtf8(Uint8Array.from(bytes)) ? undefined : "CORRUPT_MESSAGE";
      expect(
        errorCode(() => verifyBatch(batch)),
        bytes.join(","),
      ).toBe(expected);
      expect(
        errorCode(() => decodeBatch(batch)),
        bytes.join(","),
      ).toBe(expected);
    };
    // Each edge of the well-formed table (Unicode 15, table 3-7), just inside and just outside.
    const cases = [
      [0xc2, 0x80],
      [0xc1, 0xbf],
      [0xdf, 0xbf],
      [0xdf, 0xc0],
      [0xe0, 0xa0, 0x80],
      [0xe0, 0x9f, 0xbf],
      [0xe1, 0x80, 0x80],
      [0xef, 0xbf, 0xbf],
      [0xe2, 0x82],
      [0xed, 0x9f, 0xbf],
      [0xed, 0xa0, 0x80],
      [0xed, 0xbf, 0xbf],
      [0xf0, 0x90, 0x80, 0x80],
      [0xf0, 0x8f, 0xbf, 0xbf],
      [0xf4, 0x8f, 0xbf, 0xbf],
      [0xf4, 0x90, 0x80, 0x80],
      [0xf5, 0x80, 0x80, 0x80],
      [0xf0, 0x90, 0x80],
      [0x80],
      [0xff],
    ];
    for (const bytes of cases) check(bytes);
    fc.assert(fc.property(keyBytes, check), { numRuns: 1000 });
  });

  it("rejects records that disagree with the header", () => {
    // recordCount one lower than the records present.
    const batch = encodeBatch([record(10), record(20)]);
    const fewer = batch.slice();
    fewer[8] = 1;
    expect(errorCode(() => verifyBatch(fixCrc(fewer)))).toBe("CORRUPT_MESSAGE");
    // maxTimestamp larger than any record's.
    const later = batch.slice();
    later[20] = 21;
    expect(errorCode(() => verifyBatch(fixCrc(later)))).toBe("CORRUPT_MESSAGE");
    // First record not at the base timestamp: delta 0 -> 1 (zigzag 2).
    const shifted = batch.slice();
    shifted[38] = 2;
    expect(errorCode(() => verifyBatch(fixCrc(shifted)))).toBe("CORRUPT_MESSAGE");
  });
});

describe("findOffsetForTimestamp", () => {
  it("agrees with a naive scan", () => {
    const arbTarget = (records: LogRecord[]) =>
      fc.oneof(
        fc.constantFrom(...records.map((r) => r.timestamp)).chain((t) => fc.constantFrom(t - 1, t, t + 1)),
        arbTimestamp,
      );
    fc.assert(
      fc.property(
        arbRecords.chain((records) => fc.tuple(fc.constant(records), arbTarget(records))),
        fc.nat({ max: 1_000_000 }),
        ([records, target], baseOffset) => {
          const batch = encodeBatch(records);
          const index = records.findIndex((r) => r.timestamp >= target);
          expect(findOffsetForTimestamp(batch, baseOffset, target)).toBe(
            index < 0 ? null : baseOffset + index,
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});
