/**
 * Every route of the rights table × {no token, expired, bad signature, alg none, wrong right, right} over the app
 * in Node with a secret configured: the documented status, and nothing written by a refused request.
 */
import { MemoryStore, type TopicPartition } from "@edgelog/core";
import { type PartitionReplication, planElection } from "@edgelog/core/store-kit";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { ROUTE_RIGHTS } from "../../src/auth/rights.ts";
import {
  checkRouteCase,
  type RouteCase,
  routeCases,
  seedRoute,
  snapshotApi,
  type TokenMaker,
} from "./route-cases.ts";
import { algNone, badSignature, expired, NOW_MS, SECRET, token } from "./tokens.ts";

const json = (value: unknown) => JSON.stringify(value);
const NAMES = { topic: "orders", group: "g", stream: "s", fresh: "fresh" };
const TP0 = `/v1/topics/${NAMES.topic}/partitions/0`;
/** The fault switch exists only with `EDGELOG_FAULTS=true` (a development variable), so only this run has it. */
const FAULTS_CASE: RouteCase = {
  method: "PUT",
  route: "/v1/faults/regions/:region",
  path: "/v1/faults/regions/weur",
  body: json({ unreachable: true }),
  right: "admin",
  ok: 200,
  wrong: "produce:* consume:* group:*",
  refusedWith: "CLUSTER_AUTHORIZATION_FAILED",
};
/** Elections need a store with replicas: the stand-in below has one for "orders". */
const ELECT_CASE: RouteCase = {
  method: "POST",
  route: "/v1/topics/:topic/partitions/:partition/elect",
  path: `${TP0}/elect`,
  body: json({ region: "weur" }),
  right: "admin",
  ok: 200,
  wrong: `produce:${NAMES.topic} consume:${NAMES.topic}`,
  refusedWith: "CLUSTER_AUTHORIZATION_FAILED",
};
const CASES = [...routeCases(NAMES), FAULTS_CASE, ELECT_CASE];
const ENV = { EDGELOG_FAULTS: "true" };

/** A store with the fault switch a Durable Object store has, standing in for one with regions. */
class FaultSwitchMemoryStore extends MemoryStore {
  readonly cut = new Set<string>();
  setRegionUnreachable(region: string, unreachable: boolean): void {
    if (unreachable) this.cut.add(region);
    else this.cut.delete(region);
  }
  unreachableRegions(): string[] {
    return [...this.cut];
  }
  setRegionLatency(): void {}
  setReplicationDropped(): void {}
  regionFaults(region: string) {
    return { unreachable: this.cut.has(region), latencyMs: 0, dropReplication: false };
  }
  /** Leadership of every partition, as a controller would record it: wnam leads until an election. */
  readonly leaders = new Map<string, string>();
  async electLeader(tp: TopicPartition, region: string): Promise<PartitionReplication> {
    const key = `${tp.topic}/${tp.partition}`;
    const replicas = ["wnam", "weur", "apac"];
    const next = planElection(
      tp,
      { leader: this.leaders.get(key) ?? "wnam", replicas, isr: replicas, leaderEpoch: 0 },
      region,
    );
    this.leaders.set(key, next.leader);
    return next;
  }
}
const TOKENS: TokenMaker = { valid: token, expired, badSignature, algNone };

async function setup() {
  const store = new FaultSwitchMemoryStore({ now: () => NOW_MS });
  const app = createApp({ store: () => store, now: () => NOW_MS, random: () => 0, auth: { secret: SECRET } });
  const admin = await token("admin");
  const call = (
    method: string,
    path: string,
    bearer?: string,
    body?: string,
    contentType = "application/json",
  ) =>
    app.request(
      path,
      {
        method,
        headers: {
          ...(bearer === undefined ? {} : { Authorization: `Bearer ${bearer}` }),
          ...(body === undefined && method !== "PUT" ? {} : { "Content-Type": contentType }),
        },
        ...(body === undefined ? {} : { body }),
      },
      ENV,
    );
  await seedRoute(call, admin, NAMES);
  const snapshot = () => snapshotApi(call, admin, NAMES);
  return { app, call, snapshot };
}

