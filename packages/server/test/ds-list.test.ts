// `GET /v1/streams` over a MemoryStore: which topics are listed as streams, with what state, page by page, and
// that a listing neither renews a TTL nor deletes an expired stream.
import { describe, expect, it } from "vitest";
import { MAX_STREAMS_PAGE } from "../src/ds/list-streams.ts";
import { expectError, setup } from "./helpers.ts";

const START_MS = 1_764_000_000_000;

function harness() {
  let now = START_MS;
  const h = setup({ now: () => now });
  const put = (path: string, headers: Record<string, string>, body?: string) =>
    h.app.request(`/ds/${path}`, { method: "PUT", headers, body: body ?? null }, h.env);
  const post = (path: string, headers: Record<string, string>, body?: string) =>
    h.app.request(`/ds/${path}`, { method: "POST", headers, body: body ?? null }, h.env);
  const list = async (query = "") => h.json("GET", `/v1/streams${query}`);
  return {
    ...h,
    put,
    post,
    list,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

interface Listed {
  path: string;
  topic: string;
  contentType: string;
  closed: boolean;
  ttlSeconds: number | null;
  expiresAt: string | null;
  expiresAtMs: number | null;
  expired: boolean;
  lastAccessedAt: number;
  forkedFrom: string | null;
  forks: number;
  softDeleted: boolean;
  highWatermark: number;
  nextOffset: string;
}

const byPath = (streams: Listed[]) => new Map(streams.map((s) => [s.path, s]));

describe("GET /v1/streams", () => {
  it("lists what /ds created or wrote, with content type, TTL, expiry, closed state and forks", async () => {
    const h = harness();
    expect(
      (await h.put("chat/room-1", { "Content-Type": "text/plain", "Stream-TTL": "3600" }, "hi")).status,
    ).toBe(201);
    await h.put(
      "events",
      { "Content-Type": "application/json", "Stream-Expires-At": "2030-01-01T00:00:00Z" },
      "[1,2]",
    );
    await h.put("done", { "Content-Type": "application/octet-stream", "Stream-Closed": "true" });
    await h.put("events-fork", {
      "Stream-Forked-From": "/ds/events",
      "Stream-Fork-Offset": "0000000000000000_0000000000000001",
    });
    // Topics that are not streams: two partitions, and a one-partition topic /ds never wrote.
    await h.createTopic("orders", 2);
    await h.createTopic("plain");
    // A /v1 topic /ds appended to has become a stream.
    await h.createTopic("adopted");
    expect((await h.post("adopted", { "Content-Type": "application/json" }, '{"a":1}')).status).toBe(204);

    const res = await h.list();
    expect(res.status).toBe(200);
    expect(res.body.next).toBeNull();
    const streams = byPath(res.body.streams);
    expect([...streams.keys()].sort()).toEqual(["adopted", "chat/room-1", "done", "events", "events-fork"]);
    expect(streams.get("chat/room-1")).toMatchObject({
      topic: "_chat_2Froom-1",
      contentType: "text/plain",
      closed: false,
      ttlSeconds: 3600,
      expiresAt: null,
      expiresAtMs: START_MS + 3_600_000,
      expired: false,
      highWatermark: 1,
      nextOffset: "0000000000000000_0000000000000001",
    });
    expect(streams.get("events")).toMatchObject({
      contentType: "application/json",
      ttlSeconds: null,
      expiresAt: "2030-01-01T00:00:00Z",
      expiresAtMs: Date.parse("2030-01-01T00:00:00Z"),
      forks: 1,
      highWatermark: 2,
    });
    expect(streams.get("done")).toMatchObject({ closed: true, expiresAtMs: null, highWatermark: 0 });
    // A fork inherits its source's expiry.
    expect(streams.get("events-fork")).toMatchObject({
      forkedFrom: "/ds/events",
      expiresAt: "2030-01-01T00:00:00Z",
      highWatermark: 1,
    });
    expect(streams.get("adopted")).toMatchObject({ contentType: "application/json", closed: false });
  });

  it("reports an expired stream without deleting it, and renews no TTL", async () => {
    const h = harness();
    await h.put("short", { "Content-Type": "text/plain", "Stream-TTL": "5" });
    h.advance(3_000);
    const before = byPath((await h.list()).body.streams).get("short");
    expect(before).toMatchObject({ expired: false, lastAccessedAt: START_MS, expiresAtMs: START_MS + 5_000 });
    h.advance(3_000);
    // Had the first listing renewed the TTL, the stream would still be live 6 s after creation.
    const after = byPath((await h.list()).body.streams).get("short");
    expect(after).toMatchObject({ expired: true, lastAccessedAt: START_MS });
    expect((await h.json("GET", "/v1/topics/short")).status).toBe(200);
    // The protocol deletes it when the stream itself is next touched.
    expect((await h.app.request("/ds/short", { method: "HEAD" }, h.env)).status).toBe(404);
    expect((await h.list()).body.streams).toEqual([]);
  });

  it("shows a source deleted while a fork reads it as soft-deleted", async () => {
    const h = harness();
    await h.put("src", { "Content-Type": "text/plain" }, "abc");
    await h.put("fork", { "Stream-Forked-From": "/src" });
    expect((await h.app.request("/ds/src", { method: "DELETE" }, h.env)).status).toBe(204);
    const streams = byPath((await h.list()).body.streams);
    expect(streams.get("src")).toMatchObject({ softDeleted: true, forks: 1 });
    expect(streams.get("fork")).toMatchObject({ softDeleted: false, forkedFrom: "/src" });
  });

  it("pages through the one-partition topics in name order, `next` naming where to continue", async () => {
    const h = harness();
    // Names that are Object.prototype members are streams like any other.
    const paths = ["constructor", "__proto__", "valueOf", "a", "b/c", "toString"];
    for (const path of paths) await h.put(path, { "Content-Type": "text/plain" });
    await h.createTopic("a-plain");
    await h.createTopic("wide", 3);
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const res = await h.list(`?limit=2${after === null ? "" : `&after=${encodeURIComponent(after)}`}`);
      expect(res.status).toBe(200);
      expect(res.body.streams.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.streams.map((s: Listed) => s.path));
      after = res.body.next;
      pages++;
    } while (after !== null && pages < 10);
    // 7 one-partition topics (6 streams and a-plain) at 2 a page: 4 pages, one of them holding a-plain.
    expect(pages).toBe(4);
    expect(seen.sort()).toEqual([...paths].sort());
  });

  it("refuses a bad limit or cursor with 400", async () => {
    const h = harness();
    for (const query of ["?limit=0", `?limit=${MAX_STREAMS_PAGE + 1}`, "?limit=ten", "?limit=-1"]) {
      expectError(await h.list(query), 400, "INVALID_REQUEST");
    }
    expectError(await h.list(`?after=${"x".repeat(250)}`), 400, "INVALID_REQUEST");
    expect((await h.list(`?limit=${MAX_STREAMS_PAGE}&after=zzz`)).body).toEqual({ streams: [], next: null });
  });
});
