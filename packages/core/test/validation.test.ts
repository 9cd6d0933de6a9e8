import { describe, expect, it } from "vitest";
import { DEFAULT_TOPIC_CONFIG, decodeJson, decodeText, encodeJson, toHeaders } from "../src/index.ts";
import {
  assertValidGroupId,
  assertValidPartitionCount,
  assertValidTopicName,
  resolveTopicConfig,
  topicNamesCollide,
} from "../src/store-kit/index.ts";
import { errorCodeOf } from "../src/testing/index.ts";

describe("topic names (Kafka's Topic.java rules)", () => {
  it("accepts legal names up to 249 characters", () => {
    for (const name of ["a", "orders", "A.b_c-9", "x".repeat(249), "..."]) {
      expect(errorCodeOf(() => assertValidTopicName(name))).toBe("ok");
    }
  });

  it("refuses empty, dot, dot-dot, overlong, illegal characters and non-strings", () => {
    for (const name of ["", ".", "..", "x".repeat(250), "a/b", "a b", "ü", "a:b", 42, null]) {
      expect(errorCodeOf(() => assertValidTopicName(name))).toBe("INVALID_TOPIC");
    }
  });

  it("sees '.' and '_' as colliding", () => {
    expect(topicNamesCollide("a.b", "a_b")).toBe(true);
    expect(topicNamesCollide("a.b", "a.b")).toBe(false);
    expect(topicNamesCollide("a.b", "a-b")).toBe(false);
  });
});

describe("numbers and ids", () => {
  it("checks partition counts", () => {
    expect(errorCodeOf(() => assertValidPartitionCount(1))).toBe("ok");
    for (const bad of [0, -1, 1.5, "3", Number.NaN, 1_000_000]) {
      expect(errorCodeOf(() => assertValidPartitionCount(bad))).toBe("INVALID_PARTITIONS");
    }
  });

  it("checks group ids", () => {
    expect(errorCodeOf(() => assertValidGroupId("g"))).toBe("ok");
    expect(errorCodeOf(() => assertValidGroupId(""))).toBe("INVALID_GROUP_ID");
    expect(errorCodeOf(() => assertValidGroupId("g".repeat(256)))).toBe("INVALID_GROUP_ID");
  });
});

describe("topic config", () => {
  it("defaults to Kafka's retention and a 1 MiB batch limit", () => {
    expect(resolveTopicConfig()).toEqual(DEFAULT_TOPIC_CONFIG);
    expect(DEFAULT_TOPIC_CONFIG).toMatchObject({
      "retention.ms": 604_800_000,
      "max.message.bytes": 1_048_576,
    });
  });

  it("parses strings and numbers and refuses what it does not support", () => {
    expect(resolveTopicConfig({ "retention.ms": "1000", "max.message.bytes": 2048 })).toMatchObject({
      "retention.ms": 1000,
      "max.message.bytes": 2048,
    });
    expect(errorCodeOf(() => resolveTopicConfig({ "segment.bytes": 1 }))).toBe("INVALID_CONFIG");
    expect(errorCodeOf(() => resolveTopicConfig({ "cleanup.policy": "shred" }))).toBe("INVALID_CONFIG");
    expect(errorCodeOf(() => resolveTopicConfig({ "retention.ms": "soon" }))).toBe("INVALID_CONFIG");
    expect(errorCodeOf(() => resolveTopicConfig({ "retention.ms": -2 }))).toBe("INVALID_CONFIG");
    expect(errorCodeOf(() => resolveTopicConfig({ "max.message.bytes": 3_000_000 }))).toBe("INVALID_CONFIG");
    expect(errorCodeOf(() => resolveTopicConfig({ "max.message.bytes": 0 }))).toBe("INVALID_CONFIG");
  });
});

describe("record conveniences", () => {
  it("encodes and decodes text and JSON, keeping null as a tombstone", () => {
    expect(decodeJson(encodeJson({ a: [1, "ü"] }))).toEqual({ a: [1, "ü"] });
    expect(decodeText(new TextEncoder().encode("héllo 🙂"))).toBe("héllo 🙂");
    expect(decodeJson(null)).toBeNull();
    expect(errorCodeOf(() => decodeText(new Uint8Array([0xff])))).toBe("INVALID_RECORD");
    expect(errorCodeOf(() => decodeJson(new TextEncoder().encode("{")))).toBe("INVALID_RECORD");
    expect(errorCodeOf(() => encodeJson(undefined))).toBe("INVALID_RECORD");
  });

  it("turns KafkaJS header objects into the ordered list, repeating array values", () => {
    const headers = toHeaders({ a: "1", b: ["2", new Uint8Array([3])], c: undefined, d: null });
    expect(headers.map((h) => [h.key, h.value === null ? null : [...h.value]])).toEqual([
      ["a", [49]],
      ["b", [50]],
      ["b", [3]],
      ["d", null],
    ]);
    expect(toHeaders([{ key: "x", value: "y" }])).toHaveLength(1);
  });
});
