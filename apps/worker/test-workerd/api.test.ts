/**
 * The deployed shape of the API inside workerd: every fixed endpoint and error code of docs/http-api.md
 * through the real Worker entry over Durable Objects (`SELF` is the Worker of wrangler.toml), plus the binary
 * fast path and an idempotent retry, so what the Node route tests prove over a MemoryStore also holds over
 * the edge store.
 */

import { SELF } from "cloudflare:test";
import { encodeBatch } from "@edgelog/core";
import { describe, expect, it } from "vitest";

const BASE = "http://edgelog.test";
let topicCounter = 0;
const uniqueTopic = (): string => `t-${Date.now()}-${topicCounter++}`;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers };
  if (body !== undefined) {
    init.body = body instanceof Uint8Array || typeof body === "string" ? body : JSON.stringify(body);
    if (!(body instanceof Uint8Array) && typeof body !== "string") {
      init.headers = { "content-type": "application/json", ...headers };
    }
  }
  const response = await SELF.fetch(`${BASE}${path}`, init);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === "" ? undefined : JSON.parse(text),
  };
}

function expectError(res: { status: number; body: unknown }, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect((res.body as { error: { code: string; message: string } }).error).toMatchObject({ code });
}

async function createTopic(partitions = 1, config: Record<string, number> = {}): Promise<string> {
  const name = uniqueTopic();
  const res = await call("POST", "/v1/topics", { name, partitions, config });
  expect(res.status).toBe(201);
  return name;
}

