// A throttled client against the real server app in-process: 429s carry `retryAfterMs` (from the body, or from
// `Retry-After` when a proxy answered without one), the idempotent producer waits them out and every record is
// stored exactly once.
import { DEFAULT_TOPIC_CONFIG, EdgeLog, MemoryStore } from "@edgelog/core";
import { expectEdgeLogError, readAll } from "@edgelog/core/testing";
import { createApp } from "@edgelog/server";
import { describe, expect, it } from "vitest";
import { errorFromResponse, retryAfterHeaderMs } from "../src/http-errors.ts";
import { HttpLogStore } from "../src/index.ts";

describe("Retry-After", () => {
  it("reads delay-seconds and HTTP dates; anything else is no hint", () => {
    expect(retryAfterHeaderMs("3")).toBe(3_000);
    expect(retryAfterHeaderMs(" 0 ")).toBe(0);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterHeaderMs("Thu, 01 Jan 2026 00:00:05 GMT", now)).toBe(5_000);
    expect(retryAfterHeaderMs("Wed, 31 Dec 2025 23:59:00 GMT", now)).toBe(0);
    expect(retryAfterHeaderMs(null)).toBeUndefined();
    expect(retryAfterHeaderMs("soon")).toBeUndefined();
    expect(retryAfterHeaderMs("-1")).toBeUndefined();
  });

  it("keeps the body's exact retryAfterMs, and fills it from the header when the body has none", async () => {
    const body = (error: object) =>
      JSON.stringify({ error: { code: "THROTTLING_QUOTA_EXCEEDED", message: "m", ...error } });
    const exact = await errorFromResponse(
      new Response(body({ retryAfterMs: 1_234 }), { status: 429, headers: { "Retry-After": "2" } }),
    );
    expect(exact).toMatchObject({ retriable: true, context: { retryAfterMs: 1_234 } });
    const fromHeader = await errorFromResponse(
      new Response(body({}), { status: 429, headers: { "Retry-After": "2" } }),
    );
    expect(fromHeader.context.retryAfterMs).toBe(2_000);
  });
});

describe("a throttled producer", () => {
  it("waits out 429s and stores every record exactly once", async () => {
    const memory = new MemoryStore();
    await memory.createTopic({ name: "t", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    const app = createApp({
      auth: "none",
      store: () => memory,
      quota: { requestsPerSec: 20, produceBytesPerSec: "unlimited" },
    });
    const env = {};
    const statuses: number[] = [];
    const store = new HttpLogStore({
      url: "http://edgelog.test",
      fetch: async (input, init) => {
        const res = await app.fetch(new Request(input, init), env);
        statuses.push(res.status);
        return res;
      },
    });
    const log = new EdgeLog({ store });
    const producer = log.producer({ retry: { retries: 20, initialRetryTime: 1, maxRetryTime: 2_000 } });
    const sends = 40;
    for (let i = 0; i < sends; i++) await producer.send({ topic: "t", messages: [{ value: `m${i}` }] });
    const stored = (await readAll(memory, { topic: "t", partition: 0 })).map((r) =>
      new TextDecoder().decode(r.value ?? new Uint8Array()),
    );
    expect(stored).toEqual(Array.from({ length: sends }, (_, i) => `m${i}`));
    const throttled = statuses.filter((s) => s === 429).length;
    // 40 sends at 20/s with a burst of 20 must have been throttled; waiting the server's time (not the 1 ms
    // backoff) means about one 429 per send beyond the burst, not a storm of them.
    expect(throttled).toBeGreaterThan(0);
    expect(throttled).toBeLessThanOrEqual(sends);
    await store.close();
  });

  it("surfaces THROTTLING_QUOTA_EXCEEDED, retriable, when retries run out", async () => {
    const app = createApp({ auth: "none", store: () => new MemoryStore(), quota: { requestsPerSec: 1 } });
    const env = {};
    const store = new HttpLogStore({
      url: "http://edgelog.test",
      fetch: async (input, init) => app.fetch(new Request(input, init), env),
    });
    await store.listTopics();
    const error = await expectEdgeLogError(store.listTopics(), "THROTTLING_QUOTA_EXCEEDED");
    expect(error.retriable).toBe(true);
    expect(error.context.retryAfterMs).toBeGreaterThan(0);
    await store.close();
  });
});
