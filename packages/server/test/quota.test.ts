// Quotas per subject through the routes, over the in-memory gate with a clock the tests move: the 429 and its
// Retry-After, that a refused write writes nothing, that other subjects are served, and what is never charged.
import { describe, expect, it } from "vitest";
import { signToken } from "../src/auth/sign.ts";
import { NOW, setup } from "./helpers.ts";

const SECRET = "quota-secret-0123456789-abcdefghijklmnop";

function harness(options: {
  requestsPerSec?: number | "unlimited";
  produceBytesPerSec?: number | "unlimited";
}) {
  let now = NOW;
  const h = setup({ now: () => now, quota: options });
  const at = (ip: string) => ({ "CF-Connecting-IP": ip });
  return { ...h, at, advance: (ms: number) => (now += ms) };
}

async function errorOf(res: Response): Promise<Record<string, unknown>> {
  return ((await res.json()) as { error: Record<string, unknown> }).error;
}

describe("request-rate quota", () => {
  it("answers 429 THROTTLING_QUOTA_EXCEEDED with Retry-After once the burst is spent, then serves again", async () => {
    const { createTopic, call, at, advance } = harness({
      requestsPerSec: 5,
      produceBytesPerSec: "unlimited",
    });
    await createTopic("t");
    const get = () => call("GET", "/v1/topics/t", undefined, at("10.0.0.1"));
    for (let i = 0; i < 5; i++) expect((await get()).status).toBe(200);
    const refused = await get();
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Retry-After")).toBe("1");
    const error = await errorOf(refused);
    expect(error).toMatchObject({
      code: "THROTTLING_QUOTA_EXCEEDED",
      quota: "requests",
      retryAfterMs: 200,
      throttleTimeMs: 200,
    });
    expect(String(error.message)).toContain("request-rate");
    advance(199);
    expect((await get()).status).toBe(429);
    advance(1);
    expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(429);
  });

  it("never charges health or preflights", async () => {
    const { call, at } = harness({ requestsPerSec: 1 });
    for (let i = 0; i < 20; i++) {
      expect((await call("GET", "/v1/health", undefined, at("10.0.0.2"))).status).toBe(200);
      const preflight = await call("OPTIONS", "/v1/topics", undefined, {
        ...at("10.0.0.2"),
        Origin: "https://app.example",
        "Access-Control-Request-Method": "POST",
      });
      expect(preflight.status).toBe(204);
    }
    expect((await call("GET", "/v1/topics", undefined, at("10.0.0.2"))).status).toBe(200);
    expect((await call("GET", "/v1/topics", undefined, at("10.0.0.2"))).status).toBe(429);
  });

  it("a throttled browser can read the 429 (CORS) and its Retry-After", async () => {
    const { call, at } = harness({ requestsPerSec: 1 });
    const headers = { ...at("10.0.0.3"), Origin: "https://app.example" };
    await call("GET", "/v1/topics", undefined, headers);
    const refused = await call("GET", "/v1/topics", undefined, headers);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example");
    expect(refused.headers.get("Access-Control-Expose-Headers")).toContain("Retry-After");
  });

  it("keys open requests by client address: one address throttled, another served", async () => {
    const { call, at } = harness({ requestsPerSec: 2 });
    for (let i = 0; i < 2; i++)
      expect((await call("GET", "/v1/topics", undefined, at("10.0.0.4"))).status).toBe(200);
    expect((await call("GET", "/v1/topics", undefined, at("10.0.0.4"))).status).toBe(429);
    expect((await call("GET", "/v1/topics", undefined, at("10.0.0.5"))).status).toBe(200);
    // No address at all is one shared "anonymous" subject, apart from both.
    expect((await call("GET", "/v1/topics")).status).toBe(200);
  });

  it("keys tokens by `sub`, whatever address they come from; a token without `sub` by address", async () => {
    const now = NOW;
    const { call } = setup({
      auth: { secret: SECRET },
      quota: { requestsPerSec: 2, produceBytesPerSec: "unlimited" },
    });
    const token = (subject?: string) =>
      signToken({ secret: SECRET, scope: "admin", now, ...(subject === undefined ? {} : { subject }) });
    const as = async (subject: string | undefined, ip: string) => ({
      Authorization: `Bearer ${await token(subject)}`,
      "CF-Connecting-IP": ip,
    });
    const alice = await as("alice", "10.1.0.1");
    const aliceElsewhere = await as("alice", "10.1.0.2");
    expect((await call("GET", "/v1/topics", undefined, alice)).status).toBe(200);
    expect((await call("GET", "/v1/topics", undefined, aliceElsewhere)).status).toBe(200);
    expect((await call("GET", "/v1/topics", undefined, alice)).status).toBe(429);
    // Another subject from alice's own address is served.
    expect((await call("GET", "/v1/topics", undefined, await as("bob", "10.1.0.1"))).status).toBe(200);
    // A subject that looks like an address is not that address.
    const lookalike = await as("10.1.0.9", "10.1.0.8");
    const anonymousAt9 = await as(undefined, "10.1.0.9");
    for (let i = 0; i < 2; i++)
      expect((await call("GET", "/v1/topics", undefined, lookalike)).status).toBe(200);
    expect((await call("GET", "/v1/topics", undefined, lookalike)).status).toBe(429);
    expect((await call("GET", "/v1/topics", undefined, anonymousAt9)).status).toBe(200);
    // A huge `sub` still names one subject (hashed), and only its own.
    const long = await as("x".repeat(5_000), "10.1.0.10");
    for (let i = 0; i < 2; i++) expect((await call("GET", "/v1/topics", undefined, long)).status).toBe(200);
    expect((await call("GET", "/v1/topics", undefined, long)).status).toBe(429);
    expect(
      (await call("GET", "/v1/topics", undefined, await as(`${"x".repeat(4_999)}y`, "10.1.0.10"))).status,
    ).toBe(200);
  });

  it("subjects named like Object.prototype members are ordinary subjects", async () => {
    const { call } = setup({
      auth: { secret: SECRET },
      quota: { requestsPerSec: 1, produceBytesPerSec: "unlimited" },
    });
    for (const subject of ["__proto__", "constructor", "valueOf", "hasOwnProperty"]) {
      const headers = {
        Authorization: `Bearer ${await signToken({ secret: SECRET, scope: "admin", now: NOW, subject })}`,
      };
      expect((await call("GET", "/v1/topics", undefined, headers)).status).toBe(200);
      expect((await call("GET", "/v1/topics", undefined, headers)).status).toBe(429);
    }
  });

  it("`unlimited` from the env turns the request quota off", async () => {
    const { app, createTopic } = setup({});
    await createTopic("t");
    const env = { EDGELOG_QUOTA_REQUESTS_PER_SEC: "unlimited" };
    for (let i = 0; i < 300; i++) {
      const res = await app.request("/v1/topics/t", {}, env);
      expect(res.status).toBe(200);
    }
  });

  it("the env's rate applies when the option gives none", async () => {
    const { app } = setup({});
    const env = { EDGELOG_QUOTA_REQUESTS_PER_SEC: "3" };
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await app.request("/v1/topics", {}, env)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});

describe("produce-bytes quota", () => {
  const body = (bytes: number) => JSON.stringify({ records: [{ value: "v".repeat(bytes - 26) }] });

  it("a refused JSON produce writes nothing; another subject still produces", async () => {
    const { createTopic, call, at, store } = harness({
      requestsPerSec: "unlimited",
      produceBytesPerSec: 1_000,
    });
    await createTopic("t");
    const tp = { topic: "t", partition: 0 };
    const produce = (ip: string, bytes: number) =>
      call("POST", "/v1/topics/t/records", body(bytes), { ...at(ip), "Content-Type": "application/json" });
    expect(body(600).length).toBe(600);
    expect((await produce("10.2.0.1", 600)).status).toBe(200);
    const before = (await store.read(tp, { offset: 0 })).highWatermark;
    const refused = await produce("10.2.0.1", 600);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Retry-After")).toBe("1");
    expect(await errorOf(refused)).toMatchObject({ quota: "bytes", retryAfterMs: 200 });
    expect((await store.read(tp, { offset: 0 })).highWatermark).toBe(before);
    expect((await produce("10.2.0.2", 600)).status).toBe(200);
    expect((await store.read(tp, { offset: 0 })).highWatermark).toBe(before + 1);
  });

  it("a produce larger than the burst is admitted on a full bucket, and the debt is waited out", async () => {
    const { createTopic, call, at, advance } = harness({ produceBytesPerSec: 1_000 });
    await createTopic("t");
    const produce = (bytes: number) =>
      call("POST", "/v1/topics/t/records", body(bytes), {
        ...at("10.2.1.1"),
        "Content-Type": "application/json",
      });
    expect((await produce(3_000)).status).toBe(200);
    const refused = await produce(100);
    expect(refused.status).toBe(429);
    // 2,000 bytes of debt plus the 100 asked: 2.1 s at 1,000 B/s, rounded up to whole seconds in the header.
    expect(await errorOf(refused)).toMatchObject({ retryAfterMs: 2_100 });
    expect(refused.headers.get("Retry-After")).toBe("3");
    advance(2_100);
    expect((await produce(100)).status).toBe(200);
  });

  it("charges binary batches by their size, before the store sees them", async () => {
    const { createTopic, call, at, store } = harness({ requestsPerSec: "unlimited", produceBytesPerSec: 10 });
    await createTopic("t");
    const batch = new Uint8Array(64);
    const res = await call("POST", "/v1/topics/t/partitions/0/batches", batch, {
      ...at("10.2.2.1"),
      "Content-Type": "application/vnd.edgelog.batch",
    });
    // The first is admitted into debt (the bucket was full) and fails as a corrupt batch; the second is throttled.
    expect(res.status).not.toBe(429);
    const again = await call("POST", "/v1/topics/t/partitions/0/batches", batch, {
      ...at("10.2.2.1"),
      "Content-Type": "application/vnd.edgelog.batch",
    });
    expect(again.status).toBe(429);
    expect((await errorOf(again)).quota).toBe("bytes");
    expect((await store.read({ topic: "t", partition: 0 }, { offset: 0 })).highWatermark).toBe(0);
  });

  it("charges /ds appends; a refused append leaves the stream as it was", async () => {
    const { app, env, at } = harness({ requestsPerSec: "unlimited", produceBytesPerSec: 100 });
    const ds = (method: string, headers: Record<string, string> = {}, body: string | null = null) =>
      app.request("/ds/s", { method, headers: { ...at("10.2.3.1"), ...headers }, body }, env);
    expect((await ds("PUT", { "Content-Type": "text/plain" })).status).toBe(201);
    expect((await ds("POST", { "Content-Type": "text/plain" }, "x".repeat(100))).status).toBe(204);
    const next = (await ds("HEAD")).headers.get("Stream-Next-Offset");
    const refused = await ds("POST", { "Content-Type": "text/plain" }, "y".repeat(50));
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Retry-After")).toBe("1");
    expect((await errorOf(refused)).code).toBe("THROTTLING_QUOTA_EXCEEDED");
    expect((await ds("HEAD")).headers.get("Stream-Next-Offset")).toBe(next);
  });

  it("charges a /ds create's initial data; a refused create creates nothing", async () => {
    const { app, env, at } = harness({ requestsPerSec: "unlimited", produceBytesPerSec: 100 });
    const ds = (method: string, path: string, body: string | null = null) =>
      app.request(
        `/ds/${path}`,
        { method, headers: { ...at("10.2.5.1"), "Content-Type": "text/plain" }, body },
        env,
      );
    expect((await ds("PUT", "first", "x".repeat(100))).status).toBe(201);
    const refused = await ds("PUT", "second", "y".repeat(10));
    expect(refused.status).toBe(429);
    expect((await ds("HEAD", "second")).status).toBe(404);
  });

  it("charges /ds requests to the request rate too", async () => {
    const { app, env, at } = harness({ requestsPerSec: 2 });
    const head = () => app.request("/ds/s", { method: "HEAD", headers: at("10.2.4.1") }, env);
    expect((await head()).status).toBe(404);
    expect((await head()).status).toBe(404);
    const refused = await head();
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Retry-After")).toBe("1");
  });
});
