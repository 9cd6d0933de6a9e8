/**
 * @module
 * The live readers of the fan-out benchmark, one per transport, each reading partition 0 of a topic from offset 0
 * and reporting the offset of every record it receives, in order:
 *   - `longpoll`: the JSON fetch with `wait` in a loop (one HTTP request per wake-up);
 *   - `sse`: one `Accept: text/event-stream` tail (one HTTP response held open, the Worker re-reads per batch);
 *   - `ws`: the WebSocket push (fanout-ws-reader.ts): one socket held by the partition, which sends each batch.
 * HTTP goes through `node:http` with one keep-alive agent per run of readers (so thousands of sockets are opened
 * and closed together, and none outlives the run); a reader fails by calling `onFailure` once.
 */
import { type Agent, get as httpGet, type IncomingMessage } from "node:http";
import { openWsReader } from "./fanout-ws-reader.ts";

export const FANOUT_TRANSPORTS = ["longpoll", "sse", "ws"] as const;
export type FanoutTransport = (typeof FANOUT_TRANSPORTS)[number];

/** Transports whose readers say when the server holds them as live (`ReaderEvents.onLive`). */
export const SAYS_LIVE: ReadonlySet<FanoutTransport> = new Set(["ws"]);

/** How long a long-poll waits at the end of the log: the HTTP API's maximum, so an idle reader costs least. */
export const LONG_POLL_WAIT_MS = 30_000;

export interface ReaderTarget {
  /** The Worker's base URL (`http://127.0.0.1:port`). */
  readonly url: string;
  readonly topic: string;
  readonly agent: Agent;
}

export interface ReaderEvents {
  /** A record's offset, in log order. */
  readonly onOffset: (offset: number) => void;
  /** The reader stopped for a reason other than `close()`. Called at most once. */
  readonly onFailure: (error: Error) => void;
  /** The server holds the reader as live (the WebSocket's `ready`); readers that cannot tell never call it. */
  readonly onLive: () => void;
}

export interface Reader {
  close(): void;
}

const recordsPath = (target: ReaderTarget): string =>
  `${target.url}/v1/topics/${encodeURIComponent(target.topic)}/partitions/0/records`;

interface RecordsBody {
  readonly records: readonly { readonly offset: number }[];
  readonly nextOffset: number;
}

function get(
  url: string,
  agent: Agent,
  signal: AbortSignal,
  headers: Record<string, string> = {},
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { agent, signal, headers }, (response) => {
      if (response.statusCode === 200) {
        resolve(response);
        return;
      }
      text(response).then(
        (body) => reject(new Error(`GET ${url}: ${response.statusCode} ${body.slice(0, 300)}`)),
        reject,
      );
    });
    request.on("error", reject);
  });
}

async function text(response: IncomingMessage): Promise<string> {
  response.setEncoding("utf8");
  let body = "";
  for await (const chunk of response) body += chunk;
  return body;
}

/** Runs `body` until it ends or fails; a failure after `close()` is the close, not a failure. */
function reader(events: ReaderEvents, body: (signal: AbortSignal) => Promise<void>): Reader {
  const controller = new AbortController();
  body(controller.signal).then(
    () => {
      if (!controller.signal.aborted) events.onFailure(new Error("the reader's stream ended"));
    },
    (error: unknown) => {
      if (!controller.signal.aborted)
        events.onFailure(error instanceof Error ? error : new Error(String(error)));
    },
  );
  return { close: () => controller.abort() };
}

function longPollReader(target: ReaderTarget, events: ReaderEvents): Reader {
  return reader(events, async (signal) => {
    let offset = 0;
    while (!signal.aborted) {
      const url = `${recordsPath(target)}?offset=${offset}&wait=${LONG_POLL_WAIT_MS}&valueFormat=text`;
      const body = JSON.parse(await text(await get(url, target.agent, signal))) as RecordsBody;
      for (const record of body.records) events.onOffset(record.offset);
      offset = body.nextOffset;
    }
  });
}

function sseReader(target: ReaderTarget, events: ReaderEvents): Reader {
  return reader(events, async (signal) => {
    const url = `${recordsPath(target)}?offset=0&valueFormat=text`;
    const response = await get(url, target.agent, signal, { accept: "text/event-stream" });
    response.setEncoding("utf8");
    let buffer = "";
    for await (const chunk of response) {
      buffer += chunk;
      for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = "message";
        let data = "";
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data += line.slice(5).replace(/^ /, "");
        }
        if (event === "error") throw new Error(`SSE error event: ${data.slice(0, 300)}`);
        if (event !== "records") continue;
        for (const record of (JSON.parse(data) as RecordsBody).records) events.onOffset(record.offset);
      }
    }
  });
}

/** Opens one live reader of `target` over `transport`. */
export function openReader(transport: FanoutTransport, target: ReaderTarget, events: ReaderEvents): Reader {
  switch (transport) {
    case "longpoll":
      return longPollReader(target, events);
    case "sse":
      return sseReader(target, events);
    case "ws":
      return openWsReader(recordsPath(target), events);
  }
}
