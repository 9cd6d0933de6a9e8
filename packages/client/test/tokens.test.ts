// The `token` option against the real server app with a secret: tokens sent as bearer, refreshed before they
// expire, a 401 retried once with a fresh token, and a token that stays bad surfacing as AUTHENTICATION_FAILED.
import { DEFAULT_TOPIC_CONFIG, EdgeLog, MemoryStore } from "@edgelog/core";
import { expectEdgeLogError } from "@edgelog/core/testing";
import { createApp, signToken } from "@edgelog/server";
import { describe, expect, it } from "vitest";
import { HttpLogStore } from "../src/index.ts";
import { expiryMs, TokenSource } from "../src/token-source.ts";

const SECRET = "client-test-secret-of-enough-length-0123";
const TP = { topic: "orders", partition: 0 };

/** A token valid now for `ttlSeconds`, or already expired (beyond the server's 60 s skew) when negative. */
function mint(ttlSeconds: number, scope = "admin"): Promise<string> {
  return ttlSeconds > 0
    ? signToken({ secret: SECRET, scope, ttlSeconds })
    : signToken({ secret: SECRET, scope, ttlSeconds: 1, now: Date.now() + (ttlSeconds - 120) * 1000 });
}

function setup() {
  const memory = new MemoryStore();
  const app = createApp({ store: () => memory, auth: { secret: SECRET } });
  const env = {};
  const seen = { requests: 0, unauthorized: 0, authorizations: [] as (string | null)[] };
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const request = new Request(input, init);
    seen.requests++;
    seen.authorizations.push(request.headers.get("authorization"));
    const response = await app.fetch(request, env);
    if (response.status === 401) seen.unauthorized++;
    return response;
  };
  return { memory, fetch, seen };
}

