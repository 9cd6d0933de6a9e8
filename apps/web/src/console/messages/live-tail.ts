/**
 * @module
 * The Messages screen's live tail: follows a topic's partitions from given offsets and hands each delivery to the
 * screen. Up to `MAX_SSE_STREAMS` partitions each get an `EventSource` on the SSE tail (`GET …/records` as
 * `text/event-stream`, docs/http-api.md "SSE live tail"): the browser reconnects by itself and resumes from
 * `Last-Event-ID`, and a token travels as `?access_token=` because `EventSource` cannot send headers. More
 * partitions share one long-poll, `POST /v1/wait`, and read the ready ones: a browser keeps six HTTP/1.1
 * connections per origin, and a tail holding all of them would stall every other request of the page.
 * Stopping closes everything; the offsets reached are the screen's (record-window.ts), so resuming loses nothing.
 */
import { EdgeLogError } from "@edgelog/core";
import { apiFetch, token } from "../session.ts";
import { type ConsoleRecord, fromWire, type WireRecord } from "./console-record.ts";

/** Per-partition `EventSource`s at most; above it the tail long-polls `/v1/wait` (one connection). */
export const MAX_SSE_STREAMS = 4;
/** Records per SSE event or read. */
const TAIL_LIMIT = 500;
/** How long one `/v1/wait` parks; the server clamps it to 30 s and to the token's lifetime. */
const WAIT_MS = 20_000;
/** Pause after a failed wait or read before trying again. */
const RETRY_MS = 2_000;

export type TailState =
  | { readonly kind: "connecting" }
  | { readonly kind: "live"; readonly via: "sse" | "wait" }
  | { readonly kind: "reconnecting" }
  | { readonly kind: "error"; readonly error: EdgeLogError };

export interface TailOptions {
  readonly topic: string;
  /** Where to start in each followed partition. */
  readonly from: ReadonlyMap<number, number>;
  readonly onRecords: (partition: number, records: ConsoleRecord[], highWatermark: number) => void;
  readonly onState: (state: TailState) => void;
}

interface RecordsPayload {
  readonly records: WireRecord[];
  readonly nextOffset: number;
  readonly highWatermark: number;
}

const enc = encodeURIComponent;

function recordsPath(topic: string, partition: number, offset: number): string {
  return `/v1/topics/${enc(topic)}/partitions/${partition}/records?offset=${offset}&limit=${TAIL_LIMIT}`;
}

/** Follows `options.from` until `stop()`. */
export class LiveTail {
  readonly #options: TailOptions;
  readonly #sources: EventSource[] = [];
  readonly #abort = new AbortController();
  readonly #next: Map<number, number>;

  constructor(options: TailOptions) {
    this.#options = options;
    this.#next = new Map(options.from);
  }

  start(): void {
    this.#options.onState({ kind: "connecting" });
    if (this.#next.size <= MAX_SSE_STREAMS) {
      for (const [partition, offset] of this.#next) this.#openSse(partition, offset);
    } else {
      void this.#waitLoop();
    }
  }

  stop(): void {
    this.#abort.abort();
    for (const source of this.#sources) source.close();
  }

  #deliver(partition: number, text: string): void {
    const payload = JSON.parse(text) as RecordsPayload;
    this.#next.set(partition, payload.nextOffset);
    this.#options.onRecords(
      partition,
      fromWire(partition, payload.records, text.length),
      payload.highWatermark,
    );
  }

  #openSse(partition: number, offset: number): void {
    const access = token.value === null ? "" : `&access_token=${enc(token.value)}`;
    const source = new EventSource(`${recordsPath(this.#options.topic, partition, offset)}${access}`);
    this.#sources.push(source);
    source.addEventListener("open", () => {
      if (this.#sources.every((s) => s.readyState === EventSource.OPEN)) {
        this.#options.onState({ kind: "live", via: "sse" });
      }
    });
    source.addEventListener("records", (event) =>
      this.#deliver(partition, (event as MessageEvent<string>).data),
    );
    source.addEventListener("error", (event) => {
      if (this.#abort.signal.aborted) return;
      if (event instanceof MessageEvent && typeof event.data === "string") {
        // The server's `event: error` (the topic deleted, retention passed the tail, the token expired): final.
        source.close();
        this.#fail(errorOf(event.data));
      } else if (source.readyState === EventSource.CLOSED) {
        // Refused before the stream opened (EventSource cannot read why): ask the same read as JSON.
        void this.#explain(partition);
      } else {
        this.#options.onState({ kind: "reconnecting" });
      }
    });
  }

  async #explain(partition: number): Promise<void> {
    try {
      await apiFetch(recordsPath(this.#options.topic, partition, this.#next.get(partition) ?? 0), {
        signal: this.#abort.signal,
      });
      this.#fail(new EdgeLogError("UNKNOWN_SERVER_ERROR", "the live tail's connection was refused"));
    } catch (error) {
      if (!this.#abort.signal.aborted) this.#fail(toEdgeLogError(error));
    }
  }

  #fail(error: EdgeLogError): void {
    this.stop();
    this.#options.onState({ kind: "error", error });
  }

  async #waitLoop(): Promise<void> {
    const signal = this.#abort.signal;
    const { topic } = this.#options;
    let announced = false;
    while (!signal.aborted) {
      try {
        const partitions = [...this.#next].map(([partition, offset]) => ({ topic, partition, offset }));
        const waiting = apiFetch("/v1/wait", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ partitions, wait: WAIT_MS }),
          signal,
        });
        if (!announced) {
          this.#options.onState({ kind: "live", via: "wait" });
          announced = true;
        }
        const { ready } = (await (await waiting).json()) as { ready: { partition: number }[] };
        for (const { partition } of ready) {
          const offset = this.#next.get(partition);
          if (offset === undefined || signal.aborted) continue;
          const response = await apiFetch(recordsPath(topic, partition, offset), { signal });
          this.#deliver(partition, await response.text());
        }
      } catch (error) {
        if (signal.aborted) return;
        const failure = toEdgeLogError(error);
        if (!failure.retriable) {
          this.#fail(failure);
          return;
        }
        this.#options.onState({ kind: "reconnecting" });
        announced = false;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }
}

function errorOf(data: string): EdgeLogError {
  try {
    return EdgeLogError.fromJSON((JSON.parse(data) as { error?: unknown }).error);
  } catch {
    return new EdgeLogError("UNKNOWN_SERVER_ERROR", "the live tail ended with an unreadable error");
  }
}

function toEdgeLogError(error: unknown): EdgeLogError {
  if (error instanceof EdgeLogError) return error;
  // fetch's own failures (offline, connection reset) are worth retrying.
  return new EdgeLogError("REQUEST_TIMED_OUT", error instanceof Error ? error.message : String(error), {
    retriable: true,
  });
}
