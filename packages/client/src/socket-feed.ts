/**
 * @module
 * `SocketFeed`: one WebSocket live tail of a partition (docs/http-api.md "WebSocket live tail"), used by
 * `HttpLogStore`'s `live: "ws"` reads and its WebSocket `tail()`. The partition pushes each commit; the feed keeps
 * what arrived in a buffer and reads at the end of the partition are answered from it — byte-exact stored batches,
 * with no request per read. The buffer is bounded: past `FEED_PAUSE_BYTES` the feed sends `pause`, and `resume`
 * once reads have drained it; when the partition says the socket is not caught up (a records message short of
 * the high watermark, or `behind`) the feed resumes from the end of what it received, so nothing is skipped or
 * repeated. A feed that cannot open (no WebSocket here, or the server does not offer it) says so, and the store
 * reads another way.
 */
import type { ReadResult, StoredBatch } from "@edgelog/core";
import {
  decodeLiveRecords,
  encodeLiveControl,
  type LiveClientMessage,
  liveCloseCode,
  parseLiveServerMessage,
  ReadBudget,
} from "@edgelog/core/store-kit";

/** The part of the WebSocket API the feed uses: the browser's, Node's (22+), a Worker's, or a test's. */
export interface LiveWebSocket {
  /** Set to "arraybuffer": records arrive as binary messages. */
  binaryType: string;
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: "open" | "message" | "close" | "error", listener: (event: Event) => void): void;
}

export type LiveWebSocketConstructor = new (url: string) => LiveWebSocket;

/** Unread bytes past which the feed asks the partition to stop pushing. */
export const FEED_PAUSE_BYTES = 4 * 1024 * 1024;
/** Unread bytes below which a paused feed resumes. */
export const FEED_RESUME_BYTES = 1024 * 1024;
/** A feed nobody has read from for this long closes its socket. */
export const FEED_IDLE_MS = 30_000;

/** How a feed ended: `unopened` when the socket never opened (WebSocket unsupported or refused). */
export type FeedEnd = "unopened" | "closed";

interface Waiter {
  readonly resolve: () => void;
}

export class SocketFeed {
  /** `null` when the socket could not even be made (a bad URL, a runtime that refuses): the feed ends unopened. */
  readonly #socket: LiveWebSocket | null;
  /** Batches received and not yet read past, in order; the first may begin before `#start`. */
  #buffer: StoredBatch[] = [];
  #bufferBytes = 0;
  /** The lowest offset a read may ask of this feed (where it opened, then moving up with reads). */
  #start: number;
  /** The offset after the last record received. */
  #next: number;
  #highWatermark: number;
  #logStartOffset = 0;
  #opened = false;
  #paused = false;
  #end: FeedEnd | null = null;
  #closeCode: number | undefined;
  readonly #waiters = new Set<Waiter>();
  #idleTimer: ReturnType<typeof setTimeout> | null = null;
  readonly #onEnd: (end: FeedEnd) => void;

