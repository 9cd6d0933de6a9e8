/**
 * @module
 * JSON produce: partitioning, batching, offsets in request order, idempotent producers, validation (nothing
 * written on any error) and value formats.
 */
import { decodeBatch, partitionForKey } from "@edgelog/core";
import { describe, expect, it } from "vitest";
import { MAX_RECORDS_PER_REQUEST } from "../src/limits.ts";
import { expectError, NOW, setup } from "./helpers.ts";

const utf8 = new TextEncoder();

async function highWatermarks(store: ReturnType<typeof setup>["store"], topic: string, partitions: number) {
  return Promise.all(
    Array.from(
      { length: partitions },
      async (_, partition) => (await store.offsets({ topic, partition })).highWatermark,
    ),
  );
}

describe("POST /v1/topics/{topic}/records", () => {
  it("appends and answers offsets per record", async () => {
    const { produce, createTopic } = setup();
    await createTopic("orders");
    const res = await produce("orders", {
      records: [
        { key: "user-1", value: { any: "json" }, headers: { source: "web" }, timestamp: 1764000000000 },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.offsets).toEqual([{ partition: 0, offset: 0 }]);
    expect(res.body.batches).toEqual([{ partition: 0, baseOffset: 0, lastOffset: 0, duplicate: false }]);
    const again = await produce("orders", { records: [{ value: 1 }, { value: 2 }] });
    expect(again.body.offsets).toEqual([
      { partition: 0, offset: 1 },
      { partition: 0, offset: 2 },
    ]);
  });

  it("puts keyed records where Kafka's Java client would (murmur2 of the UTF-8 key)", async () => {
    const { produce, createTopic } = setup();
    await createTopic("t", 7);
    const keys = ["a", "user-1", "order-42", "ünï", "", "🙂"];
    const res = await produce("t", { records: keys.map((key) => ({ key, value: key })) });
    expect(res.body.offsets.map((o: { partition: number }) => o.partition)).toEqual(
      keys.map((key) => partitionForKey(utf8.encode(key), 7)),
    );
  });

  it("an explicit partition wins over the key; keyless records stick to one partition per request", async () => {
    const { produce, createTopic } = setup({ random: () => 0.99 });
    await createTopic("t", 4);
    const res = await produce("t", {
      records: [{ key: "k", value: 1, partition: 2 }, { value: 2 }, { value: 3 }],
    });
    expect(res.body.offsets).toEqual([
      { partition: 2, offset: 0 },
      { partition: 3, offset: 0 },
      { partition: 3, offset: 1 },
    ]);
  });

  it("groups each partition's records into one batch, in request order, with consecutive offsets", async () => {
    const { produce, createTopic, store } = setup();
    await createTopic("t", 2);
    const records = [0, 1, 0, 1, 0].map((partition, i) => ({ value: i, partition }));
    const res = await produce("t", { records });
    expect(res.body.offsets).toEqual([
      { partition: 0, offset: 0 },
      { partition: 1, offset: 0 },
      { partition: 0, offset: 1 },
      { partition: 1, offset: 1 },
      { partition: 0, offset: 2 },
    ]);
    expect(res.body.batches).toEqual([
      { partition: 0, baseOffset: 0, lastOffset: 2, duplicate: false },
      { partition: 1, baseOffset: 0, lastOffset: 1, duplicate: false },
    ]);
    const batches = await store.read({ topic: "t", partition: 0 }, { offset: 0 });
    expect(batches.batches).toHaveLength(1);
    const { records: stored } = decodeBatch((batches.batches[0] as { payload: Uint8Array }).payload);
    expect(stored.map((r) => new TextDecoder().decode(r.value as Uint8Array))).toEqual(["0", "2", "4"]);
    expect(stored[0]?.timestamp).toBe(NOW);
  });

  it("stores keys, headers and timestamps as given", async () => {
    const { produce, createTopic, store } = setup();
    await createTopic("t");
    await produce("t", { records: [{ key: "k", value: null, headers: { a: "1", b: null }, timestamp: 5 }] });
    const { batches } = await store.read({ topic: "t", partition: 0 }, { offset: 0 });
    const [record] = decodeBatch((batches[0] as { payload: Uint8Array }).payload).records;
    expect(record?.key).toEqual(utf8.encode("k"));
    expect(record?.value).toBeNull();
    expect(record?.headers.map((h) => [h.key, h.value])).toEqual([
      ["a", utf8.encode("1")],
      ["b", null],
    ]);
    expect(record?.timestamp).toBe(5);
  });

  it("encodes values per valueFormat", async () => {
    const { produce, createTopic, store } = setup();
    await createTopic("t");
    await produce("t", { valueFormat: "text", records: [{ value: "plain" }] });
    await produce("t", { valueFormat: "base64", records: [{ value: "AP8=" }, { value: null }] });
    await produce("t", { records: [{ value: "plain" }] });
    const { batches } = await store.read({ topic: "t", partition: 0 }, { offset: 0 });
    const values = batches.flatMap((b) => decodeBatch(b.payload).records.map((r) => r.value));
    expect(values).toEqual([utf8.encode("plain"), new Uint8Array([0, 255]), null, utf8.encode('"plain"')]);
  });

  describe("validation: 4xx and nothing written", () => {
    const cases: [string, unknown, number, string][] = [
      ["records missing", {}, 400, "INVALID_REQUEST"],
      ["records not an array", { records: { value: 1 } }, 400, "INVALID_REQUEST"],
      ["records empty", { records: [] }, 400, "INVALID_REQUEST"],
      ["record not an object", { records: [{ value: 1 }, 5] }, 400, "INVALID_RECORD"],
      ["value missing", { records: [{ value: 1 }, { key: "k" }] }, 400, "INVALID_RECORD"],
      ["key not a string", { records: [{ value: 1 }, { key: 5, value: 1 }] }, 400, "INVALID_RECORD"],
      ["headers not an object", { records: [{ value: 1, headers: ["a"] }] }, 400, "INVALID_RECORD"],
      ["header value not a string", { records: [{ value: 1, headers: { a: 1 } }] }, 400, "INVALID_RECORD"],
      ["partition not an integer", { records: [{ value: 1, partition: "0" }] }, 400, "INVALID_RECORD"],
      ["partition fractional", { records: [{ value: 1, partition: 0.5 }] }, 400, "INVALID_RECORD"],
      [
        "partition out of range",
        { records: [{ value: 1 }, { value: 1, partition: 2 }] },
        404,
        "UNKNOWN_TOPIC_OR_PARTITION",
      ],
      ["partition negative", { records: [{ value: 1, partition: -1 }] }, 404, "UNKNOWN_TOPIC_OR_PARTITION"],
      ["timestamp a string", { records: [{ value: 1, timestamp: "1" }] }, 400, "INVALID_RECORD"],
      [
        "timestamp negative",
        { records: [{ value: 1 }, { value: 1, timestamp: -1 }] },
        400,
        "INVALID_TIMESTAMP",
      ],
      ["timestamp fractional", { records: [{ value: 1, timestamp: 1.5 }] }, 400, "INVALID_TIMESTAMP"],
      ["unknown valueFormat", { valueFormat: "xml", records: [{ value: 1 }] }, 400, "INVALID_REQUEST"],
      ["text value not a string", { valueFormat: "text", records: [{ value: 1 }] }, 400, "INVALID_RECORD"],
      ["bad base64", { valueFormat: "base64", records: [{ value: "@@@" }] }, 400, "INVALID_RECORD"],
      ["producer not an object", { producer: 1, records: [{ value: 1 }] }, 400, "INVALID_REQUEST"],
      [
        "producer id empty",
        { producer: { id: "", epoch: 0, sequences: { 0: 0 } }, records: [{ value: 1 }] },
        400,
        "INVALID_REQUEST",
      ],
      [
        "producer epoch negative",
        { producer: { id: "p", epoch: -1, sequences: { 0: 0 } }, records: [{ value: 1 }] },
        400,
        "INVALID_REQUEST",
      ],
      [
        "producer sequences missing",
        { producer: { id: "p", epoch: 0 }, records: [{ value: 1 }] },
        400,
        "INVALID_REQUEST",
      ],
      [
        "producer sequence key bad",
        { producer: { id: "p", epoch: 0, sequences: { x: 0 } }, records: [{ value: 1 }] },
        400,
        "INVALID_REQUEST",
      ],
      [
        "producer sequence too big",
        { producer: { id: "p", epoch: 0, sequences: { 0: 2 ** 31 } }, records: [{ value: 1 }] },
        400,
        "INVALID_REQUEST",
      ],
      [
        "no sequence for a partition that gets records",
        {
          producer: { id: "p", epoch: 0, sequences: { 0: 0 } },
          records: [
            { value: 1, partition: 0 },
            { value: 1, partition: 1 },
          ],
        },
        400,
        "INVALID_REQUEST",
      ],
    ];
    for (const [name, body, status, code] of cases) {
      it(`${name} → ${status} ${code}`, async () => {
        const { produce, createTopic, store } = setup();
        await createTopic("t", 2);
        expectError(await produce("t", body), status, code);
        expect(await highWatermarks(store, "t", 2)).toEqual([0, 0]);
      });
    }

    it("an unknown topic → 404; an illegal topic name → 400 INVALID_TOPIC", async () => {
      const { produce } = setup();
      expectError(await produce("nope", { records: [{ value: 1 }] }), 404, "UNKNOWN_TOPIC_OR_PARTITION");
      expectError(await produce("a%20b", { records: [{ value: 1 }] }), 400, "INVALID_TOPIC");
    });

    it("a record over max.message.bytes → 413, nothing written to any partition", async () => {
      const { produce, createTopic, store } = setup();
      await createTopic("t", 2, { "max.message.bytes": 1000 });
      const res = await produce("t", {
        records: [
          { value: "small", partition: 0 },
          { value: "x".repeat(1000), partition: 1 },
        ],
      });
      const error = expectError(res, 413, "MESSAGE_TOO_LARGE");
      expect(error.index).toBe(1);
      expect(await highWatermarks(store, "t", 2)).toEqual([0, 0]);
    });

    it("a partition's records adding up past max.message.bytes → 413, nothing written", async () => {
      const { produce, createTopic, store } = setup();
      await createTopic("t", 2, { "max.message.bytes": 1000 });
      const res = await produce("t", {
        records: [
          { value: "ok", partition: 1 },
          ...Array.from({ length: 5 }, () => ({ value: "x".repeat(300), partition: 0 })),
        ],
      });
      expectError(res, 413, "MESSAGE_TOO_LARGE");
      expect(await highWatermarks(store, "t", 2)).toEqual([0, 0]);
    });

    describe("record caps (RECORD_CAPS) → 400 INVALID_RECORD naming the record, nothing written", () => {
      const headers = (count: number, value = "") =>
        Object.fromEntries(Array.from({ length: count }, (_, i) => [`h${i}`, value]));
      const cases: [string, Record<string, unknown>, string, number][] = [
        ["33 headers", { value: 1, headers: headers(33) }, "maxHeaders", 33],
        [
          "a 257-byte header name",
          { value: 1, headers: { ["n".repeat(257)]: "v" } },
          "maxHeaderNameBytes",
          257,
        ],
        // Three bytes per "€": the caps count stored UTF-8 bytes, not JavaScript's UTF-16 units.
        [
          "a header value of 8,193 bytes",
          { value: 1, headers: { h: `${"€".repeat(2731)}` } },
          "maxHeaderValueBytes",
          8193,
        ],
        [
          "65,545 bytes of headers",
          { value: 1, headers: headers(9, "x".repeat(8190)) },
          "maxHeadersBytes",
          9 * 8192,
        ],
        ["an 8,193-byte key", { key: "k".repeat(8193), value: 1 }, "maxKeyBytes", 8193],
      ];
      it.each(cases)("%s", async (_, bad, cap, actual) => {
        const { produce, createTopic, store } = setup();
        await createTopic("t", 2);
        const res = await produce("t", {
          records: [{ value: "ok", partition: 0 }, { value: 2 }, { ...bad, partition: 1 }],
        });
        const error = expectError(res, 400, "INVALID_RECORD");
        expect(error).toMatchObject({ topic: "t", index: 2, cap, actual });
        expect(error.message).toContain("record 2");
        expect(await highWatermarks(store, "t", 2)).toEqual([0, 0]);
      });

      it("records at every cap are stored", async () => {
        const { produce, createTopic, store } = setup();
        await createTopic("t");
        const atCaps = { key: "k".repeat(8192), value: 1, headers: headers(32, "x".repeat(2048 - 3)) };
        expect((await produce("t", { records: [atCaps] })).status).toBe(200);
        expect(await highWatermarks(store, "t", 1)).toEqual([1]);
      });
    });

    it(`more than ${MAX_RECORDS_PER_REQUEST} records → 413`, async () => {
      const { produce, createTopic, store } = setup();
      await createTopic("t");
      const records = Array.from({ length: MAX_RECORDS_PER_REQUEST + 1 }, () => ({ value: null }));
      expectError(await produce("t", { records }), 413, "MESSAGE_TOO_LARGE");
      expect(await highWatermarks(store, "t", 1)).toEqual([0]);
    });
  });

  describe("idempotent producer", () => {
    const producer = (epoch: number, sequences: Record<string, number>) => ({ id: "p-1", epoch, sequences });

    it("a duplicate retry answers the original offsets with duplicate: true", async () => {
      const { produce, createTopic, store } = setup();
      await createTopic("t", 2);
      const body = {
        producer: producer(0, { 0: 0, 1: 0 }),
        records: [
          { value: "a", partition: 0 },
          { value: "b", partition: 1 },
          { value: "c", partition: 0 },
        ],
      };
      const first = await produce("t", body);
      expect(first.status).toBe(200);
      const retry = await produce("t", body);
      expect(retry.status).toBe(200);
      expect(retry.body.offsets).toEqual(first.body.offsets);
      expect(retry.body.batches.map((b: { duplicate: boolean }) => b.duplicate)).toEqual([true, true]);
      expect(await highWatermarks(store, "t", 2)).toEqual([2, 1]);
      const next = await produce("t", {
        producer: producer(0, { 0: 2 }),
        records: [{ value: "d", partition: 0 }],
      });
      expect(next.body.offsets).toEqual([{ partition: 0, offset: 2 }]);
    });

    it("a retry with keyless records lands on the same partitions (no duplicate write)", async () => {
      let draw = 0;
      const { produce, createTopic, store } = setup({ random: () => [0.1, 0.9][draw++ % 2] as number });
      await createTopic("t", 4);
      const body = {
        producer: producer(0, { 0: 0, 1: 0, 2: 0, 3: 0 }),
        records: [{ value: "a" }, { value: "b" }],
      };
      const first = await produce("t", body);
      const retry = await produce("t", body);
      expect(retry.body.offsets).toEqual(first.body.offsets);
      expect(retry.body.batches.every((b: { duplicate: boolean }) => b.duplicate)).toBe(true);
      expect((await highWatermarks(store, "t", 4)).reduce((a, b) => a + b)).toBe(2);
    });

    it("a sequence gap → 409 OUT_OF_ORDER_SEQUENCE_NUMBER with expectedSequence", async () => {
      const { produce, createTopic } = setup();
      await createTopic("t");
      await produce("t", { producer: producer(0, { 0: 0 }), records: [{ value: 1 }] });
      const error = expectError(
        await produce("t", { producer: producer(0, { 0: 5 }), records: [{ value: 2 }] }),
        409,
        "OUT_OF_ORDER_SEQUENCE_NUMBER",
      );
      expect(error.expectedSequence).toBe(1);
    });

    it("a stale epoch → 403 INVALID_PRODUCER_EPOCH", async () => {
      const { produce, createTopic } = setup();
      await createTopic("t");
      expect((await produce("t", { producer: producer(2, { 0: 0 }), records: [{ value: 1 }] })).status).toBe(
        200,
      );
      expectError(
        await produce("t", { producer: producer(1, { 0: 1 }), records: [{ value: 2 }] }),
        403,
        "INVALID_PRODUCER_EPOCH",
      );
    });

    it("an unknown producer starting past 0 → 409 UNKNOWN_PRODUCER_ID", async () => {
      const { produce, createTopic } = setup();
      await createTopic("t");
      expectError(
        await produce("t", { producer: producer(0, { 0: 7 }), records: [{ value: 1 }] }),
        409,
        "UNKNOWN_PRODUCER_ID",
      );
    });
  });
});
