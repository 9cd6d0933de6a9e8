/**
 * @module
 * A WebSocket live tail reader for the workerd tests: opens a socket through the store, checks every records
 * message against what it already has (no gap, no repeat), and lets a test wait on what it received.
 */
import { decodeBatch, type TopicPartition } from "@edgelog/core";
import {
  decodeLiveRecords,
  encodeLiveControl,
  type LiveClientMessage,
  type LiveServerMessage,
  parseLiveServerMessage,
} from "@edgelog/core/store-kit";
import type { LiveSocketRequest } from "@edgelog/server";
import type { DurableObjectLogStore } from "../src/index.ts";

const decoder = new TextDecoder();

export interface ReaderOptions {
  /** Resumes by itself when told it is behind (or a message leaves it short of the high watermark). */
  readonly autoResume?: boolean;
  /** A compacted topic: a batch may begin past the next offset (the gaps a pass leaves are no violation). */
  readonly gaps?: boolean;
}

export class TailReader {
  readonly socket: WebSocket;
  /** Offsets received, in order, each once. */
  readonly offsets: number[] = [];
  /** Values received, by offset. */
  readonly values = new Map<number, string>();
  readonly control: LiveServerMessage[] = [];
  /** What broke the no-gap/no-repeat rule, if anything. */
  readonly violations: string[] = [];
  next: number;
  highWatermark = 0;
  closed: { code: number; reason: string } | null = null;
  /** This side closed it (its close event may not have come yet). */
  left = false;
  readonly #autoResume: boolean;
  readonly #gaps: boolean;
  readonly #listeners = new Set<() => void>();

  private constructor(socket: WebSocket, start: number, options: ReaderOptions) {
    this.socket = socket;
    this.next = start;
    this.#autoResume = options.autoResume ?? false;
    this.#gaps = options.gaps ?? false;
    socket.binaryType = "arraybuffer";
    socket.accept();
    socket.addEventListener("message", (event) => this.#onMessage(event.data));
    socket.addEventListener("close", (event) => {
      this.closed = { code: event.code, reason: event.reason };
      this.#changed();
    });
  }

  /** Opens a tail; `start` is where the reader expects its first record (the resolved offset). */
  static async open(
    store: DurableObjectLogStore,
    tp: TopicPartition,
    request: Partial<LiveSocketRequest> & { offset: LiveSocketRequest["offset"] },
    options: ReaderOptions = {},
  ): Promise<TailReader> {
    const response = await store.tailSocket(tp, { expiresAt: null, ...request });
    if (response.webSocket === null) throw new Error(`no socket: ${response.status}`);
    const start = typeof request.offset === "number" ? request.offset : -1;
    const reader = new TailReader(response.webSocket, start, options);
    await reader.waitFor(() => reader.ready !== undefined, "ready");
    return reader;
  }

  get ready(): Extract<LiveServerMessage, { type: "ready" }> | undefined {
    return this.control.find((m) => m.type === "ready");
  }

  send(message: LiveClientMessage | string): void {
    if (this.left || this.closed !== null) return;
    this.socket.send(typeof message === "string" ? message : encodeLiveControl(message));
  }

  resume(offset = this.next): void {
    this.send({ type: "resume", offset });
  }

  close(): void {
    if (this.left) return;
    this.left = true;
    this.socket.close(1000, "done");
  }

  /** Resolves once `predicate` holds (checked after every message), or rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate()) return;
        this.#listeners.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#listeners.delete(check);
        reject(new Error(`timed out waiting for ${what} (next ${this.next}, hw ${this.highWatermark})`));
      }, timeoutMs);
      this.#listeners.add(check);
    });
  }

  #onMessage(data: unknown): void {
    if (typeof data === "string") {
      const message = parseLiveServerMessage(data);
      this.control.push(message);
      if (message.type === "ready") {
        if (this.next === -1) this.next = message.offset;
        this.highWatermark = message.highWatermark;
      }
      if (message.type === "behind" && this.#autoResume) this.resume();
    } else {
      const records = decodeLiveRecords(new Uint8Array(data as ArrayBuffer));
      this.highWatermark = Math.max(this.highWatermark, records.highWatermark);
      for (const batch of records.batches) {
        if (batch.baseOffset > this.next && !this.#gaps) {
          this.violations.push(`gap: batch at ${batch.baseOffset} while expecting ${this.next}`);
        }
        if (batch.lastOffset < this.next) {
          this.violations.push(`repeat: batch ${batch.baseOffset}..${batch.lastOffset} below ${this.next}`);
          continue;
        }
        // A batch may begin before the position the reader resumed from: skip those records.
        const { records: decoded } = decodeBatch(batch.payload);
        for (let offset = Math.max(batch.baseOffset, this.next); offset <= batch.lastOffset; offset++) {
          this.offsets.push(offset);
          this.values.set(offset, text(decoded[offset - batch.baseOffset]?.value ?? null));
        }
        this.next = batch.lastOffset + 1;
      }
      if (this.#autoResume && this.next < records.highWatermark) this.resume();
    }
    this.#changed();
  }

  #changed(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

/** A value's text. */
export function text(bytes: Uint8Array | null): string {
  return bytes === null ? "" : decoder.decode(bytes);
}
