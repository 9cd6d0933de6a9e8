/**
 * Auth end to end: the real Worker under `wrangler dev` with `EDGELOG_JWT_SECRET` configured (and the harness's
 * `EDGELOG_AUTH=none` still passed, which a secret must override). A route of each kind × {no token, expired, bad
 * signature, alg none, wrong right, right}: the documented status, and high watermarks unchanged by every refusal.
 * Also: the default wrangler.toml never opens the Worker.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { signToken } from "@edgelog/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// One way to hand-make tokens `signToken` would refuse to make (expired, badly signed, alg none), shared with the
// in-process matrix.
import { hs256, part } from "../packages/server/test/auth/tokens.ts";
import { type LocalWorker, startLocalWorker } from "./support/local-worker.ts";

const SECRET = "e2e-secret-0123456789-abcdefghijklmnop";

const nowS = () => Math.floor(Date.now() / 1000);
const valid = (scope: string) => signToken({ secret: SECRET, scope, ttlSeconds: 600 });
const variants = async (scope: string): Promise<[string, string | undefined][]> => [
  ["no token", undefined],
  ["expired", await hs256({ alg: "HS256", typ: "JWT" }, { scope, exp: nowS() - 3600 }, SECRET)],
  [
    "bad signature",
    await hs256({ alg: "HS256", typ: "JWT" }, { scope, exp: nowS() + 600 }, "not-the-secret"),
  ],
  ["alg none", `${part({ alg: "none" })}.${part({ scope, exp: nowS() + 600 })}.`],
];

interface Case {
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  readonly contentType?: string;
  readonly right: string;
  readonly ok: number;
  readonly wrong: string;
  readonly refusedWith: string;
}

const json = JSON.stringify;
const CASES: Case[] = [
  {
    method: "POST",
    path: "/v1/topics",
    body: json({ name: "fresh" }),
    right: "admin",
    ok: 201,
    wrong: "produce:*",
    refusedWith: "CLUSTER_AUTHORIZATION_FAILED",
  },
  {
    method: "POST",
    path: "/v1/topics/orders/records",
    body: json({ records: [{ value: "v" }] }),
    right: "produce:orders",
    ok: 200,
    wrong: "consume:orders",
    refusedWith: "TOPIC_AUTHORIZATION_FAILED",
  },
  {
    method: "GET",
    path: "/v1/topics/orders/partitions/0/records",
    right: "consume:ord*",
    ok: 200,
    wrong: "produce:orders",
    refusedWith: "TOPIC_AUTHORIZATION_FAILED",
  },
  {
    method: "POST",
    path: "/v1/topics/orders/partitions/0/delete-records",
    body: json({ beforeOffset: 1 }),
    right: "admin",
    ok: 200,
    wrong: "produce:orders consume:orders",
    refusedWith: "CLUSTER_AUTHORIZATION_FAILED",
  },
  {
    method: "POST",
    path: "/v1/groups/g/heartbeat",
    body: json({ memberId: "m", memberEpoch: 0, topics: ["orders"] }),
    right: "group:g",
    ok: 200,
    wrong: "group:h",
    refusedWith: "GROUP_AUTHORIZATION_FAILED",
  },
  {
    method: "POST",
    path: "/ds/orders",
    body: "x",
    contentType: "text/plain",
    right: "produce:orders",
    ok: 204,
    wrong: "consume:orders",
    refusedWith: "TOPIC_AUTHORIZATION_FAILED",
  },
  {
    method: "DELETE",
    path: "/v1/topics/orders",
    right: "admin",
    ok: 204,
    wrong: "produce:orders consume:orders",
    refusedWith: "CLUSTER_AUTHORIZATION_FAILED",
  },
];

describe("the local Worker with a secret configured", () => {
  let worker: LocalWorker;
  let admin: string;
  const call = (
    method: string,
    path: string,
    bearer?: string,
    body?: string,
    contentType = "application/json",
  ) =>
    fetch(`${worker.url}${path}`, {
      method,
      headers: {
        ...(bearer === undefined ? {} : { Authorization: `Bearer ${bearer}` }),
        ...(body === undefined ? {} : { "Content-Type": contentType }),
      },
      ...(body === undefined ? {} : { body }),
    });

  async function watermarks(): Promise<unknown> {
    const topics = (await (await call("GET", "/v1/topics", admin)).json()) as {
      topics: { name: string; partitions: number }[];
    };
    const marks = [];
    for (const t of topics.topics) {
      for (let p = 0; p < t.partitions; p++) {
        marks.push([
          t.name,
          p,
          await (await call("GET", `/v1/topics/${t.name}/partitions/${p}/offsets`, admin)).json(),
        ]);
      }
    }
    return marks;
  }

  beforeAll(async () => {
    worker = await startLocalWorker({ vars: { EDGELOG_JWT_SECRET: SECRET } });
    admin = await valid("admin");
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
  });

  it("keeps health open and says tokens are enforced", async () => {
    const res = await call("GET", "/v1/health");
    expect(await res.json()).toEqual({ status: "ok", auth: "token" });
  });

  it("answers each route × {no token, expired, bad signature, alg none, wrong right, right} as documented", async () => {
    // `orders` is both a /v1 topic and a Durable Stream (a one-partition topic created through /ds).
    expect((await call("PUT", "/ds/orders", admin, "", "text/plain")).status).toBe(201);
    expect(
      (
        await call(
          "POST",
          "/v1/topics/orders/records",
          admin,
          json({ records: [{ value: "a" }, { value: "b" }] }),
        )
      ).status,
    ).toBe(200);
    for (const c of CASES) {
      const send = (bearer?: string) => call(c.method, c.path, bearer, c.body, c.contentType);
      const before = await watermarks();
      for (const [what, bearer] of await variants(c.right)) {
        const res = await send(bearer);
        expect(res.status, `${c.method} ${c.path}: ${what}`).toBe(401);
        expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer /);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("AUTHENTICATION_FAILED");
      }
      const refused = await send(await valid(c.wrong));
      expect(refused.status, `${c.method} ${c.path}: wrong right`).toBe(403);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(c.refusedWith);
      expect(await watermarks(), `${c.method} ${c.path}: nothing written`).toEqual(before);
      const allowed = await send(await valid(c.right));
      expect(allowed.status, `${c.method} ${c.path}: right`).toBe(c.ok);
    }
  });
});

it("ships a wrangler.toml that never opens the Worker (EDGELOG_AUTH is only ever passed by npm start)", async () => {
  const toml = await readFile(resolve(import.meta.dirname, "..", "wrangler.toml"), "utf8");
  expect(toml).not.toMatch(/^\s*EDGELOG_AUTH\s*=/m);
  const start = await readFile(resolve(import.meta.dirname, "..", "scripts", "start.ts"), "utf8");
  expect(start).toContain('"EDGELOG_AUTH:none"');
});
