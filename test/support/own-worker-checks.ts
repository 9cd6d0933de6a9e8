/**
 * @module
 * What the own-worker example (packages/server/examples/own-worker) must do wherever it is built from — the
 * workspace (test/examples-e2e.test.ts) or the packed tarballs (test/packed-packages.test.ts): its middleware runs
 * before edgelog, edgelog serves `/events/v1` with the rights the app grants, and the app keeps its own routes.
 */
import { expect, it } from "vitest";

/** The example's two API keys: one mapped to `admin`, one to `consume:*`. */
export interface OwnWorkerKeys {
  readonly full: string;
  readonly read: string;
}

/** Registers the example's checks against the Worker `url()` answers at (read when each test runs). */
export function ownWorkerChecks(url: () => string, keys: OwnWorkerKeys): void {
  const call = (path: string, init: RequestInit & { key?: string | undefined } = {}) => {
    const { key, ...rest } = init;
    return fetch(`${url()}${path}`, {
      ...rest,
      headers: {
        ...(key === undefined ? {} : { "X-App-Key": key }),
        ...(rest.body === undefined ? {} : { "Content-Type": "application/json" }),
      },
    });
  };

  it("runs the app's middleware first: no key, no edgelog", async () => {
    for (const path of ["/events/v1/topics", "/events/v1/health"]) {
      const res = await call(path);
      expect(res.status, path).toBe(401);
      expect(await res.json()).toEqual({ error: "missing or wrong X-App-Key" });
      expect(res.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect((await call("/events/v1/topics", { key: "wrong" })).status).toBe(401);
  });

  it("serves create, produce and fetch under /events with the rights the app granted", async () => {
    const topic = `orders-${Date.now()}`;
    const created = await call("/events/v1/topics", {
      method: "POST",
      key: keys.full,
      body: JSON.stringify({ name: topic, partitions: 1 }),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("X-Request-Id")).not.toBeNull();
    const produced = await call(`/events/v1/topics/${topic}/records`, {
      method: "POST",
      key: keys.full,
      body: JSON.stringify({
        records: [
          { key: "a", value: { total: 42 } },
          { key: "b", value: "two" },
        ],
      }),
    });
    expect(produced.status).toBe(200);
    const read = await call(`/events/v1/topics/${topic}/partitions/0/records`, { key: keys.read });
    expect(await read.json()).toMatchObject({
      records: [
        { offset: 0, key: "a", value: { total: 42 } },
        { offset: 1, key: "b", value: "two" },
      ],
    });
    // The read-only key is edgelog's `consume:*`: producing is refused with edgelog's own code.
    const refused = await call(`/events/v1/topics/${topic}/records`, {
      method: "POST",
      key: keys.read,
      body: JSON.stringify({ records: [{ value: 1 }] }),
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: "TOPIC_AUTHORIZATION_FAILED" } });
    expect(await (await call("/events/v1/health", { key: keys.read })).json()).toEqual({
      status: "ok",
      auth: "host",
    });
  });

  it("keeps the app's own routes, and /v1 outside the mount is the app's", async () => {
    expect(await (await call("/")).text()).toBe("my-app: events live under /events");
    expect(await (await call("/hello/ada")).json()).toEqual({ hello: "ada" });
    for (const key of [undefined, keys.full]) {
      const outside = await call("/v1/topics", { key });
      expect(outside.status).toBe(404);
      expect(outside.headers.get("Content-Type") ?? "").not.toContain("application/json");
    }
    const unknownInside = await call("/events/v1/nope", { key: keys.full });
    expect(unknownInside.status).toBe(404);
    expect(await unknownInside.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
  });
}
