import { DEFAULT_TOPIC_CONFIG, type TopicConfig } from "@edgelog/core";
import { describe, expect, it } from "vitest";
import { configChanges, readableValue, topicConfigEntries } from "./config-form.ts";

const compacted: TopicConfig = {
  ...DEFAULT_TOPIC_CONFIG,
  "cleanup.policy": "compact",
  "delete.retention.ms": 60_000,
};

describe("topic config form", () => {
  it("lists every setting with whether it is the default, replication ones only on a replicated topic", () => {
    const entries = topicConfigEntries(compacted, false);
    expect(entries.map((e) => e.name)).toEqual([
      "retention.ms",
      "retention.bytes",
      "max.message.bytes",
      "cleanup.policy",
      "delete.retention.ms",
      "min.compaction.lag.ms",
      "max.compaction.lag.ms",
      "min.cleanable.dirty.ratio",
    ]);
    expect(entries.find((e) => e.name === "cleanup.policy")).toMatchObject({
      value: "compact",
      isDefault: false,
    });
    expect(entries.find((e) => e.name === "delete.retention.ms")).toMatchObject({ isDefault: false });
    expect(entries.find((e) => e.name === "min.compaction.lag.ms")).toMatchObject({
      value: "0",
      isDefault: true,
    });
    expect(topicConfigEntries(compacted, true).map((e) => e.name)).toContain("min.insync.replicas");
  });

  it("turns a form into an incremental change: set what differs, null what was emptied, nothing else", () => {
    const entries = topicConfigEntries(compacted, false);
    expect(configChanges(entries, new Map())).toEqual(new Map());
    const texts = new Map([
      ["delete.retention.ms", ""], // set before: reset
      ["min.compaction.lag.ms", " 5000 "], // default before: set
      ["retention.ms", ""], // default before, still empty: untouched
      ["cleanup.policy", "compact"], // unchanged
      ["min.cleanable.dirty.ratio", "lots"], // passed on as typed: the server refuses it
    ]);
    expect(configChanges(entries, texts)).toEqual(
      new Map<string, string | null>([
        ["delete.retention.ms", null],
        ["min.compaction.lag.ms", "5000"],
        ["min.cleanable.dirty.ratio", "lots"],
      ]),
    );
  });

  it("says values in units people read", () => {
    expect(readableValue("retention.ms", "604800000")).toBe("7 d");
    expect(readableValue("retention.ms", "-1")).toBe("forever");
    expect(readableValue("min.compaction.lag.ms", "0")).toBe("none");
    expect(readableValue("max.compaction.lag.ms", "9223372036854775807")).toBe("no bound");
    expect(readableValue("retention.bytes", "-1")).toBe("unlimited per partition");
    expect(readableValue("max.message.bytes", "1048576")).toBe("1 MiB");
    expect(readableValue("min.cleanable.dirty.ratio", "0.5")).toBeUndefined();
  });
});
