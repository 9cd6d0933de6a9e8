// Cutting records into batches: sizes are exact (what encodeBatch produces), cuts fall exactly at the budget,
// and a record too large for the limit is refused rather than sent.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BatchBuilder,
  recordTooLarge,
  soloBatchSize,
  splitIntoBatches,
} from "../../src/codec/batch-builder.ts";
import { encodeBatch } from "../../src/codec/record-batch.ts";
import { EdgeLogError } from "../../src/errors.ts";
import type { LogRecord } from "../../src/record.ts";

const T0 = 1_700_000_000_000;
/** A record of `valueBytes` bytes of value, no key, no headers, at `timestamp`. */
const rec = (valueBytes: number, timestamp = T0): LogRecord => ({
  key: null,
  value: new Uint8Array(valueBytes).fill(7),
  headers: [],
  timestamp,
});
/** 10 value bytes at the batch's base timestamp: length 1 + delta 1 + null key 1 + value 1+10 + headers 1. */
const SMALL = 15;
const HEADER = 37;

describe("BatchBuilder", () => {
  it("measures exactly what encodeBatch writes, whatever the records", () => {
    const header = fc.record({ key: fc.string(), value: fc.option(fc.uint8Array({ maxLength: 40 })) });
    const record = fc.record({
      key: fc.option(fc.uint8Array({ maxLength: 300 })),
      value: fc.option(fc.uint8Array({ maxLength: 300 })),
      headers: fc.array(header, { maxLength: 3 }),
      timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
    });
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 1, maxLength: 20 }),
        fc.option(fc.string({ minLength: 1 })),
        (records, id) => {
          const builder = new BatchBuilder({ producerId: id, maxBatchBytes: Number.POSITIVE_INFINITY });
          for (const r of records) expect(builder.tryAdd(r)).toBe(true);
          const stamp = id === null ? undefined : { producerId: id, producerEpoch: 0, baseSequence: 0 };
          expect(builder.sizeBytes).toBe(builder.encode(stamp).length);
          expect(builder.sizeBytes).toBe(encodeBatch(records, stamp).length);
        },
      ),
    );
  });

  it("is just the header while empty, the producer id's UTF-8 bytes included", () => {
    expect(new BatchBuilder({ producerId: null, maxBatchBytes: 100 }).sizeBytes).toBe(HEADER);
    expect(new BatchBuilder({ producerId: "é", maxBatchBytes: 100 }).sizeBytes).toBe(HEADER + 2);
  });

  it("takes a record that brings the batch to exactly the budget, and refuses one byte more", () => {
    const exact = new BatchBuilder({ producerId: null, maxBatchBytes: HEADER + 3 * SMALL });
    expect([rec(10), rec(10), rec(10)].map((r) => exact.tryAdd(r))).toEqual([true, true, true]);
    expect(exact.sizeBytes).toBe(HEADER + 3 * SMALL);
    expect(exact.encode().length).toBe(HEADER + 3 * SMALL);
    expect(exact.tryAdd(rec(0))).toBe(false);

    const short = new BatchBuilder({ producerId: null, maxBatchBytes: HEADER + 3 * SMALL - 1 });
    expect([rec(10), rec(10), rec(10)].map((r) => short.tryAdd(r))).toEqual([true, true, false]);
    expect(short.recordCount).toBe(2);
    expect(short.sizeBytes).toBe(HEADER + 2 * SMALL);
  });

  it("measures a record against the batch's first timestamp, not its own", () => {
    // A delta of 2^20 ms takes a 3-byte zigzag varint instead of 1 byte.
    const builder = new BatchBuilder({ producerId: null, maxBatchBytes: HEADER + 2 * SMALL + 1 });
    expect(builder.tryAdd(rec(10))).toBe(true);
    expect(builder.tryAdd(rec(10, T0 + 2 ** 20))).toBe(false);
    expect(builder.tryAdd(rec(10, T0 + 1))).toBe(true);
    expect(builder.sizeBytes).toBe(builder.encode().length);
  });

  it("always takes a first record, even one over the budget, and add() ignores the budget", () => {
    const builder = new BatchBuilder({ producerId: null, maxBatchBytes: 50 });
    expect(builder.tryAdd(rec(500))).toBe(true);
    expect(builder.tryAdd(rec(0))).toBe(false);
    builder.add(rec(10));
    expect(builder.recordCount).toBe(2);
    expect(builder.sizeBytes).toBe(builder.encode().length);
    expect(builder.sizeBytes).toBeGreaterThan(50);
  });
});

