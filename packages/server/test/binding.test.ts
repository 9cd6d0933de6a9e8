/**
 * @module
 * `createBinding`: the binding's typed operations over a `MemoryStore`, in Node. The same validation and error
 * codes as HTTP (including arguments a JS caller gets wrong), bytes values, the idempotent producer's retry,
 * rights narrowed by the `rights` option, and a record produced through the binding read over HTTP from an
 * app on the same store. The workerd round trip through a real service binding is in apps/worker.
 */
import { EdgeLogError, MemoryStore } from "@edgelog/core";
import { describe, expect, it } from "vitest";
import { createApp, createBinding, type EdgeLogBinding, type HostRights } from "../src/index.ts";

const NOW = 1_764_000_000_000;

function setup(rights?: () => HostRights) {
  const store = new MemoryStore({ now: () => NOW });
  const options = { store: () => store, now: () => NOW, random: () => 0 };
  const binding = createBinding({ ...options, ...(rights === undefined ? {} : { rights }) })({});
  const http = createApp({ ...options, auth: "none" });
  return { binding, http };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EdgeLogError);
  return (error as EdgeLogError).code;
}

describe("createBinding", () => {
  it("administers topics", async () => {
    const { binding } = setup();
    const created = await binding.createTopic({
      name: "orders",
      partitions: 2,
      config: { "retention.ms": 60_000 },
    });
    expect(created).toMatchObject({ name: "orders", partitions: 2, config: { "retention.ms": 60_000 } });
    expect((await binding.listTopics()).map((t) => t.name)).toEqual(["orders"]);
    const grown = await binding.createPartitions("orders", 3);
    expect(grown.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    expect((await binding.describeTopic("orders")).topicId).toBe(created.topicId);
    const altered = await binding.alterTopicConfig("orders", {
      "cleanup.policy": "compact",
      "retention.ms": null,
    });
    expect(altered.config).toMatchObject({ "cleanup.policy": "compact", "retention.ms": 604_800_000 });
    expect(await codeOf(binding.alterTopicConfig("orders", { partitions: 4 }))).toBe("INVALID_CONFIG");
    await expect(binding.deleteTopic("orders")).resolves.toBeUndefined();
    expect(await binding.listTopics()).toEqual([]);
  });

  it("answers HTTP's error codes", async () => {
    const { binding } = setup();
    expect(await codeOf(binding.describeTopic("nope"))).toBe("UNKNOWN_TOPIC_OR_PARTITION");
    expect(await codeOf(binding.createTopic({ name: "bad name!" }))).toBe("INVALID_TOPIC");
    await binding.createTopic({ name: "t" });
    expect(await codeOf(binding.createTopic({ name: "t" }))).toBe("TOPIC_ALREADY_EXISTS");
    expect(await codeOf(binding.createPartitions("t", 1))).toBe("INVALID_PARTITIONS");
    expect(await codeOf(binding.send("t", []))).toBe("INVALID_REQUEST");
    expect(await codeOf(binding.send("t", [{ value: 1, partition: 5 }]))).toBe("UNKNOWN_TOPIC_OR_PARTITION");
    expect(await codeOf(binding.fetchRecords("t", 0, { offset: 7 }))).toBe("OFFSET_OUT_OF_RANGE");
    expect(await codeOf(binding.fetchRecords("t", 0, { limit: 0 }))).toBe("INVALID_REQUEST");
    // A region is a preference: a store with one copy of each partition reads from it.
    expect((await binding.fetchRecords("t", 0, { region: "weur" })).records).toEqual([]);
    expect(await codeOf(binding.offsetForTimestamp("t", 0, -1))).toBe("INVALID_TIMESTAMP");
    const big = "x".repeat(1_100_000);
    expect(await codeOf(binding.send("t", [{ value: big }], { valueFormat: "text" }))).toBe(
      "MESSAGE_TOO_LARGE",
    );
  });

  it("refuses arguments a JS caller gets wrong with a 400's code, never a crash", async () => {
    const { binding } = setup();
    await binding.createTopic({ name: "t" });
    const loose = binding as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const attempts: [string, unknown[]][] = [
      ["describeTopic", [42]],
      ["describeTopic", [undefined]],
      ["send", ["t", "not an array"]],
      ["send", ["t", [{ value: 10n }]]],
      ["send", ["t", [{ value: 1 }], { valueFormat: "xml" }]],
      ["send", ["t", [{ value: "text" }], { valueFormat: "bytes" }]],
      ["fetchRecords", ["t", "0"]],
      ["fetchRecords", ["t", 0.5]],
      ["fetchRecords", ["t", 0, { offset: "middle" }]],
      ["fetchRecords", ["t", 0, { region: "mars" }]],
      ["fetchRecords", ["t", 0, { region: "" }]],
      ["fetchRecords", ["t", 0, { region: { toString: () => "weur" } }]],
      ["createTopic", [null]],
      ["fetchOffsets", ["g", "t"]],
      ["commitOffsets", ["g", "nope"]],
      ["heartbeat", ["g", { memberEpoch: 3 }]],
      ["fetchOffsets", ["g", Array.from({ length: 1_001 }, (_, i) => `t${i}`)]],
      // Dot segments would be resolved by URL parsing into other routes (`/v1/groups/..` is `/v1/`).
      ["describeTopic", [".."]],
      ["deleteTopic", ["."]],
      ["describeGroup", [".."]],
      ["commitOffsets", ["..", [{ topic: "t", partition: 0, offset: 0 }]]],
    ];
    for (const [method, args] of attempts) {
      const code = await codeOf(loose[method]?.(...args) ?? Promise.resolve());
      expect(["INVALID_REQUEST", "INVALID_RECORD", "INVALID_TOPIC"], `${method}(${String(args)})`).toContain(
        code,
      );
    }
  });

  it("addresses names that look like dot segments or escapes as the names they are", async () => {
    const { binding } = setup();
    for (const group of ["%2e%2E", "...", "a/../b", "%2F"]) {
      expect(await codeOf(binding.describeGroup(group))).toBe("GROUP_ID_NOT_FOUND");
    }
    await binding.heartbeat("a/../b", { memberEpoch: 0, topics: ["t"] });
    expect(await binding.listGroups()).toEqual(["a/../b"]);
  });

  it("produces and fetches with keys, headers and explicit partitions", async () => {
    const { binding } = setup();
    await binding.createTopic({ name: "orders", partitions: 3 });
    const sent = await binding.send("orders", [
      { key: "alice", value: { total: 1 }, headers: { ["__proto__"]: "p", constructor: null } },
      { value: "explicit", partition: 2, timestamp: 1_000 },
    ]);
    expect(sent.offsets).toHaveLength(2);
    expect(sent.offsets[1]).toEqual({ partition: 2, offset: 0 });
    const alice = sent.offsets[0] as { partition: number; offset: number };
    const read = await binding.fetchRecords("orders", alice.partition);
    expect(read.records).toHaveLength(1);
    const record = read.records[0];
    expect(record?.key).toBe("alice");
    expect(record?.value).toEqual({ total: 1 });
    expect(Object.hasOwn(record?.headers ?? {}, "__proto__")).toBe(true);
    expect(Object.getOwnPropertyDescriptor(record?.headers, "__proto__")?.value).toBe("p");
    expect(record?.headers.constructor).toBeNull();
    const latest = await binding.fetchRecords("orders", 2, { offset: "latest", wait: 0 });
    expect(latest.records).toEqual([]);
    expect(await binding.listOffsets("orders", 2)).toEqual({ logStartOffset: 0, highWatermark: 1 });
    expect(await binding.offsetForTimestamp("orders", 2, 500)).toEqual({ offset: 0, found: true });
    expect(await binding.offsetForTimestamp("orders", 2, 2_000)).toEqual({ offset: 1, found: false });
    expect(await binding.deleteRecords("orders", 2, -1)).toEqual({ logStartOffset: 1, highWatermark: 1 });
  });

  it("carries bytes values both ways", async () => {
    const { binding } = setup();
    await binding.createTopic({ name: "raw" });
    const bytes = new Uint8Array([0, 255, 1, 128]);
    await binding.send("raw", [{ value: bytes }, { value: null }], { valueFormat: "bytes" });
    const read = await binding.fetchRecords("raw", 0, { valueFormat: "bytes" });
    expect(read.records.map((r) => r.value)).toEqual([bytes, null]);
    const asJson = await binding.fetchRecords("raw", 0, { limit: 1 });
    expect(asJson.records[0]).toMatchObject({ value: "AP8BgA==", valueFormat: "base64" });
  });

  it("deduplicates an idempotent producer's retry", async () => {
    const { binding } = setup();
    await binding.createTopic({ name: "t", partitions: 2 });
    const producer = { id: "checkout-1", epoch: 0, sequences: { 0: 0, 1: 0 } };
    const records = [{ value: "a" }, { value: "b", partition: 1 }];
    const first = await binding.send("t", records, { producer });
    const before = await binding.listOffsets("t", 1);
    const retry = await binding.send("t", records, { producer });
    expect(first.batches.every((b) => !b.duplicate)).toBe(true);
    expect(retry.batches.every((b) => b.duplicate)).toBe(true);
    expect(retry.offsets).toEqual(first.offsets);
    expect(await binding.listOffsets("t", 1)).toEqual(before);
    const skipped = { ...producer, sequences: { 1: 5 } };
    expect(await codeOf(binding.send("t", [{ value: "c", partition: 1 }], { producer: skipped }))).toBe(
      "OUT_OF_ORDER_SEQUENCE_NUMBER",
    );
  });

  it("runs consumer groups: join, commit, fetch offsets, describe, leave, delete", async () => {
    const { binding } = setup();
    await binding.createTopic({ name: "t" });
    await binding.send("t", [{ value: 1 }, { value: 2 }]);
    const joined = await binding.heartbeat("billing/eu", { memberEpoch: 0, topics: ["t"] });
    expect(joined.memberId.length).toBeGreaterThan(0);
    const member = await binding.heartbeat("billing/eu", {
      memberId: joined.memberId,
      memberEpoch: joined.memberEpoch,
    });
    expect(member.assignment).toEqual([{ topic: "t", partitions: [0] }]);
    await binding.commitOffsets("billing/eu", [{ topic: "t", partition: 0, offset: 1 }], {
      memberId: member.memberId,
      memberEpoch: member.memberEpoch,
    });
    expect(await binding.fetchOffsets("billing/eu", ["t"])).toEqual([
      { topic: "t", partition: 0, offset: 1, lag: 1, metadata: null },
    ]);
    expect(await binding.listGroups()).toEqual(["billing/eu"]);
    expect((await binding.describeGroup("billing/eu")).members).toHaveLength(1);
    expect(
      await codeOf(
        binding.commitOffsets("billing/eu", [{ topic: "t", partition: 0, offset: 2 }], {
          memberId: member.memberId,
          memberEpoch: member.memberEpoch + 7,
        }),
      ),
    ).toBe("FENCED_MEMBER_EPOCH");
    expect(await codeOf(binding.deleteGroup("billing/eu"))).toBe("NON_EMPTY_GROUP");
    await binding.heartbeat("billing/eu", { memberId: member.memberId, memberEpoch: -1 });
    await binding.deleteGroup("billing/eu");
    expect(await binding.listGroups()).toEqual([]);
  });

  it("holds only the rights the option grants", async () => {
    const { binding } = setup(() => "produce:orders consume:orders");
    expect(await codeOf(binding.createTopic({ name: "orders" }))).toBe("CLUSTER_AUTHORIZATION_FAILED");
    expect(await codeOf(binding.listTopics())).toBe("CLUSTER_AUTHORIZATION_FAILED");
    expect(await codeOf(binding.describeTopic("audit"))).toBe("TOPIC_AUTHORIZATION_FAILED");
    const none = setup(() => undefined).binding;
    expect(await codeOf(none.describeTopic("orders"))).toBe("AUTHENTICATION_FAILED");
  });

  it("caps bindings by EDGELOG_BINDING_SCOPES and narrows one by its props.scopes, never widens", async () => {
    const store = new MemoryStore({ now: () => NOW });
    const make = createBinding({ store: () => store });
    const ctx = (props: unknown) => ({ waitUntil() {}, passThroughOnException() {}, props });
    await make({}).createTopic({ name: "orders" });
    await make({}).createTopic({ name: "audit" });
    const capped = make({ EDGELOG_BINDING_SCOPES: "produce:orders consume:*" });
    await capped.send("orders", [{ value: 1 }]);
    expect(await codeOf(capped.send("audit", [{ value: 1 }]))).toBe("TOPIC_AUTHORIZATION_FAILED");
    expect((await capped.fetchRecords("audit", 0)).records).toEqual([]);
    const reader = make({}, ctx({ scopes: "consume:orders" }));
    expect((await reader.fetchRecords("orders", 0)).records).toHaveLength(1);
    expect(await codeOf(reader.send("orders", [{ value: 2 }]))).toBe("TOPIC_AUTHORIZATION_FAILED");
    const widened = make({ EDGELOG_BINDING_SCOPES: "consume:orders" }, ctx({ scopes: "admin" }));
    expect(await codeOf(widened.deleteTopic("orders"))).toBe("CLUSTER_AUTHORIZATION_FAILED");
    expect(await codeOf(widened.send("orders", [{ value: 2 }]))).toBe("TOPIC_AUTHORIZATION_FAILED");
    const malformed = make({}, ctx({ scopes: ["admin"] }));
    expect(await codeOf(malformed.fetchRecords("orders", 0))).toBe("TOPIC_AUTHORIZATION_FAILED");
    const otherProps = make({}, ctx({ team: "shop" }));
    expect((await otherProps.listTopics()).length).toBe(2);
  });

  it("costs the store the same calls as the HTTP request it stands for", async () => {
    const calls: string[] = [];
    const memory = new MemoryStore({ now: () => NOW });
    // Every store method call, by name, whoever makes it.
    const store = new Proxy(memory, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          calls.push(String(property));
          return Reflect.apply(value, target, args);
        };
      },
    });
    const options = { store: () => store, now: () => NOW, random: () => 0 };
    const binding = createBinding(options)({});
    const http = createApp({ ...options, auth: "none" });
    await binding.createTopic({ name: "t", partitions: 2 });
    const count = async (run: () => unknown): Promise<string[]> => {
      calls.length = 0;
      await run();
      return [...calls];
    };
    const records = [
      { key: "a", value: 1 },
      { value: 2, partition: 1 },
    ];
    const viaBinding = await count(() => binding.send("t", records));
    const viaHttp = await count(() =>
      http.request("/v1/topics/t/records", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ records }),
      }),
    );
    expect(viaBinding).toEqual(viaHttp);
    expect(viaBinding.filter((name) => name === "append")).toHaveLength(2);
    expect(await count(() => binding.fetchRecords("t", 1, { limit: 10 }))).toEqual(
      await count(() => http.request("/v1/topics/t/partitions/1/records?limit=10")),
    );
  });

  it("writes what HTTP reads, on the same store", async () => {
    const { binding, http } = setup();
    await binding.createTopic({ name: "t" });
    await binding.send("t", [{ key: "k", value: { via: "binding" } }]);
    const res = await http.request("/v1/topics/t/partitions/0/records");
    expect(await res.json()).toMatchObject({ records: [{ offset: 0, key: "k", value: { via: "binding" } }] });
  });
});

// The interface is what a calling Worker types its binding with; keep the in-process object assignable to it.
const _typed: (env: object) => EdgeLogBinding = createBinding({ store: () => new MemoryStore() });
void _typed;
