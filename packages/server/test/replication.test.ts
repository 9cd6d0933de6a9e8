/**
 * @module
 * Replication through the HTTP API: validation of `replicas` / `replicationFactor` / `min.insync.replicas` and of
 * `acks` (JSON body and `?acks=`), how a one-copy store (MemoryStore) answers a replica set, what describe shows
 * for a replicated partition, and the fault switch route existing only with `EDGELOG_FAULTS=true`. Replication
 * itself is tested in workerd (packages/durable-objects/test/replication.test.ts).
 */
import {
  type AppendOptions,
  type AppendResult,
  DEFAULT_TOPIC_CONFIG,
  EdgeLogError,
  encodeBatch,
  MemoryStore,
  type TopicMetadata,
  type TopicPartition,
  type TopicSpec,
} from "@edgelog/core";
import { type PartitionReplication, planElection } from "@edgelog/core/store-kit";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import type {
  FaultSwitchStore,
  LeaderElectionStore,
  PartitionPlacement,
  RegionAwareStore,
} from "../src/context.ts";
import { expectError, setup } from "./helpers.ts";

/** A MemoryStore stand-in for the Durable Object store: records replica sets, acks and faults it is given. */
class ReplicatingMemoryStore
  extends MemoryStore
  implements RegionAwareStore, FaultSwitchStore, LeaderElectionStore
{
  readonly replicasByTopic = new Map<string, readonly string[]>();
  /** Elections recorded, by partition (a Map: topic names are user strings). */
  readonly elected = new Map<string, Map<number, PartitionReplication>>();
  readonly acks: (AppendOptions | undefined)[] = [];
  readonly cutOff = new Set<string>();

  async createTopicIn(
    spec: TopicSpec,
    _regions?: readonly string[],
    replicas?: readonly string[],
  ): Promise<TopicMetadata> {
    // One copy underneath: the stand-in keeps min.insync.replicas out of the memory store's one-copy check.
    const { "min.insync.replicas": _min, ...config } = spec.config;
    const metadata = await this.createTopic({ ...spec, config });
    if (replicas !== undefined) this.replicasByTopic.set(spec.name, replicas);
    return { ...metadata, config: spec.config };
  }

  async placement(topic: string): Promise<PartitionPlacement[]> {
    const metadata = await this.getTopic(topic);
    const replicas = this.replicasByTopic.get(topic);
    return Array.from({ length: metadata?.partitions ?? 0 }, (_, partition) => {
      if (replicas === undefined) return { partition, region: "wnam" };
      const replication = this.elected.get(topic)?.get(partition) ?? {
        leader: replicas[0] as string,
        replicas,
        isr: replicas.slice(0, 2),
        leaderEpoch: 4,
      };
      return { partition, region: replication.leader, replication };
    });
  }

  async electLeader(tp: TopicPartition, region: string): Promise<PartitionReplication> {
    const current = (await this.placement(tp.topic))[tp.partition]?.replication;
    if (current === undefined) throw new Error("not replicated");
    const next = planElection(tp, current, region);
    const byPartition = this.elected.get(tp.topic) ?? new Map<number, PartitionReplication>();
    byPartition.set(tp.partition, next);
    this.elected.set(tp.topic, byPartition);
    return next;
  }

  override append(tp: TopicPartition, batch: Uint8Array, options?: AppendOptions): Promise<AppendResult> {
    this.acks.push(options);
    return super.append(tp, batch);
  }

  /** A read whose replica's region is cut off fails as the Durable Object store's does; a region reads there. */
  override async offsets(tp: TopicPartition, options?: { readonly region?: string | undefined }) {
    const placed = (await this.placement(tp.topic))[tp.partition];
    const region = options?.region ?? placed?.region ?? "wnam";
    if (this.cutOff.has(region)) {
      throw new EdgeLogError("LEADER_NOT_AVAILABLE", `the replica in ${region} cannot be reached`);
    }
    return super.offsets(tp);
  }

  setRegionUnreachable(region: string, unreachable: boolean): void {
    if (unreachable) this.cutOff.add(region);
    else this.cutOff.delete(region);
  }

  /** Latency per region (a Map: set only for the deployment's regions, but keyed by a user string all the same). */
  readonly latency = new Map<string, number>();
  readonly dropped = new Set<string>();

  setRegionLatency(region: string, ms: number): void {
    // The Durable Object store's bound (packages/durable-objects, fault-switch.ts), which the route leaves to it.
    if (ms < 0 || ms > 60_000) throw new EdgeLogError("INVALID_REQUEST", "latencyMs out of bounds");
    if (ms === 0) this.latency.delete(region);
    else this.latency.set(region, ms);
  }

  setReplicationDropped(region: string, dropped: boolean): void {
    if (dropped) this.dropped.add(region);
    else this.dropped.delete(region);
  }

  regionFaults(region: string) {
    return {
      unreachable: this.cutOff.has(region),
      latencyMs: this.latency.get(region) ?? 0,
      dropReplication: this.dropped.has(region),
    };
  }

  unreachableRegions(): string[] {
    return [...this.cutOff];
  }
}

