/**
 * @module
 * `GET /ds/{path}`: catch-up reads, long-polls and SSE over the stream's topic. A read returns the records
 * from the requested position on, within `CHUNK_MAX_BYTES` of whole batches: a JSON array for JSON streams,
 * the bytes for others.
 */
import { EdgeLogError, type StreamState } from "@edgelog/core";
import { toBase64 } from "../json-records.ts";
import { bad, etag, type StreamRequest, text } from "./http.ts";
import { encodeStreamOffset, parseStreamOffset, type StreamOffsetSpec } from "./offsets.ts";
import { type FoundStream, findStream, readChunk } from "./streams.ts";
import {
  CACHEABLE,
  concatBytes,
  H,
  isJson,
  isTextual,
  jsonArrayOf,
  NO_STORE,
  responseCursor,
  sseEvent,
} from "./wire.ts";

/**
 * Bytes of batches one response (or SSE data event) carries. The protocol lets the server chunk, and clients
 * that follow `Stream-Up-To-Date` read on; generous, because `@durable-streams/client` 0.2.7 with `live: false`
 * stops after its first response whatever `Stream-Up-To-Date` says. Well under a Workers RPC message (32 MiB).
 */
export const CHUNK_MAX_BYTES = 4 * 1024 * 1024;

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

function body200(state: StreamState, values: readonly (Uint8Array | null)[]): BodyInit {
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
  const found = await findStream(r.store, r.topic, r.now, true);
  if (found.kind === "missing") return text(404, "stream not found");
  if (found.kind === "gone") return text(410, "stream deleted");
  const stream = found.stream;
  const { state, highWatermark, logStartOffset } = stream;
  let start: number;
  if (offset.spec === undefined || offset.spec === "start") start = logStartOffset;
  else if (offset.spec === "now") start = highWatermark;
  else start = Math.min(offset.spec, highWatermark);
  if (start < logStartOffset) return text(410, "that offset is before the retained data");

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
  let chunk = await readChunk(r.store, r.topic, start, { maxBytes: CHUNK_MAX_BYTES, maxWaitMs: 0 });
  let closed = state.closed;
  if (longPoll && chunk.values.length === 0 && start >= chunk.highWatermark) {
    if (closed) {
      return new Response(null, {
        status: 204,
        headers: { [H.nextOffset]: encodeStreamOffset(start), [H.upToDate]: "true", [H.closed]: "true" },
      });
    }
    chunk = await readChunk(r.store, r.topic, start, {
      maxBytes: CHUNK_MAX_BYTES,
      maxWaitMs: r.options.longPollTimeoutMs,
      signal: c.req.raw.signal,
    });
    const after = await findStream(r.store, r.topic, c.get("now")(), true);
    if (after.kind === "missing") return text(404, "stream not found");
    if (after.kind === "gone") return text(410, "stream deleted");
    closed = after.stream.state.closed;
    if (chunk.values.length === 0) {
      const atTail = start >= after.stream.highWatermark;
      return new Response(null, {
        status: 204,
        headers: {
          [H.nextOffset]: encodeStreamOffset(start),
          [H.upToDate]: "true",
          [H.cursor]: responseCursor(cursor, c.get("now")(), c.get("random")),
          ...(closed && atTail ? { [H.closed]: "true" } : {}),
        },
      });
    }
  }
  const upToDate = chunk.nextOffset >= chunk.highWatermark;
  const closedAtEnd = closed && upToDate;
  const tag = etag(stream.topic.topicId, offset.raw ?? "-1", chunk.nextOffset, closedAtEnd);
  if (c.req.header("If-None-Match") === tag)
    return new Response(null, { status: 304, headers: { ETag: tag } });
  const headers: Record<string, string> = {
    "Content-Type": state.contentType,
    [H.nextOffset]: encodeStreamOffset(chunk.nextOffset),
    ETag: tag,
    "Cache-Control": CACHEABLE,
  };
  if (upToDate) headers[H.upToDate] = "true";
  if (closedAtEnd) headers[H.closed] = "true";
  if (longPoll) headers[H.cursor] = responseCursor(cursor, c.get("now")(), c.get("random"));
  return new Response(body200(state, chunk.values), { status: 200, headers });
}

/**
 * SSE (§C5): each chunk read is one `data` event followed by its own `control` event; at the tail the stream
 * waits (a keep-alive control after each empty wait), ends with `streamClosed` once the stream is closed and
 * read to its end, and otherwise after `sseMaxConnectionMs`, for the client to resume.
 */
function sse(r: StreamRequest, stream: FoundStream, start: number, cursor: string | undefined): Response {
  const { c, store, topic, options } = r;
  const { state } = stream;
  const base64 = !isTextual(state.contentType);
  const json = isJson(state.contentType);
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const abort = new AbortController();
  const onClientGone = (): void => abort.abort(new EdgeLogError("REQUEST_TIMED_OUT", "the client went away"));
  c.req.raw.signal.addEventListener("abort", onClientGone, { once: true });
  const deadline = Date.now() + options.sseMaxConnectionMs;
  const now = c.get("now");
  const random = c.get("random");

  const control = (next: number, upToDate: boolean, closed: boolean): string => {
    const fields: Record<string, unknown> = { streamNextOffset: encodeStreamOffset(next) };
    if (closed) fields.streamClosed = true;
    else {
      fields.streamCursor = responseCursor(cursor, now(), random);
      if (upToDate) fields.upToDate = true;
    }
    return sseEvent("control", JSON.stringify(fields));
  };
  let offset = start;
  let wait = 0;
  const finish = (controller: ReadableStreamDefaultController<Uint8Array>): void => {
    c.req.raw.signal.removeEventListener("abort", onClientGone);
    try {
      controller.close();
    } catch {
      // already closed by the client
    }
  };

  // One chunk per pull: a reader that does not keep up holds the stream back instead of filling memory.
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await readChunk(store, topic, offset, {
          maxBytes: CHUNK_MAX_BYTES,
          maxWaitMs: wait,
          signal: abort.signal,
        });
        const found = await findStream(store, topic, now(), true);
        if (found.kind !== "found") return finish(controller);
        const closed = found.stream.state.closed;
        // A data event and its control event go out in one write, so no reader sees one without the other.
        let events = "";
        if (chunk.values.length > 0) {
          let payload: string;
          if (base64) payload = toBase64(concatBytes(chunk.values));
          else if (json) payload = jsonArrayOf(chunk.values);
          else payload = decoder.decode(concatBytes(chunk.values));
          events += sseEvent("data", payload);
          offset = chunk.nextOffset;
        }
        const upToDate = offset >= Math.max(chunk.highWatermark, found.stream.highWatermark);
        const done = closed && upToDate;
        controller.enqueue(encoder.encode(events + control(offset, upToDate, done)));
        if (done || Date.now() >= deadline) return finish(controller);
        wait = upToDate ? Math.min(options.longPollTimeoutMs, Math.max(1, deadline - Date.now())) : 0;
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
