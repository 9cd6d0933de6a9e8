/**
 * @module
 * `LiveTails`: a partition's WebSocket readers (docs/http-api.md "WebSocket live tail"). The partition object
 * accepts each reader's socket as hibernatable; whenever what readers may see grows (a commit, or a replicated
 * partition's high watermark moving) it calls `advanced()`, and every socket that is caught up is sent the new
 * batches — one read and one encoded message shared by all of them, from that one invocation — so an append costs
 * the same number of object invocations whatever the number of readers.
 *
 * A socket that is not caught up (it opened below the high watermark, its reader paused it, or it could not take
 * a push) is paced by its reader instead: each `resume` is answered with one catch-up step, and a step that
 * reaches the high watermark makes the socket caught up again. Readers only ever see committed records (what
 * `bounds()` says readers see), and each socket's position moves only by what it was sent; a `resume` never
 * moves it back (what was sent is delivered or on its way), so a reader that resumes from the end of what it
 * received — even while pushes are still in flight — neither misses nor repeats a record.
 *
 * Every socket's state — its next offset, whether it is pushed to, when its token expires, its resume allowance —
 * survives hibernation in its attachment, written only when that state changes (open, resume, pause, behind, a
 * step that does not reach the high watermark), never by a push: a push costs one send per caught-up socket and
 * nothing else. A caught-up socket's attachment holds no current position; it is implied. Every push sends each
 * caught-up socket up to the high watermark (or stops pushing to it, which is written), and a push runs in the
 * turn that moved the high watermark, so whenever the object is idle — and so whenever it may hibernate — every
 * caught-up socket has been sent everything readers see. A fresh instance (`loaded()`) therefore places its
 * caught-up sockets at the visible end it starts with; the map here holds this instance's positions.
 */
import { EdgeLogError, type PartitionOffsets, type StoredBatch } from "@edgelog/core";
import {
  encodeLiveControl,
  encodeLiveRecords,
  type LiveClientMessage,
  type LiveServerMessage,
  liveCloseCode,
  parseLiveClientMessage,
} from "@edgelog/core/store-kit";

/** The tag the partition accepts live tail sockets with (`ctx.getWebSockets(LIVE_TAIL_TAG)`). */
export const LIVE_TAIL_TAG = "live-tail";
/** Live tail sockets one partition object holds; one more is refused (429, `quota: "connections"`). */
export const MAX_LIVE_SOCKETS = 10_000;
/** Bytes of batches one records message holds (whole batches; a larger batch goes alone). */
export const LIVE_MESSAGE_BYTES = 1024 * 1024;
/** Bytes one push or one catch-up step sends one socket; past it the socket stops being pushed to. */
export const LIVE_STEP_BYTES = 4 * 1024 * 1024;
/** Unsent bytes a socket may hold before pushes to it stop (`behind`): a reader that does not keep up. */
export const MAX_LIVE_BUFFERED_BYTES = 8 * 1024 * 1024;
/** `resume` messages one socket may send: a burst of this many, refilled at `LIVE_RESUMES_PER_SECOND`. */
export const LIVE_RESUME_BURST = 20;
export const LIVE_RESUMES_PER_SECOND = 10;
/** What a refused socket is told to wait before it tries again. */
const RETRY_AFTER_MS = 1_000;

/** The refusal of one more live socket where `limit` are held (429, `quota: "connections"`). */
export function liveSocketsExhausted(limit: number): EdgeLogError {
  return new EdgeLogError(
    "THROTTLING_QUOTA_EXCEEDED",
    `this partition serves ${limit} live sockets already; tail over SSE or long-polls, or retry later`,
    { context: { quota: "connections", limit, retryAfterMs: RETRY_AFTER_MS } },
  );
}