function setupReplicating(vars: Record<string, string> = {}) {
  const store = new ReplicatingMemoryStore();
  const app = createApp({ auth: "none", store: () => store });
  const env = { REGIONS: "wnam,weur,apac", ...vars };
  const json = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const init: RequestInit = { method, headers: { "Content-Type": "application/json", ...headers } };
    if (body !== undefined)
      init.body = body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body);
    const res = await app.request(path, init, env);
    const text = await res.text();
    return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
  };
  return { store, json };
}

describe("creating replicated topics", () => {
  it("passes the replica set to the store and describes leader, replicas, isr and leaderEpoch", async () => {
    const { json, store } = setupReplicating();
    const created = await json("POST", "/v1/topics", {
      name: "r",
      partitions: 2,
      replicas: ["weur", "wnam", "apac"],
      config: { "min.insync.replicas": 2 },
    });
    expect(created.status).toBe(201);
    expect(store.replicasByTopic.get("r")).toEqual(["weur", "wnam", "apac"]);
    expect(created.body.config["min.insync.replicas"]).toBe(2);
    const described = await json("GET", "/v1/topics/r");
    expect(described.body.partitions[1]).toEqual({
      partition: 1,
      logStartOffset: 0,
      highWatermark: 0,
      region: "weur",
      leader: "weur",
      replicas: ["weur", "wnam", "apac"],
      isr: ["weur", "wnam"],
      leaderEpoch: 4,
    });
  });

  it("takes unclean.leader.election.enable as a boolean (or Kafka's string) and shows it in config", async () => {
    const { json } = setupReplicating();
    for (const [name, value] of [
      ["u1", true],
      ["u2", "false"],
    ] as const) {
      const created = await json("POST", "/v1/topics", {
        name,
        replicas: ["wnam", "weur"],
        config: { "unclean.leader.election.enable": value },
      });
      expect(created.status).toBe(201);
      const described = await json("GET", `/v1/topics/${name}`);
      expect(described.body.config["unclean.leader.election.enable"]).toBe(value === true);
    }
    const plain = await json("POST", "/v1/topics", { name: "u3", replicas: ["wnam", "weur"] });
    expect("unclean.leader.election.enable" in plain.body.config).toBe(false);
  });

  it("spreads replicationFactor over REGIONS in order", async () => {
    const { json, store } = setupReplicating();
    expect((await json("POST", "/v1/topics", { name: "f", replicationFactor: 2 })).status).toBe(201);
    expect(store.replicasByTopic.get("f")).toEqual(["wnam", "weur"]);
  });

  it.each([
    [{ replicas: [] }, "INVALID_REPLICATION_FACTOR"],
    [{ replicas: ["wnam", "wnam"] }, "INVALID_REPLICATION_FACTOR"],
    [{ replicas: ["enam"] }, "INVALID_REPLICATION_FACTOR"],
    [{ replicas: ["constructor"] }, "INVALID_REPLICATION_FACTOR"],
    [{ replicas: "wnam,weur" }, "INVALID_REPLICATION_FACTOR"],
    [{ replicationFactor: 4 }, "INVALID_REPLICATION_FACTOR"],
    [{ replicationFactor: 0 }, "INVALID_REPLICATION_FACTOR"],
    [{ replicas: ["wnam"], replicationFactor: 1 }, "INVALID_REPLICATION_FACTOR"],
    [{ replicas: ["wnam", "weur"], regions: ["wnam"] }, "INVALID_REQUEST"],
    [{ replicas: ["wnam", "weur"], config: { "min.insync.replicas": 3 } }, "INVALID_CONFIG"],
    [{ replicas: ["wnam", "weur"], config: { "min.insync.replicas": 0 } }, "INVALID_CONFIG"],
    [{ replicas: ["wnam", "weur"], config: { "replica.lag.time.max.ms": "soon" } }, "INVALID_CONFIG"],
    [{ replicas: ["wnam", "weur"], config: { "unclean.leader.election.enable": "maybe" } }, "INVALID_CONFIG"],
    [{ replicas: ["wnam", "weur"], config: { "unclean.leader.election.enable": 1 } }, "INVALID_CONFIG"],
    [{ replicas: ["wnam", "weur"], config: { "unclean.leader.election.enable": null } }, "INVALID_CONFIG"],
    [{ config: { "min.insync.replicas": 2 } }, "INVALID_CONFIG"],
  ])("refuses %j with %s, creating nothing", async (fields, code) => {
    const { json, store } = setupReplicating();
    expectError(await json("POST", "/v1/topics", { name: "bad", ...fields }), 400, code);
    expect(await store.getTopic("bad")).toBeNull();
  });
});

