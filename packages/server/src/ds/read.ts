/**
 * @module
 * `GET /ds/{path}`: catch-up reads, long-polls and SSE. This module parses the query, asks `read-stream.ts` for
 * the records, and shapes the answer: a JSON array for JSON streams, the bytes for others; the offset, up-to-date,
 * closed and cursor headers, the ETag (304 on a match); SSE events.
 */
import { EdgeLogError } from "@edgelog/core";
import type { StreamState } from "@edgelog/core/store-kit";
import { waitWithinSession } from "../auth/session.ts";
import { responseCursor } from "../cursor.ts";
import { toBase64 } from "../json-records.ts";
import { answerRead, cachedAnswer, type ReadAnswer, readCacheKey, readOnMiss } from "../read-cache/answer.ts";
import { bad, etag, refusedResponse, type StreamRequest } from "./http.ts";
import { encodeStreamOffset, parseStreamOffset, type StreamOffsetSpec } from "./offsets.ts";
import { type CatchUp, CHUNK_MAX_BYTES, followStream, openRead, readCatchUp } from "./read-stream.ts";
import type { FoundStream } from "./streams.ts";
import { concatBytes, H, isJson, isTextual, jsonArrayOf, NO_STORE, REVALIDATE, sseEvent } from "./wire.ts";

/** The stored header a cached chunk's next offset is read back from (header names come back lower-case). */
const NEXT_OFFSET = H.nextOffset.toLowerCase();

function parseOffsetParam(
  url: URL,
): { spec: StreamOffsetSpec | undefined; raw: string | undefined } | Response {
  const all = url.searchParams.getAll("offset");
  if (all.length === 0) return { spec: undefined, raw: undefined };
  if (all.length > 1) return bad("one offset, please");
  const raw = all[0] as string;
  const spec = parseStreamOffset(raw);
  if (raw === "" || spec === null) return bad("invalid offset");
  return { spec, raw };
}

function body200(
  state: StreamState,
  values: readonly (Uint8Array | null)[],
): string | Uint8Array<ArrayBuffer> {
  return isJson(state.contentType) ? jsonArrayOf(values) : concatBytes(values);
}

export async function read(r: StreamRequest): Promise<Response> {
  const { c, url } = r;
  const offset = parseOffsetParam(url);
  if (offset instanceof Response) return offset;
  const live = url.searchParams.get("live");
  const cursor = url.searchParams.get("cursor") ?? undefined;
  if ((live === "long-poll" || live === "sse") && offset.spec === undefined) {
    return bad(`live=${live} needs an offset`);
  }
  const opened = await openRead(r.scope, r.topic, offset.spec, r.now);
  if (opened.kind === "refused") return refusedResponse(opened);
  const { stream, start } = opened;
  const { state, highWatermark } = stream;

  if (live === "sse") return sse(r, stream, start, cursor);
  if (offset.spec === "now" && live !== "long-poll") {
    return new Response(isJson(state.contentType) ? "[]" : null, {
      status: 200,
      headers: {
        "Content-Type": state.contentType,
        [H.nextOffset]: encodeStreamOffset(highWatermark),
        [H.upToDate]: "true",
        "Cache-Control": NO_STORE,
        ...(state.closed ? { [H.closed]: "true" } : {}),
      },
    });
  }
  const longPoll = live === "long-poll";
  const answer = async (
    chunk: ReadAnswer,
    fresh: boolean,
    nextOffset: number,
    closedAtEnd: boolean,
  ): Promise<Response> => {
    const tag = etag(stream.topic.topicId, offset.raw ?? "-1", nextOffset, closedAtEnd);
    if (c.req.header("If-None-Match") === tag) {
      if (chunk.body instanceof ReadableStream) await chunk.body.cancel().catch(() => undefined);
      return new Response(null, { status: 304, headers: { ETag: tag } });
    }
    const response = await answerRead(c, key, chunk, fresh);
    response.headers.set("ETag", tag);
    // Not cacheable for a while (it reaches the tail, or caching is off): a cache must ask again, by ETag.
    if (!response.headers.has("Cache-Control")) response.headers.set("Cache-Control", REVALIDATE);
    if (longPoll) response.headers.set(H.cursor, responseCursor(cursor, c.get("now")(), c.get("random")));
    return response;
  };
  // A chunk below the tail may be in the Worker's cache (`read-cache/answer.ts`): the same bytes, no read. The
  // lookup comes after the stream was found, so TTL renewal, expiry and 410s stay exactly the protocol's.
  const key = readCacheKey(c, stream.topic.topicId, 0, "ds", {
    start,
    type: state.contentType,
    bytes: r.options.chunkMaxBytes ?? CHUNK_MAX_BYTES,
  });
  const cached = await cachedAnswer(c, key);
  const cachedNext = cached === null ? null : parseStreamOffset(cached.headers[NEXT_OFFSET] ?? "");
  if (cached !== null && typeof cachedNext === "number") return answer(cached, false, cachedNext, false);
  const { answer: read, fresh } = await readOnMiss(
    c,
    key,
    longPoll,
    () =>
      readCatchUp(
        r.scope,
        stream,
        start,
        longPoll
          ? {
              waitMs: waitWithinSession(c, r.options.longPollTimeoutMs),
              signal: c.req.raw.signal,
              now: c.get("now"),
            }
          : null,
        { cacheMaxAgeMs: c.var.readCache.maxAgeMs, chunkMaxBytes: r.options.chunkMaxBytes },
      ),
    (caughtUp: CatchUp) => (caughtUp.kind === "chunk" ? caughtUp.chunk.cacheUntil : undefined),
  );
  switch (read.kind) {
    case "refused":
      return refusedResponse(read);
    case "closed-tail":
      return new Response(null, {
        status: 204,
        headers: { [H.nextOffset]: encodeStreamOffset(start), [H.upToDate]: "true", [H.closed]: "true" },
      });
    case "timed-out":
      return new Response(null, {
        status: 204,
        headers: {
          [H.nextOffset]: encodeStreamOffset(start),
          [H.upToDate]: "true",
          [H.cursor]: responseCursor(cursor, c.get("now")(), c.get("random")),
          ...(read.closedAtTail ? { [H.closed]: "true" } : {}),
        },
      });
    case "chunk":
      break;
  }
  const { chunk } = read;
  const upToDate = chunk.nextOffset >= chunk.highWatermark;
  const closedAtEnd = read.closed && upToDate;
  const headers: Record<string, string> = {
    "Content-Type": state.contentType,
    [H.nextOffset]: encodeStreamOffset(chunk.nextOffset),
  };
  if (upToDate) headers[H.upToDate] = "true";
  if (closedAtEnd) headers[H.closed] = "true";
  const body = body200(state, chunk.values);
  return answer({ body, headers, cacheUntil: chunk.cacheUntil }, fresh, chunk.nextOffset, closedAtEnd);
}

