/**
 * @module
 * Topic administration: create, list, describe, grow, delete, and their validation errors.
 */
import { DEFAULT_TOPIC_CONFIG, MemoryStore } from "@edgelog/core";
import { describe, expect, it } from "vitest";
import { expectError, setup } from "./helpers.ts";

describe("POST /v1/topics", () => {
  it("creates a topic: 201 with name, partitions, config, topicId", async () => {
    const { json } = setup();
    const res = await json("POST", "/v1/topics", {
      name: "orders",
      partitions: 3,
      config: { "retention.ms": 604800000 },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: "orders", partitions: 3, config: { "retention.ms": 604800000 } });
    expect(typeof res.body.topicId).toBe("string");
    expect(res.body.placement).toBeUndefined(); // the memory store has no regions
  });

  it("defaults to one partition and the default config", async () => {
    const { json } = setup();
    const res = await json("POST", "/v1/topics", { name: "a" });
    expect(res.body).toMatchObject({ name: "a", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
  });

  it("same name again → 409 TOPIC_ALREADY_EXISTS", async () => {
    const { json, createTopic } = setup();
    await createTopic("orders");
    expectError(await json("POST", "/v1/topics", { name: "orders" }), 409, "TOPIC_ALREADY_EXISTS");
  });

  it("rejects illegal names with 400 INVALID_TOPIC", async () => {
    const { json } = setup();
    for (const name of ["", ".", "..", "a/b", "ü", "x".repeat(250), 42, null]) {
      expectError(await json("POST", "/v1/topics", { name }), 400, "INVALID_TOPIC");
    }
    const ok = await json("POST", "/v1/topics", { name: "x".repeat(249) });
    expect(ok.status).toBe(201);
  });

  it("rejects names colliding on '.' versus '_'", async () => {
    const { json, createTopic } = setup();
    await createTopic("a.b");
    expectError(await json("POST", "/v1/topics", { name: "a_b" }), 400, "INVALID_TOPIC");
  });

  it("rejects bad partition counts with 400 INVALID_PARTITIONS", async () => {
    const { json } = setup();
    for (const partitions of [0, -1, 1.5, "3", 10_001, null]) {
      expectError(await json("POST", "/v1/topics", { name: "t", partitions }), 400, "INVALID_PARTITIONS");
    }
  });

  it("rejects bad config with 400 INVALID_CONFIG or INVALID_REQUEST", async () => {
    const { json } = setup();
    expectError(await json("POST", "/v1/topics", { name: "t", config: { nope: 1 } }), 400, "INVALID_CONFIG");
    expectError(
      await json("POST", "/v1/topics", { name: "t", config: { "retention.ms": "soon" } }),
      400,
      "INVALID_CONFIG",
    );
    expectError(await json("POST", "/v1/topics", { name: "t", config: [1] }), 400, "INVALID_REQUEST");
  });

  it("validates regions", async () => {
    const { json } = setup();
    expectError(await json("POST", "/v1/topics", { name: "t", regions: ["mars"] }), 400, "INVALID_REQUEST");
    expectError(await json("POST", "/v1/topics", { name: "t", regions: [] }), 400, "INVALID_REQUEST");
    expectError(await json("POST", "/v1/topics", { name: "t", regions: "wnam" }), 400, "INVALID_REQUEST");
    expect((await json("POST", "/v1/topics", { name: "t", regions: ["wnam", "weur"] })).status).toBe(201);
  });
});

describe("GET /v1/topics and /v1/topics/{topic}", () => {
  it("lists topics in name order", async () => {
    const { json, createTopic } = setup();
    await createTopic("b", 2);
    await createTopic("a");
    const res = await json("GET", "/v1/topics");
    expect(res.status).toBe(200);
    expect(res.body.topics.map((t: { name: string; partitions: number }) => [t.name, t.partitions])).toEqual([
      ["a", 1],
      ["b", 2],
    ]);
    expect(res.body.topics[0]).toHaveProperty("topicId");
    expect(res.body.topics[0]).toHaveProperty("config");
  });

  it("describes a topic with every partition's bounds", async () => {
    const { json, createTopic, produce } = setup();
    await createTopic("orders", 2);
    await produce("orders", {
      records: [
        { value: 1, partition: 1 },
        { value: 2, partition: 1 },
      ],
    });
    const res = await json("GET", "/v1/topics/orders");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      name: "orders",
      partitions: [
        { partition: 0, logStartOffset: 0, highWatermark: 0 },
        { partition: 1, logStartOffset: 0, highWatermark: 2 },
      ],
    });
  });

  it("describes each partition's retained bytes, as the store counts them, falling when records are deleted", async () => {
    const { json, createTopic, produce, store } = setup();
    await createTopic("sized", 2);
    await produce("sized", { records: [{ value: "a", partition: 1 }] });
    await produce("sized", { records: [{ value: "bb", partition: 1 }] });
    const batches = await store.listBatches({ topic: "sized", partition: 1 });
    const [first, second] = batches.map((b) => b.sizeBytes);
    const sizes = async () =>
      (await json("GET", "/v1/topics/sized")).body.partitions.map((p: { sizeBytes: number }) => p.sizeBytes);
    expect(await sizes()).toEqual([0, (first ?? 0) + (second ?? 0)]);
    await json("POST", "/v1/topics/sized/partitions/1/delete-records", { beforeOffset: 1 });
    expect(await sizes()).toEqual([0, second]);
  });

  it("unknown topic → 404 UNKNOWN_TOPIC_OR_PARTITION; illegal name → 400 INVALID_TOPIC", async () => {
    const { json } = setup();
    expectError(await json("GET", "/v1/topics/missing"), 404, "UNKNOWN_TOPIC_OR_PARTITION");
    expectError(await json("GET", "/v1/topics/.."), 404, "NOT_FOUND"); // URL normalisation eats ".."
    expectError(await json("GET", "/v1/topics/a%20b"), 400, "INVALID_TOPIC");
  });
});