describe("authentication and rights, route by route", () => {
  it("covers every route of the rights table", () => {
    const covered = new Set(CASES.map((c) => `${c.method} ${c.route}`));
    // Health is open and whoami takes any valid token: no right to lack, each tested on its own below.
    const ownTests = new Set(["GET /v1/health", "GET /v1/whoami"]);
    for (const key of ROUTE_RIGHTS.keys()) if (!ownTests.has(key)) expect(covered).toContain(key);
  });

  for (const c of CASES) {
    it(`${c.method} ${c.path} (${c.right})`, async () => {
      const { call, snapshot } = await setup();
      await checkRouteCase(c, call, TOKENS, snapshot);
    });
  }

  it("keeps GET /v1/health open, whatever is sent", async () => {
    const { call } = await setup();
    for (const bearer of [undefined, "garbage", algNone("admin")]) {
      const res = await call("GET", "/v1/health", bearer);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: "ok", auth: "token" });
    }
  });

  it("answers GET /v1/whoami to any valid token with that token's subject, granted scopes and expiry", async () => {
    const { call } = await setup();
    for (const bearer of [undefined, await expired("admin"), await badSignature("admin"), algNone("admin")]) {
      const refused = await call("GET", "/v1/whoami", bearer);
      expect(refused.status).toBe(401);
      expect((await refused.json()).error.code).toBe("AUTHENTICATION_FAILED");
    }
    const expiresAt = NOW_MS + 600_000;
    const narrow = await call(
      "GET",
      "/v1/whoami",
      await token("consume:orders openid produce:logs.* consume:orders"),
    );
    expect(narrow.status).toBe(200);
    expect(await narrow.json()).toEqual({
      subject: "tester",
      auth: "token",
      admin: false,
      // Unknown words (openid) are not rights; a repeated one is listed once.
      rights: ["consume:orders", "produce:logs.*"],
      expiresAt,
    });
    // No right at all is still a valid token: it may ask who it is.
    const empty = await call("GET", "/v1/whoami", await token(""));
    expect(await empty.json()).toMatchObject({ admin: false, rights: [] });
    const admin = await call("GET", "/v1/whoami", await token("admin group:g"));
    expect(await admin.json()).toMatchObject({ admin: true, rights: ["admin", "group:g"] });
    // Names are data: a scope on `__proto__` comes back as the string it is.
    const proto = await call("GET", "/v1/whoami", await token("consume:__proto__ group:constructor"));
    expect((await proto.json()).rights).toEqual(["consume:__proto__", "group:constructor"]);
  });

  it("answers GET /v1/whoami on an open deployment with every right and no subject or expiry", async () => {
    const app = createApp({ store: () => new MemoryStore(), auth: "none" });
    const res = await app.request("/v1/whoami");
    expect(await res.json()).toEqual({
      subject: null,
      auth: "none",
      admin: true,
      rights: ["admin"],
      expiresAt: null,
    });
  });

  it("takes ?access_token= on GET reads only", async () => {
    const { call, snapshot } = await setup();
    const consume = await token("consume:orders produce:orders");
    expect((await call("GET", `${TP0}/records?access_token=${consume}`)).status).toBe(200);
    expect((await call("GET", `/ds/s?offset=-1&access_token=${await token("consume:s")}`)).status).toBe(200);
    const before = await snapshot();
    const post = await call(
      "POST",
      `/v1/topics/orders/records?access_token=${consume}`,
      undefined,
      json({ records: [{ value: "x" }] }),
    );
    expect(post.status).toBe(401);
    expect(await snapshot()).toEqual(before);
  });

  it("checks consume on every topic a commit or a wait names", async () => {
    const { call, snapshot } = await setup();
    const before = await snapshot();
    const member = json({
      memberId: "m",
      memberEpoch: 1,
      offsets: [{ topic: "orders", partition: 0, offset: 2 }],
    });
    const commit = await call("POST", "/v1/groups/g/offsets", await token("group:g consume:other"), member);
    expect(commit.status).toBe(403);
    expect((await commit.json()).error).toMatchObject({
      code: "TOPIC_AUTHORIZATION_FAILED",
      topic: "orders",
    });
    // Refused before the store is asked: an unknown topic answers 403, not 404.
    const unknown = json({
      memberId: "m",
      memberEpoch: 1,
      offsets: [{ topic: "hidden", partition: 0, offset: 0 }],
    });
    const probe = await call("POST", "/v1/groups/g/offsets", await token("group:g"), unknown);
    expect(probe.status).toBe(403);
    const wait = json({
      partitions: [
        { topic: "orders", partition: 0, offset: 0 },
        { topic: "secret", partition: 0, offset: 0 },
      ],
    });
    const waited = await call("POST", "/v1/wait", await token("consume:orders"), wait);
    expect(waited.status).toBe(403);
    expect((await waited.json()).error).toMatchObject({
      code: "TOPIC_AUTHORIZATION_FAILED",
      topic: "secret",
    });
    expect(await snapshot()).toEqual(before);
  });

  it("refuses a malformed Authorization header", async () => {
    const { app } = await setup();
    const good = await token("consume:orders");
    for (const header of ["Basic abc", "Bearer", "Bearer ", `Bearer ${good} x`, good, `Bearer ${good}.`]) {
      const res = await app.request(`${TP0}/records`, { headers: { Authorization: header } });
      expect(res.status, header).toBe(401);
    }
    const lower = await app.request(`${TP0}/records`, { headers: { Authorization: `bearer ${good}` } });
    expect(lower.status).toBe(200);
  });
});

