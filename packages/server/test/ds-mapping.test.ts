// The /ds mapping rules on their own: stream paths ⇄ topic names, stream offsets ⇄ edgelog offsets.
import { describe, expect, it } from "vitest";
import { streamForTopic, topicForForkSource, topicForStream } from "../src/ds/names.ts";
import { encodeStreamOffset, parseStreamOffset } from "../src/ds/offsets.ts";

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

describe("stream path ⇄ topic name", () => {
  it("keeps a path that is already a plain topic name, so /ds/orders is the topic orders", () => {
    expect(topicForStream("orders")).toBe("orders");
    expect(topicForStream("my-topic.v2")).toBe("my-topic.v2");
    expect(topicForStream("my_topic")).toBe("my_topic");
    expect(streamForTopic("orders")).toBe("orders");
  });

  it("escapes every other path behind a leading underscore", () => {
    expect(topicForStream("v1/stream/a b")).toBe("_v1_2Fstream_2Fa_20b");
    expect(topicForStream("_my_topic")).toBe("__5Fmy_5Ftopic");
    expect(topicForStream("_x")).toBe("__5Fx");
    expect(topicForStream(".")).toBe("_.");
    expect(topicForStream("..")).toBe("_..");
    expect(topicForStream("ünï/😀")).toBe("__C3_BCn_C3_AF_2F_F0_9F_98_80");
  });

  it("is injective and reversible on awkward paths, and always yields a legal topic name", () => {
    const paths = [
      "a/b",
      "a_2Fb",
      "_a/b",
      "a%2Fb",
      "a//b",
      "/a",
      "a/",
      "__ds/x",
      "x?y",
      "tab\there",
      "..",
      ".",
      "-",
      "a".repeat(249),
      "名前/空間",
    ];
    const topics = new Map<string, string>();
    for (const path of paths) {
      const topic = topicForStream(path);
      expect(topic, path).not.toBeNull();
      expect(topic).toMatch(TOPIC_NAME);
      expect(topics.has(topic as string), `${path} collides with ${topics.get(topic as string)}`).toBe(false);
      topics.set(topic as string, path);
      expect(streamForTopic(topic as string)).toBe(path);
    }
  });

  it("refuses the empty path and paths whose topic name would pass 249 characters", () => {
    expect(topicForStream("")).toBeNull();
    expect(topicForStream("a".repeat(250))).toBeNull();
    expect(topicForStream("/".repeat(83))).toBeNull(); // 1 + 83 × 3 = 250
    expect(topicForStream("/".repeat(82))).toHaveLength(247);
  });

  it("has no path for an underscore topic that is not an escape", () => {
    expect(streamForTopic("__consumer_offsets")).toBeNull();
    expect(streamForTopic("_zz_GG")).toBeNull();
  });

  it("names a fork source by its path on this server, with or without /ds or the origin", () => {
    const topic = topicForStream("v1/stream/src");
    expect(topicForForkSource("/v1/stream/src")).toBe(topic);
    expect(topicForForkSource("/ds/v1/stream/src")).toBe(topic);
    expect(topicForForkSource("http://127.0.0.1:8787/ds/v1/stream/src")).toBe(topic);
  });
});

describe("stream offsets", () => {
  it("write edgelog positions in a fixed width whose byte order is numeric order", () => {
    expect(encodeStreamOffset(0)).toBe("0000000000000000_0000000000000000");
    expect(encodeStreamOffset(42)).toBe("0000000000000000_0000000000000042");
    const sorted = [0, 1, 9, 10, 99, 100, 2 ** 40, Number.MAX_SAFE_INTEGER].map(encodeStreamOffset);
    expect([...sorted].sort()).toEqual(sorted);
  });

  it("parse back, with the sentinels, and refuse anything malformed", () => {
    expect(parseStreamOffset(encodeStreamOffset(1234))).toBe(1234);
    expect(parseStreamOffset("-1")).toBe("start");
    expect(parseStreamOffset("now")).toBe("now");
    for (const bad of ["", "0", "abc", "1_", "_1", "0,1", "0 1", "-2", "1_2_3", "../x"]) {
      expect(parseStreamOffset(bad), bad).toBeNull();
    }
  });

  it("read a position no log can reach as past the tail", () => {
    expect(parseStreamOffset("0000000000000001_0000000000000000")).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseStreamOffset("0_99999999999999999999")).toBe(Number.MAX_SAFE_INTEGER);
  });
});
