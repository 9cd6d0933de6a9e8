import { describe, expect, it } from "vitest";
import type { ConsoleRecord } from "./console-record.ts";
import { compileFilter, NO_FILTER } from "./record-filter.ts";

function record(fields: Partial<ConsoleRecord>): ConsoleRecord {
  return {
    partition: 0,
    offset: 0,
    timestamp: 0,
    key: null,
    value: null,
    headers: {},
    sizeChars: 0,
    ...fields,
  };
}

describe("record filters", () => {
  it("filters nothing when empty", () => {
    expect(compileFilter(NO_FILTER)).toBeNull();
    expect(compileFilter({ ...NO_FILTER, value: "   " })).toBeNull();
  });

  it("matches keys exactly or by prefix; a record without a key never matches", () => {
    const exact = compileFilter({ ...NO_FILTER, key: "user-1" });
    const prefix = compileFilter({ ...NO_FILTER, key: "user-1", keyMatch: "prefix" });
    expect(exact?.(record({ key: "user-1" }))).toBe(true);
    expect(exact?.(record({ key: "user-10" }))).toBe(false);
    expect(prefix?.(record({ key: "user-10" }))).toBe(true);
    expect(prefix?.(record({ key: null }))).toBe(false);
  });

  it("searches the value's text: JSON as sent, text as text, never binary", () => {
    const filter = compileFilter({ ...NO_FILTER, value: '"total":4' });
    expect(filter?.(record({ value: { total: 42 } }))).toBe(true);
    expect(filter?.(record({ value: '"total":4', valueFormat: "text" }))).toBe(true);
    expect(filter?.(record({ value: "InRvdGFsIjo0", valueFormat: "base64" }))).toBe(false);
    expect(filter?.(record({ value: null }))).toBe(false);
  });

  it("runs a JSON path on JSON values only, and throws for a bad one", () => {
    const filter = compileFilter({ ...NO_FILTER, value: "$.total > 10", valueMatch: "jsonpath" });
    expect(filter?.(record({ value: { total: 42 } }))).toBe(true);
    expect(filter?.(record({ value: { total: 4 } }))).toBe(false);
    expect(filter?.(record({ value: '{"total":42}', valueFormat: "text" }))).toBe(false);
    expect(() => compileFilter({ ...NO_FILTER, value: "$.total >", valueMatch: "jsonpath" })).toThrow(
      "JSON path: expected",
    );
  });

  it("survives a value nested deeper than JSON.stringify can go", () => {
    const deep = JSON.parse(`${"[".repeat(20_000)}${"]".repeat(20_000)}`);
    expect(compileFilter({ ...NO_FILTER, value: "[[" })?.(record({ value: deep }))).toBe(false);
  });

  it("needs every part to match", () => {
    const filter = compileFilter({ key: "a", keyMatch: "prefix", value: "$.ok", valueMatch: "jsonpath" });
    expect(filter?.(record({ key: "ab", value: { ok: true } }))).toBe(true);
    expect(filter?.(record({ key: "b", value: { ok: true } }))).toBe(false);
    expect(filter?.(record({ key: "ab", value: {} }))).toBe(false);
  });
});
