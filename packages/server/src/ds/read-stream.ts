/**
 * @module
 * Reading a stream (GET): where a read starts, what a catch-up or long-poll read returns, and the steps of a
 * live (SSE) read — each step a chunk of whole batches within `CHUNK_MAX_BYTES` and the stream's state after
 * it, waiting at the tail. Bodies, headers, ETags and cursors are the route's (`read.ts`).
 */
import type { StreamOffsetSpec } from "./offsets.ts";
import { type Refusal, refuse } from "./refusal.ts";
import { type Chunk, type FoundStream, findStream, readChunk, type StreamScope } from "./streams.ts";

/**
 * Bytes of batches one response (or SSE data event) carries. The protocol lets the server chunk, and clients
 * that follow `Stream-Up-To-Date` read on; generous, because `@durable-streams/client` 0.2.7 with `live: false`
 * stops after its first response whatever `Stream-Up-To-Date` says. Well under a Workers RPC message (32 MiB).
 */
export const CHUNK_MAX_BYTES = 4 * 1024 * 1024;

export type OpenedRead =
  | { readonly kind: "open"; readonly stream: FoundStream; readonly start: number }
  | Refusal;

/**
 * Finds the stream (renewing its TTL) and where a read at `spec` starts: the log start when none or `-1`, the
 * tail for `now`, else the offset (one past the tail reads as the tail); below the log start is gone.
 */
export async function openRead(
  scope: StreamScope,
  topic: string,
  spec: StreamOffsetSpec | undefined,
  now: number,
): Promise<OpenedRead> {
  const found = await findStream(scope, topic, now, true);
  if (found.kind === "missing") return refuse("not-found", "stream not found");
  if (found.kind === "gone") return refuse("gone", "stream deleted");
  const stream = found.stream;
  const { highWatermark, logStartOffset } = stream;
  let start: number;
  if (spec === undefined || spec === "start") start = logStartOffset;
  else if (spec === "now") start = highWatermark;
  else start = Math.min(spec, highWatermark);
  if (start < logStartOffset) return refuse("gone", "that offset is before the retained data");
  return { kind: "open", stream, start };
}

/** How a catch-up read asks for its chunk: cacheable for up to `cacheMaxAgeMs` (0: not), of this many bytes. */
export interface CatchUpOptions {
  readonly cacheMaxAgeMs: number;
  readonly chunkMaxBytes?: number | undefined;
}

export interface LongPoll {
  readonly waitMs: number;
  readonly signal: AbortSignal;
  /** The clock after the wait (the stream is looked up again then). */
  readonly now: () => number;
}

export type CatchUp =
  /** Records from the start (possibly none, before the tail); `closed`: the stream's flag as last seen. */
  | { readonly kind: "chunk"; readonly chunk: Chunk; readonly closed: boolean }
  /** A long-poll at the tail of a closed stream: nothing will come, answered at once. */
  | { readonly kind: "closed-tail" }
  /** A long-poll that waited in vain; `closedAtTail`: the stream closed meanwhile and the start is its tail. */
  | { readonly kind: "timed-out"; readonly closedAtTail: boolean }
  | Refusal;

/** A catch-up read from `start`; with `longPoll`, a read at the tail waits for data first. */
export async function readCatchUp(
  scope: StreamScope,
  stream: FoundStream,
  start: number,
  longPoll: LongPoll | null,
  options: CatchUpOptions = { cacheMaxAgeMs: 0 },
): Promise<CatchUp> {
  const topic = stream.topic.name;
  const maxBytes = options.chunkMaxBytes ?? CHUNK_MAX_BYTES;
  let chunk = await readChunk(scope.store, topic, start, {
    maxBytes,
    maxWaitMs: 0,
    cacheMaxAgeMs: options.cacheMaxAgeMs,
  });
  let closed = stream.state.closed;
  if (longPoll !== null && chunk.values.length === 0 && start >= chunk.highWatermark) {
    if (closed) return { kind: "closed-tail" };
    chunk = await readChunk(scope.store, topic, start, {
      maxBytes,
      maxWaitMs: longPoll.waitMs,
      signal: longPoll.signal,
    });
    const after = await findStream(scope, topic, longPoll.now(), true);
    if (after.kind === "missing") return refuse("not-found", "stream not found");
    if (after.kind === "gone") return refuse("gone", "stream deleted");
    closed = after.stream.state.closed;
    if (chunk.values.length === 0) {
      return { kind: "timed-out", closedAtTail: closed && start >= after.stream.highWatermark };
    }
  }
  return { kind: "chunk", chunk, closed };
}

export interface LiveStep {
  /** The values read (none after an empty wait). */
  readonly values: readonly (Uint8Array | null)[];
  /** Where the next step reads. */
  readonly nextOffset: number;
  readonly upToDate: boolean;
  /** The stream is closed and read to its end: this is the last step. */
  readonly closedAtEnd: boolean;
  /** No step follows: closed at the end, or the connection's time is up. */
  readonly last: boolean;
}

export interface LiveOptions {
  /** How long one step waits at the tail, at most. */
  readonly waitMs: number;
  /** When the connection ends (a `Date.now()` time), so CDNs can collapse it and the client resumes. */
  readonly deadline: number;
  readonly signal: AbortSignal;
  readonly now: () => number;
  /** Bytes of whole batches per step; default `CHUNK_MAX_BYTES`. */
  readonly chunkMaxBytes?: number | undefined;
}

/**
 * A live read from `start`: one step per chunk, waiting at the tail (up to `waitMs`, within the deadline).
 * Ends without a step when the stream disappears; pull one step at a time, so a slow reader holds it back.
 */
export async function* followStream(
  scope: StreamScope,
  topic: string,
  start: number,
  options: LiveOptions,
): AsyncGenerator<LiveStep, void, void> {
  let offset = start;
  let wait = 0;
  for (;;) {
    const chunk = await readChunk(scope.store, topic, offset, {
      maxBytes: options.chunkMaxBytes ?? CHUNK_MAX_BYTES,
      maxWaitMs: wait,
      signal: options.signal,
    });
    const found = await findStream(scope, topic, options.now(), true);
    if (found.kind !== "found") return;
    if (chunk.values.length > 0) offset = chunk.nextOffset;
    const upToDate = offset >= Math.max(chunk.highWatermark, found.stream.highWatermark);
    const closedAtEnd = found.stream.state.closed && upToDate;
    const last = closedAtEnd || Date.now() >= options.deadline;
    yield { values: chunk.values, nextOffset: offset, upToDate, closedAtEnd, last };
    if (last) return;
    wait = upToDate ? Math.min(options.waitMs, Math.max(1, options.deadline - Date.now())) : 0;
  }
}
