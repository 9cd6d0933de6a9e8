/**
 * @module
 * Every answer carries `nosniff` and `Referrer-Policy` (successes, errors, SSE, /ds); /v1 answers are
 * `no-store`, and /ds keeps the caching its protocol defines.
 */
import { describe, expect, it } from "vitest";
import { setup } from "./helpers.ts";

function expectSecurityHeaders(res: Response, label: string): void {
  expect(res.headers.get("X-Content-Type-Options"), label).toBe("nosniff");
  expect(res.headers.get("Referrer-Policy"), label).toBe("no-referrer");
}

describe("security headers", () => {
  it("are on every /v1 answer, with no-store: success, errors of each kind, preflight, SSE", async () => {
    const { app, env, createTopic } = setup({ sseKeepAliveMs: 10 });
    await createTopic("t");
    const controller = new AbortController();
    const answers: [string, Response | Promise<Response>][] = [
      ["health", app.request("/v1/health", {}, env)],
      ["404 route", app.request("/nope", {}, env)],
      ["404 topic", app.request("/v1/topics/missing", {}, env)],
      ["405", app.request("/v1/health", { method: "DELETE" }, env)],
      ["415", app.request("/v1/topics", { method: "POST", body: "x" }, env)],
      [
        "400",
        app.request(
          "/v1/topics",
          { method: "POST", body: "{", headers: { "Content-Type": "application/json" } },
          env,
        ),
      ],
      ["preflight", app.request("/v1/topics", { method: "OPTIONS" }, env)],
      [
        "SSE",
        app.request(
          "/v1/topics/t/partitions/0/records?offset=0",
          { headers: { Accept: "text/event-stream" }, signal: controller.signal },
          env,
        ),
      ],
    ];
    for (const [label, pending] of answers) {
      const res = await pending;
      expectSecurityHeaders(res, label);
      expect(res.headers.get("Cache-Control"), label).toBe("no-store");
    }
    controller.abort();
  });

  it("are on every /ds answer, which keeps the protocol's own caching", async () => {
    const { app, env } = setup();
    const created = await app.request(
      "/ds/s",
      { method: "PUT", headers: { "Content-Type": "text/plain" }, body: "a" },
      env,
    );
    expectSecurityHeaders(created, "create");
    const read = await app.request("/ds/s?offset=-1", {}, env);
    expectSecurityHeaders(read, "read");
    expect(read.headers.get("Cache-Control")).toBe("no-cache");
    const head = await app.request("/ds/s", { method: "HEAD" }, env);
    expectSecurityHeaders(head, "head");
    expect(head.headers.get("Cache-Control")).toBe("no-store");
    const missing = await app.request("/ds/none", {}, env);
    expect(missing.status).toBe(404);
    expectSecurityHeaders(missing, "404");
  });

  it("are on the answers of an app mounted under a path, and /ds there keeps its caching", async () => {
    const { Hono } = await import("hono");
    const { createApp } = await import("../src/app.ts");
    const { MemoryStore } = await import("@edgelog/core");
    const host = new Hono();
    host.route("/events", createApp({ auth: "none", store: () => new MemoryStore() }));
    const v1 = await host.request("/events/v1/health");
    expectSecurityHeaders(v1, "mounted /v1");
    expect(v1.headers.get("Cache-Control")).toBe("no-store");
    await host.request("/events/ds/s", {
      method: "PUT",
      headers: { "Content-Type": "text/plain" },
      body: "a",
    });
    const read = await host.request("/events/ds/s?offset=-1");
    expectSecurityHeaders(read, "mounted /ds");
    expect(read.headers.get("Cache-Control")).toBe("no-cache");
  });
});
