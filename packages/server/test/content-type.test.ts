/**
 * @module
 * Writes to /v1 must be JSON (or the batch type on the batches route): every write route × every type a page on
 * another site can send without a preflight (and no type at all) is refused with 415 before its body is read,
 * and nothing is written. /ds keeps its own content types.
 */
import { DEFAULT_TOPIC_CONFIG, encodeBatch, type LogRecord } from "@edgelog/core";
import { describe, expect, it } from "vitest";
import { expectError, setup } from "./helpers.ts";

const encoder = new TextEncoder();
const records = (...values: string[]): LogRecord[] =>
  values.map((v) => ({ key: null, value: encoder.encode(v), headers: [], timestamp: 10 }));
/** An encoded batch as a request body (encodeBatch's bytes are a plain ArrayBuffer view). */
const batchOf = (...values: string[]) => encodeBatch(records(...values)) as Uint8Array<ArrayBuffer>;

/** What a cross-site form or `fetch` can send without a preflight, and a body with no type at all. */
const REFUSED_TYPES: readonly (string | undefined)[] = [
  "text/plain",
  "text/plain;charset=UTF-8",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  undefined,
];

interface WriteRoute {
  readonly method: string;
  readonly path: string;
  readonly body: Uint8Array<ArrayBuffer>;
}

const json = (value: unknown) => encoder.encode(JSON.stringify(value));

/** Every /v1 route that writes (and `/v1/wait`, a POST), each with a body that would succeed as JSON. */
const WRITES: readonly WriteRoute[] = [
  { method: "POST", path: "/v1/topics", body: json({ name: "created", partitions: 1 }) },
  { method: "DELETE", path: "/v1/topics/t", body: json({}) },
  { method: "POST", path: "/v1/topics/t/partitions", body: json({ count: 4 }) },
  {
    method: "POST",
    path: "/v1/topics/t/records",
    body: json({ records: [{ value: "x" }] }),
  },
  { method: "POST", path: "/v1/topics/t/partitions/0/batches", body: batchOf("x") },
  { method: "POST", path: "/v1/topics/t/partitions/0/delete-records", body: json({ beforeOffset: 2 }) },
  {
    method: "POST",
    path: "/v1/groups/g/heartbeat",
    body: json({ memberId: "m", memberEpoch: 0, topics: ["t"] }),
  },
  {
    method: "POST",
    path: "/v1/groups/g/offsets",
    body: json({ offsets: [{ topic: "t", partition: 0, offset: 3 }] }),
  },
  { method: "DELETE", path: "/v1/groups/g", body: json({}) },
  {
    method: "POST",
    path: "/v1/wait",
    body: json({ partitions: [{ topic: "t", partition: 0, offset: 0 }] }),
  },
];

/** A topic with records, a partition count, a log start and a group with committed offsets, all to watch. */
async function seeded() {
  const harness = setup();
  const { store } = harness;
  await store.createTopic({ name: "t", partitions: 2, config: DEFAULT_TOPIC_CONFIG });
  await store.append({ topic: "t", partition: 0 }, encodeBatch(records("a", "b", "c")));
  await store.commitOffsets("g", [{ topic: "t", partition: 1, offset: 0, metadata: null }]);
  return harness;
}

async function snapshot(store: ReturnType<typeof setup>["store"]) {
  return {
    topics: (await store.listTopics()).map((t) => [t.name, t.partitions]),
    p0: await store.offsets({ topic: "t", partition: 0 }),
    groups: await store.listGroups(),
    offsets: await store.fetchOffsets("g"),
    members: (await store.describeGroup("g")).members.length,
  };
}

