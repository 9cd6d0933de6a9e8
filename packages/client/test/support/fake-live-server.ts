/**
 * @module
 * A WebSocket live tail for the client's Node tests: a `WebSocket` class whose sockets are served from a
 * `MemoryStore` by the protocol of docs/http-api.md "WebSocket live tail" (ready, catch-up steps, pushes on
 * `push()`, resume/pause), so `HttpLogStore`'s `live: "ws"` and WebSocket tails run without a Worker. The real
 * partition side is tested in workerd (durable-objects/test/live-tail.test.ts) and end to end.
 */
import type { MemoryStore, TopicPartition } from "@edgelog/core";
import { encodeLiveControl, encodeLiveRecords, parseLiveClientMessage } from "@edgelog/core/store-kit";
import type { LiveWebSocket, LiveWebSocketConstructor } from "../../src/socket-feed.ts";

const STEP_BYTES = 64 * 1024;

export class FakeSocket implements LiveWebSocket {
  binaryType = "blob";
  readyState = 0;
  readonly url: URL;
  /** What the client sent, parsed. */
  readonly received: unknown[] = [];
  /** The server's position for this socket, and whether it is pushed to. */
  next = 0;
  live = false;
  /** Its reader paused it (the fake's steps are async: a pause may land in the middle of one). */
  paused = false;
  readonly #listeners = new Map<string, ((event: Event) => void)[]>();

  constructor(url: string) {
    this.url = new URL(url);
  }

  addEventListener(type: string, listener: (event: Event) => void): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error("not open");
    this.received.push(parseLiveClientMessage(data));
    this.onClientMessage?.(data);
  }

  close(code = 1000): void {
    if (this.readyState >= 2) return;
    this.readyState = 3;
    this.emit("close", Object.assign(new Event("close"), { code }));
  }

  onClientMessage: ((data: string) => void) | undefined;

  emit(type: string, event: Event): void {
    for (const listener of this.#listeners.get(type) ?? []) listener(event);
  }

  /** Delivers a server message to the client. */
  deliver(data: string | Uint8Array): void {
    if (this.readyState !== 1) return;
    const payload = typeof data === "string" ? data : data.slice().buffer;
    this.emit("message", Object.assign(new Event("message"), { data: payload }));
  }
}

export class FakeLiveServer {
  readonly sockets: FakeSocket[] = [];
  /** Sockets fail before they open (a server that does not offer WebSockets). */
  refuse = false;
  readonly WebSocket: LiveWebSocketConstructor;
  readonly #store: MemoryStore;

  constructor(store: MemoryStore) {
    this.#store = store;
    const server = this;
    this.WebSocket = class extends FakeSocket {
      constructor(url: string) {
        super(url);
        server.sockets.push(this);
        queueMicrotask(() => void server.#accept(this));
      }
    };
  }

  /** Pushes every caught-up socket what it has not been sent. */
  async push(): Promise<void> {
    for (const socket of this.sockets) if (socket.live && !socket.paused) await this.#step(socket);
  }

  async #accept(socket: FakeSocket): Promise<void> {
    if (this.refuse) {
      socket.readyState = 3;
      socket.emit("error", new Event("error"));
      socket.emit("close", Object.assign(new Event("close"), { code: 1006 }));
      return;
    }
    socket.readyState = 1;
    socket.emit("open", new Event("open"));
    const tp = this.#tp(socket);
    const offset = Number(socket.url.searchParams.get("offset"));
    const bounds = await this.#store.offsets(tp);
    socket.next = offset;
    socket.deliver(encodeLiveControl({ type: "ready", offset, ...bounds, expiresAt: null }));
    socket.onClientMessage = (data) => {
      const message = parseLiveClientMessage(data);
      if (message.type === "pause") socket.paused = true;
      else {
        socket.paused = false;
        socket.next = Math.max(socket.next, message.offset);
        void this.#step(socket);
      }
    };
    await this.#step(socket);
  }

  async #step(socket: FakeSocket): Promise<void> {
    const tp = this.#tp(socket);
    const bounds = await this.#store.offsets(tp);
    if (socket.next < bounds.highWatermark) {
      const { batches } = await this.#store.read(tp, { offset: socket.next, maxBytes: STEP_BYTES });
      socket.deliver(encodeLiveRecords(bounds.highWatermark, bounds.logStartOffset, batches));
      socket.next = (batches.at(-1)?.lastOffset ?? socket.next - 1) + 1;
    }
    socket.live = socket.next >= bounds.highWatermark;
  }

  #tp(socket: FakeSocket): TopicPartition {
    const [, , , topic, , partition] = socket.url.pathname.split("/");
    return { topic: decodeURIComponent(topic ?? ""), partition: Number(partition) };
  }
}
