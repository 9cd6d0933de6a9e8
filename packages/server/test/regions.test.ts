/**
 * @module
 * Region placement through a store that offers it, as `DurableObjectLogStore` does (`createTopicIn`,
 * `placement`); a MemoryStore stand-in records where partitions were spread.
 */
import { MemoryStore, type TopicMetadata, type TopicSpec } from "@edgelog/core";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import type { PartitionPlacement, RegionAwareStore } from "../src/context.ts";
import { expectError } from "./helpers.ts";

class RegionalMemoryStore extends MemoryStore implements RegionAwareStore {
  readonly regionsByTopic = new Map<string, readonly string[]>();

  async createTopicIn(spec: TopicSpec, regions: readonly string[] = ["wnam"]): Promise<TopicMetadata> {
    const metadata = await this.createTopic(spec);
    this.regionsByTopic.set(spec.name, regions);
    return metadata;
  }

  async placement(topic: string): Promise<PartitionPlacement[]> {
    const metadata = await this.getTopic(topic);
    const regions = this.regionsByTopic.get(topic) ?? ["wnam"];
    return Array.from({ length: metadata?.partitions ?? 0 }, (_, partition) => ({
      partition,
      region: regions[partition % regions.length] as string,
    }));
  }
}

function setupRegional() {
  const store = new RegionalMemoryStore();
  const app = createApp({ auth: "none", store: () => store });
  const env = { PARTITIONS: {}, TOPICS: {}, GROUPS: {}, REGIONS: "wnam, weur,apac" };
  const json = async (method: string, path: string, body?: unknown) => {
    const res = await app.request(
      path,
      body === undefined
        ? { method }
        : { method, body: JSON.stringify(body), headers: { "Content-Type": "application/json" } },
      env,
    );
    const text = await res.text();
    return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
  };
  return { store, json };
}

describe("regions", () => {
  it("tells an operator the deployment's regions and that this store replicates (GET /v1/cluster)", async () => {
    const { json } = setupRegional();
    expect(await json("GET", "/v1/cluster")).toEqual({
      status: 200,
      body: { regions: ["wnam", "weur", "apac"], replication: true },
    });
    // A store without placement, and no REGIONS: nothing to choose.
    const plain = createApp({ auth: "none", store: () => new MemoryStore() });
    expect(await (await plain.request("/v1/cluster")).json()).toEqual({ regions: [], replication: false });
  });

  it("pins partitions to the requested regions and reports placement", async () => {
    const { json, store } = setupRegional();
    const res = await json("POST", "/v1/topics", { name: "t", partitions: 3, regions: ["weur", "apac"] });
    expect(res.status).toBe(201);
    expect(store.regionsByTopic.get("t")).toEqual(["weur", "apac"]);
    expect(res.body.placement).toEqual([
      { partition: 0, region: "weur" },
      { partition: 1, region: "apac" },
      { partition: 2, region: "weur" },
    ]);
    const described = await json("GET", "/v1/topics/t");
    expect(described.body.partitions.map((p: { region: string }) => p.region)).toEqual([
      "weur",
      "apac",
      "weur",
    ]);
  });

  it("spreads over every deployment region by default", async () => {
    const { json, store } = setupRegional();
    await json("POST", "/v1/topics", { name: "t", partitions: 2 });
    expect(store.regionsByTopic.get("t")).toEqual(["wnam", "weur", "apac"]);
  });

  it("refuses regions the deployment does not run in", async () => {
    const { json } = setupRegional();
    expectError(await json("POST", "/v1/topics", { name: "t", regions: ["enam"] }), 400, "INVALID_REQUEST");
  });
});