/** What `LiveTails` uses of a WebSocket: the runtime's hibernatable sockets, or a test's fakes. */
export interface LiveSocket {
  send(message: string | ArrayBuffer | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  serializeAttachment(value: unknown): void;
  deserializeAttachment(): unknown;
  /** Bytes queued but not yet sent, where the runtime reports it. */
  readonly bufferedAmount?: number;
}

/** What the partition object gives `LiveTails`. */
export interface LiveTailHost {
  /** The live tail sockets the object holds (accepted with `LIVE_TAIL_TAG`). */
  sockets(): readonly LiveSocket[];
  /** What readers see: the log start and the high watermark. */
  bounds(): PartitionOffsets;
  /** Throws `OFFSET_OUT_OF_RANGE` unless a read may start at `offset`. */
  assertReadable(offset: number): void;
  /** Visible batches from the one holding `offset`, whole, within `maxBytes` (the first always). */
  readVisible(offset: number, maxBytes: number): StoredBatch[];
  /** Wakes the object at `at` (unless it wakes sooner): when a socket's token expires. */
  wakeAt(at: number): void;
  /** A reader opened or resumed: a follower makes sure its leader pushes it the high watermark. */
  readerJoined(): void;
  now(): number;
}

/** Counters for tests and metrics. */
export interface LiveTailStats {
  readonly sockets: number;
  /** Sockets opened by this instance. */
  readonly opened: number;
  /** Messages sent (records and control), one per socket each. */
  readonly sent: number;
  /** Records messages encoded: once per push or step, however many sockets it went to. */
  readonly encoded: number;
  /** Messages received from readers (each an invocation; pings answered by the runtime are not). */
  readonly received: number;
  /** Socket attachments written: on a socket's state changes, never per push. */
  readonly attachmentWrites: number;
}

interface SocketState {
  /**
   * The next offset this socket has not been sent. Stored when the socket stops being caught up; while it is
   * caught up the stored value is stale and the instance's own (`loaded()`) is the truth.
   */
  next: number;
  /** Caught up: pushed to as the high watermark moves. Otherwise it waits for its reader's `resume`. */
  live: boolean;
  /** When the token that opened it expires (ms since the epoch), or `null`. */
  expiresAt: number | null;
  /** Resume allowance, a token bucket refilled from `resumedAt`. */
  resumeTokens: number;
  resumedAt: number;
}

/** One read's worth of batches for one starting offset, encoded once for every socket that stands there. */
interface Step {
  readonly messages: readonly Uint8Array[];
  /** The offset after the last batch sent (the start offset when nothing was). */
  readonly end: number;
}

export class LiveTails {
  readonly #host: LiveTailHost;
  readonly #maxSockets: () => number;
  /**
   * This instance's socket states, by socket object: the runtime hands out the same object for a socket every time
   * (workerd does; `live-tail.test.ts` checks), which caught-up positions held only here rely on.
   */
  readonly #states = new WeakMap<LiveSocket, SocketState>();
  #publishing = false;
  /**
   * Sockets held, kept as they open and close rather than counted on each join (which made joins quadratic);
   * `null` until first needed. It can only run high (a close the runtime never reported), so a refusal recounts.
   */
  #count: number | null = null;
  /** Sockets whose close was counted already: a socket may report both an error and a close. */
  readonly #closed = new WeakSet<LiveSocket>();
  /** Where caught-up sockets from before this instance stand: the visible end it was `loaded()` with. */
  #startEnd: number | null = null;
  #opened = 0;
  #sent = 0;
  #encoded = 0;
  #received = 0;
  #attachmentWrites = 0;

  /**
   * `maxSockets`: how many sockets it holds before refusing one (default `MAX_LIVE_SOCKETS`; a partition with
   * broadcast shards holds fewer, a shard learns its own limit with its first socket, tests lower it).
   */
  constructor(host: LiveTailHost, options: { maxSockets?: number | (() => number) } = {}) {
    this.#host = host;
    const max = options.maxSockets ?? MAX_LIVE_SOCKETS;
    this.#maxSockets = typeof max === "number" ? () => max : max;
  }

  /**
   * The host's state is loaded (at start-up, and so after hibernation), before anything can move the high
   * watermark: sockets caught up before this instance existed were sent everything readers saw, which is what
   * readers see now.
   */
  loaded(): void {
    this.#startEnd = this.#host.bounds().highWatermark;
  }

  count(): number {
    this.#count ??= this.#host.sockets().length;
    return this.#count;
  }

