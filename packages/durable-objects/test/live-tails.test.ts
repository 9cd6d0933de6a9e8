// LiveTails (live/live-tails.ts) under every schedule fast-check generates, over fake sockets and an in-memory
// log: readers join at any offset, leave, pause, fall behind (commits larger than a step), resume from the end of
// what they received, while appends and retention go on, messages in both directions are delivered late and the
// object "hibernates" (a fresh LiveTails over the same sockets, which keep only their attachments). No reader
// ever sees a gap or a repeat — even when it resumes while pushes are still in flight — and once everything is
// delivered every reader still open holds exactly the log from where it started to the high watermark. A push
// writes no attachment except to a socket it stops pushing to, and whenever the object could hibernate every
// socket stored as caught up has been sent the whole visible log (what a fresh instance assumes). Also: a socket
// the runtime reports as holding too much unsent stops being pushed to and is told so; joins do not recount.
import { EdgeLogError, type PartitionOffsets } from "@edgelog/core";
import { parseLiveServerMessage } from "@edgelog/core/store-kit";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  LIVE_STEP_BYTES,
  type LiveSocket,
  type LiveTailHost,
  LiveTails,
  MAX_LIVE_BUFFERED_BYTES,
} from "../src/live/live-tails.ts";
import { FakeLog, FakeSocket, Reader } from "./fake-live.ts";
import { READER_STEPS, type ReaderStep } from "./reader-steps.ts";

type Op = ReaderStep;

const op: fc.Arbitrary<Op> = fc.oneof(...READER_STEPS);

function run(ops: readonly Op[]): void {
  const log = new FakeLog();
  const readers: Reader[] = [];
  let now = 1_000;
  const host: LiveTailHost = {
    sockets: () => readers.filter((r) => !r.left && r.socket.closedWith === null).map((r) => r.socket),
    bounds: (): PartitionOffsets => ({
      logStartOffset: log.logStartOffset,
      highWatermark: log.highWatermark,
    }),
    assertReadable: (offset) => {
      if (offset < log.logStartOffset || offset > log.highWatermark) {
        throw new EdgeLogError("OFFSET_OUT_OF_RANGE", `offset ${offset} is out of range`);
      }
    },
    readVisible: (offset, maxBytes) => {
      host.assertReadable(offset);
      return log.read(offset, maxBytes);
    },
    wakeAt: () => undefined,
    readerJoined: () => undefined,
    now: () => now,
  };
  let tails = new LiveTails(host);
  tails.loaded();
  const pick = (i: number): Reader | undefined => {
    const open = readers.filter((r) => !r.left && r.socket.closedWith === null);
    return open.length === 0 ? undefined : open[i % open.length];
  };
  for (const step of ops) {
    now += 150; // resumes refill at 10/s: a reader is never throttled by the schedule's pace
    switch (step.kind) {
      case "append":
        // A "large" commit holds more than one step, so caught-up sockets fall behind and must resume.
        for (let i = 0; i < (step.large ? 6 : 1); i++)
          log.append(step.records, step.large ? LIVE_STEP_BYTES / 4 : 0);
        {
          const open = host.sockets() as FakeSocket[];
          const writes = open.map((socket) => socket.writes);
          tails.publish();
          // A push writes only the attachment of a socket it stops pushing to.
          open.forEach((socket, i) => {
            if (socket.writes !== writes[i]) expect(socket.storedLive).toBe(false);
          });
        }
        break;
      case "join": {
        const reader = new Reader();
        const offset = log.logStartOffset + Math.floor(step.at * (log.highWatermark - log.logStartOffset));
        readers.push(reader);
        // The reader asks for a number, as the client does: it knows where it stands before `ready` arrives.
        reader.start = reader.next = reader.socket.sentEnd = tails.admit(offset);
        tails.open(reader.socket, reader.start, null);
        break;
      }
      case "leave": {
        const reader = pick(step.reader);
        if (reader !== undefined) reader.left = true;
        break;
      }
      case "pause":
        pick(step.reader)?.pause();
        break;
      case "receive":
        for (let i = 0; i < step.count; i++) pick(step.reader)?.receive();
        break;
      case "send": {
        const reader = pick(step.reader);
        const message = reader?.toServer.shift();
        if (reader !== undefined && message !== undefined) tails.message(reader.socket, message);
        break;
      }
      case "trim":
        log.trim(log.highWatermark - step.keep);
        break;
      case "hibernate":
        // The object is idle: every socket stored as caught up was sent the whole visible log, which is where
        // the fresh instance places it.
        for (const socket of host.sockets() as FakeSocket[]) {
          if (socket.storedLive) expect(socket.sentEnd).toBe(log.highWatermark);
        }
        tails = new LiveTails(host);
        tails.loaded();
        break;
    }
  }
  // Deliver everything, both ways, until nothing moves; then every reader still open holds its whole range.
  for (let round = 0; round < 10_000; round++) {
    now += 150;
    let moved = false;
    for (const reader of readers) {
      if (reader.left || reader.socket.closedWith !== null) continue;
      if (reader.paused) {
        reader.paused = false;
        reader.resume();
      }
      while (reader.socket.toReader.length > 0) {
        reader.receive();
        moved = true;
      }
      const message = reader.toServer.shift();
      if (message !== undefined) {
        tails.message(reader.socket, message);
        moved = true;
      }
    }
    if (!moved) break;
  }
  for (const reader of readers) {
    expect(reader.violations).toEqual([]);
    if (reader.left) continue;
    if (reader.socket.closedWith !== null) {
      // Only retention passing a reader that was behind may close it.
      expect(reader.socket.closedWith).toBe(4416);
      continue;
    }
    expect(reader.next).toBe(log.highWatermark);
    expect(reader.offsets).toEqual(
      Array.from({ length: log.highWatermark - reader.start }, (_, i) => reader.start + i),
    );
  }
}

