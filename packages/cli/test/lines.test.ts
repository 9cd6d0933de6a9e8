import { describe, expect, it } from "vitest";
import { indexOfBytes, splitKey, splitLineGroups, splitLines } from "../src/lines.ts";

const utf8 = new TextEncoder();
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8");

async function* chunks(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === "string" ? utf8.encode(part) : part;
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of source) out.push(text(line));
  return out;
}

describe("splitLines", () => {
  it("splits on newlines across chunk boundaries, keeping empty lines and a last line without newline", async () => {
    expect(await collect(splitLines(chunks("a\nb", "c\n\n", "d", "", "e\nlast")))).toEqual([
      "a",
      "bc",
      "",
      "de",
      "last",
    ]);
  });

  it("yields nothing for empty input and no extra line after a final newline", async () => {
    expect(await collect(splitLines(chunks()))).toEqual([]);
    expect(await collect(splitLines(chunks("only\n")))).toEqual(["only"]);
  });

  it("keeps a \\r before the newline: the bytes are the record", async () => {
    expect(await collect(splitLines(chunks("a\r\nb\r\n")))).toEqual(["a\r", "b\r"]);
  });

  it("keeps arbitrary bytes exactly", async () => {
    const lines: Uint8Array[] = [];
    for await (const line of splitLines(chunks(new Uint8Array([0xff, 0x00, 0x0a, 0xfe])))) lines.push(line);
    expect(lines.map((l) => [...l])).toEqual([[0xff, 0x00], [0xfe]]);
  });

  it("hands out copies: a source reusing its buffer does not change lines already yielded", async () => {
    // A Buffer, as Node's streams hand out: its `slice` shares memory.
    const buffer = Buffer.from("ab\ncd");
    async function* reusing(): AsyncGenerator<Uint8Array> {
      yield buffer;
      buffer.set(utf8.encode("XX\nYY"));
      yield utf8.encode("\n");
    }
    const lines: Uint8Array[] = [];
    for await (const line of splitLines(reusing())) lines.push(line);
    expect(lines.map(text)).toEqual(["ab", "cd"]);
  });

  it("refuses a line longer than the bound instead of buffering it, in one chunk or across many", async () => {
    await expect(collect(splitLines(chunks("12345\n"), 4))).rejects.toMatchObject({
      code: "MESSAGE_TOO_LARGE",
    });
    await expect(collect(splitLines(chunks("12", "34", "5"), 4))).rejects.toMatchObject({
      code: "MESSAGE_TOO_LARGE",
      message: expect.stringContaining("line 1"),
    });
    expect(await collect(splitLines(chunks("1234\n12", "34"), 4))).toEqual(["1234", "1234"]);
  });

  it("pulls the source only as lines are consumed (backpressure)", async () => {
    let pulled = 0;
    async function* counting(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield utf8.encode(`line ${i}\n`);
      }
    }
    const iterator = splitLines(counting())[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.next();
    expect(pulled).toBeLessThanOrEqual(3);
    await iterator.return?.(undefined);
  });
});

describe("splitLineGroups", () => {
  const groups = async (source: AsyncIterable<Uint8Array>, maxLine = 100, maxGroup = 3) => {
    const out: string[][] = [];
    for await (const group of splitLineGroups(source, maxLine, maxGroup)) out.push(group.map(text));
    return out;
  };

  it("groups the complete lines of each chunk, at most maxGroupLines together", async () => {
    expect(await groups(chunks("a\nb\nc\nd\ne", "\nf\n", "g"))).toEqual([
      ["a", "b", "c"],
      ["d"],
      ["e", "f"],
      ["g"],
    ]);
  });

  it("hands out the lines before a line that is too long, then fails", async () => {
    const seen: string[][] = [];
    const run = (async () => {
      for await (const group of splitLineGroups(chunks(`ok\nfine\n${"x".repeat(20)}\nnever\n`), 10, 100)) {
        seen.push(group.map(text));
      }
    })();
    await expect(run).rejects.toMatchObject({
      code: "MESSAGE_TOO_LARGE",
      message: expect.stringContaining("line 3"),
    });
    expect(seen).toEqual([["ok", "fine"]]);
  });
});

describe("splitKey", () => {
  const sep = utf8.encode("::");
  it("splits at the first separator; the value may contain it", () => {
    const { key, value } = splitKey(utf8.encode("k::v::w"), sep, 1);
    expect([text(key), text(value)]).toEqual(["k", "v::w"]);
  });

  it("allows an empty key or value", () => {
    expect(text(splitKey(utf8.encode("::v"), sep, 1).key)).toBe("");
    expect(text(splitKey(utf8.encode("k::"), sep, 1).value)).toBe("");
  });

  it("refuses a line without the separator, naming the line", () => {
    expect(() => splitKey(utf8.encode("k:v"), sep, 7)).toThrow(
      expect.objectContaining({ code: "INVALID_REQUEST", message: expect.stringContaining("line 7") }),
    );
  });

  it("finds multi-byte separators at the end, with a false start before", () => {
    expect(indexOfBytes(utf8.encode("a:b::"), sep)).toBe(3);
    expect(indexOfBytes(utf8.encode("a:"), sep)).toBe(-1);
    expect(indexOfBytes(utf8.encode("→x→"), utf8.encode("→"))).toBe(0);
  });
});
