/**
 * Quotas end to end: the real Worker under `wrangler dev` with tokens enforced and small configured limits, so the
 * QuotaObject binding, its migration and the Worker's lease gate are the deployed ones. One token's subject is
 * refused with 429 THROTTLING_QUOTA_EXCEEDED and a Retry-After once over its request rate while another subject
 * is served; a produce over the byte quota is refused without writing.
 */
import { signToken } from "@edgelog/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalWorker, startLocalWorker } from "./support/local-worker.ts";

const SECRET = "quota-e2e-secret-0123456789-abcdefghijkl";
const SCOPE = "admin produce:* consume:*";

let worker: LocalWorker;

beforeAll(async () => {
  worker = await startLocalWorker({
    vars: {
      EDGELOG_JWT_SECRET: SECRET,
      EDGELOG_QUOTA_REQUESTS_PER_SEC: "5",
      EDGELOG_QUOTA_PRODUCE_BYTES_PER_SEC: "1000",
    },
  });
});

afterAll(async () => {
  await worker?.stop();
});

const tokenFor = (subject: string) => signToken({ secret: SECRET, scope: SCOPE, subject, ttlSeconds: 600 });

async function call(subject: string, method: string, path: string, body?: string): Promise<Response> {
  return fetch(`${worker.url}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${await tokenFor(subject)}`,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    ...(body === undefined ? {} : { body }),
  });
}

/** A call that waits out 429s as a client should, for the bookkeeping around the assertions. */
async function patiently(subject: string, method: string, path: string, body?: string): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const res = await call(subject, method, path, body);
    if (res.status !== 429 || attempt >= 10) return res;
    await new Promise((r) => setTimeout(r, Number(res.headers.get("Retry-After")) * 1000));
  }
}

async function highWatermark(topic: string): Promise<number> {
  const res = await patiently("ops", "GET", `/v1/topics/${topic}/partitions/0/offsets`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { highWatermark: number }).highWatermark;
}

describe("quotas through wrangler dev", () => {
  it("throttles one subject over its request rate while another is served", async () => {
    expect((await patiently("ops", "POST", "/v1/topics", JSON.stringify({ name: "rates" }))).status).toBe(
      201,
    );
    let refused: Response | undefined;
    let served = 0;
    for (let i = 0; i < 60 && refused === undefined; i++) {
      const res = await call("alice", "GET", "/v1/topics/rates");
      if (res.status === 429) refused = res;
      else {
        expect(res.status).toBe(200);
        served++;
      }
    }
    expect(refused, "alice was never throttled").toBeDefined();
    if (refused === undefined) return;
    expect(served).toBeGreaterThanOrEqual(5);
    const retryAfter = Number(refused.headers.get("Retry-After"));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true);
    const { error } = (await refused.json()) as { error: Record<string, unknown> };
    expect(error).toMatchObject({ code: "THROTTLING_QUOTA_EXCEEDED", quota: "requests" });
    expect(error.retryAfterMs).toBeGreaterThan(0);
    // Bob's quota is his own.
    expect((await call("bob", "GET", "/v1/topics/rates")).status).toBe(200);
    // Health is never charged, even for a throttled caller.
    expect((await call("alice", "GET", "/v1/health")).status).toBe(200);
  });

  it("refuses a produce over the byte quota without writing it", async () => {
    expect((await patiently("ops", "POST", "/v1/topics", JSON.stringify({ name: "bytes" }))).status).toBe(
      201,
    );
    const body = JSON.stringify({ records: [{ value: "x".repeat(3_000) }] });
    // Over the 1,000-byte burst: admitted on the full bucket, leaving 2 s of debt.
    expect((await call("carol", "POST", "/v1/topics/bytes/records", body)).status).toBe(200);
    const before = await highWatermark("bytes");
    expect(before).toBe(1);
    const refused = await call("carol", "POST", "/v1/topics/bytes/records", body);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
    expect(((await refused.json()) as { error: { quota: string } }).error.quota).toBe("bytes");
    expect(await highWatermark("bytes")).toBe(before);
    // Dave's bytes are his own.
    expect((await call("dave", "POST", "/v1/topics/bytes/records", body)).status).toBe(200);
    expect(await highWatermark("bytes")).toBe(before + 1);
  });

  it("refuses a /ds append over the byte quota with the protocol's CORS and a Retry-After, appending nothing", async () => {
    const token = await tokenFor("erin");
    const ds = (method: string, body?: string) =>
      fetch(`${worker.url}/ds/quota-stream`, {
        method,
        headers: {
          Authorization: `Bearer ${token}`,
          "Content-Type": "text/plain",
          Origin: "https://app.example",
        },
        ...(body === undefined ? {} : { body }),
      });
    expect((await ds("PUT")).status).toBe(201);
    expect((await ds("POST", "x".repeat(3_000))).status).toBe(204);
    const next = (await ds("HEAD")).headers.get("Stream-Next-Offset");
    const refused = await ds("POST", "y".repeat(100));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get("Access-Control-Expose-Headers")).toContain("Retry-After");
    expect(((await refused.json()) as { error: { quota: string } }).error.quota).toContain("bytes");
    expect((await ds("HEAD")).headers.get("Stream-Next-Offset")).toBe(next);
  });
});
