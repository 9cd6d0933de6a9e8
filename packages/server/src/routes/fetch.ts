/**
 * @module
 * `GET /v1/topics/{topic}/partitions/{p}/records`: the JSON fetch with long-poll (`wait`), and the same path
 * with `Accept: text/event-stream` as an SSE live tail resumable from `Last-Event-ID`, or with `Upgrade: websocket`
 * as a WebSocket live tail (`live-socket.ts`). All may name the reader's region (`?region=`, `read-region.ts`) to
 * read from that region's in-sync replica. An answer below the high watermark may be cached
 * (`read-cache/answer.ts`); a long-poll's answer carries a tail cursor (`cursor.ts`).
 */
import type { LogStore, ReadPreference, TopicPartition } from "@edgelog/core";
import { requireTopic } from "@edgelog/core/store-kit";
import type { Context, Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { sessionExpired, sessionRemainingMs, waitWithinSession } from "../auth/session.ts";
import type { AppEnv } from "../context.ts";
import { responseCursor } from "../cursor.ts";
import { invalidRequest, publicError } from "../errors.ts";
import { parseValueFormat, renderRecord, type ValueFormat } from "../json-records.ts";
import { DEFAULT_FETCH_LIMIT, MAX_FETCH_LIMIT, MAX_WAIT_MS } from "../limits.ts";
import { integerQuery, offsetQuery, parseInteger, pathParam, requirePartition } from "../params.ts";
import { readFrom, readRecords, startOffset } from "../read.ts";
import { answerRead, cachedAnswer, type ReadAnswer, readCacheKey, readOnMiss } from "../read-cache/answer.ts";
import { readPreference } from "../read-region.ts";
import { route } from "../route.ts";
import { isWebSocketUpgrade, liveSocket } from "./live-socket.ts";

export function fetchRoutes(app: Hono<AppEnv>, options: { keepAliveMs: number }): void {
  route(app, "/v1/topics/:topic/partitions/:partition/records", {
    get: async (c) => {
      const store = c.var.store;
      const metadata = await requireTopic(store, pathParam(c, "topic"));
      const tp = { topic: metadata.name, partition: requirePartition(metadata, pathParam(c, "partition")) };
      const format = parseValueFormat(c.req.query("valueFormat"));
      const limit = integerQuery(c, "limit") ?? DEFAULT_FETCH_LIMIT;
      if (limit < 1 || limit > MAX_FETCH_LIMIT) {
        throw invalidRequest(`limit must be in 1..${MAX_FETCH_LIMIT}`, { limit });
      }
      const near = readPreference(c);
      if (isWebSocketUpgrade(c)) return liveSocket(c, store, tp, near);
      if (acceptsEventStream(c)) return tail(c, store, tp, format, limit, options.keepAliveMs, near);

      const wait = waitQuery(c);
      const cursor = tailCursor(c, wait);
      const offset = await readFrom(store, tp, offsetQuery(c, "earliest"), near);
      const key = readCacheKey(c, metadata.topicId, tp.partition, "records", {
        offset,
        limit,
        valueFormat: format,
      });
      const cached = await cachedAnswer(c, key);
      if (cached !== null) return withCursor(await answerRead(c, key, cached, false), cursor);
      const read = async (): Promise<ReadAnswer> => {
        const result = await readRecords(store, tp, {
          offset,
          limit,
          maxWaitMs: wait,
          signal: c.req.raw.signal,
          cacheMaxAgeMs: c.var.readCache.maxAgeMs,
          ...near,
        });
        return {
          body: JSON.stringify({
            records: result.records.map((r) => renderRecord(r, format)),
            nextOffset: result.nextOffset,
            highWatermark: result.highWatermark,
            logStartOffset: result.logStartOffset,
          }),
          headers: {
            "Content-Type": "application/json; charset=utf-8",
            "Edgelog-High-Watermark": String(result.highWatermark),
            "Edgelog-Log-Start-Offset": String(result.logStartOffset),
            "Edgelog-Next-Offset": String(result.nextOffset),
          },
          cacheUntil: result.cacheUntil,
        };
      };
      const { answer, fresh } = await readOnMiss(c, key, wait > 0, read, (a) => a.cacheUntil);
      return withCursor(await answerRead(c, key, answer, fresh), cursor);
    },
  });
}

/**
 * The tail cursor a long-poll answers with (`cursor.ts`), from the one the reader echoed (`?cursor=`, a
 * non-negative integer, else 400); `undefined` for a read that does not wait.
 */
export function tailCursor(c: Context<AppEnv>, waitMs: number): string | undefined {
  const echoed = c.req.query("cursor");
  if (echoed !== undefined) {
    const value = parseInteger(echoed);
    if (value === null || value < 0)
      throw invalidRequest("cursor must be a non-negative integer", { cursor: echoed });
  }
  if (waitMs <= 0) return undefined;
  return responseCursor(echoed, c.var.now(), c.var.random);
}

/** `response` with the `Edgelog-Cursor` of a long-poll (none for a read that did not wait). */
export function withCursor(response: Response, cursor: string | undefined): Response {
  if (cursor !== undefined) response.headers.set(CURSOR_HEADER, cursor);
  return response;
}

/** Where a long-poll's answer carries its tail cursor. */
export const CURSOR_HEADER = "Edgelog-Cursor";

/**
 * `wait` in ms: a non-negative integer, clamped to `MAX_WAIT_MS` and to what is left of the token's session;
 * default 0 (answer at once).
 */
export function waitQuery(c: Context<AppEnv>): number {
  const wait = integerQuery(c, "wait") ?? 0;
  if (wait < 0) throw invalidRequest("wait must be a non-negative number of ms", { wait });
  return waitWithinSession(c, Math.min(wait, MAX_WAIT_MS));
}

function acceptsEventStream(c: Context): boolean {
  return (c.req.header("Accept") ?? "").includes("text/event-stream");
}

/**
 * The SSE tail. Everything that can be refused (topic, partition, start offset) is checked before the stream
 * opens, so those errors keep their status; a failure once streaming (say retention overtook the reader) is
 * sent as an `error` event with the usual error body, and the stream ends — as it does, with
 * `AUTHENTICATION_FAILED`, when the token that opened it expires (`auth/session.ts`).
 */
async function tail(
  c: Context<AppEnv>,
  store: LogStore,
  tp: TopicPartition,
  format: ValueFormat,
  limit: number,
  keepAliveMs: number,
  near: ReadPreference,
): Promise<Response> {
  const lastEventId = c.req.header("Last-Event-ID");
  let spec = offsetQuery(c, "latest");
  if (lastEventId !== undefined && lastEventId !== "") {
    const resumeAt = parseInteger(lastEventId);
    if (resumeAt === null) throw invalidRequest("Last-Event-ID must be an offset", { lastEventId });
    spec = resumeAt;
  }
  let offset = await startOffset(store, tp, spec, near);

  return streamSSE(c, async (stream) => {
    // Aborting the store's wait when the client goes away frees the partition's waiter at once.
    const controller = new AbortController();
    stream.onAbort(() => controller.abort());
    const requestSignal = c.req.raw.signal;
    requestSignal.addEventListener("abort", () => controller.abort(), { once: true });
    try {
      while (!controller.signal.aborted) {
        if (sessionRemainingMs(c) === 0) throw sessionExpired();
        const read = await readRecords(store, tp, {
          offset,
          limit,
          maxWaitMs: waitWithinSession(c, keepAliveMs),
          signal: controller.signal,
          ...near,
        });
        if (read.records.length === 0) {
          await stream.write(": keep-alive\n\n");
          continue;
        }
        offset = read.nextOffset;
        await stream.writeSSE({
          event: "records",
          id: String(read.nextOffset),
          data: JSON.stringify({
            records: read.records.map((r) => renderRecord(r, format)),
            nextOffset: read.nextOffset,
            highWatermark: read.highWatermark,
          }),
        });
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      const body = publicError(error, c).toJSON();
      await stream.writeSSE({ event: "error", data: JSON.stringify({ error: body }) });
    }
  });
}
