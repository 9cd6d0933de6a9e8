/**
 * @module
 * A record value nested deeper than the JSON rendering allows (here 10,000 levels, stored as text or as a raw
 * batch) must not break the JSON fetch or the SSE tail (share-group acquires render through the same
 * `renderRecord`): it renders as its text with `valueFormat: "text"`, and a JSON produce of such a value is refused
 * with 400 rather than a 500.
 */
import { encodeBatch } from "@edgelog/core";
import { describe, expect, it } from "vitest";
import { MAX_RENDERED_JSON_DEPTH } from "../src/json-records.ts";
import { expectError, setup } from "./helpers.ts";

const DEEP = 10_000;
const deepArray = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
const path = (query = "") => `/v1/topics/t/partitions/0/records${query}`;

async function seededWithDeepValues() {
  const harness = setup();
  await harness.createTopic("t");
  const bytes = (s: string) => new TextEncoder().encode(s);
  const values = [
    deepArray(DEEP),
    deepObject(DEEP),
    // Brackets inside strings do not nest: this one is shallow and stays JSON.
    JSON.stringify({ s: "[".repeat(DEEP) }),
    deepArray(MAX_RENDERED_JSON_DEPTH),
    deepArray(MAX_RENDERED_JSON_DEPTH + 1),
  ];
  await harness.store.append(
    { topic: "t", partition: 0 },
    encodeBatch(values.map((v) => ({ key: null, value: bytes(v), headers: [], timestamp: 1 }))),
  );
  return { ...harness, values };
}

describe("values nested too deep to render as JSON", () => {
  it("the JSON fetch renders them as text, and everything else as before", async () => {
    const { json, values } = await seededWithDeepValues();
    const res = await json("GET", path());
    expect(res.status).toBe(200);
    const records = res.body.records as { value: unknown; valueFormat?: string }[];
    expect(records[0]).toMatchObject({ value: values[0], valueFormat: "text" });
    expect(records[1]).toMatchObject({ value: values[1], valueFormat: "text" });
    expect(records[2]).toMatchObject({ value: { s: "[".repeat(DEEP) } });
    expect(records[2]).not.toHaveProperty("valueFormat");
    expect(records[3]).not.toHaveProperty("valueFormat");
    expect(records[4]).toMatchObject({ value: values[4], valueFormat: "text" });
    // valueFormat=text and base64 never parse: unchanged.
    const text = (await json("GET", path("?valueFormat=text"))).body.records as { value: unknown }[];
    expect(text[0]?.value).toBe(values[0]);
  });

  it("the SSE tail sends them as text", async () => {
    const { call, values } = await seededWithDeepValues();
    const res = await call("GET", path("?offset=0"), undefined, { Accept: "text/event-stream" });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    while (!buffer.includes("\n\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
    }
    await reader.cancel();
    const data = /^data: (.*)$/m.exec(buffer.slice(0, buffer.indexOf("\n\n")))?.[1] as string;
    const { records } = JSON.parse(data) as { records: { value: unknown; valueFormat?: string }[] };
    expect(records[0]).toMatchObject({ value: values[0], valueFormat: "text" });
    expect(records[1]).toMatchObject({ value: values[1], valueFormat: "text" });
  });

  it("a JSON produce of such a value is a 400, never a 500", async () => {
    const { call, json, createTopic } = setup();
    await createTopic("t");
    const res = await call("POST", "/v1/topics/t/records", `{"records":[{"value":${deepArray(DEEP)}}]}`);
    const body = await res.json();
    expectError({ status: res.status, body }, 400, "INVALID_RECORD");
    // As text it is stored, and reads back as the same text.
    const stored = await json("POST", "/v1/topics/t/records", {
      valueFormat: "text",
      records: [{ value: deepArray(DEEP) }],
    });
    expect(stored.status).toBe(200);
    const read = await json("GET", path());
    expect(read.body.records[0]).toMatchObject({ value: deepArray(DEEP), valueFormat: "text" });
  });
});