describe("splitIntoBatches", () => {
  const budget = { producerId: null, maxBatchBytes: HEADER + 2 * SMALL };

  it("answers no batches for no records", () => {
    expect(splitIntoBatches([], budget)).toEqual([]);
  });

  it("fills each batch to the budget, in order, never leaving one empty", () => {
    const records = [rec(10), rec(10), rec(10), rec(10), rec(10)];
    const batches = splitIntoBatches(records, budget);
    expect(batches.map((b) => b.records)).toEqual([
      records.slice(0, 2),
      records.slice(2, 4),
      records.slice(4),
    ]);
    expect(batches.map((b) => b.encode().length)).toEqual([
      HEADER + 2 * SMALL,
      HEADER + 2 * SMALL,
      HEADER + SMALL,
    ]);
  });

  it("puts a record over the budget but within maxMessageBytes in a batch of its own", () => {
    const big = rec(200);
    const records = [rec(10), big, rec(10)];
    const batches = splitIntoBatches(records, { ...budget, maxMessageBytes: 1000 });
    expect(batches.map((b) => b.records)).toEqual([[records[0]], [big], [records[2]]]);
  });

  it("refuses a record whose batch of its own is over maxMessageBytes, by index and exact size", () => {
    const huge = rec(1000);
    const alone = encodeBatch([huge]).length;
    expect(soloBatchSize(huge, null)).toBe(alone);
    let thrown: unknown;
    try {
      splitIntoBatches([rec(10), huge], { ...budget, maxMessageBytes: alone - 1, context: { topic: "t" } });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(EdgeLogError);
    expect(thrown).toMatchObject({
      code: "MESSAGE_TOO_LARGE",
      context: { topic: "t", index: 1, sizeBytes: alone, maxBytes: alone - 1 },
    });
    // Exactly at the limit is allowed.
    expect(splitIntoBatches([huge], { ...budget, maxMessageBytes: alone })).toHaveLength(1);
  });

  it("defaults the hard limit to the budget, and Infinity leaves it to the store", () => {
    expect(() => splitIntoBatches([rec(100)], budget)).toThrow(EdgeLogError);
    const unlimited = splitIntoBatches([rec(100)], { ...budget, maxMessageBytes: Number.POSITIVE_INFINITY });
    expect(unlimited.map((b) => b.recordCount)).toEqual([1]);
  });

  it("keeps every record once, in order, within the budget unless alone", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 60 }),
        fc.integer({ min: HEADER + 5, max: 1000 }),
        (sizes, maxBatchBytes) => {
          const records = sizes.map((n, i) => rec(n, T0 + i));
          const batches = splitIntoBatches(records, {
            producerId: "p",
            maxBatchBytes,
            maxMessageBytes: Number.POSITIVE_INFINITY,
          });
          expect(batches.flatMap((b) => b.records)).toEqual(records);
          for (const batch of batches) {
            expect(batch.recordCount).toBeGreaterThan(0);
            if (batch.recordCount > 1) expect(batch.sizeBytes).toBeLessThanOrEqual(maxBatchBytes);
          }
        },
      ),
    );
  });
});

describe("recordTooLarge", () => {
  it("is MESSAGE_TOO_LARGE with the sizes and where the record came from", () => {
    const error = recordTooLarge(2000, 1024, { topic: "orders", index: 3 });
    expect(error).toMatchObject({
      code: "MESSAGE_TOO_LARGE",
      retriable: false,
      context: { topic: "orders", index: 3, sizeBytes: 2000, maxBytes: 1024 },
    });
    expect(error.message).toContain("record 3");
    expect(error.message).toContain('"orders"');
  });
});
