/**
 * Auth end to end: the real Worker under `wrangler dev` with `EDGELOG_JWT_SECRET` configured (and the harness's
 * `EDGELOG_AUTH=none` still passed, which a secret must override). Every route of the rights table × {no token,
 * expired, bad signature, alg none, wrong right, right} (the in-process matrix's cases): the documented status, and
 * nothing — topics, high watermarks, groups, committed offsets — changed by a refusal.
 * Also: the default wrangler.toml never opens the Worker.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { signToken } from "@edgelog/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// One way to hand-make tokens `signToken` would refuse to make (expired, badly signed, alg none), shared with the
// in-process matrix.
import {
  checkRouteCase,
  type RouteCase,
  routeCases,
  seedRoute,
  snapshotApi,
  type TokenMaker,
} from "../packages/server/test/auth/route-cases.ts";
import { hs256, part } from "../packages/server/test/auth/tokens.ts";
import { type LocalWorker, startLocalWorker } from "./support/local-worker.ts";

const SECRET = "e2e-secret-0123456789-abcdefghijklmnop";

const nowS = () => Math.floor(Date.now() / 1000);
const TOKENS: TokenMaker = {
  valid: (scope) => signToken({ secret: SECRET, scope, ttlSeconds: 600 }),
  expired: (scope) => hs256({ alg: "HS256", typ: "JWT" }, { scope, exp: nowS() - 3600 }, SECRET),
  badSignature: (scope) =>
    hs256({ alg: "HS256", typ: "JWT" }, { scope, exp: nowS() + 600 }, "not-the-secret"),
  algNone: (scope) => `${part({ alg: "none" })}.${part({ scope, exp: nowS() + 600 })}.`,
};

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

  beforeAll(async () => {
    worker = await startLocalWorker({ vars: { EDGELOG_JWT_SECRET: SECRET } });
    admin = await TOKENS.valid("admin");
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
  });

  it("keeps health open and says tokens are enforced", async () => {
    const res = await call("GET", "/v1/health");
    expect(await res.json()).toEqual({ status: "ok", auth: "token" });
  });

  it("answers every route × {no token, expired, bad signature, alg none, wrong right, right} as documented", async () => {
    // The in-process matrix's cases, each over resources of its own (a case may delete what it acts on).
    const cases = routeCases({ topic: "orders", group: "g", stream: "s", fresh: "fresh" });
    // Four at a time: each case acts on its own names, so they cannot see each other's writes.
    const run = async (i: number) => {
      const names = { topic: `orders${i}`, group: `g${i}`, stream: `s${i}`, fresh: `fresh${i}` };
      const c = routeCases(names)[i] as RouteCase;
      expect(c.route).toBe(cases[i]?.route);
      await seedRoute(call, admin, names);
      await checkRouteCase(c, call, TOKENS, () => snapshotApi(call, admin, names));
    };
    const LANES = 4;
    await Promise.all(
      Array.from({ length: LANES }, async (_, lane) => {
        for (let i = lane; i < cases.length; i += LANES) await run(i);
      }),
    );
  }, 240_000);
});

it("ships a wrangler.toml that never opens the Worker (EDGELOG_AUTH is only ever passed by npm start)", async () => {
  const toml = await readFile(resolve(import.meta.dirname, "..", "wrangler.toml"), "utf8");
  expect(toml).not.toMatch(/^\s*EDGELOG_AUTH\s*=/m);
  const start = await readFile(resolve(import.meta.dirname, "..", "scripts", "start.ts"), "utf8");
  expect(start).toContain('"EDGELOG_AUTH:none"');
});
