import { describe, expect, it } from "vitest";
import { alteredTopicMetadata, newTopicMetadata } from "../src/store-kit/topic-metadata.ts";
import { errorCodeOf } from "../src/testing/helpers.ts";
import {
  alterTopicConfig,
  DEFAULT_TOPIC_CONFIG,
  resolveTopicConfig,
  type TopicConfig,
} from "../src/topic-config.ts";

describe("cleanup.policy and the compaction settings", () => {
  it("takes Kafka's policies in either order and keeps one spelling", () => {
    expect(resolveTopicConfig({ "cleanup.policy": "compact" })["cleanup.policy"]).toBe("compact");
    expect(resolveTopicConfig({ "cleanup.policy": "delete,compact" })["cleanup.policy"]).toBe(
      "compact,delete",
    );
    expect(resolveTopicConfig({ "cleanup.policy": " compact , delete " })["cleanup.policy"]).toBe(
      "compact,delete",
    );
  });

  it.each([
    ["cleanup.policy", ""],
    ["cleanup.policy", "Compact"],
    ["cleanup.policy", "compact,delete,compact"],
    ["cleanup.policy", ["compact"]],
    ["delete.retention.ms", -1],
    ["min.compaction.lag.ms", "soon"],
    ["max.compaction.lag.ms", 0],
    ["min.cleanable.dirty.ratio", 1.5],
    ["min.cleanable.dirty.ratio", "NaN"],
  ])("refuses %s=%j with INVALID_CONFIG", (name, value) => {
    expect(errorCodeOf(() => resolveTopicConfig({ [name]: value }))).toBe("INVALID_CONFIG");
  });

  it("parses the compaction settings from strings, as KafkaJS sends them", () => {
    expect(
      resolveTopicConfig({
        "cleanup.policy": "compact",
        "delete.retention.ms": "0",
        "min.compaction.lag.ms": "10",
        "max.compaction.lag.ms": "20",
        "min.cleanable.dirty.ratio": "0.25",
      }),
    ).toEqual({
      ...DEFAULT_TOPIC_CONFIG,
      "cleanup.policy": "compact",
      "delete.retention.ms": 0,
      "min.compaction.lag.ms": 10,
      "max.compaction.lag.ms": 20,
      "min.cleanable.dirty.ratio": 0.25,
    });
  });

  it("refuses min.compaction.lag.ms above max.compaction.lag.ms, as Kafka does", () => {
    const config = { "min.compaction.lag.ms": 20, "max.compaction.lag.ms": 10 };
    expect(errorCodeOf(() => resolveTopicConfig(config))).toBe("INVALID_CONFIG");
  });

  it("refuses compaction of a replicated topic, which is not built", () => {
    const spec = { name: "t", partitions: 1, config: resolveTopicConfig({ "cleanup.policy": "compact" }) };
    expect(errorCodeOf(() => newTopicMetadata(spec, 0, 3))).toBe("INVALID_CONFIG");
    expect(errorCodeOf(() => newTopicMetadata(spec, 0, 1))).toBe("ok");
  });
});

describe("alterTopicConfig (Kafka's IncrementalAlterConfigs)", () => {
  const current: TopicConfig = { ...DEFAULT_TOPIC_CONFIG, "retention.ms": 1000, "min.insync.replicas": 1 };

  it("sets the named settings and keeps the others", () => {
    expect(alterTopicConfig(current, { "cleanup.policy": "compact", "delete.retention.ms": "5" })).toEqual({
      ...current,
      "cleanup.policy": "compact",
      "delete.retention.ms": 5,
    });
  });

  it("resets a setting to its default with null: a base one to Kafka's value, another to absent", () => {
    const altered = alterTopicConfig(current, { "retention.ms": null, "min.insync.replicas": null });
    expect(altered["retention.ms"]).toBe(DEFAULT_TOPIC_CONFIG["retention.ms"]);
    expect("min.insync.replicas" in altered).toBe(false);
  });

  it.each([
    [{ "segment.ms": 1 }],
    [{ "segment.ms": null }],
    [JSON.parse('{"__proto__": 1}')],
    [{ constructor: 1 }],
    [{ partitions: 3 }],
    [{ "replication.factor": 3 }],
    [{ "retention.ms": -5 }],
    [{ "min.compaction.lag.ms": 10, "max.compaction.lag.ms": 5 }],
  ])("refuses %j with INVALID_CONFIG", (changes) => {
    expect(errorCodeOf(() => alterTopicConfig(current, changes as Record<string, unknown>))).toBe(
      "INVALID_CONFIG",
    );
  });

  it("checks a change against the settings it keeps: a min lag over the topic's max is refused", () => {
    const withMax = { ...current, "max.compaction.lag.ms": 100 };
    expect(errorCodeOf(() => alterTopicConfig(withMax, { "min.compaction.lag.ms": 101 }))).toBe(
      "INVALID_CONFIG",
    );
  });

  it("says how a read-only name changes instead", () => {
    expect(() => alterTopicConfig(current, { partitions: 3 })).toThrow(/createPartitions/);
  });

  it("checks the changed config against the topic's replicas", () => {
    const metadata = { name: "t", topicId: "id", partitions: 1, config: current, createdAt: 0 };
    expect(errorCodeOf(() => alteredTopicMetadata(metadata, { "min.insync.replicas": 2 }))).toBe(
      "INVALID_CONFIG",
    );
    expect(errorCodeOf(() => alteredTopicMetadata(metadata, { "cleanup.policy": "compact" }, 2))).toBe(
      "INVALID_CONFIG",
    );
    expect(alteredTopicMetadata(metadata, { "cleanup.policy": "compact" }).config["cleanup.policy"]).toBe(
      "compact",
    );
  });
});
