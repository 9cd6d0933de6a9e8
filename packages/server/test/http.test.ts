/**
 * @module
 * Cross-cutting HTTP behaviour: health, unknown routes, wrong methods, CORS, body limits, malformed bodies and
 * the 500 path.
 */
import { MemoryStore } from "@edgelog/core";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import { MAX_BODY_BYTES } from "../src/limits.ts";
import { expectError, setup } from "./helpers.ts";

describe("health and routing", () => {
  it("GET /v1/health answers ok", async () => {
    const { json } = setup();
    const res = await json("GET", "/v1/health");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok", auth: "none" });
    expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  });

  it("unknown routes are 404 NOT_FOUND", async () => {
    const { json } = setup();
    expectError(await json("GET", "/nope"), 404, "NOT_FOUND");
    expectError(await json("GET", "/v1/topics/a/b/c/d/e"), 404, "NOT_FOUND");
    expectError(await json("POST", "/v2/topics", {}), 404, "NOT_FOUND");
  });

  it("a wrong method on a known route is 405 METHOD_NOT_ALLOWED with Allow", async () => {
    const { json } = setup();
    const res = await json("DELETE", "/v1/health");
    expectError(res, 405, "METHOD_NOT_ALLOWED");
    expect(res.headers.get("Allow")).toContain("GET");
    expectError(await json("PUT", "/v1/topics"), 405, "METHOD_NOT_ALLOWED");
    expectError(await json("GET", "/v1/topics/t/records"), 405, "METHOD_NOT_ALLOWED");
    expectError(await json("PATCH", "/v1/topics/t"), 405, "METHOD_NOT_ALLOWED");
  });

  it("HEAD on a GET route answers without a body", async () => {
    const { call } = setup();
    const res = await call("HEAD", "/v1/health");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
  });

  it("an unexpected failure is 500 UNKNOWN_SERVER_ERROR without a stack", async () => {
    const store = new MemoryStore();
    store.listTopics = () => Promise.reject(new TypeError("boom"));
    const app = createApp({ auth: "none", store: () => store });
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      const res = await app.request("/v1/topics");
      expect(res.status).toBe(500);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body).toEqual({ error: { code: "UNKNOWN_SERVER_ERROR", message: "internal error" } });
    } finally {
      console.error = original;
    }
    expect(errors).toHaveLength(1);
  });

  it("store errors keep their code and status (STORE_CLOSED → 503)", async () => {
    const { json, store } = setup();
    await store.close();
    expectError(await json("GET", "/v1/topics"), 503, "STORE_CLOSED");
  });

  it("keeps one store per env object", async () => {
    let made = 0;
    const app = createApp({
      auth: "none",
      store: () => {
        made++;
        return new MemoryStore();
      },
    });
    const env = { PARTITIONS: {}, TOPICS: {}, GROUPS: {} };
    await app.request("/v1/topics", {}, env);
    await app.request("/v1/topics", {}, env);
    expect(made).toBe(1);
    await app.request("/v1/topics", {}, { ...env });
    expect(made).toBe(2);
  });
});

describe("malformed bodies", () => {
  it("malformed JSON, empty bodies and non-objects are 400 INVALID_REQUEST", async () => {
    const { json, createTopic } = setup();
    await createTopic("t");
    expectError(await json("POST", "/v1/topics", "{not json"), 400, "INVALID_REQUEST");
    expectError(await json("POST", "/v1/topics", ""), 400, "INVALID_REQUEST");
    expectError(await json("POST", "/v1/topics", "[1,2]"), 400, "INVALID_REQUEST");
    expectError(await json("POST", "/v1/topics", "null"), 400, "INVALID_REQUEST");
    expectError(await json("POST", "/v1/topics/t/records", "{"), 400, "INVALID_REQUEST");
    expectError(await json("POST", "/v1/topics/t/records", ""), 400, "INVALID_REQUEST");
  });
});

describe("body limits", () => {
  it("rejects a declared Content-Length over the limit before reading (413)", async () => {
    const { call, createTopic, store } = setup();
    await createTopic("t");
    const res = await call("POST", "/v1/topics/t/records", '{"records":[{"value":1}]}', {
      "Content-Length": String(MAX_BODY_BYTES + 1),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("MESSAGE_TOO_LARGE");
    expect((await store.offsets({ topic: "t", partition: 0 })).highWatermark).toBe(0);
  });

  it("counts a streamed body of unknown length and stops at the limit (413, nothing written)", async () => {
    const { app, env, createTopic, store } = setup();
    await createTopic("t");
    const chunk = new TextEncoder().encode(`{"records":[{"value":"${"x".repeat(1024 * 1024)}`);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX_BODY_BYTES + chunk.length) controller.close();
        else {
          controller.enqueue(chunk);
          sent += chunk.length;
        }
      },
    });
    const res = await app.request(
      "/v1/topics/t/records",
      {
        method: "POST",
        body,
        duplex: "half",
        headers: { "Content-Type": "application/json" },
      } as RequestInit,
      env,
    );
    expect(res.status).toBe(413);
    expect((await store.offsets({ topic: "t", partition: 0 })).highWatermark).toBe(0);
  });
});

describe("CORS", () => {
  it("answers a preflight from an allowed origin", async () => {
    const { call } = setup();
    const res = await call("OPTIONS", "/v1/topics/t/records", undefined, {
      Origin: "https://app.example",
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "content-type, last-event-id",
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example");
    expect(res.headers.get("Access-Control-Allow-Methods")).toBe(
      "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS",
    );
    const allowedHeaders = (res.headers.get("Access-Control-Allow-Headers") ?? "").toLowerCase().split(", ");
    expect(allowedHeaders).toEqual(
      expect.arrayContaining(["content-type", "last-event-id", "authorization"]),
    );
    expect(res.headers.get("Access-Control-Max-Age")).toBe("600");
  });

  it("exposes the offset headers on responses to an allowed origin", async () => {
    const { call } = setup();
    const res = await call("GET", "/v1/health", undefined, { Origin: "https://app.example" });
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example");
    expect(res.headers.get("Access-Control-Expose-Headers")?.split(", ")).toEqual(
      expect.arrayContaining([
        "Edgelog-High-Watermark",
        "Edgelog-Log-Start-Offset",
        "Edgelog-Next-Offset",
        "Retry-After",
      ]),
    );
  });

  it("gives a disallowed origin no CORS headers at all", async () => {
    const { call } = setup();
    for (const method of ["OPTIONS", "GET"]) {
      const res = await call(method, "/v1/health", undefined, {
        Origin: "https://evil.example",
        "Access-Control-Request-Method": "GET",
      });
      const cors = [...res.headers.keys()].filter((k) => k.startsWith("access-control-"));
      expect(cors).toEqual([]);
    }
  });

  it("allows any origin with ALLOWED_ORIGINS=*", async () => {
    const app = createApp({ auth: "none", store: () => new MemoryStore() });
    const env = { PARTITIONS: {}, TOPICS: {}, GROUPS: {}, ALLOWED_ORIGINS: "*" };
    const res = await app.request("/v1/health", { headers: { Origin: "http://localhost:5173" } }, env);
    // `*` itself, not an echo: with `*` a browser never sends credentials, and no answer varies by origin.
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
  });
});
