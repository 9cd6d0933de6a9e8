/**
 * @module
 * The Durable Streams service modules over a `MemoryStore`, without HTTP: create / match / conflict, fork
 * planning's refusals and copy, append refusals and verdicts, read starts, long-poll and the live steps.
 */
import { MemoryStore } from "@edgelog/core";
import { describe, expect, it } from "vitest";
import { appendToStream } from "../src/ds/append-stream.ts";
import { type CreateConfig, createOrMatchStream } from "../src/ds/create-stream.ts";
import { followStream, openRead, readCatchUp } from "../src/ds/read-stream.ts";
import type { StreamScope } from "../src/ds/streams.ts";

const NOW = 1_764_000_000_000;
const enc = new TextEncoder();
const dec = new TextDecoder();

const TEXT: CreateConfig = {
  contentType: "text/plain",
  ttlSeconds: null,
  expiresAt: null,
  closed: false,
  forkedFrom: null,
  forkOffset: null,
  forkSubOffset: 0,
};

function scope(): StreamScope {
  return { store: new MemoryStore({ now: () => NOW }), dsPrefix: "/events/ds/" };
}

const append = (s: StreamScope, topic: string, text: string, close = false) =>
  appendToStream(s, topic, {
    producer: null,
    close,
    streamSeq: null,
    contentType: "text/plain",
    bytes: enc.encode(text),
    now: NOW,
  });

describe("Durable Streams services", () => {
  it("creates a stream, matches an identical create and refuses another config", async () => {
    const s = scope();
    const created = await createOrMatchStream(s, "log", TEXT, null, enc.encode("ab"), NOW);
    expect(created).toMatchObject({ kind: "created", highWatermark: 1 });
    expect(await createOrMatchStream(s, "log", TEXT, null, new Uint8Array(), NOW)).toMatchObject({
      kind: "matched",
      highWatermark: 1,
    });
    expect(
      await createOrMatchStream(s, "log", { ...TEXT, closed: true }, null, new Uint8Array(), NOW),
    ).toEqual({
      kind: "refused",
      reason: "conflict",
      message: "the stream exists with a different configuration",
    });
  });

  it("plans forks from sources named under the ds prefix, refusing what is not there", async () => {
    const s = scope();
    await createOrMatchStream(s, "src", TEXT, null, enc.encode("abc"), NOW);
    await append(s, "src", "def");
    const fork = (forkedFrom: string, forkOffset: number | null, forkSubOffset = 0) =>
      createOrMatchStream(
        s,
        `f${Math.random()}`.replace(".", ""),
        { ...TEXT, forkedFrom, forkSubOffset },
        forkOffset,
        new Uint8Array(),
        NOW,
      );
    expect(await fork("/events/ds/missing", null)).toMatchObject({ kind: "refused", reason: "not-found" });
    expect(await fork("/events/ds/src", 3)).toMatchObject({ kind: "refused", reason: "invalid" });
    expect(await fork("/events/ds/src", 1, 4)).toMatchObject({ kind: "refused", reason: "invalid" });
    const made = await fork("/events/ds/src", 1, 2);
    expect(made).toMatchObject({ kind: "created", highWatermark: 2 });
    if (made.kind !== "created") return;
    expect(made.state).toMatchObject({
      forkedFrom: "/events/ds/src",
      forkOffset: "0000000000000000_0000000000000001",
    });
    const source = await openRead(s, "src", undefined, NOW);
    expect(source.kind === "open" && source.stream.state.forks).toBe(1);
  });

  it("refuses appends to missing streams and of another content type; closes", async () => {
    const s = scope();
    expect(await append(s, "none", "x")).toMatchObject({ kind: "refused", reason: "not-found" });
    await createOrMatchStream(s, "log", TEXT, null, new Uint8Array(), NOW);
    const json = await appendToStream(s, "log", {
      producer: null,
      close: false,
      streamSeq: null,
      contentType: "application/json",
      bytes: enc.encode("[1]"),
      now: NOW,
    });
    expect(json).toEqual({
      kind: "refused",
      reason: "conflict",
      message: "Content-Type does not match the stream's",
    });
    const closing = await append(s, "log", "x", true);
    expect(closing.kind === "decided" && closing.outcome.state?.closed).toBe(true);
    const after = await append(s, "log", "y");
    expect(after.kind === "decided" && after.outcome.verdict.kind).toBe("closed");
  });

  it("starts reads, answers a long-poll at a closed tail at once, and steps a live read to the closed end", async () => {
    const s = scope();
    await createOrMatchStream(s, "log", TEXT, null, enc.encode("ab"), NOW);
    await append(s, "log", "cd", true);
    const opened = await openRead(s, "log", "now", NOW);
    expect(opened).toMatchObject({ kind: "open", start: 2 });
    if (opened.kind !== "open") return;
    const signal = new AbortController().signal;
    const longPoll = { waitMs: 60_000, signal, now: () => NOW };
    expect(await readCatchUp(s, opened.stream, 2, longPoll)).toEqual({ kind: "closed-tail" });
    const caughtUp = await readCatchUp(s, opened.stream, 0, null);
    expect(
      caughtUp.kind === "chunk" && caughtUp.chunk.values.map((v) => dec.decode(v as Uint8Array)),
    ).toEqual(["ab", "cd"]);
    const steps = [];
    for await (const step of followStream(s, "log", 1, {
      waitMs: 60_000,
      deadline: Date.now() + 60_000,
      signal,
      now: () => NOW,
    })) {
      steps.push(step);
    }
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({ nextOffset: 2, upToDate: true, closedAtEnd: true, last: true });
    expect(steps[0]?.values.map((v) => dec.decode(v as Uint8Array))).toEqual(["cd"]);
  });
});
