/**
 * @module
 * What every `/ds` handler shares: the request it works on, plain-text answers (a service's refusal among them),
 * the body (within the API's size limit) and the `Stream-Closed` flag.
 */
import type { Context } from "hono";
import type { AppEnv } from "../context.ts";
import { bodyTooLarge, MAX_BODY_BYTES } from "../limits.ts";
import type { Refusal, RefusalReason } from "./refusal.ts";
import type { StreamScope } from "./streams.ts";

/** How long a long-poll (or an idle SSE stream between keep-alives) waits for data by default. */
export const DEFAULT_DS_LONG_POLL_TIMEOUT_MS = 20_000;
/** SSE connections end after about this long, so CDNs can collapse them; clients resume from the last offset. */
export const DEFAULT_DS_SSE_MAX_CONNECTION_MS = 60_000;

export interface DurableStreamsOptions {
  readonly longPollTimeoutMs: number;
  readonly sseMaxConnectionMs: number;
  /** Bytes of whole batches one response (or SSE data event) carries; default `CHUNK_MAX_BYTES` (4 MiB). */
  readonly chunkMaxBytes?: number | undefined;
}

export type Ctx = Context<AppEnv>;

export interface StreamRequest {
  readonly c: Ctx;
  /** The store, and the `/ds/` prefix of this app's URLs. */
  readonly scope: StreamScope;
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

const REFUSAL_STATUS: Readonly<Record<RefusalReason, number>> = {
  invalid: 400,
  "not-found": 404,
  gone: 410,
  conflict: 409,
};

/** A service's refusal as the protocol's plain-text answer. */
export function refusedResponse(refusal: Refusal): Response {
  return text(REFUSAL_STATUS[refusal.reason], refusal.message);
}

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

/** Strong ETag of a read: the topic's incarnation, the range and whether it reached a closed end. */
export function etag(topicId: string, start: string, end: number, closedAtEnd: boolean): string {
  return `"${topicId}:${start}:${end}${closedAtEnd ? ":c" : ""}"`;
}
