/**
 * Connections end with the token that opened them: long-polls (JSON fetch, binary fetch, `/v1/wait`, `/ds`) wait
 * no longer than the token has left, and live tails (SSE on /v1 and /ds) end when it expires, so a user whose
 * short-lived token is no longer refreshed stops reading. Waits are checked by what the store was asked for
 * (counted, not timed).
 */
import { DEFAULT_TOPIC_CONFIG, MemoryStore, type ReadOptions, type TopicPartition } from "@edgelog/core";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "../../src/app.ts";
import { CLOCK_SKEW_SECONDS } from "../../src/auth/jwt.ts";
import { signToken } from "../../src/auth/sign.ts";
import { SECRET } from "./tokens.ts";

const TOKEN_TTL_S = 10;
/** How long the token has left (skew included) when each test's request arrives: room for a loaded machine. */
const LEFT_MS = 1_000;

/** A store that records the `maxWaitMs` of every read it is asked for. */
class RecordingStore extends MemoryStore {
  readonly waits: number[] = [];
  override read(tp: TopicPartition, options: ReadOptions) {
    this.waits.push(options.maxWaitMs ?? 0);
    return super.read(tp, options);
  }
}

function setup() {
  // The app's clock runs in real time, shifted so the token minted "now" has LEFT_MS left.
  const issuedAt = 1_764_000_000_000;
  const shift = issuedAt + (TOKEN_TTL_S + CLOCK_SKEW_SECONDS) * 1000 - LEFT_MS - Date.now();
  const now = () => Date.now() + shift;
  const store = new RecordingStore({ now });
  const app = createApp({ auth: { secret: SECRET }, store: () => store, now, sseKeepAliveMs: 60_000 });
  const bearer = async (scope: string) =>
    `Bearer ${await signToken({ secret: SECRET, scope, ttlSeconds: TOKEN_TTL_S, now: issuedAt })}`;
  const call = async (method: string, path: string, scope: string, init: RequestInit = {}) =>
    app.request(path, {
      method,
      ...init,
      headers: { Authorization: await bearer(scope), ...(init.headers as Record<string, string>) },
    });
  return { app, store, call, issuedAt };
}

let open: Response[] = [];
afterEach(async () => {
  for (const res of open) await res.body?.cancel().catch(() => undefined);
  open = [];
});

describe("a token's session bounds its connections", () => {
  it("shortens a JSON long-poll to what the token has left", async () => {
    const { store, call } = setup();
    await store.createTopic({ name: "orders", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    const res = await call(
      "GET",
      "/v1/topics/orders/partitions/0/records?offset=0&wait=30000",
      "consume:orders",
    );
    expect(res.status).toBe(200);
    expect(store.waits).toHaveLength(1);
    expect(store.waits[0]).toBeGreaterThan(0);
    expect(store.waits[0]).toBeLessThanOrEqual(LEFT_MS);
  });

  it("shortens a binary long-poll", async () => {
    const { store, call } = setup();
    await store.createTopic({ name: "orders", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    const binary = await call(
      "GET",
      "/v1/topics/orders/partitions/0/batches?offset=0&wait=30000",
      "consume:orders",
    );
    expect(binary.status).toBe(200);
    await binary.arrayBuffer();
    expect(store.waits).toHaveLength(1);
    expect(store.waits[0]).toBeLessThanOrEqual(LEFT_MS);
  });

  it("shortens /v1/wait", async () => {
    const { store, call } = setup();
    await store.createTopic({ name: "orders", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    const wait = await call("POST", "/v1/wait", "consume:orders", {
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ partitions: [{ topic: "orders", partition: 0, offset: 0 }], wait: 30_000 }),
    });
    expect(wait.status).toBe(200);
    expect(store.waits).toHaveLength(1);
    expect(store.waits[0]).toBeLessThanOrEqual(LEFT_MS);
  });

  it("ends an SSE tail with AUTHENTICATION_FAILED when the token expires", async () => {
    const { store, call } = setup();
    await store.createTopic({ name: "orders", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    const res = await call("GET", "/v1/topics/orders/partitions/0/records?offset=0", "consume:orders", {
      headers: { Accept: "text/event-stream" },
    });
    open.push(res);
    expect(res.status).toBe(200);
    const text = await res.text(); // ends by itself: the keep-alive (60 s) is far beyond the token
    expect(text).toContain("event: error");
    const data = text.split("\n").find((line) => line.startsWith("data: "));
    const body = JSON.parse(data?.slice("data: ".length) ?? "{}") as { error: { code: string } };
    expect(body.error.code).toBe("AUTHENTICATION_FAILED");
    for (const waited of store.waits) expect(waited).toBeLessThanOrEqual(LEFT_MS);
  });

  it("keeps an SSE tail open while the token is valid (a control: the bound is the token, not the stream)", async () => {
    const { app, store, issuedAt } = setup();
    await store.createTopic({ name: "orders", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    const longLived = await signToken({
      secret: SECRET,
      scope: "consume:orders",
      ttlSeconds: 3600,
      now: issuedAt,
    });
    const res = await app.request("/v1/topics/orders/partitions/0/records?offset=0", {
      headers: { Accept: "text/event-stream", Authorization: `Bearer ${longLived}` },
    });
    open.push(res);
    expect(res.status).toBe(200);
    // The first wait is the keep-alive interval, not a sliver of a session.
    await expect.poll(() => store.waits.length).toBeGreaterThan(0);
    expect(store.waits[0]).toBe(60_000);
  });

  it("bounds a /ds long-poll by the token", async () => {
    const { store, call } = setup();
    const created = await call("PUT", "/ds/feed", "produce:feed", {
      headers: { "Content-Type": "text/plain" },
    });
    expect(created.status).toBe(201);
    const longPoll = await call("GET", "/ds/feed?offset=now&live=long-poll", "consume:feed");
    expect([200, 204]).toContain(longPoll.status);
    await longPoll.arrayBuffer();
    expect(store.waits.length).toBeGreaterThan(0);
    for (const waited of store.waits) expect(waited).toBeLessThanOrEqual(LEFT_MS);
  });

  it("ends a /ds SSE connection when the token expires", async () => {
    const { store, call } = setup();
    const created = await call("PUT", "/ds/feed", "produce:feed", {
      headers: { "Content-Type": "text/plain" },
    });
    expect(created.status).toBe(201);
    const sse = await call("GET", "/ds/feed?offset=now&live=sse", "consume:feed");
    open.push(sse);
    expect(sse.status).toBe(200);
    // Ends by itself once the token has expired (the connection lifetime default is 60 s).
    const text = await sse.text();
    expect(text).toContain("event: control");
    for (const waited of store.waits) expect(waited).toBeLessThanOrEqual(LEFT_MS);
  });
});