describe("describing a topic while a leader is away", () => {
  it("takes a partition's bounds from an in-sync follower, or answers -1 with the partition's error, never failing", async () => {
    const { json, store } = setupReplicating();
    await json("POST", "/v1/topics", { name: "away", partitions: 2, replicas: ["wnam", "weur", "apac"] });
    await json("POST", "/v1/topics/away/records", { records: [{ value: "a", partition: 1 }] });
    // p1 is led by weur (elected there); wnam leads p0. Cut wnam off: p0's leader is away, p1's is not.
    await json("POST", "/v1/topics/away/partitions/1/elect", { region: "weur" });
    store.setRegionUnreachable("wnam", true);
    const described = await json("GET", "/v1/topics/away");
    expect(described.status).toBe(200);
    const [p0, p1] = described.body.partitions;
    expect(p0).toMatchObject({ partition: 0, leader: "wnam", offsetsFrom: "weur", highWatermark: 0 });
    expect(p1).toMatchObject({ partition: 1, leader: "weur", highWatermark: 1 });
    expect(p1.offsetsFrom).toBeUndefined();
    expect(p1.error).toBeUndefined();
    // No in-sync follower answers either (the stand-in's ISR of p0 is wnam, weur): Kafka's -1 and the error.
    store.setRegionUnreachable("weur", true);
    const dark = await json("GET", "/v1/topics/away");
    expect(dark.status).toBe(200);
    expect(dark.body.partitions[0]).toMatchObject({
      logStartOffset: -1,
      highWatermark: -1,
      error: { code: "LEADER_NOT_AVAILABLE" },
    });
  });
});

describe("a store that keeps one copy (MemoryStore)", () => {
  it("refuses more than one replica with INVALID_REPLICATION_FACTOR and accepts one", async () => {
    const { json } = setup();
    expectError(
      await json("POST", "/v1/topics", { name: "two", replicas: ["wnam", "weur"] }),
      400,
      "INVALID_REPLICATION_FACTOR",
    );
    expect((await json("POST", "/v1/topics", { name: "one", replicas: ["wnam"] })).status).toBe(201);
    const described = await json("GET", "/v1/topics/one");
    expect(described.body.partitions[0]).toEqual({
      partition: 0,
      logStartOffset: 0,
      highWatermark: 0,
      sizeBytes: 0,
    });
  });

  it("takes acks=1 and acks=all alike (one copy is all of them)", async () => {
    const { json } = setup();
    await json("POST", "/v1/topics", { name: "t" });
    for (const acks of [1, "all", -1]) {
      const res = await json("POST", "/v1/topics/t/records", { acks, records: [{ value: "v" }] });
      expect(res.status).toBe(200);
    }
  });
});

describe("acks", () => {
  it("reaches the store from the JSON body and from ?acks= on the binary path; absent stays absent", async () => {
    const { json, store } = setupReplicating();
    await json("POST", "/v1/topics", { name: "t", replicas: ["wnam", "weur"] });
    await json("POST", "/v1/topics/t/records", { records: [{ value: "a" }] });
    await json("POST", "/v1/topics/t/records", { acks: 1, records: [{ value: "b" }] });
    await json("POST", "/v1/topics/t/records", { acks: "all", records: [{ value: "c" }] });
    const batch = encodeBatch([{ key: null, value: new Uint8Array([1]), headers: [], timestamp: 1 }]);
    const headers = { "Content-Type": "application/vnd.edgelog.batch" };
    expect((await json("POST", "/v1/topics/t/partitions/0/batches?acks=1", batch, headers)).status).toBe(200);
    expect((await json("POST", "/v1/topics/t/partitions/0/batches?acks=all", batch, headers)).status).toBe(
      200,
    );
    expect(store.acks).toEqual([undefined, { acks: 1 }, { acks: "all" }, { acks: 1 }, { acks: "all" }]);
  });

  it.each([0, 2, "ALL", "", null, true, {}])("refuses acks=%j before writing anything", async (acks) => {
    const { json, store } = setupReplicating();
    await json("POST", "/v1/topics", { name: "t" });
    expectError(
      await json("POST", "/v1/topics/t/records", { acks, records: [{ value: "v" }] }),
      400,
      "INVALID_REQUEST",
    );
    expect(store.acks).toEqual([]);
  });

  it("refuses ?acks=2 on the binary path", async () => {
    const { json, store } = setupReplicating();
    await json("POST", "/v1/topics", { name: "t" });
    const batch = encodeBatch([{ key: null, value: new Uint8Array([1]), headers: [], timestamp: 1 }]);
    const headers = { "Content-Type": "application/vnd.edgelog.batch" };
    expectError(
      await json("POST", "/v1/topics/t/partitions/0/batches?acks=2", batch, headers),
      400,
      "INVALID_REQUEST",
    );
    expect(store.acks).toEqual([]);
  });
});

