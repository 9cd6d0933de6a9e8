/**
 * The Workers binding between two Workers inside workerd: a caller Worker (caller-worker.js) calls this Worker's
 * `EdgeLogService` through its service bindings, and the test drives the caller. Admin, produce, consume and
 * groups cross the RPC boundary; an error's code survives it (rebuilt by `fromRpcError`); an idempotent retry is
 * deduplicated; what the binding writes HTTP reads; a binding narrowed by `props.scopes` is refused the rest.
 */
import { env, SELF } from "cloudflare:test";
import { EdgeLogError, fromRpcError } from "@edgelog/core";
import type { EdgeLogBinding } from "@edgelog/server";
import { describe, expect, it } from "vitest";

type Binding = "EDGELOG" | "EDGELOG_READER";
interface Failure {
  name: string;
  message: string;
  code: unknown;
  context: unknown;
}
/** The caller Worker's entrypoint (see caller-worker.js). */
interface Relay {
  call(binding: Binding, method: string, args: unknown[]): Promise<unknown>;
  failure(binding: Binding, method: string, args: unknown[]): Promise<Failure | null>;
}
const caller = (env as unknown as { CALLER: Relay }).CALLER;

/** `env.EDGELOG.<method>(...args)` as the caller Worker runs it. */
function through<M extends keyof EdgeLogBinding>(
  method: M,
  ...args: Parameters<EdgeLogBinding[M]>
): ReturnType<EdgeLogBinding[M]> {
  return caller.call("EDGELOG", method, args) as ReturnType<EdgeLogBinding[M]>;
}

let counter = 0;
const uniqueTopic = (): string => `binding-${Date.now()}-${counter++}`;

