import { describe, expect, it } from "vitest";
import { produceBody } from "./produce-body.ts";

const fields = { key: "", value: "1", kind: "json" as const, headers: [], partition: null };

describe("the produce form's request", () => {
  it("sends JSON parsed, text as text, no key as null, and a chosen partition", () => {
    expect(produceBody({ ...fields, key: "user-1", value: '{ "total": 42 }' })).toEqual({
      records: [{ key: "user-1", value: { total: 42 } }],
      valueFormat: "json",
    });
    expect(produceBody({ ...fields, value: "not { json", kind: "text", partition: 2 })).toEqual({
      records: [{ key: null, value: "not { json", partition: 2 }],
      valueFormat: "text",
    });
  });

  it("keeps every header name an own member, and skips blank rows", () => {
    const body = produceBody({
      ...fields,
      headers: [
        { name: "__proto__", value: "x" },
        { name: "constructor", value: "y" },
        { name: "", value: "ignored" },
      ],
    }) as { records: { headers: object }[] };
    const headers = body.records[0]?.headers ?? {};
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
    expect(Object.entries(headers)).toEqual([
      ["__proto__", "x"],
      ["constructor", "y"],
    ]);
    expect(JSON.parse(JSON.stringify(body)).records[0].headers).toEqual(
      JSON.parse('{"__proto__":"x","constructor":"y"}'),
    );
  });

  it("refuses what the server would, before sending", () => {
    expect(() => produceBody({ ...fields, value: "{oops" })).toThrow("The value is not JSON");
    expect(() =>
      produceBody({
        ...fields,
        headers: [
          { name: "a", value: "1" },
          { name: "a", value: "2" },
        ],
      }),
    ).toThrow('The header "a" is named twice.');
  });
});