describe("POST /v1/topics/{topic}/partitions/{p}/elect", () => {
  const ELECT = "/v1/topics/r/partitions/1/elect";

  it("moves leadership to an in-sync replica and back, answering the new replica state; describe follows", async () => {
    const { json } = setupReplicating();
    await json("POST", "/v1/topics", { name: "r", partitions: 2, replicas: ["wnam", "weur", "apac"] });
    const moved = await json("POST", ELECT, { region: "weur" });
    expect(moved).toEqual({
      status: 200,
      body: {
        topic: "r",
        partition: 1,
        leader: "weur",
        replicas: ["wnam", "weur", "apac"],
        isr: ["wnam", "weur"],
        leaderEpoch: 5,
      },
    });
    const described = await json("GET", "/v1/topics/r");
    expect(described.body.partitions[1]).toMatchObject({ region: "weur", leader: "weur", leaderEpoch: 5 });
    expect(described.body.partitions[0]).toMatchObject({ leader: "wnam", leaderEpoch: 4 });
    // Preferred-leader election.
    expect((await json("POST", ELECT, { region: "wnam" })).body).toMatchObject({
      leader: "wnam",
      leaderEpoch: 6,
    });
  });

  it("answers the controller's refusals with their codes", async () => {
    const { json } = setupReplicating();
    await json("POST", "/v1/topics", { name: "r", partitions: 2, replicas: ["wnam", "weur", "apac"] });
    expectError(await json("POST", ELECT, { region: "wnam" }), 409, "ELECTION_NOT_NEEDED");
    // apac is not in the stand-in's in-sync set.
    expectError(await json("POST", ELECT, { region: "apac" }), 409, "ELIGIBLE_LEADERS_NOT_AVAILABLE");
  });

  it.each([
    [{}, 400, "INVALID_REQUEST"],
    [{ region: 1 }, 400, "INVALID_REQUEST"],
    [{ region: ["weur"] }, 400, "INVALID_REQUEST"],
    // Not a region of the deployment (REGIONS=wnam,weur,apac), and names a plain object would resolve.
    [{ region: "enam" }, 400, "INVALID_REQUEST"],
    [{ region: "constructor" }, 400, "INVALID_REQUEST"],
    [{ region: "__proto__" }, 400, "INVALID_REQUEST"],
  ])("refuses the body %j (%i %s) before the store is asked", async (body, status, code) => {
    const { json, store } = setupReplicating();
    await json("POST", "/v1/topics", { name: "r", partitions: 2, replicas: ["wnam", "weur", "apac"] });
    expectError(await json("POST", ELECT, body), status, code);
    expect(store.elected.size).toBe(0);
  });

  it("refuses an unknown topic or partition, a partition that is not a number, and GET", async () => {
    const { json } = setupReplicating();
    await json("POST", "/v1/topics", { name: "r", partitions: 2, replicas: ["wnam", "weur", "apac"] });
    expectError(
      await json("POST", "/v1/topics/nope/partitions/0/elect", { region: "weur" }),
      404,
      "UNKNOWN_TOPIC_OR_PARTITION",
    );
    expectError(
      await json("POST", "/v1/topics/r/partitions/2/elect", { region: "weur" }),
      404,
      "UNKNOWN_TOPIC_OR_PARTITION",
    );
    expectError(
      await json("POST", "/v1/topics/r/partitions/one/elect", { region: "weur" }),
      400,
      "INVALID_REQUEST",
    );
    expectError(await json("GET", ELECT), 405, "METHOD_NOT_ALLOWED");
  });

  it("answers INVALID_REQUEST on a store that keeps one copy", async () => {
    const store = new MemoryStore();
    await store.createTopic({ name: "one", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    const app = createApp({ auth: "none", store: () => store });
    const res = await app.request("/v1/topics/one/partitions/0/elect", {
      method: "POST",
      body: '{"region":"weur"}',
      headers: { "Content-Type": "application/json" },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("INVALID_REQUEST");
  });
});

describe("PUT /v1/faults/regions/{region}", () => {
  it("does not exist without EDGELOG_FAULTS=true (any method, like an unknown route)", async () => {
    for (const vars of [{}, { EDGELOG_FAULTS: "1" }, { EDGELOG_FAULTS: "TRUE" }]) {
      const { json, store } = setupReplicating(vars);
      for (const method of ["PUT", "GET", "DELETE"]) {
        const body =
          method === "GET" ? undefined : { unreachable: true, latencyMs: 30, dropReplication: true };
        const res = await json(method, "/v1/faults/regions/apac", body);
        expectError(res, 404, "NOT_FOUND");
      }
      expect(store.latency.size + store.dropped.size + store.cutOff.size).toBe(0);
    }
  });

  it("cuts a region off and back on with EDGELOG_FAULTS=true", async () => {
    const { json, store } = setupReplicating({ EDGELOG_FAULTS: "true" });
    const res = await json("PUT", "/v1/faults/regions/apac", { unreachable: true });
    expect(res).toEqual({
      status: 200,
      body: {
        region: "apac",
        unreachable: true,
        latencyMs: 0,
        dropReplication: false,
        unreachableRegions: ["apac"],
      },
    });
    expect([...store.cutOff]).toEqual(["apac"]);
    await json("PUT", "/v1/faults/regions/apac", { unreachable: false });
    expect(store.cutOff.size).toBe(0);
    expectError(await json("PUT", "/v1/faults/regions/mars", { unreachable: true }), 400, "INVALID_REQUEST");
    expectError(await json("PUT", "/v1/faults/regions/apac", { unreachable: "yes" }), 400, "INVALID_REQUEST");
    expectError(await json("GET", "/v1/faults/regions/apac"), 405, "METHOD_NOT_ALLOWED");
  });

  it("makes a region slow and drops its replication, each field alone or together, and reports every fault", async () => {
    const { json, store } = setupReplicating({ EDGELOG_FAULTS: "true" });
    const slow = await json("PUT", "/v1/faults/regions/weur", { latencyMs: 30 });
    expect(slow).toEqual({
      status: 200,
      body: {
        region: "weur",
        unreachable: false,
        latencyMs: 30,
        dropReplication: false,
        unreachableRegions: [],
      },
    });
    const both = await json("PUT", "/v1/faults/regions/weur", { dropReplication: true, unreachable: true });
    expect(both.body).toMatchObject({ unreachable: true, latencyMs: 30, dropReplication: true });
    expect(store.regionFaults("weur")).toEqual({ unreachable: true, latencyMs: 30, dropReplication: true });
    const cleared = await json("PUT", "/v1/faults/regions/weur", {
      latencyMs: 0,
      dropReplication: false,
      unreachable: false,
    });
    expect(cleared.body).toMatchObject({ unreachable: false, latencyMs: 0, dropReplication: false });
    expect(store.latency.size + store.dropped.size + store.cutOff.size).toBe(0);
  });

  it("refuses a bad fault body with INVALID_REQUEST and changes nothing", async () => {
    const { json, store } = setupReplicating({ EDGELOG_FAULTS: "true" });
    for (const body of [
      {},
      { latencyMs: "30" },
      { latencyMs: 1.5 },
      { latencyMs: -1 },
      { latencyMs: 60_001 },
      { latencyMs: 1e300 },
      { latencyMs: null },
      { dropReplication: 1 },
      { dropReplication: "true" },
      { unreachable: true, latency: 30 },
      { unreachable: true, latencyMs: 60_001 },
      { dropReplication: true, latencyMs: -5 },
      JSON.parse('{"__proto__": {"unreachable": true}}'),
      { constructor: true },
    ]) {
      expectError(await json("PUT", "/v1/faults/regions/apac", body), 400, "INVALID_REQUEST");
    }
    expectError(await json("PUT", "/v1/faults/regions/apac", [true]), 400, "INVALID_REQUEST");
    expectError(
      await json("PUT", "/v1/faults/regions/constructor", { latencyMs: 5 }),
      400,
      "INVALID_REQUEST",
    );
    expect(store.latency.size + store.dropped.size + store.cutOff.size).toBe(0);
  });

  it("answers NOT_FOUND on a store without regions", async () => {
    const store = new MemoryStore();
    const app = createApp({ auth: "none", store: () => store });
    const res = await app.request(
      "/v1/faults/regions/wnam",
      { method: "PUT", body: '{"unreachable":true}', headers: { "Content-Type": "application/json" } },
      { EDGELOG_FAULTS: "true" },
    );
    expect(res.status).toBe(404);
  });
});
