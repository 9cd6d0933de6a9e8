// HttpLogStore's `live: "ws"` reads and WebSocket tails against the server app in-process and a fake WebSocket
// served from the same MemoryStore (test/support/fake-live-server.ts): reads at the end are answered from pushes
// with no request each, the socket's URL carries offset, region and token, a slow reader pauses and resumes, and
// a server without WebSockets (or a runtime without them) is read with long-polls and SSE instead.
import { DEFAULT_TOPIC_CONFIG, decodeBatch, MemoryStore } from "@edgelog/core";
import { makeBatch } from "@edgelog/core/testing";
import { createApp } from "@edgelog/server";
import { describe, expect, it } from "vitest";
import { HttpLogStore, type HttpLogStoreOptions } from "../src/http-log-store.ts";
import { FEED_PAUSE_BYTES, type LiveWebSocketConstructor } from "../src/socket-feed.ts";
import { FakeLiveServer } from "./support/fake-live-server.ts";

const tp = { topic: "orders", partition: 0 };

async function setup(options: Partial<HttpLogStoreOptions> = {}, { socket = true } = {}) {
  const memory = new MemoryStore();
  await memory.createTopic({ name: "orders", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
  const app = createApp({ auth: "none", store: () => memory });
  const env = {};
  const requests: string[] = [];
  const server = new FakeLiveServer(memory);
  const store = new HttpLogStore({
    url: "https://edgelog.test",
    live: "ws",
    ...(socket ? { webSocket: server.WebSocket } : {}),
    fetch: async (input, init) => {
      const request = new Request(input, init);
      requests.push(`${request.method} ${new URL(request.url).pathname}`);
      return app.fetch(request, env);
    },
    ...options,
  });
  return { memory, store, server, requests };
}

const values = (batches: { payload: Uint8Array }[]) =>
  batches.flatMap((b) =>
    decodeBatch(b.payload).records.map((r) => new TextDecoder().decode(r.value ?? undefined)),
  );

describe('live: "ws"', () => {
  it("answers a read at the end from the socket's push, and the next ones from its buffer, with no request each", async () => {
    const { memory, store, server, requests } = await setup({ token: "jwt-1", region: "weur" });
    await memory.append(tp, makeBatch(2, "old"));
    const waiting = store.read(tp, { offset: 2, maxWaitMs: 5_000 });
    await expect.poll(() => server.sockets.length).toBe(1);
    const url = server.sockets[0]?.url;
    expect(url?.protocol).toBe("wss:");
    expect(url?.pathname).toBe("/v1/topics/orders/partitions/0/records");
    expect(Object.fromEntries(url?.searchParams ?? [])).toEqual({
      offset: "2",
      region: "weur",
      access_token: "jwt-1",
    });
    await expect.poll(() => server.sockets[0]?.live).toBe(true);
    await memory.append(tp, makeBatch(3, "new"));
    await server.push();
    const first = await waiting;
    expect(values(first.batches)).toEqual(["new-0", "new-1", "new-2"]);
    expect(first.highWatermark).toBe(5);
    const before = requests.length;
    await memory.append(tp, makeBatch(1, "more"));
    await server.push();
    const second = await store.read(tp, { offset: 5, maxWaitMs: 5_000 });
    expect(values(second.batches)).toEqual(["more-0"]);
    expect(requests.length).toBe(before);
    await store.close();
  });

  it("pauses a socket whose unread pushes pass the bound, and resumes once reads drain them", async () => {
    const { memory, store, server } = await setup();
    const first = store.read(tp, { offset: 0, maxWaitMs: 5_000 });
    await expect.poll(() => server.sockets[0]?.live).toBe(true);
    const big = makeBatch(1, "x".repeat(200_000));
    for (let i = 0; i < Math.ceil(FEED_PAUSE_BYTES / big.length) + 2; i++) {
      await memory.append(tp, big);
      await server.push();
    }
    await first;
    const socket = server.sockets[0];
    expect(socket?.received).toContainEqual({ type: "pause" });
    expect(socket?.paused).toBe(true);
    // Reading forward drains the buffer; the feed resumes from the end of what it received.
    const { highWatermark } = await memory.offsets(tp);
    let offset = 0;
    while (offset < highWatermark) {
      const read = await store.read(tp, { offset, maxWaitMs: 1_000, maxBytes: 1 });
      offset = (read.batches.at(-1)?.lastOffset ?? offset) + 1;
    }
    const paused = socket?.received.findIndex((m) => (m as { type: string }).type === "pause") ?? -1;
    expect(socket?.received.slice(paused + 1)).toContainEqual({ type: "resume", offset: expect.any(Number) });
    expect(socket?.paused).toBe(false);
    expect(socket?.live).toBe(true);
    await store.close();
  });

  it("reads with long-polls when the server does not offer the socket, and does not retry it at once", async () => {
    const { memory, store, server, requests } = await setup();
    server.refuse = true;
    const waiting = store.read(tp, { offset: 0, maxWaitMs: 5_000 });
    setTimeout(() => void memory.append(tp, makeBatch(1, "late")), 50);
    expect(values((await waiting).batches)).toEqual(["late-0"]);
    expect(requests.filter((r) => r.endsWith("/batches"))).toHaveLength(2);
    const sockets = server.sockets.length;
    await store.read(tp, { offset: 1, maxWaitMs: 20 });
    expect(server.sockets.length).toBe(sockets);
    await store.close();
  });

  it("reads with long-polls when the WebSocket cannot even be made (the constructor throws)", async () => {
    const throwing = class {
      constructor() {
        throw new SyntaxError("bad socket URL");
      }
    } as unknown as LiveWebSocketConstructor;
    const { memory, store } = await setup({ webSocket: throwing });
    const waiting = store.read(tp, { offset: 0, maxWaitMs: 5_000 });
    setTimeout(() => void memory.append(tp, makeBatch(1, "late")), 50);
    expect(values((await waiting).batches)).toEqual(["late-0"]);
    await store.close();
  });

  it("uses no socket where there is no WebSocket to use (a custom fetch without `webSocket`)", async () => {
    const { store, server } = await setup({}, { socket: false });
    const read = await store.read(tp, { offset: 0, maxWaitMs: 10 });
    expect(read.batches).toEqual([]);
    expect(server.sockets).toHaveLength(0);
    await store.close();
  });
});

describe("tail over a WebSocket", () => {
  it("yields records byte for byte from the offset on and reconnects from where it got to", async () => {
    const { memory, store, server } = await setup();
    await memory.append(tp, makeBatch(2, "a"));
    const controller = new AbortController();
    const seen: number[] = [];
    const tail = (async () => {
      for await (const records of store.tail(tp, { offset: 1, signal: controller.signal, transport: "ws" })) {
        for (const record of records) seen.push(record.offset);
      }
    })();
    await expect.poll(() => seen).toEqual([1]);
    server.sockets[0]?.close(1006);
    await memory.append(tp, makeBatch(2, "b"));
    await expect.poll(() => server.sockets.length, { timeout: 5_000 }).toBe(2);
    expect(server.sockets[1]?.url.searchParams.get("offset")).toBe("2");
    await expect.poll(() => seen).toEqual([1, 2, 3]);
    controller.abort();
    await tail;
    await store.close();
  });

  it("goes on over SSE from the same offset when the socket cannot open", async () => {
    const { memory, store, server, requests } = await setup();
    server.refuse = true;
    await memory.append(tp, makeBatch(3, "s"));
    const controller = new AbortController();
    const seen: number[] = [];
    const tail = (async () => {
      for await (const records of store.tail(tp, { offset: 1, signal: controller.signal })) {
        for (const record of records) seen.push(record.offset);
        if (seen.length >= 2) controller.abort();
      }
    })();
    await tail;
    expect(seen).toEqual([1, 2]);
    expect(requests.filter((r) => r.endsWith("/records"))).toHaveLength(1);
    await store.close();
  });
});