describe("auth and CORS", () => {
  it("answers a preflight without a token, and puts CORS headers on a 401", async () => {
    const app = createApp({ store: () => new MemoryStore(), auth: { secret: SECRET } });
    const env = { ALLOWED_ORIGINS: "https://app.example" };
    const origin = "https://app.example";
    const preflight = await app.request(
      "/v1/topics/orders/records",
      {
        method: "OPTIONS",
        headers: {
          Origin: origin,
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "authorization",
        },
      },
      env,
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("Access-Control-Allow-Headers")).toMatch(/authorization/i);
    for (const path of ["/v1/topics", "/ds/s"]) {
      const refused = await app.request(path, { headers: { Origin: origin } }, env);
      expect(refused.status).toBe(401);
      expect(refused.headers.get("Access-Control-Allow-Origin")).toBe(origin);
    }
  });
});

describe("secure by default", () => {
  const store = () => new MemoryStore({ now: () => NOW_MS });
  const request = (env: Record<string, string>, path = "/v1/topics") =>
    createApp({ store, now: () => NOW_MS }).request(path, {}, env);

  it("answers 401 saying how to configure auth when nothing is configured", async () => {
    for (const path of [
      "/v1/topics",
      "/v1/groups",
      "/v1/topics/x/partitions/0/records",
      "/v1/nowhere",
      "/ds/s",
    ]) {
      const res = await request({}, path);
      expect(res.status, path).toBe(401);
      expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer /);
      expect((await res.json()).error.message).toMatch(/EDGELOG_JWT_SECRET.*EDGELOG_AUTH=none/);
    }
    const health = await request({}, "/v1/health");
    expect(await health.json()).toEqual({ status: "ok", auth: "unconfigured" });
  });

  it("runs open only with EDGELOG_AUTH=none and neither a secret nor a JWKS", async () => {
    expect((await request({ EDGELOG_AUTH: "none" })).status).toBe(200);
    expect(await (await request({ EDGELOG_AUTH: "none" }, "/v1/health")).json()).toEqual({
      status: "ok",
      auth: "none",
    });
    expect((await request({ EDGELOG_AUTH: "yes" })).status).toBe(401);
    expect((await request({ EDGELOG_AUTH: "none", EDGELOG_JWT_SECRET: SECRET })).status).toBe(401);
    expect(
      (await request({ EDGELOG_AUTH: "none", EDGELOG_JWKS_URL: "https://idp.example/jwks" })).status,
    ).toBe(401);
  });

  it("verifies tokens with the env's secret", async () => {
    const app = createApp({ store, now: () => NOW_MS });
    const env = { EDGELOG_JWT_SECRET: SECRET };
    const res = await app.request(
      "/v1/topics",
      { headers: { Authorization: `Bearer ${await token("admin")}` } },
      env,
    );
    expect(res.status).toBe(200);
    const other = { EDGELOG_JWT_SECRET: "a-different-secret" };
    const refused = await app.request(
      "/v1/topics",
      { headers: { Authorization: `Bearer ${await token("admin")}` } },
      other,
    );
    expect(refused.status).toBe(401);
  });

  it("lets createApp({ auth }) override the env", async () => {
    const open = createApp({ store, auth: "none" });
    expect((await open.request("/v1/topics", {}, { EDGELOG_JWT_SECRET: SECRET })).status).toBe(200);
    const locked = createApp({ store, auth: {} });
    expect((await locked.request("/v1/topics", {}, { EDGELOG_AUTH: "none" })).status).toBe(401);
  });
});
