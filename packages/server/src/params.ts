/**
 * @module
 * Parsing of path segments, query parameters and JSON bodies. Every malformed input becomes an `EdgeLogError`
 * with a 4xx code here, so route handlers only see well-typed values and a bad request is never a 500.
 */
import type { TopicMetadata } from "@edgelog/core";
import { assertPartitionExists } from "@edgelog/core/store-kit";
import type { Context } from "hono";
import { invalidRequest } from "./errors.ts";

const INTEGER = /^-?\d{1,16}$/;

/** A base-10 integer string (at most 16 digits, so it stays a safe integer), or `null` when it is not one. */
export function parseInteger(text: string): number | null {
  if (!INTEGER.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : null;
}

/** An optional integer query parameter; present but not an integer → 400. */
export function integerQuery(c: Context, name: string): number | undefined {
  const text = c.req.query(name);
  if (text === undefined) return undefined;
  const value = parseInteger(text);
  if (value === null) throw invalidRequest(`query parameter "${name}" must be an integer`, { [name]: text });
  return value;
}

/** The `{p}` path segment as a partition of `metadata`: not a number → 400; not a partition → 404. */
export function requirePartition(metadata: TopicMetadata, text: string): number {
  const partition = parseInteger(text);
  if (partition === null) {
    throw invalidRequest(`partition must be an integer, got "${text}"`, { topic: metadata.name });
  }
  assertPartitionExists(metadata.name, partition, metadata.partitions);
  return partition;
}

/** The request body parsed as JSON; an empty or malformed body is a 400 `INVALID_REQUEST`. */
export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalidRequest(text.length === 0 ? "request body is empty; expected JSON" : "malformed JSON body");
  }
}

/** The request body as a JSON object (not an array, not null); anything else is a 400. */
export async function readJsonObject(c: Context): Promise<Record<string, unknown>> {
  const body = await readJson(c);
  if (!isPlainObject(body)) throw invalidRequest("request body must be a JSON object");
  return body;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The bounds of a fetch's `offset`: a number, `earliest` or `latest`; omitted → `fallback`. */
export type OffsetSpec = number | "earliest" | "latest";

export function offsetQuery(c: Context, fallback: OffsetSpec): OffsetSpec {
  const text = c.req.query("offset");
  if (text === undefined || text === "") return fallback;
  if (text === "earliest" || text === "latest") return text;
  const value = parseInteger(text);
  if (value === null) {
    throw invalidRequest('query parameter "offset" must be an integer, "earliest" or "latest"', {
      value: text,
    });
  }
  return value;
}

/** Resolves an `OffsetSpec` against a partition's bounds; the store range-checks numbers (416). */
export function resolveOffset(
  spec: OffsetSpec,
  bounds: { logStartOffset: number; highWatermark: number },
): number {
  if (spec === "earliest") return bounds.logStartOffset;
  if (spec === "latest") return bounds.highWatermark;
  return spec;
}

/** A path parameter of the matched route (always present once the route matched). */
export function pathParam(c: Context, name: string): string {
  return c.req.param(name) ?? "";
}
