/**
 * @module
 * How `consume` prints a record: kcat-style templates (`%k %v %p %o`, with `\n`-style escapes) rendered to bytes
 * — a value is written as the bytes it was stored as, not re-encoded — or `json`, one object a line.
 */
import type { RecordHeader } from "@edgelog/core";
import { usageError } from "./exit-codes.ts";

/** A consumed record as the formats see it. */
export interface PrintedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: readonly RecordHeader[];
}

export type Formatter = (record: PrintedRecord) => Uint8Array;

/** The default: the value and a newline, as kcat and kafka-console-consumer print. */
export const DEFAULT_TEMPLATE = "%v\\n";

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const EMPTY = new Uint8Array(0);

type Field = (record: PrintedRecord) => Uint8Array;

/** The template tokens: kcat's, with `%v` as an alias of kcat's `%s`. */
const TOKENS: ReadonlyMap<string, Field> = new Map<string, Field>([
  ["t", (r) => utf8.encode(r.topic)],
  ["p", (r) => utf8.encode(String(r.partition))],
  ["o", (r) => utf8.encode(String(r.offset))],
  ["T", (r) => utf8.encode(String(r.timestamp))],
  ["k", (r) => r.key ?? EMPTY],
  ["K", (r) => utf8.encode(String(r.key === null ? -1 : r.key.byteLength))],
  ["s", (r) => r.value ?? EMPTY],
  ["v", (r) => r.value ?? EMPTY],
  ["S", (r) => utf8.encode(String(r.value === null ? -1 : r.value.byteLength))],
  ["h", (r) => utf8.encode(renderHeaders(r.headers))],
  ["%", () => utf8.encode("%")],
]);

const ESCAPES: ReadonlyMap<string, string> = new Map([
  ["n", "\n"],
  ["t", "\t"],
  ["r", "\r"],
  ["0", "\0"],
  ["\\", "\\"],
]);

/** A flag's text with the template escapes applied (`--key-separator '\t'` is a tab). */
export function decodeEscapes(text: string, flagName: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (char !== "\\") {
      out += char;
      continue;
    }
    const escaped = ESCAPES.get(text[i + 1] ?? "");
    if (escaped === undefined) throw unknownEscape(text[i + 1], flagName);
    out += escaped;
    i++;
  }
  return out;
}

function unknownEscape(next: string | undefined, flagName: string): Error {
  return usageError(`unknown escape "\\${next ?? ""}" in --${flagName} (supported: \\n \\t \\r \\0 \\\\)`);
}

/** `json` or a template; anything else is a usage error naming the bad token. */
export function createFormatter(format: string): Formatter {
  return format === "json" ? formatJson : compileTemplate(format);
}

/** Compiles a template once into literal byte runs and field readers. */
export function compileTemplate(template: string): Formatter {
  const parts: (Uint8Array | Field)[] = [];
  let literal = "";
  const flushLiteral = (): void => {
    if (literal !== "") parts.push(utf8.encode(literal));
    literal = "";
  };
  for (let i = 0; i < template.length; i++) {
    const char = template[i] as string;
    const next = template[i + 1];
    if (char === "%") {
      const field = next === undefined ? undefined : TOKENS.get(next);
      if (field === undefined) {
        throw usageError(
          `unknown format token "%${next ?? ""}" (supported: %t %p %o %T %k %K %v %s %S %h %%)`,
        );
      }
      flushLiteral();
      parts.push(field);
      i++;
    } else if (char === "\\") {
      const escaped = next === undefined ? undefined : ESCAPES.get(next);
      if (escaped === undefined) throw unknownEscape(next, "format");
      literal += escaped;
      i++;
    } else {
      literal += char;
    }
  }
  flushLiteral();
  return (record) => {
    const chunks = parts.map((part) => (part instanceof Uint8Array ? part : part(record)));
    return concat(chunks);
  };
}

/** One JSON object and a newline; keys, values and header values that are not UTF-8 are given as base64. */
export function formatJson(record: PrintedRecord): Uint8Array {
  const key = textOrBase64(record.key);
  const value = textOrBase64(record.value);
  const object: Record<string, unknown> = {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: key.text,
    value: value.text,
    headers: record.headers.map((h) => {
      const v = textOrBase64(h.value);
      return v.base64 ? { key: h.key, value: v.text, encoding: "base64" } : { key: h.key, value: v.text };
    }),
  };
  if (key.base64) object.keyEncoding = "base64";
  if (value.base64) object.valueEncoding = "base64";
  return utf8.encode(`${JSON.stringify(object)}\n`);
}

/** kcat's `%h`: `k=v` pairs joined by commas, in order (a null value prints as the key alone). */
function renderHeaders(headers: readonly RecordHeader[]): string {
  return headers
    .map((h) => (h.value === null ? h.key : `${h.key}=${new TextDecoder().decode(h.value)}`))
    .join(",");
}

function textOrBase64(bytes: Uint8Array | null): { text: string | null; base64: boolean } {
  if (bytes === null) return { text: null, base64: false };
  try {
    return { text: strictUtf8.decode(bytes), base64: false };
  } catch {
    return { text: Buffer.from(bytes).toString("base64"), base64: true };
  }
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  let length = 0;
  for (const chunk of chunks) length += chunk.byteLength;
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
