/**
 * @module
 * A small `text/event-stream` parser that follows the HTML spec's "event stream interpretation"
 * (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation) over any
 * `ReadableStream` of bytes, so the client tails partitions with plain `fetch` in Node, browsers and Workers:
 * `EventSource` is missing from Workers and Node < 22, and cannot send auth headers anyway.
 */

/** One dispatched event. */
export interface SseEvent {
  /** The `event:` field, `"message"` when absent. */
  readonly event: string;
  /** The `data:` lines joined with `\n`. */
  readonly data: string;
  /** The last event id seen so far on this stream (ids persist across events, per the spec). */
  readonly id: string;
  /** A `retry:` reconnection time in ms, when this event block carried one. */
  readonly retry?: number;
}

const LF = "\n";
const CR = "\r";
const BOM = "\uFEFF";

/**
 * Incremental parser: feed it decoded text in chunks of any size (a CRLF may be split across chunks), get the
 * events completed so far.
 * @example
 * const parser = new SseParser();
 * for (const event of parser.push("event: records\ndata: {}\n\n")) handle(event);
 */
export class SseParser {
  #buffer = "";
  #first = true;
  /** A chunk ended in CR: a LF at the start of the next one belongs to the same line break. */
  #pendingCr = false;
  #event = "";
  #data = "";
  #hasData = false;
  #lastEventId = "";
  #retry: number | undefined;

  /** Parses `chunk` and returns the events it completed. */
  push(chunk: string): SseEvent[] {
    let text = chunk;
    if (this.#pendingCr && text.startsWith(LF)) text = text.slice(1);
    this.#pendingCr = false;
    if (this.#first && text.length > 0) {
      // The spec strips one leading BOM from the stream, nowhere else.
      if (text.startsWith(BOM)) text = text.slice(1);
      this.#first = false;
    }
    this.#buffer += text;
    const events: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < this.#buffer.length; i++) {
      const ch = this.#buffer[i];
      if (ch !== LF && ch !== CR) continue;
      const line = this.#buffer.slice(start, i);
      if (ch === CR) {
        if (i + 1 === this.#buffer.length) this.#pendingCr = true;
        else if (this.#buffer[i + 1] === LF) i++;
      }
      start = i + 1;
      const event = this.#line(line);
      if (event !== null) events.push(event);
    }
    this.#buffer = this.#buffer.slice(start);
    return events;
  }

  /** The stream ended: an incomplete last event is discarded, as the spec requires. */
  end(): void {
    this.#buffer = "";
    this.#resetBlock();
  }

  #line(line: string): SseEvent | null {
    if (line === "") return this.#dispatch();
    if (line.startsWith(":")) return null; // a comment, e.g. the server's keep-alive
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.#event = value;
        break;
      case "data":
        this.#data += `${value}\n`;
        this.#hasData = true;
        break;
      case "id":
        // An id containing NULL is ignored, so a broken id cannot reset resumption.
        if (!value.includes("\u0000")) this.#lastEventId = value;
        break;
      case "retry":
        if (/^[0-9]+$/.test(value)) this.#retry = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
    return null;
  }

  #dispatch(): SseEvent | null {
    if (!this.#hasData) {
      this.#resetBlock();
      return null;
    }
    const event: SseEvent = {
      event: this.#event === "" ? "message" : this.#event,
      data: this.#data.endsWith(LF) ? this.#data.slice(0, -1) : this.#data,
      id: this.#lastEventId,
      ...(this.#retry === undefined ? {} : { retry: this.#retry }),
    };
    this.#resetBlock();
    return event;
  }

  #resetBlock(): void {
    this.#event = "";
    this.#data = "";
    this.#hasData = false;
    this.#retry = undefined;
  }
}

/**
 * The events of a `text/event-stream` body, in order; ends when the body ends. Cancelling the iteration (a
 * `break`, an aborted `signal`) releases the body.
 * @example
 * const response = await fetch(url, { headers: { accept: "text/event-stream" } });
 * for await (const event of readSse(response.body)) console.log(event.event, event.data);
 */
export async function* readSse(
  body: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): AsyncGenerator<SseEvent, void, undefined> {
  const reader = body.getReader();
  const decoder = new TextDecoder("utf-8");
  const parser = new SseParser();
  // Cancelling the reader ends a pending read() with `done`: this stops the stream even when the fetch that
  // produced it ignores its signal (an in-process app, some polyfills).
  const cancel = (): void => void reader.cancel(signal?.reason).catch(() => undefined);
  signal?.addEventListener("abort", cancel, { once: true });
  if (signal?.aborted) cancel();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        yield* parser.push(decoder.decode());
        parser.end();
        return;
      }
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
  } finally {
    signal?.removeEventListener("abort", cancel);
    // Cancel rather than just unlock: an abandoned stream must not keep the connection open.
    await reader.cancel().catch(() => undefined);
  }
}
