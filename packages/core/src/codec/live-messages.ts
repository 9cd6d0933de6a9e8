/**
 * @module
 * The messages of the WebSocket live tail (docs/http-api.md "WebSocket live tail"), shared by the partition that
 * sends them and the client that reads them, so both sides have one definition and one set of errors.
 *
 * Records travel as **binary** messages: the binary fetch's frames (`frames.ts`) behind a 17-byte header, so a
 * partition sends its stored batches as they are (nothing decoded or rendered per reader, and one encoded message
 * serves every socket) and a reader gets them byte for byte.
 *
 * ```
 * offset size field
 * 0      1    kind: 1 = records
 * 1      8    highWatermark uint64 LE (as the partition saw it when it sent this)
 * 9      8    logStartOffset uint64 LE
 * 17     …    frames: [baseOffset uint64 LE][length uint32 LE][batch] back to back
 * ```
 *
 * Control messages are **JSON text**: the server's `ready`, `behind` and `error`; the reader's `resume` and
 * `pause`. The text `ping` is answered `pong` by the runtime without waking the partition (a keep-alive).
 */
import { EdgeLogError, type ErrorCode, type ErrorContext, isErrorCode } from "../errors.ts";
import { httpStatusFor } from "../http-status.ts";
import type { StoredBatch } from "../store.ts";
import { decodeFrames, encodeFrames, type Frame } from "./frames.ts";
import { utf8Length } from "./utf8-length.ts";

/** The first byte of a binary records message. */
export const LIVE_RECORDS_KIND = 1;
/** Bytes before the frames of a records message: kind, high watermark, log start offset. */
export const LIVE_HEADER_BYTES = 17;
/** The longest text a reader may send; a longer one closes the socket (`INVALID_REQUEST`). */
export const MAX_LIVE_CLIENT_MESSAGE_BYTES = 1024;
/** Sent as text, answered `pong` by the runtime without an invocation of the partition. */
export const LIVE_PING = "ping";
export const LIVE_PONG = "pong";

const UINT32_SPAN = 0x1_0000_0000;
const MAX_OFFSET_HIGH_WORD = 2 ** 21 - 1;

/** A records message as the reader sees it. */
export interface LiveRecords {
  readonly highWatermark: number;
  readonly logStartOffset: number;
  /** Whole batches in offset order; the first may begin before the reader's position (skip those records). */
  readonly batches: StoredBatch[];
}

/** What the partition says besides records. */
export type LiveServerMessage =
  | {
      /** Sent once, first: the socket is open at `offset` (`earliest`/`latest` resolved). */
      readonly type: "ready";
      readonly offset: number;
      readonly highWatermark: number;
      readonly logStartOffset: number;
      /** When the token that opened the socket expires (ms since the epoch); the socket closes then. */
      readonly expiresAt: number | null;
    }
  | {
      /**
       * The partition stopped pushing to this socket (it fell behind: too much unsent, or more new data than one
       * push carries). The reader catches up — by reading, or with `resume` — and rejoins with `resume`.
       */
      readonly type: "behind";
      readonly nextOffset: number;
      readonly highWatermark: number;
    }
  | {
      /** The last message: the socket closes with `liveCloseCode(error.code)` after it. */
      readonly type: "error";
      readonly error: { readonly code: ErrorCode; readonly message: string } & ErrorContext;
    };

/** What a reader may send. */
export type LiveClientMessage =
  | {
      /** Send me records from `offset` (a catch-up step, then pushes once caught up). */
      readonly type: "resume";
      readonly offset: number;
    }
  | {
      /** Stop pushing (the reader's buffer is full); `resume` starts again. */
      readonly type: "pause";
    };

/**
 * One binary records message.
 * @example
 * socket.send(encodeLiveRecords(highWatermark, logStartOffset, batches));
 */
export function encodeLiveRecords(
  highWatermark: number,
  logStartOffset: number,
  frames: readonly Frame[],
): Uint8Array<ArrayBuffer> {
  const body = encodeFrames(frames);
  const out = new Uint8Array(LIVE_HEADER_BYTES + body.length);
  const view = new DataView(out.buffer);
  out[0] = LIVE_RECORDS_KIND;
  setOffset(view, 1, highWatermark);
  setOffset(view, 9, logStartOffset);
  out.set(body, LIVE_HEADER_BYTES);
  return out;
}

/**
 * Reads a binary records message.
 * @throws EdgeLogError `CORRUPT_MESSAGE` for an unknown kind, a short header, an offset not below 2^53 or bad
 * frames (see `decodeFrames`).
 */
