/**
 * @module
 * JSON fetch: offsets (numbers, earliest, latest, out of range), limits, rendering per valueFormat, and the
 * long-poll.
 */
import { encodeBatch } from "@edgelog/core";
import { describe, expect, it } from "vitest";
import { expectError, setup } from "./helpers.ts";

const path = (topic: string, partition: number | string, query = "") =>
  `/v1/topics/${topic}/partitions/${partition}/records${query}`;

async function seeded(count = 5) {
  const harness = setup();
  await harness.createTopic("t", 2);
  await harness.produce("t", {
    records: Array.from({ length: count }, (_, i) => ({
      key: `k${i}`,
      value: { i },
      headers: { h: `v${i}` },
      partition: 0,
      timestamp: 1000 + i,
    })),
  });
  return harness;
}

describe("GET …/records", () => {
  it("renders headers named like Object.prototype properties as headers", async () => {
    const harness = setup();
    await harness.createTopic("t", 1);
    // Raw JSON: an object literal with "__proto__" would set the prototype instead of a key.
    const headers = JSON.parse('{"__proto__":"a","constructor":"b","valueOf":"c"}') as Record<string, string>;
    await harness.produce("t", { records: [{ value: 1, headers, partition: 0 }] });
    const res = await harness.json("GET", path("t", 0));
    const [record] = (res.body as { records: { headers: Record<string, string> }[] }).records;
    expect(Object.entries(record?.headers ?? {})).toEqual([
      ["__proto__", "a"],
      ["constructor", "b"],
      ["valueOf", "c"],
    ]);
  });

  it("reads from the log start by default, with the fixed response shape", async () => {
    const { json } = await seeded(3);
    const res = await json("GET", path("t", 0));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      records: [0, 1, 2].map((i) => ({
        offset: i,
        key: `k${i}`,
        value: { i },
        headers: { h: `v${i}` },
        timestamp: 1000 + i,
      })),
      nextOffset: 3,
      highWatermark: 3,
      logStartOffset: 0,
    });
    expect(res.headers.get("Edgelog-High-Watermark")).toBe("3");
    expect(res.headers.get("Edgelog-Log-Start-Offset")).toBe("0");
    expect(res.headers.get("Edgelog-Next-Offset")).toBe("3");
  });

  it("skips records below the requested offset inside a batch, and caps by limit", async () => {
    const { json } = await seeded(5);
    const res = await json("GET", path("t", 0, "?offset=2&limit=2"));
    expect(res.body.records.map((r: { offset: number }) => r.offset)).toEqual([2, 3]);
    expect(res.body.nextOffset).toBe(4);
  });

  it("accepts earliest and latest; a fetch at the high watermark is empty, not an error", async () => {
    const { json } = await seeded(2);
    expect((await json("GET", path("t", 0, "?offset=earliest"))).body.records).toHaveLength(2);
    const latest = await json("GET", path("t", 0, "?offset=latest"));
    expect(latest.status).toBe(200);
    expect(latest.body).toMatchObject({ records: [], nextOffset: 2, highWatermark: 2 });
    const atEnd = await json("GET", path("t", 0, "?offset=2"));
    expect(atEnd.body.records).toEqual([]);
  });

  it("an offset outside [logStartOffset, highWatermark] → 416 OFFSET_OUT_OF_RANGE", async () => {
    const { json, store } = await seeded(4);
    expectError(await json("GET", path("t", 0, "?offset=5")), 416, "OFFSET_OUT_OF_RANGE");
    expectError(await json("GET", path("t", 0, "?offset=-1")), 416, "OFFSET_OUT_OF_RANGE");
    await store.deleteRecords({ topic: "t", partition: 0 }, 2);
    const error = expectError(await json("GET", path("t", 0, "?offset=1")), 416, "OFFSET_OUT_OF_RANGE");
    expect(error).toMatchObject({ logStartOffset: 2, highWatermark: 4 });
    const res = await json("GET", path("t", 0));
    expect(res.body.records.map((r: { offset: number }) => r.offset)).toEqual([2, 3]);
    expect(res.body.logStartOffset).toBe(2);
  });

  it("rejects malformed parameters with 400 INVALID_REQUEST", async () => {
    const { json } = await seeded(1);
    for (const query of [
      "?offset=abc",
      "?offset=1.5",
      "?limit=0",
      "?limit=10001",
      "?limit=x",
      "?wait=-1",
      "?wait=soon",
      "?valueFormat=xml",
    ]) {
      expectError(await json("GET", path("t", 0, query)), 400, "INVALID_REQUEST");
    }
    expectError(await json("GET", path("t", "x")), 400, "INVALID_REQUEST");
  });

  it("unknown partitions and topics → 404 UNKNOWN_TOPIC_OR_PARTITION", async () => {
    const { json } = await seeded(1);
    expectError(await json("GET", path("t", 2)), 404, "UNKNOWN_TOPIC_OR_PARTITION");
    expectError(await json("GET", path("t", -1)), 404, "UNKNOWN_TOPIC_OR_PARTITION");
    expectError(await json("GET", path("nope", 0)), 404, "UNKNOWN_TOPIC_OR_PARTITION");
  });

  describe("rendering", () => {
    async function withValues() {
      const harness = setup();
      await harness.createTopic("t");
      const bytes = (s: string) => new TextEncoder().encode(s);
      const batch = encodeBatch([
        { key: null, value: bytes('{"a":1}'), headers: [], timestamp: 1 },
        {
          key: bytes("k"),
          value: bytes("not json"),
          headers: [
            { key: "h", value: bytes("1") },
            { key: "h", value: bytes("2") },
          ],
          timestamp: 1,
        },
        { key: new Uint8Array([0xff]), value: new Uint8Array([0xc3, 0x28]), headers: [], timestamp: 1 },
        { key: null, value: null, headers: [{ key: "n", value: null }], timestamp: 1 },
      ]);
      await harness.store.append({ topic: "t", partition: 0 }, batch);
      return harness;
    }

    it("json (default): parses JSON, falls back to text, then base64; null stays null", async () => {
      const { json } = await withValues();
      const { records } = (await json("GET", path("t", 0))).body;
      expect(records[0]).toMatchObject({ key: null, value: { a: 1 }, headers: {} });
      expect(records[0]).not.toHaveProperty("valueFormat");
      expect(records[1]).toMatchObject({
        key: "k",
        value: "not json",
        valueFormat: "text",
        headers: { h: "2" },
      });
      expect(records[2]).toMatchObject({
        key: "/w==",
        keyFormat: "base64",
        value: "wyg=",
        valueFormat: "base64",
      });
      expect(records[3]).toMatchObject({ value: null, headers: { n: null } });
    });

    it("text renders UTF-8 text (base64 when not UTF-8); base64 renders every value as base64", async () => {
      const { json } = await withValues();
      const text = (await json("GET", path("t", 0, "?valueFormat=text"))).body.records;
      expect(text.map((r: { value: unknown }) => r.value)).toEqual(['{"a":1}', "not json", "wyg=", null]);
      expect(text[2].valueFormat).toBe("base64");
      const base64 = (await json("GET", path("t", 0, "?valueFormat=base64"))).body.records;
      expect(base64.map((r: { value: unknown }) => r.value)).toEqual([
        "eyJhIjoxfQ==",
        "bm90IGpzb24=",
        "wyg=",
        null,
      ]);
    });

    it("round-trips values produced with each valueFormat", async () => {
      const { json, createTopic, produce } = setup();
      await createTopic("rt");
      await produce("rt", { valueFormat: "base64", records: [{ value: "AAEC" }] });
      await produce("rt", { valueFormat: "text", records: [{ value: "hello" }] });
      await produce("rt", { records: [{ value: [1, { b: true }] }] });
      const records = (await json("GET", path("rt", 0, "?valueFormat=base64"))).body.records;
      expect(records[0].value).toBe("AAEC");
      const all = (await json("GET", path("rt", 0))).body.records;
      expect(all[1]).toMatchObject({ value: "hello", valueFormat: "text" });
      expect(all[2].value).toEqual([1, { b: true }]);
    });
  });

  describe("long-poll", () => {
    it("returns as soon as a record arrives", async () => {
      const { json, createTopic, produce } = setup();
      await createTopic("t");
      const started = Date.now();
      const pending = json("GET", path("t", 0, "?offset=0&wait=5000"));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await produce("t", { records: [{ value: "late" }] });
      const res = await pending;
      expect(res.body.records.map((r: { value: unknown }) => r.value)).toEqual(["late"]);
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it("times out with an empty list", async () => {
      const { json, createTopic } = setup();
      await createTopic("t");
      const started = Date.now();
      const res = await json("GET", path("t", 0, "?wait=100"));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ records: [], nextOffset: 0, highWatermark: 0 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    });
  });
});
