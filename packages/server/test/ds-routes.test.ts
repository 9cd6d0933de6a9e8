// /ds over a MemoryStore in Node: the protocol's routes as they map onto topics, offsets and stream state. The
// full protocol is checked by the official conformance suite against the real Worker (test/ds-conformance).
import { describe, expect, it } from "vitest";
import type { AppOptions } from "../src/app.ts";
import { setup } from "./helpers.ts";

const ZERO = "0000000000000000_0000000000000000";
const offset = (n: number): string => `0000000000000000_${String(n).padStart(16, "0")}`;

function ds(options: Partial<AppOptions> = {}) {
  const harness = setup({ dsLongPollTimeoutMs: 50, ...options });
  const request = (
    method: string,
    path: string,
    init: { body?: string; headers?: Record<string, string> } = {},
  ) =>
    harness.app.request(
      `/ds/${path}`,
      { method, headers: init.headers ?? {}, body: init.body ?? null },
      harness.env,
    );
  return { ...harness, request };
}

describe("/ds streams are single-partition topics", () => {
  it("creates a stream as a topic that /v1 lists, with one record per JSON message", async () => {
    const { request, json } = ds();
    const created = await request("PUT", "chat/room-1", {
      headers: { "Content-Type": "application/json" },
      body: '[{"m":1},{"m":2}]',
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("Stream-Next-Offset")).toBe(offset(2));
    expect(created.headers.get("Location")).toBe("http://localhost/ds/chat/room-1");
    const topic = await json("GET", "/v1/topics/_chat_2Froom-1");
    expect(topic.status).toBe(200);
    expect(topic.body.partitions).toEqual([
      { partition: 0, logStartOffset: 0, highWatermark: 2, sizeBytes: expect.any(Number) },
    ]);
    const records = await json("GET", "/v1/topics/_chat_2Froom-1/partitions/0/records");
    expect(records.body.records.map((r: { value: unknown }) => r.value)).toEqual([{ m: 1 }, { m: 2 }]);
  });

  it("reads a /v1 topic as a JSON stream and appends to it", async () => {
    const { request, createTopic, produce, json } = ds();
    await createTopic("orders");
    await produce("orders", { records: [{ value: { id: 1 } }, { value: "text" }, { value: null }] });
    const read = await request("GET", "orders?offset=-1");
    expect(read.status).toBe(200);
    expect(read.headers.get("Content-Type")).toBe("application/json");
    expect(await read.json()).toEqual([{ id: 1 }, "text", null]);
    expect(read.headers.get("Stream-Next-Offset")).toBe(offset(3));
    expect(read.headers.get("Stream-Up-To-Date")).toBe("true");
    const appended = await request("POST", "orders", {
      headers: { "Content-Type": "application/json" },
      body: '[{"id":2},[3]]',
    });
    expect(appended.status).toBe(204);
    expect(appended.headers.get("Stream-Next-Offset")).toBe(offset(5));
    const fetched = await json("GET", "/v1/topics/orders/partitions/0/records?offset=3");
    expect(fetched.body.records.map((r: { value: unknown }) => r.value)).toEqual([{ id: 2 }, [3]]);
  });

  it("does not treat a multi-partition topic as a stream", async () => {
    const { request, createTopic } = ds();
    await createTopic("wide", 3);
    expect((await request("HEAD", "wide")).status).toBe(404);
  });

  it("reads from any record offset, and answers an offset before the log start with 410", async () => {
    const { request, store } = ds();
    await request("PUT", "log", { headers: { "Content-Type": "application/json" }, body: "[1,2,3,4]" });
    const middle = await request("GET", `log?offset=${offset(2)}`);
    expect(await middle.json()).toEqual([3, 4]);
    await store.deleteRecords({ topic: "log", partition: 0 }, 2);
    expect((await request("GET", `log?offset=${ZERO}`)).status).toBe(410);
    expect(await (await request("GET", "log?offset=-1")).json()).toEqual([3, 4]);
  });
});

describe("/ds appends", () => {
  it("keeps one record per append for byte streams and returns the bytes as sent", async () => {
    const { request } = ds();
    await request("PUT", "bytes", { headers: { "Content-Type": "text/plain" } });
    await request("POST", "bytes", { headers: { "Content-Type": "text/plain" }, body: "hello " });
    await request("POST", "bytes", {
      headers: { "Content-Type": "text/plain; charset=utf-8" },
      body: "world",
    });
    const read = await request("GET", "bytes");
    expect(await read.text()).toBe("hello world");
    expect(read.headers.get("Stream-Next-Offset")).toBe(offset(2));
    expect(
      (await request("POST", "bytes", { headers: { "Content-Type": "text/html" }, body: "x" })).status,
    ).toBe(409);
  });

  it("applies the idempotent producer rules with their statuses and headers", async () => {
    const { request } = ds();
    await request("PUT", "p", { headers: { "Content-Type": "application/json" } });
    const post = (epoch: number, seq: number, body = "[1]") =>
      request("POST", "p", {
        headers: {
          "Content-Type": "application/json",
          "Producer-Id": "writer-ü",
          "Producer-Epoch": String(epoch),
          "Producer-Seq": String(seq),
        },
        body,
      });
    const first = await post(0, 0);
    expect(first.status).toBe(200);
    expect(first.headers.get("Producer-Seq")).toBe("0");
    expect((await post(0, 1, "[2,3]")).status).toBe(200);
    const duplicate = await post(0, 0);
    expect(duplicate.status).toBe(204);
    expect(duplicate.headers.get("Producer-Seq")).toBe("1");
    const gap = await post(0, 5);
    expect(gap.status).toBe(409);
    expect(gap.headers.get("Producer-Expected-Seq")).toBe("2");
    expect(gap.headers.get("Producer-Received-Seq")).toBe("5");
    expect((await post(1, 3)).status).toBe(400);
    expect((await post(2 ** 40, 0)).status).toBe(200);
    const stale = await post(1, 0);
    expect(stale.status).toBe(403);
    expect(stale.headers.get("Producer-Epoch")).toBe(String(2 ** 40));
    // A rejected body changes nothing: the next sequence is still free.
    expect((await post(2 ** 40, 1, "not json")).status).toBe(400);
    expect((await post(2 ** 40, 1)).status).toBe(200);
    expect(await (await request("GET", "p")).json()).toEqual([1, 2, 3, 1, 1]);
  });

  it("closes: appends then fail with 409, the close is idempotent, reads end with Stream-Closed", async () => {
    const { request } = ds();
    await request("PUT", "c", { headers: { "Content-Type": "text/plain" }, body: "a" });
    const closed = await request("POST", "c", {
      headers: { "Content-Type": "text/plain", "Stream-Closed": "true" },
      body: "b",
    });
    expect(closed.status).toBe(204);
    expect(closed.headers.get("Stream-Closed")).toBe("true");
    const late = await request("POST", "c", { headers: { "Content-Type": "text/plain" }, body: "c" });
    expect(late.status).toBe(409);
    expect(late.headers.get("Stream-Next-Offset")).toBe(offset(2));
    expect((await request("POST", "c", { headers: { "Stream-Closed": "TRUE" } })).status).toBe(204);
    const read = await request("GET", "c");
    expect(await read.text()).toBe("ab");
    expect(read.headers.get("Stream-Closed")).toBe("true");
    const poll = await request("GET", `c?offset=${offset(2)}&live=long-poll`);
    expect(poll.status).toBe(204);
    expect(poll.headers.get("Stream-Closed")).toBe("true");
  });

  it("orders Stream-Seq byte-wise", async () => {
    const { request } = ds();
    await request("PUT", "s", { headers: { "Content-Type": "text/plain" } });
    const post = (seq: string) =>
      request("POST", "s", { headers: { "Content-Type": "text/plain", "Stream-Seq": seq }, body: "x" });
    expect((await post("2")).status).toBe(204);
    expect((await post("10")).status).toBe(409);
    expect((await post("3")).status).toBe(204);
  });
});

describe("/ds reads", () => {
  it("chunks a large catch-up, marking only the last chunk up to date", async () => {
    // 5.4 MB of appends under the harness's frozen clock would exceed the default produce-bytes quota.
    const { request } = ds({ quota: "none" });
    await request("PUT", "big", { headers: { "Content-Type": "application/octet-stream" } });
    const part = "x".repeat(900 * 1024);
    for (let i = 0; i < 6; i++) {
      await request("POST", "big", { headers: { "Content-Type": "application/octet-stream" }, body: part });
    }
    const sizes: number[] = [];
    let next = "-1";
    for (;;) {
      const res = await request("GET", `big?offset=${next}`);
      sizes.push((await res.arrayBuffer()).byteLength);
      next = res.headers.get("Stream-Next-Offset") as string;
      if (res.headers.get("Stream-Up-To-Date") === "true") break;
    }
    expect(sizes.length).toBeGreaterThan(1);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(6 * part.length);
    expect(next).toBe(offset(6));
  });

  it("long-polls: 204 with a cursor after the wait, data as soon as it is appended", async () => {
    const { request } = ds();
    await request("PUT", "lp", { headers: { "Content-Type": "application/json" } });
    const empty = await request("GET", `lp?offset=${ZERO}&live=long-poll`);
    expect(empty.status).toBe(204);
    expect(empty.headers.get("Stream-Cursor")).toMatch(/^\d+$/);
    const waiting = request("GET", `lp?offset=${ZERO}&live=long-poll`);
    await request("POST", "lp", { headers: { "Content-Type": "application/json" }, body: '{"x":1}' });
    const data = await waiting;
    expect(data.status).toBe(200);
    expect(await data.json()).toEqual([{ x: 1 }]);
  });

  it("tags reads with an ETag that changes when the stream closes, and answers a match with 304", async () => {
    const { request } = ds();
    await request("PUT", "e", { headers: { "Content-Type": "text/plain" }, body: "x" });
    const first = await request("GET", "e?offset=-1");
    const tag = first.headers.get("ETag") as string;
    expect(first.headers.get("Cache-Control")).toBe("no-cache");
    expect((await request("GET", "e?offset=-1", { headers: { "If-None-Match": tag } })).status).toBe(304);
    await request("POST", "e", { headers: { "Stream-Closed": "true" } });
    const after = await request("GET", "e?offset=-1", { headers: { "If-None-Match": tag } });
    expect(after.status).toBe(200);
    expect(after.headers.get("ETag")).not.toBe(tag);
  });

  it("streams SSE with one control event after each data event, base64 for binary types", async () => {
    const { request } = ds();
    await request("PUT", "bin", {
      headers: { "Content-Type": "application/octet-stream" },
      body: "\u0000\u0001",
    });
    await request("POST", "bin", { headers: { "Stream-Closed": "true" } });
    const res = await request("GET", "bin?offset=-1&live=sse");
    expect(res.headers.get("Content-Type")).toBe("text/event-stream");
    expect(res.headers.get("Stream-SSE-Data-Encoding")).toBe("base64");
    const text = await res.text();
    expect(text).toBe(
      `event: data\ndata:AAE=\n\nevent: control\ndata:${JSON.stringify({
        streamNextOffset: offset(1),
        streamClosed: true,
      })}\n\n`,
    );
  });

  it("sends the browser security headers on every answer, errors included", async () => {
    const { request } = ds();
    for (const res of [await request("GET", "missing"), await request("PUT", "h")]) {
      expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(res.headers.get("Cross-Origin-Resource-Policy")).toBe("cross-origin");
    }
  });
});

describe("/ds lifecycle", () => {
  it("soft-deletes a stream while a fork reads it, and deletes both once the fork goes", async () => {
    const { request, json } = ds();
    await request("PUT", "src", { headers: { "Content-Type": "text/plain" }, body: "abc" });
    const fork = await request("PUT", "fork", { headers: { "Stream-Forked-From": "/src" } });
    expect(fork.status).toBe(201);
    expect(fork.headers.get("Content-Type")).toBe("text/plain");
    expect((await request("DELETE", "src")).status).toBe(204);
    expect((await request("GET", "src")).status).toBe(410);
    expect((await request("PUT", "src", { headers: { "Content-Type": "text/plain" } })).status).toBe(409);
    expect(await (await request("GET", "fork")).text()).toBe("abc");
    expect((await request("DELETE", "fork")).status).toBe(204);
    expect((await json("GET", "/v1/topics/src")).status).toBe(404);
    expect((await request("PUT", "src", { headers: { "Content-Type": "text/plain" } })).status).toBe(201);
  });

  it("deleting a fork through /v1 releases its source just as /ds does", async () => {
    const { request, json } = ds();
    await request("PUT", "src", { headers: { "Content-Type": "text/plain" }, body: "abc" });
    await request("PUT", "fork", { headers: { "Stream-Forked-From": "/src" } });
    expect((await request("DELETE", "src")).status).toBe(204);
    expect((await request("GET", "src")).status).toBe(410);
    expect((await json("DELETE", "/v1/topics/fork")).status).toBe(204);
    expect((await request("GET", "fork")).status).toBe(404);
    expect((await json("GET", "/v1/topics/src")).status).toBe(404);
  });

  it("expires a stream after its TTL and lets the path be created again", async () => {
    let now = 1_000_000;
    const harness = setup({ dsLongPollTimeoutMs: 50, now: () => now });
    const request = (method: string, path: string, headers: Record<string, string> = {}) =>
      harness.app.request(`/ds/${path}`, { method, headers }, harness.env);
    const created = await request("PUT", "ttl", { "Content-Type": "text/plain", "Stream-TTL": "5" });
    expect(created.status).toBe(201);
    expect((await request("HEAD", "ttl")).headers.get("Stream-TTL")).toBe("5");
    now += 6_000;
    expect((await request("HEAD", "ttl")).status).toBe(404);
    expect((await request("PUT", "ttl", { "Content-Type": "text/plain" })).status).toBe(201);
  });
});

describe("/ds reserved paths", () => {
  it("never treats __ds paths (the optional subscription APIs) as streams", async () => {
    const { request } = ds();
    for (const path of ["__ds", "__ds/subscriptions/s1", "__ds/jwks.json"]) {
      const res = await request("PUT", path, { headers: { "Content-Type": "text/plain" } });
      expect(res.status).toBe(404);
    }
    expect((await request("PUT", "__dsx", { headers: { "Content-Type": "text/plain" } })).status).toBe(201);
  });
});