function hostOver(log: FakeLog, sockets: () => LiveSocket[]): LiveTailHost {
  return {
    sockets,
    bounds: () => ({ logStartOffset: log.logStartOffset, highWatermark: log.highWatermark }),
    assertReadable: () => undefined,
    readVisible: (offset, maxBytes) => log.read(offset, maxBytes),
    wakeAt: () => undefined,
    readerJoined: () => undefined,
    now: () => 0,
  };
}

describe("LiveTails", () => {
  it("refuses a socket past its limit (429, quota connections) and one outside the log (416), before opening", () => {
    const log = new FakeLog();
    log.append(2);
    const open: LiveSocket[] = [];
    const tails = new LiveTails(
      {
        ...hostOver(log, () => open),
        assertReadable: (offset) => {
          if (offset < 0 || offset > log.highWatermark) throw new EdgeLogError("OFFSET_OUT_OF_RANGE", "no");
        },
      },
      { maxSockets: 2 },
    );
    expect(tails.admit("earliest")).toBe(0);
    expect(tails.admit("latest")).toBe(2);
    expect(() => tails.admit(3)).toThrowError(expect.objectContaining({ code: "OFFSET_OUT_OF_RANGE" }));
    for (const socket of [new FakeSocket(), new FakeSocket()]) {
      open.push(socket);
      tails.open(socket, 2, null);
    }
    expect(() => tails.admit(0)).toThrowError(
      expect.objectContaining({
        code: "THROTTLING_QUOTA_EXCEEDED",
        context: { quota: "connections", limit: 2, retryAfterMs: 1_000 },
      }),
    );
  });

  it("stops pushing to a socket the runtime says holds too much unsent, and tells it once (behind)", () => {
    const log = new FakeLog();
    const slow = new Reader();
    const fast = new Reader();
    const tails = new LiveTails(hostOver(log, () => [slow.socket, fast.socket]));
    for (const reader of [slow, fast]) {
      reader.start = reader.next = 0;
      tails.open(reader.socket, 0, null);
    }
    slow.socket.bufferedAmount = MAX_LIVE_BUFFERED_BYTES + 1;
    log.append(2);
    tails.publish();
    log.append(1);
    tails.publish();
    const kinds = (reader: Reader) =>
      reader.socket.toReader.map((m) => (typeof m === "string" ? parseLiveServerMessage(m).type : "records"));
    expect(kinds(slow)).toEqual(["ready", "behind"]);
    expect(kinds(fast)).toEqual(["ready", "records", "records"]);
    // Once drained, its reader resumes from where it stands and is caught up in one step.
    slow.socket.bufferedAmount = 0;
    while (slow.socket.toReader.length > 0) slow.receive();
    tails.message(slow.socket, slow.toServer.shift() as string);
    while (slow.socket.toReader.length > 0) slow.receive();
    expect(slow.offsets).toEqual([0, 1, 2]);
    expect(slow.violations).toEqual([]);
  });

  it("writes no attachment for a push that leaves sockets caught up, and places them after a hibernation", () => {
    const log = new FakeLog();
    log.append(1);
    const readers = Array.from({ length: 50 }, () => new Reader());
    const host = hostOver(log, () => readers.map((r) => r.socket));
    let tails = new LiveTails(host);
    tails.loaded();
    for (const reader of readers) {
      reader.start = reader.next = 0;
      tails.open(reader.socket, 0, null);
    }
    const opened = tails.stats().attachmentWrites;
    expect(opened).toBe(readers.length);
    for (let i = 0; i < 10; i++) {
      log.append(2);
      tails.publish();
    }
    expect(tails.stats().attachmentWrites).toBe(opened);
    expect(readers.map((r) => r.socket.writes)).toEqual(readers.map(() => 1));
    // Hibernation: a fresh instance over the same sockets and log; the next push continues where they stand.
    tails = new LiveTails(host);
    tails.loaded();
    log.append(3);
    tails.publish();
    expect(tails.stats().attachmentWrites).toBe(0);
    for (const reader of readers) {
      while (reader.socket.toReader.length > 0) reader.receive();
      expect(reader.violations).toEqual([]);
      expect(reader.offsets).toEqual(Array.from({ length: 24 }, (_, i) => i));
    }
  });

  it("keeps its socket count as sockets open and close, asking the runtime only to refuse one", () => {
    const log = new FakeLog();
    const open: FakeSocket[] = [];
    let listed = 0;
    const tails = new LiveTails(
      hostOver(log, () => {
        listed++;
        return open;
      }),
      { maxSockets: 100 },
    );
    for (let i = 0; i < 100; i++) {
      tails.admit("latest");
      const socket = new FakeSocket();
      open.push(socket);
      tails.open(socket, 0, null);
    }
    expect(tails.count()).toBe(100);
    // Only the first count lists the sockets: joins and opens keep the count.
    expect(listed).toBe(1);
    expect(() => tails.admit("latest")).toThrowError(
      expect.objectContaining({ code: "THROTTLING_QUOTA_EXCEEDED" }),
    );
    // A socket closes; the runtime may report it twice (error, then close).
    const gone = open.pop() as FakeSocket;
    tails.closed(gone);
    tails.closed(gone);
    expect(tails.count()).toBe(99);
    expect(tails.admit("latest")).toBe(0);
    // A close never reported: the count runs high, and the refusal's recount corrects it.
    open.pop();
    const socket = new FakeSocket();
    open.push(socket);
    tails.open(socket, 0, null);
    expect(tails.count()).toBe(100);
    expect(tails.admit("latest")).toBe(0);
    expect(tails.count()).toBe(99);
  });
});

describe("LiveTails, property", () => {
  it("never shows a reader a gap or a repeat, and converges to the log, whatever the schedule", () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 5, maxLength: 60 }), (ops) => run(ops)),
      { numRuns: 150 },
    );
  });
});
