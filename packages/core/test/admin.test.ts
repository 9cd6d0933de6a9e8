/**
 * `Admin` over the memory store: topic creation and its validation (names, partition counts, configs,
 * collisions), description and KafkaJS's metadata shape, config changes and descriptions, deletion, growing
 * partitions, and the offset queries (latest, by timestamp) with record deletion.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Admin, DEFAULT_TOPIC_CONFIG, EdgeLog, MemoryStore, type Message } from "../src/index.ts";
import { expectEdgeLogError } from "../src/testing/index.ts";

const TS = 1_700_000_000_000;

describe("Admin", () => {
  let store: MemoryStore;
  let log: EdgeLog;
  let admin: Admin;

  beforeEach(() => {
    store = new MemoryStore();
    log = new EdgeLog({ store });
    admin = log.admin();
  });

  afterEach(async () => {
    await store.close();
  });

  /** Sends messages and waits until they are stored. */
  async function produce(topic: string, messages: Message[]): Promise<void> {
    const producer = log.producer();
    await producer.send({ topic, messages });
    await producer.disconnect();
  }

  describe("createTopics", () => {
    it("creates topics and resolves true, with one partition by default", async () => {
      const created = await admin.createTopics({
        topics: [{ topic: "orders", numPartitions: 3 }, { topic: "audit" }],
      });
      expect(created).toBe(true);
      expect(await admin.listTopics()).toEqual(["audit", "orders"]);
      expect((await store.getTopic("orders"))?.partitions).toBe(3);
      expect((await store.getTopic("audit"))?.partitions).toBe(1);
      expect((await store.getTopic("audit"))?.config).toEqual(DEFAULT_TOPIC_CONFIG);
    });

    it("resolves false when a topic already exists, still creating the others and leaving the old one", async () => {
      await admin.createTopics({ topics: [{ topic: "orders", numPartitions: 2 }] });
      const before = await store.getTopic("orders");
      const created = await admin.createTopics({
        topics: [{ topic: "orders", numPartitions: 5 }, { topic: "payments" }],
      });
      expect(created).toBe(false);
      expect(await store.getTopic("orders")).toEqual(before);
      expect(await admin.listTopics()).toEqual(["orders", "payments"]);
    });

    it.each([
      ["empty", ""],
      ["dot", "."],
      ["dot dot", ".."],
      ["slash", "a/b"],
      ["space", "a b"],
      ["250 characters", "x".repeat(250)],
    ])("refuses an invalid name (%s) with INVALID_TOPIC and creates nothing", async (_, name) => {
      await expectEdgeLogError(
        admin.createTopics({ topics: [{ topic: "fine" }, { topic: name }] }),
        "INVALID_TOPIC",
      );
      expect(await admin.listTopics()).toEqual([]);
    });

    it("accepts a 249-character name and every legal character", async () => {
      const long = "y".repeat(249);
      expect(await admin.createTopics({ topics: [{ topic: long }, { topic: "Aa0._-z" }] })).toBe(true);
      expect(await admin.listTopics()).toEqual(["Aa0._-z", long]);
    });

    it.each([0, -1, 1.5, Number.NaN, 10_001])(
      "refuses numPartitions %s with INVALID_PARTITIONS and creates nothing",
      async (numPartitions) => {
        await expectEdgeLogError(
          admin.createTopics({ topics: [{ topic: "ok" }, { topic: "bad", numPartitions }] }),
          "INVALID_PARTITIONS",
        );
        expect(await admin.listTopics()).toEqual([]);
      },
    );

    it.each([
      ["an unknown config", { name: "segment.ms", value: "1000" }],
      ["cleanup.policy=shred", { name: "cleanup.policy", value: "shred" }],
      ["a non-numeric retention.ms", { name: "retention.ms", value: "soon" }],
      ["retention.ms below -1", { name: "retention.ms", value: "-2" }],
      ["max.message.bytes of 0", { name: "max.message.bytes", value: "0" }],
    ])("refuses %s with INVALID_CONFIG and creates nothing", async (_, entry) => {
      await expectEdgeLogError(
        admin.createTopics({ topics: [{ topic: "ok" }, { topic: "t", configEntries: [entry] }] }),
        "INVALID_CONFIG",
      );
      expect(await admin.listTopics()).toEqual([]);
    });

    it("parses configEntries strings into numbers, and takes the plain `config` form too", async () => {
      await admin.createTopics({
        topics: [
          {
            topic: "t",
            configEntries: [
              { name: "retention.ms", value: "3600000" },
              { name: "retention.bytes", value: "-1" },
              { name: "max.message.bytes", value: "2048" },
              { name: "cleanup.policy", value: "delete" },
            ],
          },
          { topic: "u", config: { "retention.ms": 60_000, "max.message.bytes": "4096" } },
        ],
      });
      const t = await admin.describeTopic("t");
      expect(t.config).toEqual({
        "retention.ms": 3_600_000,
        "retention.bytes": -1,
        "max.message.bytes": 2048,
        "cleanup.policy": "delete",
      });
      const u = await admin.describeTopic("u");
      expect(u.config["retention.ms"]).toBe(60_000);
      expect(u.config["max.message.bytes"]).toBe(4096);
    });

    it("refuses a name that collides with an existing one ('.' versus '_') with INVALID_TOPIC", async () => {
      await admin.createTopics({ topics: [{ topic: "a.b" }] });
      const error = await expectEdgeLogError(
        admin.createTopics({ topics: [{ topic: "a_b" }] }),
        "INVALID_TOPIC",
      );
      expect(error.context.topic).toBe("a_b");
      expect(await admin.listTopics()).toEqual(["a.b"]);
    });

    it("refuses two colliding names in one call, creating neither", async () => {
      await expectEdgeLogError(
        admin.createTopics({ topics: [{ topic: "x_y" }, { topic: "x.y" }] }),
        "INVALID_TOPIC",
      );
      expect(await admin.listTopics()).toEqual([]);
    });

    it("refuses the same name twice in one call, and an empty list", async () => {
      await expectEdgeLogError(
        admin.createTopics({ topics: [{ topic: "t" }, { topic: "t" }] }),
        "INVALID_REQUEST",
      );
      await expectEdgeLogError(admin.createTopics({ topics: [] }), "INVALID_REQUEST");
      expect(await admin.listTopics()).toEqual([]);
    });

    it("with validateOnly checks everything but creates nothing", async () => {
      await admin.createTopics({ topics: [{ topic: "existing" }] });
      expect(
        await admin.createTopics({ topics: [{ topic: "new", numPartitions: 4 }], validateOnly: true }),
      ).toBe(true);
      expect(await admin.createTopics({ topics: [{ topic: "existing" }], validateOnly: true })).toBe(false);
      await expectEdgeLogError(
        admin.createTopics({ topics: [{ topic: "new", numPartitions: 0 }], validateOnly: true }),
        "INVALID_PARTITIONS",
      );
      expect(await admin.listTopics()).toEqual(["existing"]);
    });
  });

  describe("describing topics", () => {
    it("listTopics lists names in order, and is empty for a new store", async () => {
      expect(await admin.listTopics()).toEqual([]);
      await admin.createTopics({ topics: [{ topic: "b" }, { topic: "a" }, { topic: "c" }] });
      expect(await admin.listTopics()).toEqual(["a", "b", "c"]);
    });

    it("describeTopic gives the config and every partition's bounds", async () => {
      await admin.createTopics({
        topics: [{ topic: "t", numPartitions: 2, configEntries: [{ name: "retention.ms", value: "-1" }] }],
      });
      await produce("t", [
        { value: "a", partition: 1 },
        { value: "b", partition: 1 },
      ]);
      const description = await admin.describeTopic("t");
      expect(description).toEqual({
        name: "t",
        topicId: (await store.getTopic("t"))?.topicId,
        config: { ...DEFAULT_TOPIC_CONFIG, "retention.ms": -1 },
        partitions: [
          { partition: 0, logStartOffset: 0, highWatermark: 0 },
          { partition: 1, logStartOffset: 0, highWatermark: 2 },
        ],
      });
      expect(description.topicId).toEqual(expect.any(String));
    });

    it("fetchTopicMetadata has KafkaJS's shape, for named topics or all of them", async () => {
      await admin.createTopics({ topics: [{ topic: "a", numPartitions: 2 }, { topic: "b" }] });
      const partition = (partitionId: number) => ({
        partitionErrorCode: 0,
        partitionId,
        leader: 0,
        replicas: [0],
        isr: [0],
        offlineReplicas: [],
      });
      expect(await admin.fetchTopicMetadata({ topics: ["a"] })).toEqual({
        topics: [{ name: "a", partitions: [partition(0), partition(1)] }],
      });
      expect(await admin.fetchTopicMetadata()).toEqual({
        topics: [
          { name: "a", partitions: [partition(0), partition(1)] },
          { name: "b", partitions: [partition(0)] },
        ],
      });
    });

    it("rejects unknown topics with UNKNOWN_TOPIC_OR_PARTITION and bad names with INVALID_TOPIC", async () => {
      await admin.createTopics({ topics: [{ topic: "known" }] });
      await expectEdgeLogError(admin.describeTopic("missing"), "UNKNOWN_TOPIC_OR_PARTITION");
      await expectEdgeLogError(
        admin.fetchTopicMetadata({ topics: ["known", "missing"] }),
        "UNKNOWN_TOPIC_OR_PARTITION",
      );
      await expectEdgeLogError(admin.fetchTopicOffsets("missing"), "UNKNOWN_TOPIC_OR_PARTITION");
      await expectEdgeLogError(
        admin.fetchTopicOffsetsByTimestamp("missing", 0),
        "UNKNOWN_TOPIC_OR_PARTITION",
      );
      await expectEdgeLogError(
        admin.deleteTopicRecords({ topic: "missing", partitions: [{ partition: 0, offset: 0 }] }),
        "UNKNOWN_TOPIC_OR_PARTITION",
      );
      await expectEdgeLogError(
        admin.createPartitions({ topicPartitions: [{ topic: "missing", count: 2 }] }),
        "UNKNOWN_TOPIC_OR_PARTITION",
      );
      await expectEdgeLogError(admin.describeTopic("a/b"), "INVALID_TOPIC");
    });
  });

  describe("alterConfigs and describeConfigs", () => {
    const change = (name: string, configEntries: { name: string; value: string | number | null }[]) => ({
      resources: [{ name, configEntries }],
    });

    it("changes only the named settings (null resets one) and answers KafkaJS's shape", async () => {
      await admin.createTopics({ topics: [{ topic: "t", config: { "retention.ms": 1000 } }] });
      const answer = await admin.alterConfigs(
        change("t", [
          { name: "cleanup.policy", value: "compact" },
          { name: "retention.ms", value: null },
        ]),
      );
      expect(answer).toEqual({
        resources: [{ resourceType: 2, resourceName: "t", errorCode: 0, errorMessage: null }],
      });
      expect((await admin.describeTopic("t")).config).toEqual({
        ...DEFAULT_TOPIC_CONFIG,
        "cleanup.policy": "compact",
      });
    });

    it("validates every resource before changing any; validateOnly changes nothing", async () => {
      await admin.createTopics({ topics: [{ topic: "a" }, { topic: "b" }] });
      const good = { name: "a", configEntries: [{ name: "retention.ms", value: "5" }] };
      const bad = { name: "b", configEntries: [{ name: "segment.ms", value: "5" }] };
      await expectEdgeLogError(admin.alterConfigs({ resources: [good, bad] }), "INVALID_CONFIG");
      await expectEdgeLogError(
        admin.alterConfigs({ resources: [good, { ...good, name: "missing" }] }),
        "UNKNOWN_TOPIC_OR_PARTITION",
      );
      await admin.alterConfigs({ resources: [good], validateOnly: true });
      expect((await admin.describeTopic("a")).config).toEqual(DEFAULT_TOPIC_CONFIG);
      for (const resources of [[], [good, good], [{ ...good, type: 4 }], [{ name: "a" }]]) {
        await expectEdgeLogError(admin.alterConfigs({ resources: resources as never }), "INVALID_REQUEST");
      }
    });

    it("lists every setting with the value in force, defaults marked, optionally only the named ones", async () => {
      await admin.createTopics({
        topics: [{ topic: "t", config: { "cleanup.policy": "compact", "delete.retention.ms": 0 } }],
      });
      const { resources } = await admin.describeConfigs({ resources: [{ type: 2, name: "t" }] });
      const entries = new Map(resources[0]?.configEntries.map((e) => [e.configName, e]));
      expect(entries.get("cleanup.policy")).toMatchObject({ configValue: "compact", isDefault: false });
      expect(entries.get("delete.retention.ms")).toMatchObject({ configValue: "0", isDefault: false });
      expect(entries.get("min.compaction.lag.ms")).toMatchObject({ configValue: "0", isDefault: true });
      expect(entries.get("max.compaction.lag.ms")?.configValue).toBe("9223372036854775807");
      expect(entries.get("retention.ms")).toMatchObject({ configValue: "604800000", isDefault: true });
      const only = await admin.describeConfigs({
        resources: [{ name: "t", configNames: ["cleanup.policy", "nope"] }],
      });
      expect(only.resources[0]?.configEntries.map((e) => e.configName)).toEqual(["cleanup.policy"]);
      await expectEdgeLogError(
        admin.describeConfigs({ resources: [{ name: "missing" }] }),
        "UNKNOWN_TOPIC_OR_PARTITION",
      );
    });

    it("makes producers see the change at once: a compacted topic refuses a keyless message", async () => {
      await admin.createTopics({ topics: [{ topic: "t" }] });
      await produce("t", [{ value: "keyless is fine under delete" }]);
      await admin.alterConfigs(change("t", [{ name: "cleanup.policy", value: "compact" }]));
      await expectEdgeLogError(produce("t", [{ value: "now refused" }]), "INVALID_RECORD");
      await produce("t", [{ key: "k", value: "keyed" }]);
    });
  });

  describe("deleteTopics", () => {
    it("deletes topics with their data; producers then see UNKNOWN_TOPIC_OR_PARTITION", async () => {
      await admin.createTopics({ topics: [{ topic: "gone", numPartitions: 2 }, { topic: "kept" }] });
      await produce("gone", [{ value: "x" }]);
      const producer = log.producer();
      await producer.send({ topic: "gone", messages: [{ value: "cached metadata" }] });
      await admin.deleteTopics({ topics: ["gone"] });
      expect(await admin.listTopics()).toEqual(["kept"]);
      await expectEdgeLogError(admin.describeTopic("gone"), "UNKNOWN_TOPIC_OR_PARTITION");
      await expectEdgeLogError(
        producer.send({ topic: "gone", messages: [{ value: "y" }] }),
        "UNKNOWN_TOPIC_OR_PARTITION",
      );
    });

    it("rejects an unknown topic with UNKNOWN_TOPIC_OR_PARTITION", async () => {
      await expectEdgeLogError(admin.deleteTopics({ topics: ["never"] }), "UNKNOWN_TOPIC_OR_PARTITION");
    });

    it("a re-created topic starts empty, with a new topic id", async () => {
      await admin.createTopics({ topics: [{ topic: "t" }] });
      const firstId = (await admin.describeTopic("t")).topicId;
      await produce("t", [{ value: "old" }]);
      await admin.deleteTopics({ topics: ["t"] });
      expect(await admin.createTopics({ topics: [{ topic: "t", numPartitions: 2 }] })).toBe(true);
      const description = await admin.describeTopic("t");
      expect(description.topicId).not.toBe(firstId);
      expect(description.partitions).toEqual([
        { partition: 0, logStartOffset: 0, highWatermark: 0 },
        { partition: 1, logStartOffset: 0, highWatermark: 0 },
      ]);
    });
  });

  describe("createPartitions", () => {
    it("grows a topic to `count` partitions in total; producers see the new ones at once", async () => {
      await admin.createTopics({ topics: [{ topic: "t", numPartitions: 1 }] });
      const producer = log.producer();
      await producer.send({ topic: "t", messages: [{ value: "warm the metadata cache" }] });
      expect(await admin.createPartitions({ topicPartitions: [{ topic: "t", count: 3 }] })).toBe(true);
      expect((await admin.fetchTopicOffsets("t")).map((p) => p.partition)).toEqual([0, 1, 2]);
      const [metadata] = await producer.send({ topic: "t", messages: [{ value: "new", partition: 2 }] });
      expect(metadata).toMatchObject({ partition: 2, baseOffset: 0 });
    });

    it.each([1, 2])("refuses count %s for a topic of 2 partitions with INVALID_PARTITIONS", async (count) => {
      await admin.createTopics({ topics: [{ topic: "t", numPartitions: 2 }] });
      await expectEdgeLogError(
        admin.createPartitions({ topicPartitions: [{ topic: "t", count }] }),
        "INVALID_PARTITIONS",
      );
      expect((await store.getTopic("t"))?.partitions).toBe(2);
    });

    it("validates every topic before growing any, and validateOnly grows nothing", async () => {
      await admin.createTopics({ topics: [{ topic: "a" }, { topic: "b", numPartitions: 4 }] });
      await expectEdgeLogError(
        admin.createPartitions({
          topicPartitions: [
            { topic: "a", count: 2 },
            { topic: "b", count: 3 },
          ],
        }),
        "INVALID_PARTITIONS",
      );
      expect(
        await admin.createPartitions({ topicPartitions: [{ topic: "a", count: 5 }], validateOnly: true }),
      ).toBe(true);
      expect((await store.getTopic("a"))?.partitions).toBe(1);
    });
  });

  describe("offsets", () => {
    it("fetchTopicOffsets gives high watermark (offset, high) and log start (low) per partition", async () => {
      await admin.createTopics({ topics: [{ topic: "t", numPartitions: 2 }] });
      expect(await admin.fetchTopicOffsets("t")).toEqual([
        { partition: 0, offset: 0, high: 0, low: 0 },
        { partition: 1, offset: 0, high: 0, low: 0 },
      ]);
      await produce("t", [
        { value: "a", partition: 0 },
        { value: "b", partition: 0 },
        { value: "c", partition: 0 },
        { value: "d", partition: 1 },
      ]);
      expect(await admin.fetchTopicOffsets("t")).toEqual([
        { partition: 0, offset: 3, high: 3, low: 0 },
        { partition: 1, offset: 1, high: 1, low: 0 },
      ]);
    });

    it("fetchTopicOffsetsByTimestamp finds the earliest offset at or after a time, else the high watermark", async () => {
      await admin.createTopics({ topics: [{ topic: "t", numPartitions: 2 }] });
      await produce("t", [
        { value: "a", partition: 0, timestamp: TS + 1000 },
        { value: "b", partition: 0, timestamp: String(TS + 2000) },
        { value: "c", partition: 0, timestamp: TS + 3000 },
      ]);
      expect(await admin.fetchTopicOffsetsByTimestamp("t", TS + 1500)).toEqual([
        { partition: 0, offset: 1 },
        { partition: 1, offset: 0 },
      ]);
      expect(await admin.fetchTopicOffsetsByTimestamp("t", TS + 2000)).toEqual([
        { partition: 0, offset: 1 },
        { partition: 1, offset: 0 },
      ]);
      expect(await admin.fetchTopicOffsetsByTimestamp("t", 0)).toEqual([
        { partition: 0, offset: 0 },
        { partition: 1, offset: 0 },
      ]);
      // No record that late: KafkaJS substitutes the high watermark for Kafka's -1.
      expect(await admin.fetchTopicOffsetsByTimestamp("t", TS + 9000)).toEqual([
        { partition: 0, offset: 3 },
        { partition: 1, offset: 0 },
      ]);
      expect(await admin.fetchTopicOffsetsByTimestamp("t")).toEqual([
        { partition: 0, offset: 3 },
        { partition: 1, offset: 0 },
      ]);
    });

    it("deleteTopicRecords moves the log start; -1 deletes everything up to the high watermark", async () => {
      await admin.createTopics({ topics: [{ topic: "t", numPartitions: 2 }] });
      for (let i = 0; i < 5; i++) {
        await produce("t", [
          { value: `a${i}`, partition: 0, timestamp: TS + i },
          { value: `b${i}`, partition: 1, timestamp: TS + i },
        ]);
      }
      await admin.deleteTopicRecords({
        topic: "t",
        partitions: [
          { partition: 0, offset: "2" },
          { partition: 1, offset: -1 },
        ],
      });
      expect(await admin.fetchTopicOffsets("t")).toEqual([
        { partition: 0, offset: 5, high: 5, low: 2 },
        { partition: 1, offset: 5, high: 5, low: 5 },
      ]);
      // A timestamp that matched a deleted record now finds the first retained one.
      expect(await admin.fetchTopicOffsetsByTimestamp("t", TS)).toEqual([
        { partition: 0, offset: 2 },
        { partition: 1, offset: 5 },
      ]);
      await admin.deleteTopicRecords({ topic: "t", partitions: [{ partition: 0, offset: 4 }] });
      expect((await admin.fetchTopicOffsets("t"))[0]).toEqual({ partition: 0, offset: 5, high: 5, low: 4 });
    });

    it("deleteTopicRecords refuses unknown partitions and offsets beyond the high watermark, and changes nothing", async () => {
      await admin.createTopics({ topics: [{ topic: "t" }] });
      await produce("t", [{ value: "a" }, { value: "b" }]);
      await expectEdgeLogError(
        admin.deleteTopicRecords({ topic: "t", partitions: [{ partition: 1, offset: 1 }] }),
        "UNKNOWN_TOPIC_OR_PARTITION",
      );
      await expectEdgeLogError(
        admin.deleteTopicRecords({ topic: "t", partitions: [{ partition: 0, offset: 3 }] }),
        "OFFSET_OUT_OF_RANGE",
      );
      await expectEdgeLogError(
        admin.deleteTopicRecords({ topic: "t", partitions: [{ partition: 0, offset: "later" }] }),
        "OFFSET_OUT_OF_RANGE",
      );
      expect(await admin.fetchTopicOffsets("t")).toEqual([{ partition: 0, offset: 2, high: 2, low: 0 }]);
    });
  });
});

