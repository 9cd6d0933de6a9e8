/**
 * @module
 * The binary fast path: appending an encoded batch as is, and fetching framed batches back.
 */
import { decodeBatch, encodeBatch, type LogRecord } from "@edgelog/core";
import { decodeFrames } from "@edgelog/core/store-kit";
import { describe, expect, it } from "vitest";
import { expectError, setup } from "./helpers.ts";

const BATCH = { "Content-Type": "application/vnd.edgelog.batch" };
const bytes = (s: string) => new TextEncoder().encode(s);
const records = (...values: string[]): LogRecord[] =>
  values.map((v) => ({ key: null, value: bytes(v), headers: [], timestamp: 10 }));
const post = "/v1/topics/t/partitions/0/batches";

describe("POST …/batches", () => {
  it("appends one encoded batch and answers the append result", async () => {
    const { json, createTopic } = setup();
    await createTopic("t");
    const res = await json("POST", post, encodeBatch(records("a", "b")), BATCH);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      partition: 0,
      baseOffset: 0,
      lastOffset: 1,
      duplicate: false,
      logStartOffset: 0,
      highWatermark: 2,
    });
    expect(typeof res.body.logAppendTime).toBe("number");
  });

  it("answers a stamped duplicate with the original offsets", async () => {
    const { json, createTopic } = setup();
    await createTopic("t");
    const batch = encodeBatch(records("a"), { producerId: "p", producerEpoch: 0, baseSequence: 0 });
    await json("POST", post, batch, BATCH);
    const retry = await json("POST", post, batch, BATCH);
    expect(retry.body).toMatchObject({ baseOffset: 0, duplicate: true, highWatermark: 1 });
  });

  it("rejects corrupt, empty, mistyped and oversize batches; nothing written", async () => {
    const { json, createTopic, store } = setup();
    await createTopic("t", 1, { "max.message.bytes": 100 });
    const corrupt = encodeBatch(records("a"));
    corrupt[corrupt.length - 1] = (corrupt.at(-1) ?? 0) ^ 0xff;
    expectError(await json("POST", post, corrupt, BATCH), 400, "CORRUPT_MESSAGE");
    expectError(await json("POST", post, new Uint8Array([1, 2, 3]), BATCH), 400, "CORRUPT_MESSAGE");
    expectError(await json("POST", post, new Uint8Array(0), BATCH), 400, "INVALID_REQUEST");
    expectError(
      await json("POST", post, encodeBatch(records("a")), { "Content-Type": "application/json" }),
      400,
      "INVALID_REQUEST",
    );
    expectError(
      await json("POST", post, encodeBatch(records("x".repeat(200))), BATCH),
      413,
      "MESSAGE_TOO_LARGE",
    );
    expectError(
      await json("POST", "/v1/topics/t/partitions/1/batches", encodeBatch(records("a")), BATCH),
      404,
      "UNKNOWN_TOPIC_OR_PARTITION",
    );
    expect((await store.offsets({ topic: "t", partition: 0 })).highWatermark).toBe(0);
  });
});

describe("GET …/batches", () => {
  it("frames stored batches: [baseOffset u64][length u32][bytes], with bounds headers", async () => {
    const { call, json, createTopic } = setup();
    await createTopic("t");
    const first = encodeBatch(records("a", "b"));
    const second = encodeBatch(records("c"));
    await json("POST", post, first, BATCH);
    await json("POST", post, second, BATCH);
    const res = await call("GET", `${post}?offset=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/vnd.edgelog.batches");
    expect(res.headers.get("Edgelog-High-Watermark")).toBe("3");
    expect(res.headers.get("Edgelog-Log-Start-Offset")).toBe("0");
    const frames = decodeFrames(new Uint8Array(await res.arrayBuffer()));
    expect(frames.map((f) => f.baseOffset)).toEqual([0, 2]); // the first batch begins before offset 1
    expect(frames[0]?.payload).toEqual(first);
    expect(frames[1]?.payload).toEqual(second);
    expect(decodeBatch(frames[1]?.payload as Uint8Array).records[0]?.value).toEqual(bytes("c"));
  });

  it("answers no frames at the high watermark, long-polls, and honours maxBytes", async () => {
    const { call, json, createTopic } = setup();
    await createTopic("t");
    const empty = await call("GET", `${post}?offset=latest`);
    expect((await empty.arrayBuffer()).byteLength).toBe(0);
    const pending = call("GET", `${post}?offset=0&wait=5000`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await json("POST", post, encodeBatch(records("a")), BATCH);
    expect(decodeFrames(new Uint8Array(await (await pending).arrayBuffer()))).toHaveLength(1);
    await json("POST", post, encodeBatch(records("b")), BATCH);
    const one = await call("GET", `${post}?offset=0&maxBytes=1`);
    expect(decodeFrames(new Uint8Array(await one.arrayBuffer()))).toHaveLength(1);
  });

  it("validates its parameters", async () => {
    const { json, createTopic } = setup();
    await createTopic("t");
    expectError(await json("GET", `${post}?maxBytes=0`), 400, "INVALID_REQUEST");
    expectError(await json("GET", `${post}?maxBytes=big`), 400, "INVALID_REQUEST");
    expectError(await json("GET", `${post}?offset=4`), 416, "OFFSET_OUT_OF_RANGE");
  });
});