describe("EdgeLogService through a service binding", () => {
  it("creates, describes, lists, grows and deletes topics", async () => {
    const name = uniqueTopic();
    const created = await through("createTopic", { name, partitions: 2 });
    expect(created).toMatchObject({ name, partitions: 2 });
    expect(created.placement?.length).toBe(2);
    expect((await through("listTopics")).map((t) => t.name)).toContain(name);
    const grown = await through("createPartitions", name, 3);
    expect(grown.partitions).toHaveLength(3);
    expect((await through("describeTopic", name)).topicId).toBe(created.topicId);
    const altered = await through("alterTopicConfig", name, { "cleanup.policy": "compact" });
    expect(altered.config["cleanup.policy"]).toBe("compact");
    await expect(through("deleteTopic", name)).resolves.toBeUndefined();
    expect((await through("listTopics")).map((t) => t.name)).not.toContain(name);
  });

  it("produces and fetches records with keys, headers, partitions and bytes", async () => {
    const topic = uniqueTopic();
    await through("createTopic", { name: topic, partitions: 2 });
    const headers = JSON.parse('{"__proto__":"p","trace":"t-1"}') as Record<string, string>;
    const sent = await through("send", topic, [
      { key: "k", value: { n: 1 }, headers, partition: 1 },
      { value: { n: 2 }, partition: 1, timestamp: 1_000 },
    ]);
    expect(sent.offsets).toEqual([
      { partition: 1, offset: 0 },
      { partition: 1, offset: 1 },
    ]);
    const read = await through("fetchRecords", topic, 1, { offset: "earliest", limit: 10 });
    expect(read.records.map((r) => r.value)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(Object.getOwnPropertyDescriptor(read.records[0]?.headers, "__proto__")?.value).toBe("p");
    expect(read).toMatchObject({ nextOffset: 2, highWatermark: 2, logStartOffset: 0 });
    expect(await through("listOffsets", topic, 1)).toEqual({ logStartOffset: 0, highWatermark: 2 });
    // Record 0 is stamped now, record 1 at 1000: the first at or after 1500 is record 0.
    expect(await through("offsetForTimestamp", topic, 1, 1_500)).toEqual({ offset: 0, found: true });
    expect(await through("offsetForTimestamp", topic, 1, Date.now() + 60_000)).toEqual({
      offset: 2,
      found: false,
    });

    const bytes = new Uint8Array([0, 1, 254, 255]);
    await through("send", topic, [{ value: bytes, partition: 0 }], { valueFormat: "bytes" });
    const raw = await through("fetchRecords", topic, 0, { valueFormat: "bytes" });
    expect(raw.records[0]?.value).toEqual(bytes);
  });

  it("long-polls a fetch until a record arrives", async () => {
    const topic = uniqueTopic();
    await through("createTopic", { name: topic });
    const waiting = through("fetchRecords", topic, 0, { offset: 0, wait: 5_000 });
    await new Promise((r) => setTimeout(r, 100));
    await through("send", topic, [{ value: "late" }]);
    expect((await waiting).records.map((r) => r.value)).toEqual(["late"]);
  });

  it("delivers the error code across the boundary", async () => {
    const failure = await caller.failure("EDGELOG", "describeTopic", ["no-such-topic"]);
    // What Workers RPC keeps of a thrown error: the message only, no own properties.
    expect(failure).toMatchObject({ name: "Error", code: null, context: null });
    const error = fromRpcError(new Error(failure?.message));
    expect(error).toBeInstanceOf(EdgeLogError);
    expect(error).toMatchObject({ code: "UNKNOWN_TOPIC_OR_PARTITION", context: { topic: "no-such-topic" } });

    const topic = uniqueTopic();
    await through("createTopic", { name: topic });
    const codes: unknown[] = [];
    for (const [method, args] of [
      ["createTopic", [{ name: topic }]],
      ["createTopic", [{ name: "bad name" }]],
      ["fetchRecords", [topic, 0, { offset: 99 }]],
      ["send", [topic, [{ value: "x".repeat(1_100_000) }], { valueFormat: "text" }]],
      ["send", [topic, [{ value: "not bytes" }], { valueFormat: "bytes" }]],
      ["fetchRecords", [topic, "0"]],
    ] as const) {
      const f = await caller.failure("EDGELOG", method, [...args]);
      codes.push((fromRpcError(new Error(f?.message)) as EdgeLogError).code);
    }
    expect(codes).toEqual([
      "TOPIC_ALREADY_EXISTS",
      "INVALID_TOPIC",
      "OFFSET_OUT_OF_RANGE",
      "MESSAGE_TOO_LARGE",
      "INVALID_RECORD",
      "INVALID_REQUEST",
    ]);
  });

  it("deduplicates a retried send of an idempotent producer", async () => {
    const topic = uniqueTopic();
    await through("createTopic", { name: topic });
    const producer = { id: `p-${topic}`, epoch: 0, sequences: { 0: 0 } };
    const records = [{ value: 1 }, { value: 2 }];
    const first = await through("send", topic, records, { producer });
    const retry = await through("send", topic, records, { producer });
    expect(first.batches[0]?.duplicate).toBe(false);
    expect(retry.batches[0]?.duplicate).toBe(true);
    expect(retry.offsets).toEqual(first.offsets);
    expect((await through("listOffsets", topic, 0)).highWatermark).toBe(2);
  });

  it("writes what the HTTP API reads", async () => {
    const topic = uniqueTopic();
    await through("createTopic", { name: topic });
    await through("send", topic, [{ key: "via", value: "binding" }]);
    const res = await SELF.fetch(`http://edgelog.test/v1/topics/${topic}/partitions/0/records`);
    expect(await res.json()).toMatchObject({ records: [{ offset: 0, key: "via", value: "binding" }] });
  });

  it("runs a consumer group's heartbeat and commits", async () => {
    const topic = uniqueTopic();
    const group = `g-${topic}`;
    await through("createTopic", { name: topic });
    await through("send", topic, [{ value: 1 }, { value: 2 }]);
    const joined = await through("heartbeat", group, { memberEpoch: 0, topics: [topic] });
    const member = await through("heartbeat", group, {
      memberId: joined.memberId,
      memberEpoch: joined.memberEpoch,
    });
    expect(member.assignment).toEqual([{ topic, partitions: [0] }]);
    await through("commitOffsets", group, [{ topic, partition: 0, offset: 2 }], {
      memberId: member.memberId,
      memberEpoch: member.memberEpoch,
    });
    expect(await through("fetchOffsets", group, [topic])).toEqual([
      { topic, partition: 0, offset: 2, lag: 0, metadata: null },
    ]);
    expect((await through("describeGroup", group)).members.map((m) => m.memberId)).toEqual([member.memberId]);
    expect(await through("listGroups")).toContain(group);
    await through("heartbeat", group, { memberId: member.memberId, memberEpoch: -1 });
    await through("deleteGroup", group);
    expect(await through("listGroups")).not.toContain(group);
  });

  it("holds only the rights of its props.scopes", async () => {
    const topic = uniqueTopic();
    await through("createTopic", { name: topic });
    await through("send", topic, [{ value: "readable" }]);
    const read = (await caller.call("EDGELOG_READER", "fetchRecords", [topic, 0])) as { records: unknown[] };
    expect(read.records).toHaveLength(1);
    for (const [method, args, code] of [
      ["send", [topic, [{ value: "nope" }]], "TOPIC_AUTHORIZATION_FAILED"],
      ["deleteTopic", [topic], "CLUSTER_AUTHORIZATION_FAILED"],
      ["createTopic", [{ name: `${topic}-x` }], "CLUSTER_AUTHORIZATION_FAILED"],
    ] as const) {
      const failure = await caller.failure("EDGELOG_READER", method, [...args]);
      expect((fromRpcError(new Error(failure?.message)) as EdgeLogError).code).toBe(code);
    }
    expect((await through("describeTopic", topic)).name).toBe(topic);
  });
});