describe("HttpLogStore token option", () => {
  it("answers 401 AUTHENTICATION_FAILED without a token", async () => {
    const { fetch } = setup();
    const store = new HttpLogStore({ url: "http://edgelog.test", fetch });
    const error = await expectEdgeLogError(store.listTopics(), "AUTHENTICATION_FAILED");
    expect(error.retriable).toBe(false);
  });

  it("sends a string token as bearer on every request", async () => {
    const { fetch, seen } = setup();
    const token = await mint(600);
    const store = new HttpLogStore({ url: "http://edgelog.test", fetch, token });
    await store.createTopic({ name: "orders", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    expect(await store.listTopics()).toHaveLength(1);
    expect(seen.authorizations).toEqual([`Bearer ${token}`, `Bearer ${token}`]);
  });

  it("reuses a function's token until it is within 30 s of exp, then fetches a new one before use", async () => {
    const { fetch, seen } = setup();
    const tokens = [await mint(20), await mint(600), await mint(600)];
    let calls = 0;
    const store = new HttpLogStore({
      url: "http://edgelog.test",
      fetch,
      token: () => tokens[calls++] as string,
    });
    await store.createTopic({ name: "orders", partitions: 1, config: DEFAULT_TOPIC_CONFIG }); // the 20 s token: fetched, used
    await store.listTopics(); // within 30 s of exp: replaced before the request
    await store.listTopics(); // the 600 s token: reused
    expect(calls).toBe(2);
    expect(seen.unauthorized).toBe(0);
    expect(seen.authorizations).toEqual([
      `Bearer ${tokens[0]}`,
      `Bearer ${tokens[1]}`,
      `Bearer ${tokens[1]}`,
    ]);
  });

  it("retries a 401 once with a fresh token (an expired one refreshed)", async () => {
    const { fetch, seen, memory } = setup();
    const tokens = [await mint(-1), await mint(600)];
    let calls = 0;
    const log = new EdgeLog({
      store: new HttpLogStore({
        url: "http://edgelog.test",
        fetch,
        token: async () => tokens[calls++] as string,
      }),
    });
    await memory.createTopic({ name: "orders", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    await log.producer().send({ topic: "orders", messages: [{ key: "k", value: "v" }] });
    expect(calls).toBe(2);
    expect(seen.unauthorized).toBe(1);
    expect((await memory.offsets(TP)).highWatermark).toBe(1); // written exactly once
  });

  it("surfaces AUTHENTICATION_FAILED, not retriable, when the fresh token is refused too", async () => {
    const { fetch, seen } = setup();
    let calls = 0;
    const bad = await signToken({ secret: "another-secret-of-enough-length-0123456", scope: "admin" });
    const store = new HttpLogStore({
      url: "http://edgelog.test",
      fetch,
      token: () => {
        calls++;
        return bad;
      },
    });
    const error = await expectEdgeLogError(store.listTopics(), "AUTHENTICATION_FAILED");
    expect(error.retriable).toBe(false);
    expect(calls).toBe(2);
    expect(seen.requests).toBe(2);
  });

  it("does not retry a 401 for a fixed string token", async () => {
    const { fetch, seen } = setup();
    const store = new HttpLogStore({ url: "http://edgelog.test", fetch, token: await mint(-1) });
    await expectEdgeLogError(store.listTopics(), "AUTHENTICATION_FAILED");
    expect(seen.requests).toBe(1);
  });

  it("shares one refresh among concurrent requests", async () => {
    const { fetch, seen, memory } = setup();
    await memory.createTopic({ name: "orders", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    const tokens = [await mint(-1), await mint(600)];
    let calls = 0;
    const store = new HttpLogStore({
      url: "http://edgelog.test",
      fetch,
      token: async () => tokens[calls++] as string,
    });
    await Promise.all(Array.from({ length: 5 }, () => store.offsets(TP)));
    expect(calls).toBe(2);
    expect(seen.unauthorized).toBe(5);
    expect(seen.requests).toBe(5 + seen.unauthorized);
  });

  it("sends the token on the SSE tail", async () => {
    const { fetch, memory } = setup();
    await memory.createTopic({ name: "orders", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    const store = new HttpLogStore({
      url: "http://edgelog.test",
      fetch,
      token: () => mint(600, "produce:* consume:*"),
    });
    const log = new EdgeLog({ store });
    await log.producer().send({ topic: "orders", messages: [{ value: "hello" }] });
    const controller = new AbortController();
    for await (const records of store.tail(TP, { offset: "earliest", signal: controller.signal })) {
      expect(records.map((r) => new TextDecoder().decode(r.value ?? new Uint8Array()))).toEqual(["hello"]);
      controller.abort();
    }
  });

  it("tokenChanged() drops the cached token: a 403 token is replaced before any exp or 401", async () => {
    const { fetch, seen, memory } = setup();
    await memory.createTopic({ name: "orders", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    let scope = "produce:orders";
    let calls = 0;
    const store = new HttpLogStore({
      url: "http://edgelog.test",
      fetch,
      token: () => {
        calls++;
        return mint(600, scope);
      },
    });
    await expectEdgeLogError(store.offsets(TP), "TOPIC_AUTHORIZATION_FAILED");
    scope = "consume:orders";
    // Still cached (valid for 10 minutes, and a 403 is no reason to refresh): refused again, no new call.
    await expectEdgeLogError(store.offsets(TP), "TOPIC_AUTHORIZATION_FAILED");
    expect(calls).toBe(1);
    store.tokenChanged();
    await store.offsets(TP);
    expect(calls).toBe(2);
    expect(seen.unauthorized).toBe(0);
    // A string token has nothing to drop.
    new HttpLogStore({ url: "http://edgelog.test", fetch, token: "t" }).tokenChanged();
  });

  it("tokenChanged() during a call of the function: that call's (older) token is not cached", async () => {
    const issued = ["old", "new"];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    const source = new TokenSource(async () => {
      const token = issued[calls++] as string;
      if (token === "old") await gate;
      return token;
    });
    const first = source.get();
    source.invalidate();
    const second = source.get();
    release();
    expect(await first).toBe("old"); // the request already waiting on it still gets an answer
    expect(await second).toBe("new");
    expect(await source.get()).toBe("new");
    expect(calls).toBe(2);
  });

  it("turns a throwing token function into a retriable AUTHENTICATION_FAILED", async () => {
    const source = new TokenSource(() => {
      throw new Error("identity provider down");
    });
    const error = await expectEdgeLogError(source.get(), "AUTHENTICATION_FAILED");
    expect(error.retriable).toBe(true);
  });

  it("calls a function that threw (synchronously or not) again on the next request", async () => {
    for (const fail of [
      () => {
        throw new Error("signed out");
      },
      () => Promise.reject(new Error("signed out")),
    ]) {
      let signedIn = false;
      let calls = 0;
      const source = new TokenSource(() => {
        calls++;
        return signedIn ? "fresh" : fail();
      });
      await expectEdgeLogError(source.get(), "AUTHENTICATION_FAILED");
      await expectEdgeLogError(source.get(), "AUTHENTICATION_FAILED");
      signedIn = true;
      expect(await source.get()).toBe("fresh");
      expect(calls).toBe(3);
    }
  });
});

describe("expiryMs", () => {
  it("reads exp from a JWT payload and nothing from other strings", async () => {
    const token = await signToken({ secret: SECRET, scope: "admin", ttlSeconds: 60, now: 1_000_000 });
    expect(expiryMs(token)).toBe(1_060_000);
    expect(expiryMs("opaque-api-key")).toBeUndefined();
    expect(expiryMs("a.!!!.c")).toBeUndefined();
  });
});