describe("415 UNSUPPORTED_MEDIA_TYPE on /v1 writes", () => {
  it("refuses every write route sent as anything but JSON, writing nothing", async () => {
    const { app, env, store } = await seeded();
    const before = await snapshot(store);
    let refused = 0;
    for (const write of WRITES) {
      for (const type of REFUSED_TYPES) {
        // A Uint8Array body gets no implicit type, so `undefined` really sends none.
        const headers: Record<string, string> = type === undefined ? {} : { "Content-Type": type };
        const res = await app.request(write.path, { method: write.method, headers, body: write.body }, env);
        const label = `${write.method} ${write.path} as ${type ?? "(none)"}`;
        expect(res.status, label).toBe(415);
        const body = (await res.json()) as { error: { code: string; contentType: string | null } };
        expect(body.error.code, label).toBe("UNSUPPORTED_MEDIA_TYPE");
        expect(body.error.contentType, label).toBe(type ?? null);
        refused++;
      }
    }
    expect(refused).toBe(WRITES.length * REFUSED_TYPES.length);
    expect(await snapshot(store)).toEqual(before);
  });

  it("refuses a POST with no body and no type too (a POST is a write whatever it carries)", async () => {
    const { json } = await seeded();
    expectError(await json("POST", "/v1/topics/t/records"), 415, "UNSUPPORTED_MEDIA_TYPE");
    expectError(await json("POST", "/v1/topics"), 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("takes the batch type on the batches route only", async () => {
    const { app, env, store } = await seeded();
    const before = await store.offsets({ topic: "t", partition: 0 });
    const batchType = { "Content-Type": "application/vnd.edgelog.batch" };
    const onRecords = await app.request(
      "/v1/topics/t/records",
      { method: "POST", headers: batchType, body: json({ records: [{ value: "x" }] }) },
      env,
    );
    expect(onRecords.status).toBe(415);
    expect(await store.offsets({ topic: "t", partition: 0 })).toEqual(before);
    const onBatches = await app.request(
      "/v1/topics/t/partitions/0/batches",
      {
        method: "POST",
        headers: { "Content-Type": "Application/Vnd.Edgelog.Batch" },
        body: batchOf("x"),
      },
      env,
    );
    expect(onBatches.status).toBe(200);
  });

  it("accepts JSON with any parameters and in any case", async () => {
    const { app, env, store } = await seeded();
    const types = ["application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"];
    for (const type of types) {
      const res = await app.request(
        "/v1/topics/t/records",
        { method: "POST", headers: { "Content-Type": type }, body: json({ records: [{ value: type }] }) },
        env,
      );
      expect(res.status, type).toBe(200);
    }
    expect((await store.offsets({ topic: "t", partition: 0 })).highWatermark).toBe(3 + types.length);
  });

  it("refuses before reading the body", async () => {
    const { app, env } = await seeded();
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulls++;
          controller.enqueue(json({ name: "streamed" }));
          controller.close();
        },
      },
      { highWaterMark: 0 },
    );
    const res = await app.request(
      "/v1/topics",
      { method: "POST", headers: { "Content-Type": "text/plain" }, body, duplex: "half" } as RequestInit,
      env,
    );
    expect(res.status).toBe(415);
    expect(pulls).toBe(0);
  });

  it("refuses whatever the origin, allowed or not, and lets an allowed origin read the refusal", async () => {
    const { app, env, store } = await seeded();
    for (const origin of ["https://app.example", "https://evil.example"]) {
      const res = await app.request(
        "/v1/topics",
        {
          method: "POST",
          headers: { Origin: origin, "Content-Type": "text/plain" },
          body: '{"name":"cross-site"}',
        },
        env,
      );
      expect(res.status).toBe(415);
      expect(res.headers.get("Access-Control-Allow-Origin")).toBe(
        origin === "https://app.example" ? origin : null,
      );
    }
    expect((await store.listTopics()).map((t) => t.name)).toEqual(["t"]);
  });

  it("leaves reads and a bodiless DELETE alone", async () => {
    const { app, env, store } = await seeded();
    expect((await app.request("/v1/topics/t", {}, env)).status).toBe(200);
    expect((await app.request("/v1/groups/g", { method: "DELETE" }, env)).status).toBe(204);
    expect((await app.request("/v1/topics/t", { method: "DELETE" }, env)).status).toBe(204);
    expect(await store.listTopics()).toEqual([]);
  });
});

describe("/ds keeps its own content types", () => {
  it("creates and appends text/plain streams, which /v1 would refuse", async () => {
    const { app, env } = setup();
    const created = await app.request(
      "/ds/notes",
      { method: "PUT", headers: { "Content-Type": "text/plain" }, body: "first" },
      env,
    );
    expect(created.status).toBe(201);
    const appended = await app.request(
      "/ds/notes",
      { method: "POST", headers: { "Content-Type": "text/plain" }, body: "second" },
      env,
    );
    expect(appended.status).toBe(204);
    const read = await app.request("/ds/notes?offset=-1", {}, env);
    expect(read.status).toBe(200);
    expect(read.headers.get("Content-Type")).toBe("text/plain");
    expect(await read.text()).toBe("firstsecond");
  });
});
