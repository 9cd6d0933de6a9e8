/**
 * @module
 * Reads near the reader over HTTP: `?region=` on the JSON fetch, the SSE tail, the binary fetch and `/v1/wait`
 * reaches the store's reads (and the bounds lookups `earliest` / `latest` make) and nothing else; a region that
 * is not the deployment's is a 400 before the store is asked; `EDGELOG_READ_NEAREST=true` picks the region from
 * `request.cf`; rights are unchanged. The mapping from `request.cf` to a location hint is tested on its own. Which
 * replica serves is the store's business (tested in workerd: packages/durable-objects/test/follower-reads.test.ts).
 */
import {
  DEFAULT_TOPIC_CONFIG,
  type ListBatchesOptions,
  MemoryStore,
  type PartitionOffsets,
  type ReadOptions,
  type ReadPreference,
  type ReadResult,
  type TopicPartition,
} from "@edgelog/core";
import { makeBatch } from "@edgelog/core/testing";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import { nearestRegion } from "../src/nearest-region.ts";
import { NOW_MS, SECRET, token } from "./auth/tokens.ts";
import { expectError } from "./helpers.ts";

/** A memory store that records the region each read-side call was given (`-` for none). */
class RecordingStore extends MemoryStore {
  readonly regions: string[] = [];

  override read(tp: TopicPartition, options: ReadOptions): Promise<ReadResult> {
    this.regions.push(`read:${options.region ?? "-"}`);
    return super.read(tp, options);
  }

  override offsets(tp: TopicPartition, options?: ReadPreference): Promise<PartitionOffsets> {
    this.regions.push(`offsets:${options?.region ?? "-"}`);
    return super.offsets(tp);
  }

  override offsetForTimestamp(tp: TopicPartition, timestamp: number, options?: ReadPreference) {
    this.regions.push(`offsetForTimestamp:${options?.region ?? "-"}`);
    return super.offsetForTimestamp(tp, timestamp);
  }

  override listBatches(tp: TopicPartition, options?: ListBatchesOptions) {
    this.regions.push(`listBatches:${options?.region ?? "-"}`);
    return super.listBatches(tp, options);
  }
}

async function setupRegions(vars: Record<string, string> = {}, auth: "none" | "token" = "none") {
  const store = new RecordingStore({ now: () => NOW_MS });
  await store.createTopic({ name: "t", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
  await store.append({ topic: "t", partition: 0 }, makeBatch(1, "a"));
  const app = createApp({
    store: () => store,
    now: () => NOW_MS,
    ...(auth === "none" ? { auth: "none" as const } : { auth: { secret: SECRET } }),
  });
  const env = { REGIONS: "wnam,weur,apac", ...vars };
  const call = (path: string, init: RequestInit & { cf?: object } = {}) => {
    const { cf, ...rest } = init;
    const request = new Request(`http://edgelog.test${path}`, rest);
    // What Cloudflare attaches to an incoming request.
    if (cf !== undefined) Object.defineProperty(request, "cf", { value: cf });
    return app.request(request, undefined, env);
  };
  const json = async (path: string, init?: RequestInit & { cf?: object }) => {
    const res = await call(path, init);
    const text = await res.text();
    return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
  };
  return { store, call, json };
}

const RECORDS = "/v1/topics/t/partitions/0/records";
const BATCHES = "/v1/topics/t/partitions/0/batches";

/** Reads an SSE response until its first `records` event, then cancels it. */
async function firstSseEvent(res: Response): Promise<string> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes("event: records")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
  }
  await reader.cancel();
  return text;
}