/**
 * SSE (§C5): each step of `followStream` is one `data` event (when it read values) followed by its own `control`
 * event (a keep-alive after an empty wait); the stream ends with `streamClosed` once the stream is closed and
 * read to its end, and otherwise after `sseMaxConnectionMs`, for the client to resume.
 */
function sse(r: StreamRequest, stream: FoundStream, start: number, cursor: string | undefined): Response {
  const { c, options } = r;
  const { state } = stream;
  const base64 = !isTextual(state.contentType);
  const json = isJson(state.contentType);
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const abort = new AbortController();
  const onClientGone = (): void => abort.abort(new EdgeLogError("REQUEST_TIMED_OUT", "the client went away"));
  c.req.raw.signal.addEventListener("abort", onClientGone, { once: true });
  const now = c.get("now");
  const random = c.get("random");
  const steps = followStream(r.scope, r.topic, start, {
    waitMs: options.longPollTimeoutMs,
    // The connection ends by the token's expiry too; the client resumes from its offset with a fresh one.
    deadline: Date.now() + waitWithinSession(c, options.sseMaxConnectionMs),
    signal: abort.signal,
    now,
    chunkMaxBytes: options.chunkMaxBytes,
  });

  const control = (next: number, upToDate: boolean, closed: boolean): string => {
    const fields: Record<string, unknown> = { streamNextOffset: encodeStreamOffset(next) };
    if (closed) fields.streamClosed = true;
    else {
      fields.streamCursor = responseCursor(cursor, now(), random);
      if (upToDate) fields.upToDate = true;
    }
    return sseEvent("control", JSON.stringify(fields));
  };
  const finish = (controller: ReadableStreamDefaultController<Uint8Array>): void => {
    c.req.raw.signal.removeEventListener("abort", onClientGone);
    try {
      controller.close();
    } catch {
      // already closed by the client
    }
  };

  // One step per pull: a reader that does not keep up holds the stream back instead of filling memory.
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await steps.next();
        if (next.done === true) return finish(controller);
        const step = next.value;
        // A data event and its control event go out in one write, so no reader sees one without the other.
        let events = "";
        if (step.values.length > 0) {
          let payload: string;
          if (base64) payload = toBase64(concatBytes(step.values));
          else if (json) payload = jsonArrayOf(step.values);
          else payload = decoder.decode(concatBytes(step.values));
          events += sseEvent("data", payload);
        }
        controller.enqueue(
          encoder.encode(events + control(step.nextOffset, step.upToDate, step.closedAtEnd)),
        );
        if (step.last) return finish(controller);
      } catch (error) {
        if (!abort.signal.aborted) console.error("edgelog worker: /ds SSE failed", error);
        finish(controller);
      }
    },
    cancel() {
      onClientGone();
    },
  });
  const headers: Record<string, string> = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
  };
  if (base64) headers[H.sseEncoding] = "base64";
  return new Response(body, { status: 200, headers });
}