  /** The runtime reported the socket closed (or failed): it no longer counts against the limit. */
  closed(socket: LiveSocket): void {
    if (this.#closed.has(socket)) return;
    this.#closed.add(socket);
    if (this.#count !== null) this.#count = Math.max(0, this.#count - 1);
  }

  /**
   * The holding object's `webSocketClose` (with the reader's `code`) and `webSocketError` (without): the socket is
   * `closed`, and the closing handshake completed (the runtime may have done so already).
   */
  ended(socket: LiveSocket, code?: number): void {
    this.closed(socket);
    try {
      socket.close(code === undefined ? 1011 : code === 1005 || code === 1006 ? 1000 : code);
    } catch {
      // Already closed.
    }
  }

  stats(): LiveTailStats {
    return {
      sockets: this.count(),
      opened: this.#opened,
      sent: this.#sent,
      encoded: this.#encoded,
      received: this.#received,
      attachmentWrites: this.#attachmentWrites,
    };
  }

  /**
   * Checks, before the upgrade, that a reader may open at `spec`: room for one more socket (else 429) and a
   * readable offset (else 416). Answers the offset, `earliest`/`latest` resolved.
   */
  admit(spec: number | "earliest" | "latest"): number {
    if (this.full()) throw liveSocketsExhausted(this.#maxSockets());
    return this.resolve(spec);
  }

  /** Whether another socket would pass the limit. */
  full(): boolean {
    if (this.count() < this.#maxSockets()) return false;
    // Only a full count is checked against the runtime: a close it never reported must not refuse readers.
    this.#count = this.#host.sockets().length;
    return this.#count >= this.#maxSockets();
  }

  /** The offset a reader opening at `spec` starts from (`earliest`/`latest` resolved), or 416. */
  resolve(spec: number | "earliest" | "latest"): number {
    const bounds = this.#host.bounds();
    const offset =
      spec === "earliest" ? bounds.logStartOffset : spec === "latest" ? bounds.highWatermark : spec;
    this.#host.assertReadable(offset);
    return offset;
  }

  /** Serves an accepted socket from `offset` (from `admit`): `ready`, then its first catch-up step. */
  open(socket: LiveSocket, offset: number, expiresAt: number | null): void {
    const now = this.#host.now();
    const state: SocketState = {
      next: offset,
      live: false,
      expiresAt,
      resumeTokens: LIVE_RESUME_BURST,
      resumedAt: now,
    };
    this.#opened++;
    // Accepted already: a first count includes it.
    this.#count = this.#count === null ? this.#host.sockets().length : this.#count + 1;
    const { highWatermark, logStartOffset } = this.#host.bounds();
    this.#control(socket, { type: "ready", offset, highWatermark, logStartOffset, expiresAt });
    this.#step(socket, state);
    if (expiresAt !== null) this.#host.wakeAt(expiresAt);
    this.#host.readerJoined();
  }

  /**
   * What readers see grew. The push runs once the current turn is over: an append may sit inside a transaction
   * that is still running (a Durable Streams command), and what a rolled-back transaction wrote must never be
   * sent. Several advances in one turn make one push.
   */
  advanced(): void {
    if (this.#publishing) return;
    this.#publishing = true;
    queueMicrotask(() => {
      this.#publishing = false;
      try {
        this.publish();
      } catch (error) {
        // The partition went away meanwhile (deleted): its sockets were closed with it.
        console.error("edgelog: live tail push failed", error);
      }
    });
  }

  /** Sends every caught-up socket what it has not been sent, up to the high watermark. */
  publish(): void {
    const sockets = this.#host.sockets();
    if (sockets.length === 0) return;
    const bounds = this.#host.bounds();
    const now = this.#host.now();
    // Caught-up sockets stand at the previous high watermark: one read and one encoding serve all of them.
    const steps = new Map<number, Step>();
    for (const socket of sockets) {
      const state = this.#state(socket);
      if (state === null || !state.live || state.next >= bounds.highWatermark) continue;
      if (this.#expired(socket, state, now)) continue;
      if ((socket.bufferedAmount ?? 0) > MAX_LIVE_BUFFERED_BYTES) {
        // It does not keep up: stop pushing; its reader catches up by reading and resumes.
        state.live = false;
        this.#save(socket, state);
        this.#control(socket, {
          type: "behind",
          nextOffset: state.next,
          highWatermark: bounds.highWatermark,
        });
        continue;
      }
      let step = steps.get(state.next);
      try {
        if (step === undefined) {
          step = this.#read(state.next);
          steps.set(state.next, step);
        }
      } catch (error) {
        this.#fail(socket, error);
        continue;
      }
      this.#deliver(socket, state, step, bounds.highWatermark);
    }
  }

  /** A reader's message: `resume` (a catch-up step) or `pause`; anything else closes the socket. */
  message(socket: LiveSocket, data: string | ArrayBuffer): void {
    this.#received++;
    const state = this.#state(socket);
    if (state === null) return;
    const now = this.#host.now();
    if (this.#expired(socket, state, now)) return;
    let message: LiveClientMessage;
    try {
      if (typeof data !== "string") {
        throw new EdgeLogError("INVALID_REQUEST", "live tail messages are JSON text, not binary");
      }
      message = parseLiveClientMessage(data);
      if (message.type === "resume") {
        this.#takeResume(state, now);
        // Retention may have passed it meanwhile: that is the reader's 416.
        this.#host.assertReadable(Math.max(state.next, message.offset));
      }
    } catch (error) {
      this.#fail(socket, error);
      return;
    }
    if (message.type === "pause") {
      state.live = false;
      this.#save(socket, state);
      return;
    }
    // What this socket was sent already is delivered or on its way (a socket loses nothing and keeps order):
    // resuming below it would send those records twice. A reader that read further by itself skips ahead.
    state.next = Math.max(state.next, message.offset);
    state.live = false;
    try {
      this.#step(socket, state);
    } catch (error) {
      this.#fail(socket, error);
      return;
    }
    this.#host.readerJoined();
  }

  /** The next offset `socket` has not been sent (`null` for a socket it does not serve). */
  position(socket: LiveSocket): number | null {
    return this.#state(socket)?.next ?? null;
  }

  /** Closes the sockets whose token has expired; answers the next expiry to wake for, or `null`. */
  expire(): number | null {
    const now = this.#host.now();
    let next: number | null = null;
    for (const socket of this.#host.sockets()) {
      const state = this.#state(socket);
      if (state === null || state.expiresAt === null || this.#expired(socket, state, now)) continue;
      next = next === null ? state.expiresAt : Math.min(next, state.expiresAt);
    }
    return next;
  }

  /** Ends every socket with `error` (the partition was deleted). */
  failAll(error: unknown): void {
    for (const socket of this.#host.sockets()) this.#fail(socket, error);
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────────────────────────

  /** One catch-up step from the socket's position, or caught up when it stands at the high watermark. */
  #step(socket: LiveSocket, state: SocketState): void {
    const { highWatermark } = this.#host.bounds();
    if (state.next < highWatermark) {
      this.#deliver(socket, state, this.#read(state.next), highWatermark);
      return;
    }
    state.live = true;
    this.#save(socket, state);
  }

  /**
   * Sends a step and moves the socket's position past it. Caught up when the step reached the high watermark;
   * otherwise pushes stop and its reader resumes (it sees the message's high watermark beyond what it got).
   */
  #deliver(socket: LiveSocket, state: SocketState, step: Step, highWatermark: number): void {
    for (const message of step.messages) this.#send(socket, message);
    const wasLive = state.live;
    state.next = Math.max(state.next, step.end);
    state.live = state.next >= highWatermark;
    // A push that leaves a socket caught up changes nothing stored: its position is implied (see the module).
    if (!(wasLive && state.live)) this.#save(socket, state);
  }

  /** Batches from `offset` for one step, as records messages of at most `LIVE_MESSAGE_BYTES` each. */
  #read(offset: number): Step {
    const batches = this.#host.readVisible(offset, LIVE_STEP_BYTES);
    const last = batches.at(-1);
    if (last === undefined) return { messages: [], end: offset };
    const { highWatermark, logStartOffset } = this.#host.bounds();
    const messages: Uint8Array[] = [];
    let group: StoredBatch[] = [];
    let bytes = 0;
    const flush = (): void => {
      if (group.length === 0) return;
      messages.push(encodeLiveRecords(highWatermark, logStartOffset, group));
      this.#encoded++;
      group = [];
      bytes = 0;
    };
    for (const batch of batches) {
      if (bytes > 0 && bytes + batch.payload.length > LIVE_MESSAGE_BYTES) flush();
      group.push(batch);
      bytes += batch.payload.length;
    }
    flush();
    return { messages, end: last.lastOffset + 1 };
  }

  /** Closes the socket (with `AUTHENTICATION_FAILED`) when its token has expired. */
  #expired(socket: LiveSocket, state: SocketState, now: number): boolean {
    if (state.expiresAt === null || state.expiresAt > now) return false;
    this.#fail(
      socket,
      new EdgeLogError(
        "AUTHENTICATION_FAILED",
        "the token that opened this socket has expired; reconnect with a fresh token to resume",
      ),
    );
    return true;
  }

  /** Takes one resume from the socket's allowance, or throws `THROTTLING_QUOTA_EXCEEDED`. */
  #takeResume(state: SocketState, now: number): void {
    const refill = ((now - state.resumedAt) / 1000) * LIVE_RESUMES_PER_SECOND;
    state.resumeTokens = Math.min(LIVE_RESUME_BURST, state.resumeTokens + Math.max(0, refill));
    state.resumedAt = now;
    if (state.resumeTokens < 1) {
      throw new EdgeLogError(
        "THROTTLING_QUOTA_EXCEEDED",
        `a live socket may resume ${LIVE_RESUMES_PER_SECOND} times a second; reconnect later`,
        { context: { quota: "resumes", retryAfterMs: RETRY_AFTER_MS } },
      );
    }
    state.resumeTokens -= 1;
  }

  /** Sends `error` as the socket's last message and closes it with the matching code. */
  #fail(socket: LiveSocket, error: unknown): void {
    let known: EdgeLogError;
    if (error instanceof EdgeLogError && error.code !== "UNKNOWN_SERVER_ERROR") {
      known = error;
    } else {
      console.error("edgelog: live tail failed", error);
      known = new EdgeLogError("UNKNOWN_SERVER_ERROR", "internal error");
    }
    this.#control(socket, { type: "error", error: known.toJSON() });
    try {
      socket.close(liveCloseCode(known.code), known.code);
    } catch {
      // Already closing.
    }
  }

  #control(socket: LiveSocket, message: LiveServerMessage): void {
    this.#send(socket, encodeLiveControl(message));
  }