describe("the Worker over Durable Objects, inside workerd", () => {
  it("answers health", async () => {
    expect(await call("GET", "/v1/health")).toMatchObject({ status: 200, body: { status: "ok" } });
  });

  it("creates, lists, describes and deletes topics with the fixed shapes and codes", async () => {
    const name = uniqueTopic();
    const created = await call("POST", "/v1/topics", {
      name,
      partitions: 3,
      config: { "retention.ms": 1000 },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name, partitions: 3, config: { "retention.ms": 1000 } });
    expectError(await call("POST", "/v1/topics", { name }), 409, "TOPIC_ALREADY_EXISTS");
    expectError(await call("POST", "/v1/topics", { name: ".." }), 400, "INVALID_TOPIC");
    expectError(
      await call("POST", "/v1/topics", { name: uniqueTopic(), partitions: 0 }),
      400,
      "INVALID_PARTITIONS",
    );
    const list = await call("GET", "/v1/topics");
    expect((list.body as { topics: { name: string; partitions: number }[] }).topics).toContainEqual(
      expect.objectContaining({ name, partitions: 3 }),
    );
    const described = await call("GET", `/v1/topics/${name}`);
    expect(described.body).toMatchObject({
      name,
      partitions: [
        { partition: 0, logStartOffset: 0, highWatermark: 0, sizeBytes: 0 },
        { partition: 1, logStartOffset: 0, highWatermark: 0, sizeBytes: 0 },
        { partition: 2, logStartOffset: 0, highWatermark: 0, sizeBytes: 0 },
      ],
    });
    expect((await call("DELETE", `/v1/topics/${name}`)).status).toBe(204);
    expectError(await call("GET", `/v1/topics/${name}`), 404, "UNKNOWN_TOPIC_OR_PARTITION");
    expectError(await call("DELETE", `/v1/topics/${name}`), 404, "UNKNOWN_TOPIC_OR_PARTITION");
  });

  it("produces with Kafka partitioning and fetches by offset, earliest and latest", async () => {
    const topic = await createTopic(2);
    const produced = await call("POST", `/v1/topics/${topic}/records`, {
      records: [
        { key: "user-1", value: { n: 1 }, headers: { source: "web" }, timestamp: 1_000 },
        { value: "keyless", partition: 1 },
        { key: "user-1", value: { n: 2 }, timestamp: 1_764_000_000_000 },
      ],
    });
    expect(produced.status).toBe(200);
    const offsets = (produced.body as { offsets: { partition: number; offset: number }[] }).offsets;
    expect(offsets).toHaveLength(3);
    expect(offsets[0]?.partition).toBe(offsets[2]?.partition);
    expect(offsets[2]?.offset).toBe((offsets[0]?.offset ?? 0) + 1);
    const partition = offsets[0]?.partition ?? 0;
    const fetched = await call("GET", `/v1/topics/${topic}/partitions/${partition}/records?offset=earliest`);
    expect(fetched.body).toMatchObject({
      records: [
        { offset: 0, key: "user-1", value: { n: 1 }, headers: { source: "web" } },
        { offset: 1, key: "user-1", value: { n: 2 }, timestamp: 1_764_000_000_000 },
      ],
      nextOffset: 2,
      highWatermark: 2,
      logStartOffset: 0,
    });
    const latest = await call("GET", `/v1/topics/${topic}/partitions/${partition}/records?offset=latest`);
    expect(latest.body).toMatchObject({ records: [], nextOffset: 2, highWatermark: 2 });
    const byTime = await call(
      "GET",
      `/v1/topics/${topic}/partitions/${partition}/offsets?timestamp=1764000000000`,
    );
    expect(byTime.body).toMatchObject({ offset: 1 });
  });

  it("maps bad input to the fixed codes and statuses, writing nothing", async () => {
    const topic = await createTopic(1, { "max.message.bytes": 1024 });
    expectError(
      await call("POST", `/v1/topics/${topic}/records`, "{oops", { "content-type": "application/json" }),
      400,
      "INVALID_REQUEST",
    );
    expectError(
      await call("POST", `/v1/topics/${topic}/records`, { records: "nope" }),
      400,
      "INVALID_REQUEST",
    );
    expectError(
      await call("POST", `/v1/topics/${topic}/records`, { records: [{ value: 1, partition: 5 }] }),
      404,
      "UNKNOWN_TOPIC_OR_PARTITION",
    );
    expectError(
      await call("POST", `/v1/topics/${topic}/records`, {
        records: [{ value: "ok" }, { value: "x".repeat(4096) }],
      }),
      413,
      "MESSAGE_TOO_LARGE",
    );
    expectError(
      await call("GET", `/v1/topics/${topic}/partitions/0/records?offset=5`),
      416,
      "OFFSET_OUT_OF_RANGE",
    );
    expectError(
      await call("GET", `/v1/topics/${topic}/partitions/7/records`),
      404,
      "UNKNOWN_TOPIC_OR_PARTITION",
    );
    expectError(await call("GET", "/v1/nowhere"), 404, "NOT_FOUND");
    expect((await call("GET", `/v1/topics/${topic}`)).body).toMatchObject({
      partitions: [{ highWatermark: 0 }],
    });
  });

  it("stores client-encoded batches on the fast path and dedupes an idempotent retry", async () => {
    const topic = await createTopic();
    const enc = new TextEncoder();
    const batch = encodeBatch(
      [1, 2, 3].map((n) => ({
        key: null,
        value: enc.encode(`v${n}`),
        headers: [],
        timestamp: 1_764_000_000_000,
      })),
      { producerId: "p-1", producerEpoch: 0, baseSequence: 0 },
    );
    const headers = { "content-type": "application/vnd.edgelog.batch" };
    const first = await call("POST", `/v1/topics/${topic}/partitions/0/batches`, batch, headers);
    expect(first.body).toMatchObject({ baseOffset: 0, lastOffset: 2, duplicate: false });
    const retry = await call("POST", `/v1/topics/${topic}/partitions/0/batches`, batch, headers);
    expect(retry.body).toMatchObject({ baseOffset: 0, lastOffset: 2, duplicate: true });
    const gap = encodeBatch([{ key: null, value: null, headers: [], timestamp: 1 }], {
      producerId: "p-1",
      producerEpoch: 0,
      baseSequence: 9,
    });
    expectError(
      await call("POST", `/v1/topics/${topic}/partitions/0/batches`, gap, headers),
      409,
      "OUT_OF_ORDER_SEQUENCE_NUMBER",
    );
    const stale = encodeBatch([{ key: null, value: null, headers: [], timestamp: 1 }], {
      producerId: "p-1",
      producerEpoch: 1,
      baseSequence: 0,
    });
    expect((await call("POST", `/v1/topics/${topic}/partitions/0/batches`, stale, headers)).status).toBe(200);
    expectError(
      await call("POST", `/v1/topics/${topic}/partitions/0/batches`, batch, headers),
      403,
      "INVALID_PRODUCER_EPOCH",
    );
    const corrupt = batch.slice();
    corrupt[corrupt.length - 1] = (corrupt[corrupt.length - 1] ?? 0) ^ 1;
    expectError(
      await call("POST", `/v1/topics/${topic}/partitions/0/batches`, corrupt, headers),
      400,
      "CORRUPT_MESSAGE",
    );
    expect((await call("GET", `/v1/topics/${topic}`)).body).toMatchObject({
      partitions: [{ highWatermark: 4 }],
    });
  });

  it("long-polls: a fetch at the high watermark returns as soon as a record arrives", async () => {
    const topic = await createTopic();
    const started = Date.now();
    const pending = call("GET", `/v1/topics/${topic}/partitions/0/records?offset=0&wait=10000`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await call("POST", `/v1/topics/${topic}/records`, { records: [{ value: "late" }] });
    const res = await pending;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(res.body).toMatchObject({ records: [{ offset: 0, value: "late" }], nextOffset: 1 });
  });
});

describe("consumer groups over GroupObjects (docs/http-api.md, fixed)", () => {
  it("joins, hands a partition over, fences stale epochs, commits, reports lag and leaves", async () => {
    const topic = await createTopic(2);
    await call("POST", `/v1/topics/${topic}/records`, {
      records: [1, 2, 3].map((value) => ({ value, partition: 0 })),
    });
    const group = `g-${topic}`;
    const beat = (body: unknown) => call("POST", `/v1/groups/${group}/heartbeat`, body);
    const a = await beat({ memberId: "a", memberEpoch: 0, topics: [topic] });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({
      memberId: "a",
      heartbeatIntervalMs: 3000,
      assignment: [{ topic, partitions: [0, 1] }],
    });
    const b = await beat({ memberId: "b", memberEpoch: 0, topics: [topic] });
    expect(b.body.assignment).toEqual([]);
    const revoking = await beat({
      memberId: "a",
      memberEpoch: a.body.memberEpoch,
      ownedPartitions: a.body.assignment,
    });
    expect(revoking.body.assignment[0].partitions).toHaveLength(1);
    const released = await beat({
      memberId: "a",
      memberEpoch: a.body.memberEpoch,
      ownedPartitions: revoking.body.assignment,
    });
    expect(released.body.memberEpoch).toBeGreaterThan(a.body.memberEpoch);
    const b2 = await beat({ memberId: "b", memberEpoch: b.body.memberEpoch });
    expect(b2.body.assignment[0].partitions).toHaveLength(1);
    expectError(
      await beat({ memberId: "a", memberEpoch: released.body.memberEpoch + 10 }),
      409,
      "FENCED_MEMBER_EPOCH",
    );
    expectError(await beat({ memberId: "nobody", memberEpoch: 4 }), 404, "UNKNOWN_MEMBER_ID");

    const commit = await call("POST", `/v1/groups/${group}/offsets`, {
      memberId: "a",
      memberEpoch: released.body.memberEpoch,
      offsets: [{ topic, partition: 0, offset: 1 }],
    });
    expect(commit.status).toBe(204);
    expectError(
      await call("POST", `/v1/groups/${group}/offsets`, {
        memberId: "a",
        memberEpoch: a.body.memberEpoch,
        offsets: [{ topic, partition: 0, offset: 2 }],
      }),
      409,
      "STALE_MEMBER_EPOCH",
    );
    const offsets = await call("GET", `/v1/groups/${group}/offsets?topic=${topic}`);
    expect(offsets.body.offsets).toMatchObject([
      { topic, partition: 0, offset: 1, lag: 2 },
      { topic, partition: 1, offset: -1, lag: -1 },
    ]);
    const described = await call("GET", `/v1/groups/${group}`);
    expect(described.body).toMatchObject({ group, state: "Stable" });
    expect(described.body.members.map((m: { memberId: string }) => m.memberId)).toEqual(["a", "b"]);

    expect((await beat({ memberId: "a", memberEpoch: -1 })).body).toMatchObject({ memberEpoch: -1 });
    expect((await beat({ memberId: "b", memberEpoch: -1 })).body).toMatchObject({ memberEpoch: -1 });
    expect((await call("GET", `/v1/groups/${group}`)).body.state).toBe("Empty");
    expect((await call("DELETE", `/v1/groups/${group}`)).status).toBe(204);
    expectError(await call("GET", `/v1/groups/${group}`), 404, "GROUP_ID_NOT_FOUND");
  });
});
