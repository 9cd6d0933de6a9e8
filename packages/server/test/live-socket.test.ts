/**
 * @module
 * The WebSocket live tail's route (routes/live-socket.ts) over a store that records the upgrades handed to it:
 * the route's checks come first (token, `consume` right, topic, partition, offset, region), `?access_token=`
 * authenticates it as it does the SSE tail, the token's end reaches the store, and a store without live sockets
 * answers 400 rather than pretending to upgrade.
 */
import { DEFAULT_TOPIC_CONFIG, EdgeLogError, MemoryStore, type TopicPartition } from "@edgelog/core";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import { CLOCK_SKEW_SECONDS } from "../src/auth/jwt.ts";
import type { LiveSocketRequest } from "../src/routes/live-socket.ts";
import { NOW_MS, SECRET, token } from "./auth/tokens.ts";
import { expectError, setup } from "./helpers.ts";

/** A memory store that "upgrades" by answering 200 and remembering what it was asked. */
class SocketStore extends MemoryStore {
  readonly upgrades: (TopicPartition & LiveSocketRequest)[] = [];
  refuseWith: EdgeLogError | null = null;

  async tailSocket(tp: TopicPartition, request: LiveSocketRequest): Promise<Response> {
    if (this.refuseWith !== null) throw this.refuseWith;
    this.upgrades.push({ ...tp, ...request });
    return new Response("upgraded");
  }
}

const UPGRADE = { Upgrade: "websocket" };
const PATH = "/v1/topics/orders/partitions/0/records";

function withStore(auth: "none" | { secret: string } = "none") {
  const store = new SocketStore({ now: () => NOW_MS });
  const app = createApp({ auth, store: () => store, now: () => NOW_MS });
  const env = { REGIONS: "wnam,weur" };
  const get = (path: string, headers: Record<string, string> = UPGRADE) =>
    app.request(path, { headers }, env);
  return { store, get };
}

async function body(res: Response) {
  return { status: res.status, body: JSON.parse(await res.text()) as unknown };
}

describe("the WebSocket live tail route", () => {
  it("hands a checked upgrade to the store: offset (default latest), region, no expiry when open", async () => {
    const { store, get } = withStore();
    await store.createTopic({ name: "orders", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    expect(await (await get(PATH)).text()).toBe("upgraded");
    await get(`${PATH}?offset=earliest&region=weur`);
    await get(`${PATH}?offset=12`, { upgrade: "WebSocket" });
    expect(store.upgrades).toEqual([
      { topic: "orders", partition: 0, offset: "latest", expiresAt: null },
      { topic: "orders", partition: 0, offset: "earliest", expiresAt: null, region: "weur" },
      { topic: "orders", partition: 0, offset: 12, expiresAt: null },
    ]);
  });

  it("refuses what the Worker can check before the store sees it", async () => {
    const { store, get } = withStore();
    await store.createTopic({ name: "orders", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    expectError(
      await body(await get("/v1/topics/nope/partitions/0/records")),
      404,
      "UNKNOWN_TOPIC_OR_PARTITION",
    );
    expectError(
      await body(await get("/v1/topics/orders/partitions/1/records")),
      404,
      "UNKNOWN_TOPIC_OR_PARTITION",
    );
    expectError(await body(await get(`${PATH}?offset=later`)), 400, "INVALID_REQUEST");
    expectError(await body(await get(`${PATH}?region=mars`)), 400, "INVALID_REQUEST");
    expect(store.upgrades).toEqual([]);
  });

  it("answers the store's refusal with its status", async () => {
    const { store, get } = withStore();
    await store.createTopic({ name: "orders", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    store.refuseWith = new EdgeLogError("OFFSET_OUT_OF_RANGE", "no such offset", { context: { offset: 9 } });
    expectError(await body(await get(`${PATH}?offset=9`)), 416, "OFFSET_OUT_OF_RANGE");
    store.refuseWith = new EdgeLogError("THROTTLING_QUOTA_EXCEEDED", "full", {
      context: { retryAfterMs: 1000 },
    });
    const throttled = await get(PATH);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("Retry-After")).toBe("1");
  });

  it("needs consume on the topic, takes ?access_token=, and tells the store when the token ends", async () => {
    const { store, get } = withStore({ secret: SECRET });
    await store.createTopic({ name: "orders", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    expectError(await body(await get(PATH)), 401, "AUTHENTICATION_FAILED");
    const producer = await token("produce:orders");
    expectError(await body(await get(`${PATH}?access_token=${producer}`)), 403, "TOPIC_AUTHORIZATION_FAILED");
    const reader = await token("consume:orders", 600);
    expect((await get(`${PATH}?access_token=${reader}`)).status).toBe(200);
    expect((await get(PATH, { ...UPGRADE, Authorization: `Bearer ${reader}` })).status).toBe(200);
    const endsAt = NOW_MS + (600 + CLOCK_SKEW_SECONDS) * 1000;
    expect(store.upgrades.map((u) => u.expiresAt)).toEqual([endsAt, endsAt]);
  });

  it("answers 400 on a store without live sockets, so a client falls back to SSE or long-polls", async () => {
    const { createTopic, call } = setup();
    await createTopic("orders");
    const res = await call("GET", PATH, undefined, UPGRADE);
    expectError(await body(res), 400, "INVALID_REQUEST");
    // Without the upgrade header it is the ordinary fetch.
    expect((await call("GET", PATH)).status).toBe(200);
  });
});