describe("?region= on the fetch routes", () => {
  it("goes with the JSON fetch's read, and with the bounds lookup of earliest/latest", async () => {
    const { json, store } = await setupRegions();
    const res = await json(`${RECORDS}?region=weur`);
    expect(res.status).toBe(200);
    expect(res.body.records.map((r: { offset: number }) => r.offset)).toEqual([0]);
    expect(store.regions).toEqual(["offsets:weur", "read:weur"]);
    store.regions.length = 0;
    await json(`${RECORDS}?region=apac&offset=0&wait=10`);
    expect(store.regions).toEqual(["read:apac"]);
  });

  it("goes with the binary fetch and every read of the SSE tail", async () => {
    const { call, store } = await setupRegions();
    const binary = await call(`${BATCHES}?region=weur&offset=0`);
    expect(binary.status).toBe(200);
    expect(store.regions).toEqual(["read:weur"]);
    store.regions.length = 0;
    const sse = await call(`${RECORDS}?region=apac&offset=earliest`, {
      headers: { Accept: "text/event-stream" },
    });
    expect(sse.status).toBe(200);
    expect(await firstSseEvent(sse)).toContain('"offset":0');
    expect(store.regions.length).toBeGreaterThanOrEqual(2);
    expect(store.regions.every((entry) => entry.endsWith(":apac"))).toBe(true);
  });

  it("goes with the bounds and the offset for a timestamp (GET …/offsets)", async () => {
    const { json, store } = await setupRegions();
    expect(await json("/v1/topics/t/partitions/0/offsets?region=weur")).toEqual({
      status: 200,
      body: { logStartOffset: 0, highWatermark: 1 },
    });
    expect((await json("/v1/topics/t/partitions/0/offsets?region=apac&timestamp=0")).body).toEqual({
      offset: 0,
      found: true,
    });
    expect(store.regions).toEqual(["offsets:weur", "offsetForTimestamp:apac"]);
    expectError(await json("/v1/topics/t/partitions/0/offsets?region=mars"), 400, "INVALID_REQUEST");
  });

  it("goes with /v1/wait's bounds lookups and waits", async () => {
    const { json, store } = await setupRegions();
    const res = await json("/v1/wait?region=weur", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ partitions: [{ topic: "t", partition: 0, offset: 1 }], wait: 10 }),
    });
    expect(res).toEqual({ status: 200, body: { ready: [] } });
    expect(store.regions).toEqual(["offsets:weur", "read:weur"]);
  });

  it.each([
    ["enam"], // a location hint, but not one of the deployment's REGIONS
    ["WEUR"],
    [""],
    ["constructor"],
    ["__proto__"],
    ["weur,apac"],
  ])("refuses region=%j with 400 INVALID_REQUEST before the store reads", async (region) => {
    const { json, store } = await setupRegions();
    const q = `region=${encodeURIComponent(region)}`;
    expectError(await json(`${RECORDS}?${q}`), 400, "INVALID_REQUEST");
    expectError(await json(`${BATCHES}?${q}`), 400, "INVALID_REQUEST");
    expectError(
      await json(`${RECORDS}?${q}`, { headers: { Accept: "text/event-stream" } }),
      400,
      "INVALID_REQUEST",
    );
    expectError(
      await json(`/v1/wait?${q}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ partitions: [{ topic: "t", partition: 0, offset: 0 }] }),
      }),
      400,
      "INVALID_REQUEST",
    );
    expect(store.regions).toEqual([]);
  });

  it("takes any location hint when the deployment names no REGIONS", async () => {
    const { call, store } = await setupRegions({ REGIONS: "" });
    expect((await call(`${RECORDS}?region=enam&offset=0`)).status).toBe(200);
    expect((await call(`${RECORDS}?region=mars&offset=0`)).status).toBe(400);
    expect(store.regions).toEqual(["read:enam"]);
  });
});

describe("EDGELOG_READ_NEAREST", () => {
  const london = { continent: "EU", country: "GB", longitude: "-0.12" };

  it("is off by default: without ?region reads go to the leader whatever request.cf says", async () => {
    const { call, store } = await setupRegions();
    await call(`${RECORDS}?offset=0`, { cf: london });
    expect(store.regions).toEqual(["read:-"]);
  });

  it("reads near request.cf when enabled, only in the deployment's regions; ?region= wins", async () => {
    const { call, store } = await setupRegions({ EDGELOG_READ_NEAREST: "true" });
    await call(`${RECORDS}?offset=0`, { cf: london });
    // São Paulo: sam is not a region of this deployment — the leader serves.
    await call(`${RECORDS}?offset=0`, { cf: { continent: "SA", country: "BR", longitude: "-46.6" } });
    await call(`${RECORDS}?offset=0&region=apac`, { cf: london });
    // No request.cf (outside Cloudflare): the leader.
    await call(`${RECORDS}?offset=0`);
    expect(store.regions).toEqual(["read:weur", "read:-", "read:apac", "read:-"]);
  });

  it("only for the exact value true", async () => {
    for (const value of ["1", "TRUE", "yes"]) {
      const { call, store } = await setupRegions({ EDGELOG_READ_NEAREST: value });
      await call(`${RECORDS}?offset=0`, { cf: london });
      expect(store.regions).toEqual(["read:-"]);
    }
  });
});

describe("rights", () => {
  it("are the fetch's own: consume on the topic reads with ?region, produce alone does not", async () => {
    const { call, store } = await setupRegions({}, "token");
    const consume = await token("consume:t");
    const produce = await token("produce:t");
    const ok = await call(`${RECORDS}?region=weur&offset=0`, {
      headers: { Authorization: `Bearer ${consume}` },
    });
    expect(ok.status).toBe(200);
    const refused = await call(`${RECORDS}?region=weur&offset=0`, {
      headers: { Authorization: `Bearer ${produce}` },
    });
    expect(refused.status).toBe(403);
    const anonymous = await call(`${BATCHES}?region=weur&offset=0`);
    expect(anonymous.status).toBe(401);
    expect(store.regions).toEqual(["read:weur"]);
  });
});

describe("nearestRegion (request.cf → location hint)", () => {
  it.each([
    [{ continent: "NA", country: "US", longitude: "-122.42" }, "wnam"], // San Francisco
    [{ continent: "NA", country: "US", longitude: "-104.99" }, "wnam"], // Denver
    [{ continent: "NA", country: "US", longitude: "-97.74" }, "enam"], // Austin
    [{ continent: "NA", country: "US", longitude: "-74.0" }, "enam"], // New York
    [{ continent: "NA", country: "CA", longitude: "-123.1" }, "wnam"], // Vancouver
    [{ continent: "NA", country: "MX" }, "enam"], // no longitude
    [{ continent: "SA", country: "BR", longitude: "-46.6" }, "sam"],
    [{ continent: "EU", country: "GB", longitude: "-0.12" }, "weur"],
    [{ continent: "EU", country: "DE", longitude: "13.4" }, "weur"],
    [{ continent: "EU", country: "PL", longitude: "21.0" }, "eeur"],
    [{ continent: "EU", country: "FI", longitude: "24.9" }, "weur"], // by country, not longitude
    [{ continent: "EU", longitude: "26.1" }, "eeur"], // no country: longitude
    [{ continent: "EU" }, "weur"],
    [{ continent: "AS", country: "JP", longitude: "139.7" }, "apac"],
    [{ continent: "AS", country: "IN", longitude: "72.9" }, "apac"],
    [{ continent: "AS", country: "AE", longitude: "55.3" }, "me"],
    [{ continent: "AS", country: "TR", longitude: "29.0" }, "me"],
    [{ continent: "AF", country: "EG", longitude: "31.2" }, "me"],
    [{ continent: "AF", country: "ZA", longitude: "28.0" }, "afr"],
    [{ continent: "OC", country: "AU", longitude: "151.2" }, "oc"],
    [{ continent: "AN" }, "oc"],
    [{ continent: "eu", country: "pl" }, "eeur"], // case does not matter
  ])("%j → %s", (cf, region) => {
    expect(nearestRegion(cf)).toBe(region);
  });

  it.each([
    [undefined],
    [{}],
    [{ continent: "XX" }],
    [{ continent: 7 }],
    [{ continent: "constructor" }],
    [{ country: "US", longitude: "-122" }], // no continent
  ])("%j → undefined (the leader serves)", (cf) => {
    expect(nearestRegion(cf as never)).toBeUndefined();
  });

  it("ignores a longitude that is not a number of degrees", () => {
    for (const longitude of ["abc", "-500", "", null, {}]) {
      expect(nearestRegion({ continent: "NA", country: "US", longitude })).toBe("enam");
      expect(nearestRegion({ continent: "EU", longitude })).toBe("weur");
    }
  });
});
