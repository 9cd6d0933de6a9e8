// The per-record caps: the decoded-record check (producer, JSON produce) and the check inside verifyBatch's walk
// (every store's append) must agree on every record, and a copy of history (assigned offsets) is never capped.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeBatch, verifyBatch } from "../../src/codec/record-batch.ts";
import { assertRecordCaps, RECORD_CAPS, type RecordCaps } from "../../src/codec/record-caps.ts";
import { isEdgeLogError } from "../../src/errors.ts";
import { DEFAULT_TOPIC_CONFIG, EdgeLog, type LogRecord, type TopicMetadata } from "../../src/index.ts";
import { checkBatch, inspectBatchForAppend, planAppend } from "../../src/store-kit/index.ts";
import { expectEdgeLogError } from "../../src/testing/index.ts";

const encoder = new TextEncoder();
const bytes = (n: number) => new Uint8Array(n).fill(0x61);
const record = (over: Partial<LogRecord> = {}): LogRecord => ({
  key: null,
  value: encoder.encode("v"),
  headers: [],
  timestamp: 1_700_000_000_000,
  ...over,
});
const headers = (count: number, valueBytes = 0) =>
  Array.from({ length: count }, (_, i) => ({ key: `h${i}`, value: bytes(valueBytes) }));

/** The verdict of a check as data: `ok`, or the cap it names with its limit and actual size. */
function verdict(run: () => unknown): string {
  try {
    run();
    return "ok";
  } catch (error) {
    if (!isEdgeLogError(error)) throw error;
    const { cap, limit, actual } = error.context;
    return `${error.code} ${String(cap)} ${String(limit)} ${String(actual)}`;
  }
}
const decodedVerdict = (r: LogRecord, caps: RecordCaps = RECORD_CAPS) =>
  verdict(() => assertRecordCaps(r, {}, caps));
const encodedVerdict = (r: LogRecord, caps: RecordCaps = RECORD_CAPS) =>
  verdict(() => verifyBatch(encodeBatch([record(), r]), caps));

const { maxHeaders, maxHeaderValueBytes, maxHeadersBytes, maxKeyBytes } = RECORD_CAPS;
/** Eight values of 8 KiB are 64 KiB exactly, names not counted yet. */
const FULL_VALUES = maxHeadersBytes / maxHeaderValueBytes;

