import { describe, expect, it } from "vitest";
import {
  compileTemplate,
  createFormatter,
  decodeEscapes,
  formatJson,
  type PrintedRecord,
} from "../src/template.ts";

const utf8 = new TextEncoder();
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8");
const record = (overrides: Partial<PrintedRecord> = {}): PrintedRecord => ({
  topic: "orders",
  partition: 2,
  offset: 41,
  timestamp: 1_700_000_000_000,
  key: utf8.encode("user-1"),
  value: utf8.encode("created"),
  headers: [
    { key: "source", value: utf8.encode("web") },
    { key: "source", value: utf8.encode("app") },
    { key: "trace", value: null },
  ],
  ...overrides,
});

describe("templates", () => {
  it("renders every supported token", () => {
    const format = compileTemplate("%t|%p|%o|%T|%k|%K|%v|%s|%S|%h|%%");
    expect(text(format(record()))).toBe(
      "orders|2|41|1700000000000|user-1|6|created|created|7|source=web,source=app,trace|%",
    );
  });

  it("applies escapes and keeps literal text, including non-ASCII", () => {
    const format = compileTemplate("é %k\\t%v\\r\\n\\0\\\\");
    expect(text(format(record()))).toBe("é user-1\tcreated\r\n\0\\");
  });

  it("prints null keys and values as nothing, their sizes as -1", () => {
    const format = compileTemplate("[%k][%v] %K %S\\n");
    expect(text(format(record({ key: null, value: null })))).toBe("[][] -1 -1\n");
  });

  it("writes values as their exact bytes, not re-encoded", () => {
    const value = new Uint8Array([0xff, 0x00, 0xfe, 0x0a]);
    expect([...compileTemplate("%v")(record({ value }))]).toEqual([...value]);
  });

  it("defaults to the value and a newline", () => {
    expect(text(createFormatter("%v\\n")(record()))).toBe("created\n");
  });

  it.each(["%x", "%", "abc%", "\\q", "\\"])("refuses %j as a usage error", (template) => {
    expect(() => compileTemplate(template)).toThrow(expect.objectContaining({ code: "INVALID_REQUEST" }));
  });

  it("decodes escapes in flags such as --key-separator", () => {
    expect(decodeEscapes("\\t", "key-separator")).toBe("\t");
    expect(decodeEscapes("::", "key-separator")).toBe("::");
    expect(() => decodeEscapes("\\z", "key-separator")).toThrow(/--key-separator/);
  });
});

describe("json", () => {
  it("prints one object a line with every field, headers in order", () => {
    const line = text(formatJson(record()));
    expect(line.endsWith("\n")).toBe(true);
    expect(line.split("\n")).toHaveLength(2);
    expect(JSON.parse(line)).toEqual({
      topic: "orders",
      partition: 2,
      offset: 41,
      timestamp: 1_700_000_000_000,
      key: "user-1",
      value: "created",
      headers: [
        { key: "source", value: "web" },
        { key: "source", value: "app" },
        { key: "trace", value: null },
      ],
    });
  });

  it("gives bytes that are not UTF-8 as base64 and says so", () => {
    const parsed = JSON.parse(
      text(
        formatJson(
          record({
            key: null,
            value: new Uint8Array([0xff, 0xfe]),
            headers: [{ key: "__proto__", value: new Uint8Array([0xc3]) }],
          }),
        ),
      ),
    );
    expect(parsed).toMatchObject({ key: null, value: "//4=", valueEncoding: "base64" });
    expect(parsed.keyEncoding).toBeUndefined();
    expect(parsed.headers).toEqual([{ key: "__proto__", value: "ww==", encoding: "base64" }]);
  });

  it("escapes newlines inside values, so one record stays one line", () => {
    const line = text(formatJson(record({ value: utf8.encode("a\nb") })));
    expect(line.split("\n")).toHaveLength(2);
    expect(JSON.parse(line).value).toBe("a\nb");
  });
});