describe("admin edge cases", () => {
  it("deletes nothing when one of the topics is unknown", async () => {
    const log = new EdgeLog();
    const admin = log.admin();
    await admin.createTopics({ topics: [{ topic: "keep" }] });
    await expect(admin.deleteTopics({ topics: ["keep", "missing"] })).rejects.toMatchObject({
      code: "UNKNOWN_TOPIC_OR_PARTITION",
    });
    expect(await admin.listTopics()).toEqual(["keep"]);
  });

  it("honours Kafka's -1 (latest) and -2 (earliest) and refuses other negative timestamps", async () => {
    const log = new EdgeLog();
    const admin = log.admin();
    await admin.createTopics({ topics: [{ topic: "t" }] });
    await log.producer().send({ topic: "t", messages: [{ value: "a" }, { value: "b" }, { value: "c" }] });
    await admin.deleteTopicRecords({ topic: "t", partitions: [{ partition: 0, offset: 1 }] });
    expect(await admin.fetchTopicOffsetsByTimestamp("t", -1)).toEqual([{ partition: 0, offset: 3 }]);
    expect(await admin.fetchTopicOffsetsByTimestamp("t", -2)).toEqual([{ partition: 0, offset: 1 }]);
    await expect(admin.fetchTopicOffsetsByTimestamp("t", -3)).rejects.toMatchObject({
      code: "INVALID_TIMESTAMP",
    });
    await expect(admin.fetchTopicOffsetsByTimestamp("t", 1.5)).rejects.toMatchObject({
      code: "INVALID_TIMESTAMP",
    });
  });
});