describe("record caps", () => {
  it("are K2's numbers, with an 8 KiB key", () => {
    expect(RECORD_CAPS).toEqual({
      maxHeaders: 32,
      maxHeaderNameBytes: 256,
      maxHeaderValueBytes: 8192,
      maxHeadersBytes: 65_536,
      maxKeyBytes: 8192,
    });
    expect(Object.isFrozen(RECORD_CAPS)).toBe(true);
  });

  const cases: [string, LogRecord, string][] = [
    ["nothing", record(), "ok"],
    ["32 headers", record({ headers: headers(maxHeaders) }), "ok"],
    ["33 headers", record({ headers: headers(maxHeaders + 1) }), "INVALID_RECORD maxHeaders 32 33"],
    ["a 256-byte name", record({ headers: [{ key: "n".repeat(256), value: null }] }), "ok"],
    [
      "a 257-byte name",
      record({ headers: [{ key: "n".repeat(257), value: null }] }),
      "INVALID_RECORD maxHeaderNameBytes 256 257",
    ],
    [
      // 86 × "€" is 86 UTF-16 units but 258 UTF-8 bytes: the cap counts what is stored.
      "a name of 258 UTF-8 bytes in 86 units",
      record({ headers: [{ key: "€".repeat(86), value: null }] }),
      "INVALID_RECORD maxHeaderNameBytes 256 258",
    ],
    [
      "a lone surrogate name counted as U+FFFD",
      record({ headers: [{ key: `${"n".repeat(254)}\ud800`, value: null }] }),
      "INVALID_RECORD maxHeaderNameBytes 256 257",
    ],
    ["an 8 KiB value", record({ headers: headers(1, maxHeaderValueBytes) }), "ok"],
    [
      "an 8 KiB + 1 value",
      record({ headers: headers(1, maxHeaderValueBytes + 1) }),
      "INVALID_RECORD maxHeaderValueBytes 8192 8193",
    ],
    [
      "64 KiB of headers, names included",
      record({
        headers: [
          ...headers(FULL_VALUES - 1, maxHeaderValueBytes),
          { key: "last", value: bytes(maxHeaderValueBytes - 4 - (FULL_VALUES - 1) * 2) },
        ],
      }),
      "ok",
    ],
    [
      "64 KiB + 1 of headers",
      record({
        headers: [
          ...headers(FULL_VALUES - 1, maxHeaderValueBytes),
          { key: "last", value: bytes(maxHeaderValueBytes - 3 - (FULL_VALUES - 1) * 2) },
        ],
      }),
      "INVALID_RECORD maxHeadersBytes 65536 65537",
    ],
    ["null header values weigh nothing", record({ headers: [{ key: "a", value: null }] }), "ok"],
    ["an 8 KiB key", record({ key: bytes(maxKeyBytes) }), "ok"],
    ["an 8 KiB + 1 key", record({ key: bytes(maxKeyBytes + 1) }), "INVALID_RECORD maxKeyBytes 8192 8193"],
    ["a large value is not capped here", record({ value: bytes(512 * 1024) }), "ok"],
  ];

  it.each(cases)("%s: the decoded and the encoded check agree", (_, r, expected) => {
    expect(decodedVerdict(r)).toBe(expected);
    expect(encodedVerdict(r)).toBe(expected);
  });

  it("name the limit and where the record is", () => {
    const over = record({ headers: headers(maxHeaders + 1) });
    try {
      assertRecordCaps(over, { topic: "orders", index: 4 });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({
        code: "INVALID_RECORD",
        message: "record 4 has 33 headers, over the limit of 32 headers per record",
        context: { topic: "orders", index: 4, cap: "maxHeaders", limit: 32, actual: 33 },
      });
    }
    const topic = metadata();
    try {
      inspectBatchForAppend(topic, { topic: "t", partition: 2 }, encodeBatch([record(), record(), over]));
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({
        code: "INVALID_RECORD",
        message: "record 2 of the batch has 33 headers, over the limit of 32 headers per record",
        context: { topic: "t", partition: 2, offsetDelta: 2, cap: "maxHeaders", limit: 32, actual: 33 },
      });
    }
  });

  it("say what the record has and the limit, in words", () => {
    const messages = cases
      .filter(([, , expected]) => expected !== "ok")
      .map(([, r]) => {
        try {
          assertRecordCaps(r, { index: 0 });
          return "accepted";
        } catch (error) {
          return (error as Error).message;
        }
      });
    expect(messages).toEqual([
      "record 0 has 33 headers, over the limit of 32 headers per record",
      "record 0 has a header name of 257 bytes, over the limit of 256 bytes per header name",
      "record 0 has a header name of 258 bytes, over the limit of 256 bytes per header name",
      "record 0 has a header name of 257 bytes, over the limit of 256 bytes per header name",
      "record 0 has a header value of 8193 bytes, over the limit of 8192 bytes per header value",
      "record 0 has 65537 bytes of headers, over the limit of 65536 bytes of headers per record",
      "record 0 has a key of 8193 bytes, over the limit of 8192 bytes per key",
    ]);
  });

  it("agree on random records, also under small caps", () => {
    const small: RecordCaps = {
      maxHeaders: 3,
      maxHeaderNameBytes: 4,
      maxHeaderValueBytes: 5,
      maxHeadersBytes: 12,
      maxKeyBytes: 6,
    };
    const arbitraryBytes = fc.option(fc.uint8Array({ maxLength: 10 }), { nil: null });
    const arbitraryRecord = fc.record({
      key: arbitraryBytes,
      value: arbitraryBytes,
      headers: fc.array(
        fc.record({ key: fc.string({ maxLength: 6, unit: "binary" }), value: arbitraryBytes }),
        {
          maxLength: 5,
        },
      ),
      timestamp: fc.constant(1_700_000_000_000),
    });
    fc.assert(
      fc.property(arbitraryRecord, (r) => {
        expect(encodedVerdict(r, small)).toBe(decodedVerdict(r, small));
      }),
      { numRuns: 500 },
    );
  });

  it("are not verifyBatch's concern unless asked: integrity alone accepts any record", () => {
    const over = encodeBatch([record({ headers: headers(maxHeaders + 1), key: bytes(maxKeyBytes + 1) })]);
    expect(verifyBatch(over).recordCount).toBe(1);
    expect(verdict(() => verifyBatch(over, RECORD_CAPS))).toMatch(/^INVALID_RECORD/);
  });

  it("still report a corrupt batch as corrupt", () => {
    const batch = encodeBatch([record({ headers: headers(maxHeaders + 1) })]);
    batch[batch.length - 1] = (batch[batch.length - 1] ?? 0) ^ 0xff; // CRC now wrong
    expect(verdict(() => verifyBatch(batch, RECORD_CAPS))).toMatch(/^CORRUPT_MESSAGE/);
  });
});

