// The SSE parser against the HTML spec's event stream interpretation, including the chunk-boundary cases.
import { describe, expect, it } from "vitest";
import { readSse, SseParser } from "../src/sse.ts";

const parseAll = (chunks: string[]) => {
  const parser = new SseParser();
  return chunks.flatMap((chunk) => parser.push(chunk));
};

describe("SseParser", () => {
  it("dispatches on a blank line with the event type, joined data and the last id", () => {
    expect(parseAll(["event: records\nid: 7\ndata: a\ndata:b\n\n"])).toEqual([
      { event: "records", data: "a\nb", id: "7" },
    ]);
  });

  it("defaults the type to message, strips one space after the colon, keeps the id across events", () => {
    expect(parseAll(["id: 1\ndata:  two spaces\n\ndata: x\n\n"])).toEqual([
      { event: "message", data: " two spaces", id: "1" },
      { event: "message", data: "x", id: "1" },
    ]);
  });

  it("accepts LF, CRLF and CR line ends, also split across chunks", () => {
    expect(parseAll(["data: a\r", "\n\r", "\ndata: b\rdata: c\r\r"])).toEqual([
      { event: "message", data: "a", id: "" },
      { event: "message", data: "b\nc", id: "" },
    ]);
  });

  it("ignores comments, unknown fields, ids with NULL and blocks without data", () => {
    expect(parseAll([": keep-alive\n\nfoo: bar\nevent: x\n\nid: a\u0000b\ndata: y\n\n"])).toEqual([
      { event: "message", data: "y", id: "" },
    ]);
  });

  it("strips a leading BOM, reads retry only when all digits, and treats a bare field name as empty", () => {
    expect(parseAll(["\uFEFFretry: 1500\ndata\n\nretry: 1x\ndata: z\n\n"])).toEqual([
      { event: "message", data: "", id: "", retry: 1500 },
      { event: "message", data: "z", id: "" },
    ]);
  });

  it("holds a partial event until its blank line and discards it at the end of the stream", () => {
    const parser = new SseParser();
    expect(parser.push("data: par")).toEqual([]);
    expect(parser.push("tial\n")).toEqual([]);
    expect(parser.push("\n")).toEqual([{ event: "message", data: "partial", id: "" }]);
    parser.push("data: lost\n");
    parser.end();
    expect(parser.push("\n")).toEqual([]);
  });
});

describe("readSse", () => {
  const streamOf = (chunks: Uint8Array[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    });

  it("decodes UTF-8 split across chunks", async () => {
    const bytes = new TextEncoder().encode("data: héllo ✓\n\n");
    const events = [];
    for await (const event of readSse(streamOf([bytes.slice(0, 8), bytes.slice(8, 13), bytes.slice(13)])))
      events.push(event);
    expect(events.map((e) => e.data)).toEqual(["héllo ✓"]);
  });

  it("ends when the signal aborts, even while a read is pending", async () => {
    const controller = new AbortController();
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode("data: 1\n\n"));
      },
    });
    const events = [];
    setTimeout(() => controller.abort(), 10);
    for await (const event of readSse(body, controller.signal)) events.push(event.data);
    expect(events).toEqual(["1"]);
  });
});
