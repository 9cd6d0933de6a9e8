import { EdgeLogError } from "@edgelog/core";
import { describe, expect, it } from "vitest";
import { MAX_EXPRESSION_CHARS, parseJsonPath } from "./json-path.ts";

const order = {
  user: { id: 42, name: "Ada", tags: ["vip", "beta"] },
  items: [
    { sku: "A1", qty: 2, price: 9.5 },
    { sku: "B7", qty: 1, price: 120 },
  ],
  note: null,
  "odd key": "yes",
};

const matches = (expression: string, value: unknown = order) => parseJsonPath(expression).matches(value);

function parseError(expression: string): EdgeLogError {
  try {
    parseJsonPath(expression);
  } catch (error) {
    if (error instanceof EdgeLogError) return error;
    throw error;
  }
  throw new Error(`"${expression}" parsed`);
}

describe("JSON path filters", () => {
  it("compares members, elements and wildcards", () => {
    expect(matches("$.user.id == 42")).toBe(true);
    expect(matches("$.user.id == 42.0")).toBe(true);
    expect(matches("$.user.id == '42'")).toBe(false);
    expect(matches("$.user.id != 41")).toBe(true);
    expect(matches('$.user.name == "Ada"')).toBe(true);
    expect(matches("$.items[1].sku == 'B7'")).toBe(true);
    expect(matches("$.items[2].sku == 'B7'")).toBe(false);
    expect(matches("$.items[*].price > 100")).toBe(true);
    expect(matches("$.items[*].price > 200")).toBe(false);
    expect(matches("$.items.*.qty >= 2")).toBe(true);
    expect(matches("$.user.tags[*] == 'beta'")).toBe(true);
    expect(matches("$['odd key'] == 'yes'")).toBe(true);
    expect(matches("$.user.name ~= 'd'")).toBe(true);
    expect(matches("$.user.name < 'B'")).toBe(true);
    expect(matches("$.user.id <= 42 && $.user.name == 'Ada'")).toBe(true);
    expect(matches("$.user.id <= 42 && $.user.name == 'Bob'")).toBe(false);
  });

  it("treats a bare path as a test for presence, null included", () => {
    expect(matches("$.note")).toBe(true);
    expect(matches("$.note == null")).toBe(true);
    expect(matches("$.missing")).toBe(false);
    expect(matches("$")).toBe(true);
    expect(matches("$ == null", null)).toBe(true);
  });

  it("never compares across types, and containers equal nothing", () => {
    expect(matches("$.user == null")).toBe(false);
    expect(matches("$.user.id > '4'")).toBe(false);
    expect(matches("$.user.tags ~= 'vip'")).toBe(false);
    expect(matches("$.user.id", "not an object")).toBe(false);
    expect(matches("$[0] == 1", [1, 2])).toBe(true);
    expect(matches("$.length == 2", [1, 2])).toBe(false);
  });

  it("finds only own members: prototype names are ordinary keys", () => {
    expect(matches("$.constructor")).toBe(false);
    expect(matches("$.toString")).toBe(false);
    expect(matches("$['__proto__'] == 1", JSON.parse('{"__proto__": 1}'))).toBe(true);
    expect(matches("$.valueOf == 'x'", { valueOf: "x" })).toBe(true);
  });

  it("refuses bad expressions with the position of the mistake", () => {
    expect(parseError("user.id == 1").message).toBe(
      'JSON path: expected a path starting with "$" at 1, found "user.id "',
    );
    expect(parseError("$.user.").message).toContain("at 8, found the end");
    expect(parseError("$.user.id = 1").message).toContain('expected an operator, "&&" or the end at 11');
    expect(parseError("$.a == ").message).toContain("a number, a string, true, false or null");
    expect(parseError("$.a ~= 3").message).toContain('a string after "~="');
    expect(parseError("$.a > true").message).toContain('a number or a string after ">"');
    expect(parseError("$['a").message).toContain("a closed string at 3");
    expect(parseError("$[x]").message).toContain("an index, a quoted name or *");
    expect(parseError("$.a == 1 &&").message).toContain('a path starting with "$"');
    expect(parseError("$.a == 1 1").code).toBe("INVALID_REQUEST");
  });

  it("bounds what one expression may cost", () => {
    expect(parseError("$.a".repeat(40)).message).toContain("at most 32 path steps");
    expect(parseError(Array(10).fill("$.a").join(" && ")).message).toContain("at most 8 comparisons");
    expect(parseError(`$.a == '${"x".repeat(MAX_EXPRESSION_CHARS)}'`).message).toContain("at most 512");
    // A wildcard over a huge value looks at a bounded number of candidates, so a match past them is missed.
    const wide = Array.from({ length: 20_000 }, (_, i) => i);
    expect(matches("$[*] == 5", wide)).toBe(true);
    expect(matches("$[*] == 15000", wide)).toBe(false);
  });
});
