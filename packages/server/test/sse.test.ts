/**
 * @module
 * The SSE live tail: events and ids, resuming with Last-Event-ID, keep-alives, errors before and during the
 * stream, and aborting the store's wait when the client disconnects.
 */
import type { ReadOptions } from "@edgelog/core";
import { describe, expect, it } from "vitest";
import { expectError, setup } from "./helpers.ts";

const SSE = { Accept: "text/event-stream" };

interface SseEvent {
  event?: string;
  id?: string;
  data?: string;
  comment?: string;
}

/** Reads SSE events off a response body, one at a time. */
function sseReader(res: Response) {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  return {
    async next(): Promise<SseEvent> {
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: SseEvent = {};
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) event.comment = line.slice(1).trim();
            else {
              const colon = line.indexOf(":");
              const field = line.slice(0, colon) as "event" | "id" | "data";
              const value = line.slice(colon + 1).replace(/^ /, "");
              event[field] = field === "data" && event.data !== undefined ? `${event.data}\n${value}` : value;
            }
          }
          return event;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        buffer += decoder.decode(value, { stream: true });
      }
    },
    async ended(): Promise<boolean> {
      const { done } = await reader.read();
      return done;
    },
    cancel: () => reader.cancel(),
  };
}

const path = "/v1/topics/t/partitions/0/records";

describe("SSE tail", () => {
  it("streams records as `records` events whose id is the next offset", async () => {
    const { call, createTopic, produce } = setup();
    await createTopic("t");
    await produce("t", { records: [{ value: "old" }] });
    const res = await call("GET", `${path}?offset=0`, undefined, SSE);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/event-stream/);
    const events = sseReader(res);
    const first = await events.next();
    expect(first.event).toBe("records");
    expect(first.id).toBe("1");
    expect(JSON.parse(first.data as string)).toMatchObject({
      records: [{ offset: 0, value: "old" }],
      nextOffset: 1,
      highWatermark: 1,
    });
    await produce("t", { records: [{ value: "a" }, { value: "b" }] });
    const second = await events.next();
    expect(second.id).toBe("3");
    expect(JSON.parse(second.data as string).records.map((r: { value: unknown }) => r.value)).toEqual([
      "a",
      "b",
    ]);
    await events.cancel();
  });

  it("starts at latest by default", async () => {
    const { call, createTopic, produce } = setup();
    await createTopic("t");
    await produce("t", { records: [{ value: "old" }] });
    const events = sseReader(await call("GET", path, undefined, SSE));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await produce("t", { records: [{ value: "new" }] });
    const event = await events.next();
    expect(JSON.parse(event.data as string).records).toMatchObject([{ offset: 1, value: "new" }]);
    await events.cancel();
  });

  it("resumes from Last-Event-ID without gaps or repeats", async () => {
    const { call, createTopic, produce } = setup();
    await createTopic("t");
    await produce("t", { records: [{ value: 0 }, { value: 1 }] });
    await produce("t", { records: [{ value: 2 }] });
    const events = sseReader(
      await call("GET", `${path}?offset=0`, undefined, { ...SSE, "Last-Event-ID": "2" }),
    );
    const event = await events.next();
    expect(JSON.parse(event.data as string).records.map((r: { offset: number }) => r.offset)).toEqual([2]);
    expect(event.id).toBe("3");
    await events.cancel();
  });

  it("resumes past the high watermark the store reports when its read takes the offset (a new leader's lagging HW)", async () => {
    const harness = setup();
    await harness.createTopic("t");
    await harness.produce("t", { records: [{ value: 0 }, { value: 1 }, { value: 2 }] });
    // As a freshly elected leader answers: its high watermark learned one push behind the old leader's.
    const offsets = harness.store.offsets.bind(harness.store);
    harness.store.offsets = async (tp) => ({ ...(await offsets(tp)), highWatermark: 1 });
    const events = sseReader(await harness.call("GET", path, undefined, { ...SSE, "Last-Event-ID": "3" }));
    await harness.produce("t", { records: [{ value: 3 }] });
    const event = await events.next();
    expect(JSON.parse(event.data as string).records.map((r: { offset: number }) => r.offset)).toEqual([3]);
    await events.cancel();
    // Past what the store holds is still refused before the stream opens.
    const res = await harness.json("GET", path, undefined, { ...SSE, "Last-Event-ID": "9" });
    expectError(res, 416, "OFFSET_OUT_OF_RANGE");
  });

  it("sends keep-alive comments while idle", async () => {
    const { call, createTopic } = setup({ sseKeepAliveMs: 20 });
    await createTopic("t");
    const events = sseReader(await call("GET", path, undefined, SSE));
    expect(await events.next()).toEqual({ comment: "keep-alive" });
    await events.cancel();
  });

  it("aborts the store's wait when the client disconnects", async () => {
    const harness = setup();
    await harness.createTopic("t");
    const signals: AbortSignal[] = [];
    const read = harness.store.read.bind(harness.store);
    harness.store.read = (tp, options: ReadOptions) => {
      if (options.signal !== undefined) signals.push(options.signal);
      return read(tp, options);
    };
    const events = sseReader(await harness.call("GET", path, undefined, SSE));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(signals.length).toBeGreaterThan(0);
    await events.cancel();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(signals.at(-1)?.aborted).toBe(true);
  });

  it("refuses bad starts with the usual JSON errors", async () => {
    const { json, createTopic } = setup();
    await createTopic("t");
    expectError(await json("GET", `${path}?offset=9`, undefined, SSE), 416, "OFFSET_OUT_OF_RANGE");
    expectError(await json("GET", path, undefined, { ...SSE, "Last-Event-ID": "x" }), 400, "INVALID_REQUEST");
    expectError(
      await json("GET", "/v1/topics/t/partitions/3/records", undefined, SSE),
      404,
      "UNKNOWN_TOPIC_OR_PARTITION",
    );
  });

  it("sends an `error` event and ends when the partition goes away mid-stream", async () => {
    const { call, json, createTopic } = setup();
    await createTopic("t");
    const events = sseReader(await call("GET", path, undefined, SSE));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await json("DELETE", "/v1/topics/t");
    const event = await events.next();
    expect(event.event).toBe("error");
    expect(JSON.parse(event.data as string).error.code).toBe("UNKNOWN_TOPIC_OR_PARTITION");
    expect(await events.ended()).toBe(true);
  });
});