  /**
   * @param url the socket's URL, the offset and token included (`wss://…/records?offset=N&access_token=…`).
   * @param from the offset the URL asks for: the feed's first record.
   */
  constructor(
    WebSocketClass: LiveWebSocketConstructor,
    url: string,
    from: number,
    onEnd: (end: FeedEnd) => void = () => undefined,
  ) {
    this.#start = from;
    this.#next = from;
    this.#highWatermark = from;
    this.#onEnd = onEnd;
    let socket: LiveWebSocket | null;
    try {
      socket = new WebSocketClass(url);
    } catch {
      socket = null;
    }
    this.#socket = socket;
    if (socket === null) {
      // Told after the caller has the feed, as a socket's own failure would be.
      queueMicrotask(() => this.#finish());
      return;
    }
    socket.binaryType = "arraybuffer";
    socket.addEventListener("open", () => {
      this.#opened = true;
    });
    socket.addEventListener("message", (event) => this.#onMessage((event as MessageEvent).data));
    socket.addEventListener("close", (event) => {
      this.#closeCode ??= (event as CloseEvent).code;
      this.#finish();
    });
    socket.addEventListener("error", () => this.#finish());
    this.#armIdleTimer();
  }

  /** How it ended, or `null` while open (or opening). */
  get ended(): FeedEnd | null {
    return this.#end;
  }

  /** The close code the partition ended it with (4401 token expired, 4404 topic deleted, …), when it did. */
  get closeCode(): number | undefined {
    return this.#closeCode;
  }

  /** The offset after the last record received. */
  get next(): number {
    return this.#next;
  }

  /**
   * Whether a read at `offset` is this feed's to answer: within what it received (still buffered), or at its end
   * while it is open.
   */
  covers(offset: number): boolean {
    if (offset < this.#start) return false;
    return offset < this.#next ? this.#buffer.length > 0 : offset === this.#next && this.#end === null;
  }

  /**
   * The batches from the one holding `offset` within `maxBytes` (the first always), waiting up to `waitMs` when
   * none has arrived yet; `null` when the feed ended before it could answer (read another way). Reads move
   * forward: batches wholly before `offset` are dropped.
   */
  async read(
    offset: number,
    maxBytes: number,
    waitMs: number,
    signal?: AbortSignal,
  ): Promise<ReadResult | null> {
    this.#armIdleTimer();
    this.#dropBefore(offset);
    if (this.#buffer.length === 0 && this.#end === null && waitMs > 0) await this.#arrival(waitMs, signal);
    if (this.#buffer.length === 0 && this.#end !== null) return null;
    this.#dropBefore(offset);
    const budget = new ReadBudget(maxBytes);
    const batches: StoredBatch[] = [];
    for (const batch of this.#buffer) {
      if (!budget.admits(batch.payload.length)) break;
      batches.push(batch);
    }
    return { batches, highWatermark: this.#highWatermark, logStartOffset: this.#logStartOffset };
  }

  /** Closes the socket; waiting reads answer `null`. */
  close(): void {
    try {
      this.#socket?.close(1000, "done");
    } catch {
      // Not open yet, or closed already.
    }
    this.#finish();
  }

  #onMessage(data: unknown): void {
    try {
      if (typeof data === "string") {
        const message = parseLiveServerMessage(data);
        if (message.type === "ready") {
          this.#highWatermark = message.highWatermark;
          this.#logStartOffset = message.logStartOffset;
        } else if (message.type === "behind") {
          this.#resumeUnlessFull();
        } else {
          // The partition's last word: the feed ends now, not when the connection is torn down (which can take a
          // while); the store's next read over HTTP reports the error where it is final.
          this.#closeCode = liveCloseCode(message.error.code);
          this.close();
        }
        return;
      }
      const records = decodeLiveRecords(new Uint8Array(data as ArrayBuffer));
      this.#highWatermark = Math.max(this.#highWatermark, records.highWatermark);
      this.#logStartOffset = records.logStartOffset;
      for (const batch of records.batches) {
        if (batch.baseOffset > this.#next) throw new Error(`gap: ${batch.baseOffset} after ${this.#next}`);
        if (batch.lastOffset < this.#next) continue;
        this.#buffer.push(batch);
        this.#bufferBytes += batch.payload.length;
        this.#next = batch.lastOffset + 1;
      }
      if (this.#bufferBytes > FEED_PAUSE_BYTES && !this.#paused) {
        this.#paused = true;
        this.#send({ type: "pause" });
      }
      if (this.#next < records.highWatermark) this.#resumeUnlessFull();
      for (const waiter of [...this.#waiters]) waiter.resolve();
    } catch (error) {
      // A message that breaks the protocol: this socket cannot be trusted; reads go another way.
      console.error("edgelog: live tail socket sent a bad message; closing it", error);
      this.close();
    }
  }

  /** Asks for more once there is room: now, or when reads have drained the buffer (`#dropBefore`). */
  #resumeUnlessFull(): void {
    if (this.#paused) return;
    this.#send({ type: "resume", offset: this.#next });
  }

  #dropBefore(offset: number): void {
    this.#start = Math.max(this.#start, Math.min(offset, this.#next));
    while (this.#buffer.length > 0 && (this.#buffer[0] as StoredBatch).lastOffset < offset) {
      this.#bufferBytes -= (this.#buffer.shift() as StoredBatch).payload.length;
    }
    if (this.#paused && this.#bufferBytes < FEED_RESUME_BYTES) {
      this.#paused = false;
      this.#send({ type: "resume", offset: this.#next });
    }
  }

  #arrival(waitMs: number, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#waiters.delete(waiter);
      };
      const waiter: Waiter = {
        resolve: () => {
          done();
          resolve();
        },
      };
      const onAbort = (): void => {
        done();
        reject(signal?.reason);
      };
      const timer = setTimeout(waiter.resolve, waitMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  #send(message: LiveClientMessage): void {
    if (this.#end !== null || !this.#opened) return;
    try {
      this.#socket?.send(encodeLiveControl(message));
    } catch {
      // Closing: its close event ends the feed.
    }
  }

  #armIdleTimer(): void {
    if (this.#end !== null) return;
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      // A read waiting longer than the idle time is not idleness.
      if (this.#waiters.size > 0) this.#armIdleTimer();
      else this.close();
    }, FEED_IDLE_MS);
  }

  #finish(): void {
    if (this.#end !== null) return;
    this.#end = this.#opened ? "closed" : "unopened";
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    for (const waiter of [...this.#waiters]) waiter.resolve();
    this.#onEnd(this.#end);
  }
}