function metadata(): TopicMetadata {
  return { name: "t", topicId: "id", partitions: 3, config: { ...DEFAULT_TOPIC_CONFIG }, createdAt: 0 };
}

describe("record caps in the append planner", () => {
  const tp = { topic: "t", partition: 0 };
  const over = encodeBatch([record({ headers: headers(maxHeaders + 1) })]);
  const empty = { logStartOffset: 0, highWatermark: 0, sizeBytes: 0 };
  const planOne = (batch: ReturnType<typeof checkBatch>) =>
    planAppend({ tp, partition: empty, producers: new Map(), batches: [batch], nowMs: 1 });

  it("refuse a client's new batch", () => {
    const plan = planOne(checkBatch(metadata(), tp, over));
    expect(plan.batches).toHaveLength(0);
    expect(plan.outcomes[0]).toMatchObject({ kind: "error", error: { code: "INVALID_RECORD" } });
  });

  it("let a replicated batch (assigned offsets) through: a copy of history is not a new write", () => {
    const plan = planOne(checkBatch(metadata(), tp, over, { assigned: { baseOffset: 0, logAppendTime: 5 } }));
    expect(plan.outcomes[0]).toMatchObject({ kind: "appended", result: { baseOffset: 0, lastOffset: 0 } });
    expect(plan.partition.highWatermark).toBe(1);
  });

  it("follow an explicit checkRecordCaps either way", () => {
    const assigned = { baseOffset: 0, logAppendTime: 5 };
    expect(
      planOne(checkBatch(metadata(), tp, over, { assigned, checkRecordCaps: true })).outcomes[0],
    ).toMatchObject({ kind: "error", error: { code: "INVALID_RECORD" } });
    expect(planOne(checkBatch(metadata(), tp, over, { checkRecordCaps: false })).outcomes[0]).toMatchObject({
      kind: "appended",
    });
  });
});

describe("record caps in the producer", () => {
  it("refuse a record locally, before anything is sent, with its index", async () => {
    const log = new EdgeLog();
    await log.admin().createTopics({ topics: [{ topic: "t" }] });
    const producer = log.producer();
    await producer.connect();
    const many = Object.fromEntries(Array.from({ length: maxHeaders + 1 }, (_, i) => [`h${i}`, "x"]));
    const error = await expectEdgeLogError(
      producer.send({ topic: "t", messages: [{ value: "ok" }, { value: "bad", headers: many }] }),
      "INVALID_RECORD",
    );
    expect(error.context).toMatchObject({ topic: "t", index: 1, cap: "maxHeaders", limit: 32, actual: 33 });
    await expectEdgeLogError(
      producer.send({ topic: "t", messages: [{ key: "k".repeat(maxKeyBytes + 1), value: "v" }] }),
      "INVALID_RECORD",
    );
    await producer.send({
      topic: "t",
      messages: [{ key: "k".repeat(maxKeyBytes), value: "v", headers: { a: "b" } }],
    });
    const [offsets] = await log.admin().fetchTopicOffsets("t");
    // Only the last send was written: a refused send leaves nothing behind, not even its good records.
    expect(offsets).toMatchObject({ partition: 0, high: 1 });
    await producer.disconnect();
    await log.close();
  });
});