  #send(socket: LiveSocket, message: string | Uint8Array): void {
    try {
      socket.send(message);
      this.#sent++;
    } catch {
      // The socket closed meanwhile: its close event drops it.
    }
  }

  #state(socket: LiveSocket): SocketState | null {
    const cached = this.#states.get(socket);
    if (cached !== undefined) return cached;
    const stored = socket.deserializeAttachment() as Partial<SocketState> | null;
    if (stored === null || typeof stored !== "object" || typeof stored.next !== "number") return null;
    const live = stored.live === true;
    // Not `loaded()`: the host had no partition when it started, so none of its sockets predates this instance.
    if (live && this.#startEnd === null) this.#startEnd = this.#host.bounds().highWatermark;
    const state: SocketState = {
      next: live ? Math.max(this.#startEnd ?? stored.next, stored.next) : stored.next,
      live,
      expiresAt: typeof stored.expiresAt === "number" ? stored.expiresAt : null,
      resumeTokens: typeof stored.resumeTokens === "number" ? stored.resumeTokens : LIVE_RESUME_BURST,
      resumedAt: typeof stored.resumedAt === "number" ? stored.resumedAt : 0,
    };
    this.#states.set(socket, state);
    return state;
  }

  #save(socket: LiveSocket, state: SocketState): void {
    this.#states.set(socket, state);
    this.#attachmentWrites++;
    socket.serializeAttachment({ ...state });
  }
}
