/**
 * @module
 * `auth: { rights }`: a host Worker authenticates with its own middleware and hands edgelog the rights. Only
 * what the function returns is granted — nothing is a 401, a narrow scope is enforced route by route — and a
 * bearer token sent to the host is not edgelog's business (it is neither verified nor a way around the host).
 */
import { MemoryStore } from "@edgelog/core";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { createApp, type HostRights, parseScopes } from "../../src/index.ts";

type HostEnv = { Variables: { user: string } };

/** The host: `X-User` names who calls; `grant` maps that user to edgelog rights. */
function host(grant: (user: string | undefined) => HostRights | Promise<HostRights>) {
  const store = new MemoryStore();
  const app = new Hono<HostEnv>();
  app.use("/events/*", async (c, next) => {
    const user = c.req.header("X-User");
    if (user !== undefined) c.set("user", user);
    await next();
  });
  app.route(
    "/events",
    createApp({ store: () => store, auth: { rights: (c) => grant(c.get("user") as string | undefined) } }),
  );
  const call = (method: string, path: string, user?: string, body?: unknown) =>
    app.request(`http://host.test/events${path}`, {
      method,
      headers: {
        ...(user === undefined ? {} : { "X-User": user }),
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return { call };
}

const grants = (user: string | undefined): HostRights => {
  if (user === "ops") return "admin";
  if (user === "shop") return "produce:orders consume:orders";
  return undefined;
};

describe("auth: { rights } from the host's middleware", () => {
  it("answers 401 when the host granted nothing, and says so in health", async () => {
    const h = host(grants);
    const refused = await h.call("GET", "/v1/topics");
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: "AUTHENTICATION_FAILED" } });
    const health = await h.call("GET", "/v1/health");
    expect(await health.json()).toEqual({ status: "ok", auth: "host" });
  });

  it("enforces the granted scopes route by route", async () => {
    const h = host(grants);
    expect((await h.call("POST", "/v1/topics", "shop", { name: "orders" })).status).toBe(403);
    expect((await h.call("POST", "/v1/topics", "ops", { name: "orders" })).status).toBe(201);
    expect((await h.call("POST", "/v1/topics", "ops", { name: "audit" })).status).toBe(201);
    const produced = await h.call("POST", "/v1/topics/orders/records", "shop", { records: [{ value: 1 }] });
    expect(produced.status).toBe(200);
    const read = await h.call("GET", "/v1/topics/orders/partitions/0/records", "shop");
    expect(((await read.json()) as { records: unknown[] }).records).toHaveLength(1);
    const other = await h.call("POST", "/v1/topics/audit/records", "shop", { records: [{ value: 1 }] });
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({
      error: { code: "TOPIC_AUTHORIZATION_FAILED", topic: "audit" },
    });
  });

  it("guards Durable Streams under the mount with the same rights", async () => {
    const h = host((user) => (user === "ops" ? "admin" : user === "reader" ? "consume:*" : undefined));
    const put = async (user?: string) => (await h.call("PUT", "/ds/orders-stream", user)).status;
    expect(await put()).toBe(401);
    expect(await put("reader")).toBe(403);
    expect([200, 201]).toContain(await put("ops"));
    expect((await h.call("GET", "/ds/orders-stream?offset=-1", "reader")).status).toBe(200);
  });

  it("takes parsed Scopes and async functions", async () => {
    const h = host(async (user) => (user === "ops" ? parseScopes("admin") : null));
    expect((await h.call("GET", "/v1/topics", "ops")).status).toBe(200);
    expect((await h.call("GET", "/v1/topics", "nobody")).status).toBe(401);
  });

  it("answers whoami with the host's grant: its words when given as a string, unlisted for its own Scopes", async () => {
    const h = host((user) =>
      user === "shop"
        ? "produce:orders consume:orders"
        : user === "custom"
          ? { admin: false, allows: (right: string, name: string) => right === "consume" && name === "x" }
          : undefined,
    );
    expect((await h.call("GET", "/v1/whoami")).status).toBe(401);
    expect(await (await h.call("GET", "/v1/whoami", "shop")).json()).toEqual({
      subject: null,
      auth: "host",
      admin: false,
      rights: ["produce:orders", "consume:orders"],
      expiresAt: null,
    });
    // A host's own predicate cannot be listed: `null` tells a client to hide nothing and let routes refuse.
    expect(await (await h.call("GET", "/v1/whoami", "custom")).json()).toMatchObject({ rights: null });
  });

  it("grants nothing for anything but a scope string or Scopes", async () => {
    for (const bogus of [true, 1, {}, { admin: true }, []]) {
      const h = host(() => bogus as unknown as HostRights);
      expect((await h.call("GET", "/v1/topics", "ops")).status).toBe(401);
    }
  });

  it("does not let a bearer token stand in for the host's authentication", async () => {
    const h = host(grants);
    const res = await h.call("GET", "/v1/topics", undefined);
    expect(res.status).toBe(401);
    const withToken = await (async () => {
      const app = new Hono();
      app.route("/events", createApp({ store: () => new MemoryStore(), auth: { rights: () => undefined } }));
      return app.request("http://host.test/events/v1/topics", { headers: { Authorization: "Bearer x.y.z" } });
    })();
    expect(withToken.status).toBe(401);
  });

  it("is not reached around the host's middleware by spelling the path differently", async () => {
    const app = new Hono<{ Variables: { scopes: string } }>();
    app.use("/events/*", async (c, next) => {
      if (c.req.header("X-Key") !== "k") return c.text("no", 401);
      c.set("scopes", "admin");
      await next();
      return undefined;
    });
    app.route(
      "/events",
      createApp({ store: () => new MemoryStore(), auth: { rights: (c) => c.get("scopes") } }),
    );
    const spellings = [
      "/events/v1/topics",
      "//events/v1/topics",
      "/events//v1/topics",
      "/%65vents/v1/topics",
      "/events/%761/topics",
      "/Events/v1/topics",
      "/events/v1/topics/",
      "/events%2Fv1/topics",
      "/events/./v1/topics",
      "/x/../events/v1/topics",
      "/events;/v1/topics",
    ];
    for (const path of spellings) {
      const res = await app.request(`http://host.test${path}`);
      expect([401, 404], path).toContain(res.status);
      expect(await res.text(), path).not.toContain("topics");
    }
    expect(
      (await app.request("http://host.test/events/v1/topics", { headers: { "X-Key": "k" } })).status,
    ).toBe(200);
  });

  it("refuses a rights option that is not a function at start-up", () => {
    expect(() =>
      createApp({
        store: () => new MemoryStore(),
        auth: { rights: "admin" } as unknown as { rights: () => "" },
      }),
    ).toThrow(TypeError);
  });
});
