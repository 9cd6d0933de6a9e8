/**
 * @module
 * The app mounted inside a host's own Hono app, under a path of its own and behind the host's middleware: every
 * route, error answer, the SSE tail, and `/ds` (create, append, catch-up, long-poll, SSE, forks by path) work
 * under the mount path, and the host's middleware runs first.
 */
import { MemoryStore } from "@edgelog/core";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/index.ts";

const NOW = 1_764_000_000_000;
const TOKEN = "Bearer secret";

/** A host Worker: its own auth middleware, its own route, and edgelog under `/events` (and per tenant). */
function host() {
  const store = new MemoryStore({ now: () => NOW });
  const edgelog = createApp({ auth: "none", store: () => store, now: () => NOW, random: () => 0 });
  const app = new Hono();
  let authorised = 0;
  app.use(async (c, next) => {
    if (c.req.header("Authorization") !== TOKEN) return c.text("who are you?", 401);
    authorised++;
    return next();
  });
  app.get("/", (c) => c.text("the host's own page"));
  app.route("/events", edgelog);
  app.route(
    "/tenants/:tenant",
    createApp({ auth: "none", store: () => new MemoryStore({ now: () => NOW }) }),
  );
  const call = (
    method: string,
    path: string,
    init: { body?: BodyInit; headers?: Record<string, string> } = {},
  ) =>
    app.request(`http://host.test${path}`, {
      method,
      ...(init.body === undefined ? {} : { body: init.body }),
      headers: { Authorization: TOKEN, ...init.headers },
    });
  const json = (method: string, path: string, body: unknown) =>
    call(method, path, { body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
  return { app, store, call, json, authorised: () => authorised };
}

/** The events of a finished SSE body, as `event` → data lines. */
function sseEvents(text: string): { event: string; data: string }[] {
  return text
    .split("\n\n")
    .filter((block) => block.includes("event:"))
    .map((block) => {
      const lines = block.split("\n");
      const field = (name: string) =>
        lines
          .filter((line) => line.startsWith(`${name}:`))
          .map((line) => line.slice(name.length + 1).trim())
          .join("\n");
      return { event: field("event"), data: field("data") };
    });
}

describe("createApp mounted under /events behind the host's middleware", () => {
  it("runs the host's middleware first: no token, no edgelog", async () => {
    const h = host();
    const res = await h.app.request("http://host.test/events/v1/health");
    expect(res.status).toBe(401);
    expect(await res.text()).toBe("who are you?");
    expect((await h.call("GET", "/events/v1/health")).status).toBe(200);
    expect(await (await h.call("GET", "/")).text()).toBe("the host's own page");
    expect(h.authorised()).toBe(2);
  });

  it("produces, fetches and answers errors under the mount path", async () => {
    const h = host();
    expect((await h.json("POST", "/events/v1/topics", { name: "orders", partitions: 2 })).status).toBe(201);
    const produced = await h.json("POST", "/events/v1/topics/orders/records", {
      records: [
        { partition: 1, value: { n: 1 } },
        { partition: 1, value: { n: 2 } },
      ],
    });
    expect(produced.status).toBe(200);
    expect((await produced.json()).offsets).toEqual([
      { partition: 1, offset: 0 },
      { partition: 1, offset: 1 },
    ]);
    const fetched = await h.call("GET", "/events/v1/topics/orders/partitions/1/records?offset=0");
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get("Edgelog-High-Watermark")).toBe("2");
    const body = (await fetched.json()) as { records: { offset: number; value: unknown }[] };
    expect(body.records.map((r) => [r.offset, r.value])).toEqual([
      [0, { n: 1 }],
      [1, { n: 2 }],
    ]);
    expect(await h.store.getTopic("orders")).not.toBeNull();

    // Errors keep the API's shape under the mount: an unknown topic, a wrong method, an unknown route.
    const unknownTopic = await h.call("GET", "/events/v1/topics/nope");
    expect(unknownTopic.status).toBe(404);
    expect((await unknownTopic.json()).error.code).toBe("UNKNOWN_TOPIC_OR_PARTITION");
    const wrongMethod = await h.call("PUT", "/events/v1/topics");
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("Allow")).toContain("POST");
    expect((await wrongMethod.json()).error.code).toBe("METHOD_NOT_ALLOWED");
    const noRoute = await h.call("GET", "/events/v1/nowhere");
    expect(noRoute.status).toBe(404);
    expect((await noRoute.json()).error.code).toBe("NOT_FOUND");
    // A path outside the mount is the host's.
    expect(await (await h.call("GET", "/v1/health")).text()).toBe("404 Not Found");
  });

  it("serves the SSE live tail under the mount path", async () => {
    const h = host();
    await h.json("POST", "/events/v1/topics", { name: "ticks", partitions: 1 });
    await h.json("POST", "/events/v1/topics/ticks/records", { records: [{ value: "a" }, { value: "b" }] });
    const controller = new AbortController();
    const res = await h.app.request("http://host.test/events/v1/topics/ticks/partitions/0/records?offset=0", {
      headers: { Authorization: TOKEN, Accept: "text/event-stream" },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toContain("text/event-stream");
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    while (!text.includes("\n\n")) text += new TextDecoder().decode((await reader.read()).value);
    const [first] = sseEvents(text);
    expect(first?.event).toBe("records");
    expect(JSON.parse(first?.data ?? "{}").records.map((r: { value: unknown }) => r.value)).toEqual([
      "a",
      "b",
    ]);
    controller.abort();
    await reader.cancel();
  });

  it("speaks Durable Streams at /events/ds: create, append, catch-up, long-poll, SSE", async () => {
    const h = host();
    const created = await h.call("PUT", "/events/ds/chat/room-1", {
      body: JSON.stringify([{ text: "hi" }]),
      headers: { "Content-Type": "application/json" },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("Location")).toBe("http://host.test/events/ds/chat/room-1");
    // The stream is the topic its path maps to, whatever the mount path.
    expect(await h.store.getTopic("_chat_2Froom-1")).not.toBeNull();

    const appended = await h.call("POST", "/events/ds/chat/room-1", {
      body: JSON.stringify({ text: "there" }),
      headers: { "Content-Type": "application/json" },
    });
    expect(appended.status).toBe(204);
    const tail = appended.headers.get("Stream-Next-Offset") as string;

    const caughtUp = await h.call("GET", "/events/ds/chat/room-1?offset=-1");
    expect(caughtUp.status).toBe(200);
    expect(caughtUp.headers.get("Stream-Next-Offset")).toBe(tail);
    expect(await caughtUp.json()).toEqual([{ text: "hi" }, { text: "there" }]);

    // A long-poll at the tail answers with the next append.
    const polled = h.call("GET", `/events/ds/chat/room-1?offset=${tail}&live=long-poll`);
    await h.call("POST", "/events/ds/chat/room-1", {
      body: JSON.stringify({ text: "again" }),
      headers: { "Content-Type": "application/json" },
    });
    const poll = await polled;
    expect(poll.status).toBe(200);
    expect(poll.headers.get("Stream-Cursor")).not.toBeNull();
    expect(await poll.json()).toEqual([{ text: "again" }]);

    // Close it, then an SSE read from the start ends at the closed end.
    expect(
      (await h.call("POST", "/events/ds/chat/room-1", { headers: { "Stream-Closed": "true" } })).status,
    ).toBe(204);
    const sse = await h.call("GET", "/events/ds/chat/room-1?offset=-1&live=sse");
    expect(sse.status).toBe(200);
    const events = sseEvents(await sse.text());
    expect(events.map((e) => e.event)).toEqual(["data", "control"]);
    expect(JSON.parse(events[0]?.data ?? "")).toEqual([{ text: "hi" }, { text: "there" }, { text: "again" }]);
    expect(JSON.parse(events[1]?.data ?? "")).toMatchObject({ streamClosed: true });

    // Protocol errors keep their statuses under the mount.
    expect((await h.call("GET", "/events/ds/nothing-here")).status).toBe(404);
    expect((await h.call("GET", "/events/ds/__ds/subscriptions")).status).toBe(404);
    const wrongType = await h.call("POST", "/events/ds/chat/room-1", {
      body: "x",
      headers: { "Content-Type": "text/plain" },
    });
    expect(wrongType.status).toBe(409);
  });

  it("resolves Stream-Forked-From paths under the mount, through /ds and /v1 deletes", async () => {
    const h = host();
    const put = (path: string, headers: Record<string, string> = {}, body?: string) =>
      h.call("PUT", path, {
        ...(body === undefined ? {} : { body }),
        headers: { "Content-Type": "text/plain", ...headers },
      });
    expect((await put("/events/ds/src", {}, "abc")).status).toBe(201);
    const fork = await put("/events/ds/fork", { "Stream-Forked-From": "/events/ds/src" });
    expect(fork.status).toBe(201);
    expect(await (await h.call("GET", "/events/ds/fork?offset=-1")).text()).toBe("abc");
    // A full URL names the same source.
    expect(
      (await put("/events/ds/fork2", { "Stream-Forked-From": "http://host.test/events/ds/src" })).status,
    ).toBe(201);

    // The source has forks: deleting it soft-deletes it (410) until its last fork goes.
    expect((await h.call("DELETE", "/events/ds/src")).status).toBe(204);
    expect((await h.call("GET", "/events/ds/src?offset=-1")).status).toBe(410);
    expect((await h.call("DELETE", "/events/ds/fork2")).status).toBe(204);
    expect((await h.call("GET", "/events/ds/src?offset=-1")).status).toBe(410);
    // The last fork deleted over /v1 lets go of the source too, found by its mounted path.
    expect((await h.call("DELETE", "/events/v1/topics/fork")).status).toBe(204);
    expect((await h.call("GET", "/events/ds/src?offset=-1")).status).toBe(404);
    expect(await h.store.getTopic("src")).toBeNull();
  });

  it("works under a mount path with parameters", async () => {
    const h = host();
    const created = await h.call("PUT", "/tenants/acme/ds/log", {
      body: "x",
      headers: { "Content-Type": "text/plain" },
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("Location")).toBe("http://host.test/tenants/acme/ds/log");
    expect(await (await h.call("GET", "/tenants/acme/ds/log?offset=-1")).text()).toBe("x");
    const topics = await h.call("GET", "/tenants/acme/v1/topics");
    expect((await topics.json()).topics.map((t: { name: string }) => t.name)).toEqual(["log"]);
  });
});
