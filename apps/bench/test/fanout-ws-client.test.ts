// The fan-out benchmark's lean WebSocket client against a hand-written server that sends frames the way a server
// may — in pieces, with 16- and 64-bit lengths, fragmented, with pings between — and the ways one must not: a
// wrong handshake, a masked frame. Whatever it gets, the client reports messages in order or ends once, saying why.
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { openRawWebSocket } from "../../worker/bench/fanout-ws-client.ts";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

function serverFrame(opcode: number, payload: Buffer, fin = true, mask = false): Buffer {
  const b0 = (fin ? 0x80 : 0) | opcode;
  const m = mask ? 0x80 : 0;
  const n = payload.length;
  const head =
    n < 126
      ? Buffer.from([b0, m | n])
      : n <= 0xffff
        ? Buffer.from([b0, m | 126, n >> 8, n & 0xff])
        : Buffer.concat([
            Buffer.from([b0, m | 127]),
            Buffer.from(new BigUint64Array([BigInt(n)]).buffer).reverse(),
          ]);
  return Buffer.concat([head, mask ? Buffer.alloc(4) : Buffer.alloc(0), payload]);
}

/** Client frames are masked: unmask every (small) frame of a chunk. */
function readClientFrames(data: Buffer): { opcode: number; payload: Buffer }[] {
  const frames: { opcode: number; payload: Buffer }[] = [];
  for (let at = 0; at < data.length; ) {
    const length = (data[at + 1] as number) & 0x7f;
    const mask = data.subarray(at + 2, at + 6);
    const payload = Buffer.from(
      data.subarray(at + 6, at + 6 + length).map((b, i) => b ^ (mask[i & 3] as number)),
    );
    frames.push({ opcode: (data[at] as number) & 0x0f, payload });
    at += 6 + length;
  }
  return frames;
}

let server: Server | undefined;
/** Upgraded sockets are the test's to end: the server no longer tracks them. */
const sockets = new Set<Socket>();
async function stopServer(): Promise<void> {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  const stopping = server;
  server = undefined;
  if (stopping !== undefined) await new Promise((resolve) => stopping.close(resolve));
}
afterEach(stopServer);

/** A server that upgrades (with `accept` or the right key) and hands the socket to `talk`. */
async function serve(talk: (socket: Socket) => void, accept?: string): Promise<string> {
  const listening = createServer();
  server = listening;
  listening.on("upgrade", (request, socket: Socket) => {
    sockets.add(socket);
    const key = request.headers["sec-websocket-key"] ?? "";
    const answer =
      accept ??
      createHash("sha1")
        .update(key + GUID)
        .digest("base64");
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${answer}\r\n\r\n`,
    );
    talk(socket);
  });
  await new Promise<void>((resolve) => listening.listen(0, "127.0.0.1", resolve));
  return `ws://127.0.0.1:${(listening.address() as AddressInfo).port}/v1/records?offset=0`;
}

interface Seen {
  readonly messages: (string | number[])[];
  readonly opened: Promise<void>;
  readonly closed: Promise<string>;
}

function open(url: string): Seen & { socket: ReturnType<typeof openRawWebSocket> } {
  const messages: (string | number[])[] = [];
  let close: (reason: string) => void = () => {};
  const closed = new Promise<string>((resolve) => {
    close = resolve;
  });
  let opened: () => void = () => {};
  const open = new Promise<void>((resolve) => {
    opened = resolve;
  });
  const socket = openRawWebSocket(url, {
    onOpen: opened,
    onText: (text) => messages.push(text),
    onBinary: (bytes) => messages.push([bytes.length, bytes[0] ?? -1, bytes.at(-1) ?? -1]),
    onClose: close,
  });
  return { messages, opened: open, closed, socket };
}

describe("the fan-out benchmark's WebSocket client", () => {
  it("reads messages split anywhere, of every length encoding, fragmented, with pings answered", async () => {
    const pongs: Buffer[] = [];
    const big = Buffer.alloc(70_000, 7);
    big[0] = 1;
    let serverSawEnd: () => void = () => {};
    const ended = new Promise<void>((resolve) => {
      serverSawEnd = resolve;
    });
    const url = await serve((socket) => {
      socket.on("end", serverSawEnd);
      socket.on("data", (data: Buffer) => {
        for (const frame of readClientFrames(data)) if (frame.opcode === 0x0a) pongs.push(frame.payload);
      });
      const bytes = Buffer.concat([
        serverFrame(1, Buffer.from('{"type":"ready"}')),
        serverFrame(9, Buffer.from("are you there")),
        serverFrame(2, Buffer.alloc(300, 2)),
        serverFrame(2, big),
        serverFrame(2, Buffer.from([5, 5]), false),
        serverFrame(9, Buffer.alloc(0)),
        serverFrame(0, Buffer.from([6]), true),
        serverFrame(8, Buffer.from([0x03, 0xe8, ...Buffer.from("bye")])),
      ]);
      // In pieces of 3 bytes (so every small frame's header and payload is cut somewhere), 997 past the first
      // kilobyte (so the large frame's cuts move around without thousands of writes).
      let at = 0;
      const next = () => {
        if (at >= bytes.length) return;
        const size = at < 1024 ? 3 : 997;
        socket.write(bytes.subarray(at, at + size));
        at += size;
        setImmediate(next);
      };
      next();
    });
    const seen = open(url);
    await expect(seen.closed).resolves.toBe("closed 1000 bye");
    expect(seen.messages).toEqual(['{"type":"ready"}', [300, 2, 2], [70_000, 1, 7], [3, 5, 6]]);
    // Both pings answered, the second one even though the close frame came right after it.
    await ended;
    expect(pongs.map((p) => p.toString())).toEqual(["are you there", ""]);
  });

  it("sends masked text the server can read", async () => {
    let received: (text: string) => void = () => {};
    const text = new Promise<string>((resolve) => {
      received = resolve;
    });
    const url = await serve((socket) => {
      socket.on("data", (data: Buffer) => received(readClientFrames(data)[0]?.payload.toString() ?? ""));
    });
    const seen = open(url);
    await seen.opened;
    seen.socket.sendText('{"type":"resume","offset":3}');
    await expect(text).resolves.toBe('{"type":"resume","offset":3}');
    seen.socket.close();
  });

  it("ends on a handshake it did not ask for, and on a masked frame from the server", async () => {
    const wrongAccept = await serve(() => {}, "not-the-accept-value");
    await expect(open(wrongAccept).closed).resolves.toMatch(/^upgrade refused: HTTP\/1.1 101/);
    await stopServer();
    const masked = await serve((socket) => socket.write(serverFrame(1, Buffer.from("hi"), true, true)));
    const seen = open(masked);
    await expect(seen.closed).resolves.toBe("the server sent a masked frame");
    expect(seen.messages).toEqual([]);
  });
});