describe("DELETE /v1/topics/{topic}", () => {
  it("deletes: 204, then 404", async () => {
    const { json, createTopic } = setup();
    await createTopic("t");
    const res = await json("DELETE", "/v1/topics/t");
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    expectError(await json("GET", "/v1/topics/t"), 404, "UNKNOWN_TOPIC_OR_PARTITION");
    expectError(await json("DELETE", "/v1/topics/t"), 404, "UNKNOWN_TOPIC_OR_PARTITION");
  });
});

describe("POST /v1/topics/{topic}/partitions", () => {
  it("grows a topic and answers its description", async () => {
    const { json, createTopic } = setup();
    await createTopic("t", 1);
    const res = await json("POST", "/v1/topics/t/partitions", { count: 3 });
    expect(res.status).toBe(200);
    expect(res.body.partitions).toHaveLength(3);
  });

  it("refuses to shrink or keep the count (400 INVALID_PARTITIONS), bad types, unknown topics", async () => {
    const { json, createTopic } = setup();
    await createTopic("t", 2);
    expectError(await json("POST", "/v1/topics/t/partitions", { count: 2 }), 400, "INVALID_PARTITIONS");
    expectError(await json("POST", "/v1/topics/t/partitions", { count: "3" }), 400, "INVALID_PARTITIONS");
    expectError(await json("POST", "/v1/topics/t/partitions", "{"), 400, "INVALID_REQUEST");
    expectError(
      await json("POST", "/v1/topics/x/partitions", { count: 3 }),
      404,
      "UNKNOWN_TOPIC_OR_PARTITION",
    );
  });
});

describe("deployment limits over HTTP", () => {
  it("a topic past the deployment's limit → 400 POLICY_VIOLATION; a group past its size → 409 GROUP_MAX_SIZE_REACHED", async () => {
    const limited = new MemoryStore({ maxTopics: 1, groups: { maxMembers: 1 } });
    const { json } = setup({ store: () => limited });
    expect((await json("POST", "/v1/topics", { name: "a" })).status).toBe(201);
    const refused = expectError(await json("POST", "/v1/topics", { name: "b" }), 400, "POLICY_VIOLATION");
    expect(refused).toMatchObject({ topic: "b", limit: 1, actual: 1 });
    expect((await limited.listTopics()).map((t) => t.name)).toEqual(["a"]);
    const beat = (memberId: string) =>
      json("POST", "/v1/groups/g/heartbeat", { memberId, memberEpoch: 0, topics: ["a"] });
    expect((await beat("m-1")).status).toBe(200);
    const full = expectError(await beat("m-2"), 409, "GROUP_MAX_SIZE_REACHED");
    expect(full).toMatchObject({ groupId: "g", memberId: "m-2", limit: 1 });
    expect((await beat("m-1")).status).toBe(200);
  });
});
