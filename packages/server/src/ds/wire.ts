/**
 * @module
 * The Durable Streams wire format (docs/semantics.md §C): header names, the headers every response
 * carries (browser security, CORS), the long-poll cursor, SSE framing, and message bodies ⇄ records — JSON
 * streams keep one record per JSON value (an array POST is flattened one level), every other stream keeps one
 * record per append with the body's bytes.
 */
import { EdgeLogError, type LogRecord } from "@edgelog/core";
import { mediaType } from "@edgelog/core/store-kit";
import { applyCors } from "../cors.ts";

export const H = {
  nextOffset: "Stream-Next-Offset",
  upToDate: "Stream-Up-To-Date",
  closed: "Stream-Closed",
  cursor: "Stream-Cursor",
  seq: "Stream-Seq",
  ttl: "Stream-TTL",
  expiresAt: "Stream-Expires-At",
  sseEncoding: "Stream-SSE-Data-Encoding",
  forkedFrom: "Stream-Forked-From",
  forkOffset: "Stream-Fork-Offset",
  forkSubOffset: "Stream-Fork-Sub-Offset",
  producerId: "Producer-Id",
  producerEpoch: "Producer-Epoch",
  producerSeq: "Producer-Seq",
  expectedSeq: "Producer-Expected-Seq",
  receivedSeq: "Producer-Received-Seq",
} as const;

/**
 * Catch-up and long-poll data that reaches the tail (or is not cacheable for another reason): a cache may keep it
 * but must ask again, by ETag, before each use (§C9). A chunk below the tail says how long it may be kept
 * (`read-cache/answer.ts`), never longer than its records are certain to exist.
 */
export const REVALIDATE = "no-cache";
export const NO_STORE = "no-store";

/**
 * Adds what every `/ds` response carries: `nosniff` and a resource policy (§C10), and the app's one CORS rule
 * (`cors.ts`), the same as `/v1`'s: a disallowed origin gets no CORS headers.
 */
export function withStreamHeaders(
  response: Response,
  origin: string | undefined,
  allowed: string | undefined,
  preflight: boolean,
): Response {
  const headers = response.headers;
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("Cross-Origin-Resource-Policy", "cross-origin");
  applyCors(headers, origin, allowed, preflight);
  return response;
}

// ── SSE ──────────────────────────────────────────────────────────────────────────────────────────────────────

/** One SSE event; every line of the payload (split on CR, LF and CRLF) gets its own `data:`, so no injection. */
export function sseEvent(event: "data" | "control", payload: string): string {
  return `event: ${event}\n${payload
    .split(/\r\n|\r|\n/)
    .map((line) => `data:${line}`)
    .join("\n")}\n\n`;
}

/** Text streams and JSON go as UTF-8 over SSE; anything else as base64 (§C5). */
export function isTextual(contentType: string): boolean {
  const type = mediaType(contentType);
  return type.startsWith("text/") || type === "application/json";
}

export function isJson(contentType: string): boolean {
  return mediaType(contentType) === "application/json";
}

// ── bodies ⇄ records ─────────────────────────────────────────────────────────────────────────────────────────

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

function badJson(message: string): EdgeLogError {
  return new EdgeLogError("INVALID_RECORD", message);
}

/**
 * The records an append (or a create's initial body) becomes. JSON: one record per value, an array flattened
 * one level (`[]` is an error except at creation); anything else: one record holding the body.
 */
export function recordsFromBody(
  body: Uint8Array,
  contentType: string,
  nowMs: number,
  creating: boolean,
): LogRecord[] {
  if (body.byteLength === 0) return [];
  const record = (value: Uint8Array): LogRecord => ({ key: null, value, headers: [], timestamp: nowMs });
  if (!isJson(contentType)) return [record(body)];
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8Decoder.decode(body));
  } catch {
    throw badJson("the body is not valid JSON");
  }
  if (!Array.isArray(parsed)) return [record(utf8Encoder.encode(JSON.stringify(parsed)))];
  if (parsed.length === 0 && !creating) throw badJson("an empty JSON array appends nothing");
  return parsed.map((value) => record(utf8Encoder.encode(JSON.stringify(value))));
}

/** A JSON stream's records as one JSON array; a value that is not JSON (written over /v1) becomes a string. */
export function jsonArrayOf(values: readonly (Uint8Array | null)[]): string {
  const items = values.map((value) => {
    if (value === null) return "null";
    const text = utf8Decoder.decode(value);
    try {
      JSON.parse(text);
      return text;
    } catch {
      return JSON.stringify(text);
    }
  });
  return `[${items.join(",")}]`;
}

export function concatBytes(values: readonly (Uint8Array | null)[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const value of values) length += value?.byteLength ?? 0;
  const out = new Uint8Array(length);
  let at = 0;
  for (const value of values) {
    if (value === null) continue;
    out.set(value, at);
    at += value.byteLength;
  }
  return out;
}
