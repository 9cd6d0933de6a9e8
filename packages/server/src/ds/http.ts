/**
 * @module
 * What every `/ds` handler shares: the request it works on, plain-text answers, the body (within the API's
 * size limit), the `Stream-Closed` flag and message parsing that answers 400 instead of throwing.
 */
import { isEdgeLogError, type LogRecord } from "@edgelog/core";
import type { Context } from "hono";
import type { AppEnv } from "../context.ts";
import { bodyTooLarge, MAX_BODY_BYTES } from "../limits.ts";
import type { StreamStore } from "./streams.ts";
import { recordsFromBody } from "./wire.ts";

/** How long a long-poll (or an idle SSE stream between keep-alives) waits for data by default. */
export const DEFAULT_DS_LONG_POLL_TIMEOUT_MS = 20_000;
/** SSE connections end after about this long, so CDNs can collapse them; clients resume from the last offset. */
export const DEFAULT_DS_SSE_MAX_CONNECTION_MS = 60_000;

export interface DurableStreamsOptions {
  readonly longPollTimeoutMs: number;
  readonly sseMaxConnectionMs: number;
}

export type Ctx = Context<AppEnv>;

export interface StreamRequest {
  readonly c: Ctx;
  readonly store: StreamStore;
  readonly url: URL;
  /** The stream path: the URL path after `/ds/`, as sent. */
  readonly path: string;
  readonly topic: string;
  readonly now: number;
  readonly options: DurableStreamsOptions;
}

export function text(status: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(message, {
    status,
    headers: { "Content-Type": "text/plain; charset=utf-8", ...headers },
  });
}

export const bad = (message: string): Response => text(400, message);

/** The request body; larger than the API's `MAX_BODY_BYTES` → 413 (declared sizes refused before reading). */
export async function body(c: Ctx): Promise<Uint8Array> {
  if (Number(c.req.header("Content-Length")) > MAX_BODY_BYTES) throw bodyTooLarge();
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.byteLength > MAX_BODY_BYTES) throw bodyTooLarge();
  return bytes;
}

/** `Stream-Closed`: only `true` (any case) counts (§C3). */
export function isTrue(value: string | undefined): boolean {
  return value !== undefined && value.trim().toLowerCase() === "true";
}

/** The body's records, or a 400 when a JSON body is invalid (or an empty array on append). */
export function records(
  bytes: Uint8Array,
  contentType: string,
  now: number,
  creating: boolean,
): LogRecord[] | Response {
  try {
    return recordsFromBody(bytes, contentType, now, creating);
  } catch (error) {
    if (isEdgeLogError(error)) return bad(error.message);
    throw error;
  }
}

/** Strong ETag of a read: the topic's incarnation, the range and whether it reached a closed end. */
export function etag(topicId: string, start: string, end: number, closedAtEnd: boolean): string {
  return `"${topicId}:${start}:${end}${closedAtEnd ? ":c" : ""}"`;
}