export function decodeLiveRecords(message: Uint8Array): LiveRecords {
  if (message.length < LIVE_HEADER_BYTES || message[0] !== LIVE_RECORDS_KIND) {
    throw new EdgeLogError(
      "CORRUPT_MESSAGE",
      `not a live records message (${message.length} bytes, kind ${message[0] ?? "none"})`,
      { context: { sizeBytes: message.length } },
    );
  }
  const view = new DataView(message.buffer, message.byteOffset, message.byteLength);
  return {
    highWatermark: getOffset(view, 1),
    logStartOffset: getOffset(view, 9),
    batches: decodeFrames(message.subarray(LIVE_HEADER_BYTES)),
  };
}

/** The text of a control message. */
export function encodeLiveControl(message: LiveServerMessage | LiveClientMessage): string {
  return JSON.stringify(message);
}

/**
 * A reader's message, checked: anything else — too long, not JSON, an unknown type, an offset that is not a
 * non-negative safe integer — is `INVALID_REQUEST`.
 */
export function parseLiveClientMessage(text: string): LiveClientMessage {
  if (text.length > MAX_LIVE_CLIENT_MESSAGE_BYTES || utf8Length(text) > MAX_LIVE_CLIENT_MESSAGE_BYTES) {
    throw invalidMessage(`a live tail message is at most ${MAX_LIVE_CLIENT_MESSAGE_BYTES} bytes`);
  }
  const value = parseJson(text, () => invalidMessage("a live tail message is JSON text"));
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidMessage("a live tail message is a JSON object");
  }
  const { type } = value as { type?: unknown };
  if (type === "pause") return { type: "pause" };
  if (type === "resume") {
    const { offset } = value as { offset?: unknown };
    if (typeof offset !== "number" || !Number.isSafeInteger(offset) || offset < 0) {
      throw invalidMessage("resume needs an offset: a non-negative integer");
    }
    return { type: "resume", offset };
  }
  throw invalidMessage('a live tail message has type "resume" or "pause"');
}

/** The partition's control message, checked (the client's side). */
export function parseLiveServerMessage(text: string): LiveServerMessage {
  const corrupt = (): EdgeLogError =>
    new EdgeLogError("CORRUPT_MESSAGE", "malformed live tail control message", {
      context: { sizeBytes: text.length },
    });
  const value = parseJson(text, corrupt) as Partial<Record<string, unknown>> | null;
  if (typeof value !== "object" || value === null) throw corrupt();
  const offsets = (...names: string[]): boolean =>
    names.every((name) => typeof value[name] === "number" && Number.isSafeInteger(value[name]));
  switch (value.type) {
    case "ready":
      if (!offsets("offset", "highWatermark", "logStartOffset")) throw corrupt();
      return {
        type: "ready",
        offset: value.offset as number,
        highWatermark: value.highWatermark as number,
        logStartOffset: value.logStartOffset as number,
        expiresAt: typeof value.expiresAt === "number" ? value.expiresAt : null,
      };
    case "behind":
      if (!offsets("nextOffset", "highWatermark")) throw corrupt();
      return {
        type: "behind",
        nextOffset: value.nextOffset as number,
        highWatermark: value.highWatermark as number,
      };
    case "error": {
      const error = value.error as { code?: unknown } | undefined;
      if (typeof error !== "object" || error === null || !isErrorCode(error.code)) throw corrupt();
      return { type: "error", error: error as { code: ErrorCode; message: string } & ErrorContext };
    }
    default:
      throw corrupt();
  }
}

/**
 * The close code that goes with an error: 4000 + its HTTP status (4401 token expired, 4404 topic deleted, 4416
 * offset out of range, 4429 throttled, 4400 a bad message, 4500 a bug), in the range RFC 6455 leaves to
 * applications, so even a reader that missed the `error` message knows why.
 */
export function liveCloseCode(code: ErrorCode): number {
  return 4000 + httpStatusFor(code);
}

function invalidMessage(message: string): EdgeLogError {
  return new EdgeLogError("INVALID_REQUEST", message);
}

function parseJson(text: string, malformed: () => EdgeLogError): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw malformed();
  }
}

function setOffset(view: DataView, at: number, offset: number): void {
  view.setUint32(at, offset % UINT32_SPAN, true);
  view.setUint32(at + 4, Math.floor(offset / UINT32_SPAN), true);
}

function getOffset(view: DataView, at: number): number {
  const high = view.getUint32(at + 4, true);
  if (high > MAX_OFFSET_HIGH_WORD) {
    throw new EdgeLogError("CORRUPT_MESSAGE", "live records message has an offset not below 2^53");
  }
  return high * UINT32_SPAN + view.getUint32(at, true);
}
