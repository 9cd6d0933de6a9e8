// The replication rules every store applies (store-kit/replication.ts).
import { describe, expect, it } from "vitest";
import { DEFAULT_TOPIC_CONFIG, EdgeLogError, MemoryStore } from "../src/index.ts";
import {
  assertEnoughReplicas,
  followerInSync,
  newTopicMetadata,
  parseAcks,
  replicatedHighWatermark,
  resolveReplicas,
  resolveTopicConfig,
  uncleanLeaderElectionEnabled,
} from "../src/store-kit/index.ts";

const REGIONS = ["wnam", "weur", "apac"];

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof EdgeLogError ? error.code : "not an EdgeLogError";
  }
  return undefined;
}

describe("resolveReplicas", () => {
  it("takes distinct regions in order (the first is the preferred leader) or a factor over the regions", () => {
    expect(resolveReplicas({ replicas: ["apac", "wnam"] }, REGIONS)).toEqual(["apac", "wnam"]);
    expect(resolveReplicas({ replicationFactor: 2 }, REGIONS)).toEqual(["wnam", "weur"]);
    expect(resolveReplicas({}, REGIONS)).toBeUndefined();
  });

  it.each([
    [{ replicas: [] }],
    [{ replicas: "wnam" }],
    [{ replicas: ["wnam", "wnam"] }],
    [{ replicas: ["mars"] }],
    [{ replicas: ["__proto__"] }],
    [{ replicas: ["wnam", 1] }],
    [{ replicationFactor: 0 }],
    [{ replicationFactor: 4 }],
    [{ replicationFactor: 1.5 }],
    [{ replicationFactor: "2" }],
    [{ replicas: ["wnam"], replicationFactor: 1 }],
  ])("refuses %j with INVALID_REPLICATION_FACTOR", (request) => {
    expect(codeOf(() => resolveReplicas(request, REGIONS))).toBe("INVALID_REPLICATION_FACTOR");
  });
});

describe("min.insync.replicas", () => {
  it("is a positive integer config, absent unless set (an unreplicated topic's config is unchanged)", () => {
    expect(resolveTopicConfig({})).toEqual(DEFAULT_TOPIC_CONFIG);
    expect(resolveTopicConfig({ "min.insync.replicas": "2" })["min.insync.replicas"]).toBe(2);
    expect(codeOf(() => resolveTopicConfig({ "min.insync.replicas": 0 }))).toBe("INVALID_CONFIG");
    expect(codeOf(() => resolveTopicConfig({ "replica.lag.time.max.ms": -5 }))).toBe("INVALID_CONFIG");
  });

  it("must not exceed the replica count, in every store (one copy: at most 1)", async () => {
    const config = resolveTopicConfig({ "min.insync.replicas": 2 });
    expect(codeOf(() => newTopicMetadata({ name: "t", partitions: 1, config }, 0, 3))).toBeUndefined();
    expect(codeOf(() => newTopicMetadata({ name: "t", partitions: 1, config }, 0))).toBe("INVALID_CONFIG");
    const store = new MemoryStore();
    await expect(store.createTopic({ name: "t", partitions: 1, config })).rejects.toMatchObject({
      code: "INVALID_CONFIG",
    });
  });
});

describe("unclean.leader.election.enable", () => {
  it("is a boolean config (Kafka's strings too), absent unless set, false by default", () => {
    expect(uncleanLeaderElectionEnabled(resolveTopicConfig({}))).toBe(false);
    expect("unclean.leader.election.enable" in resolveTopicConfig({})).toBe(false);
    for (const value of [true, "true", "TRUE", " true "]) {
      const config = resolveTopicConfig({ "unclean.leader.election.enable": value });
      expect(config["unclean.leader.election.enable"]).toBe(true);
      expect(uncleanLeaderElectionEnabled(config)).toBe(true);
    }
    for (const value of [false, "false", "False"]) {
      expect(
        resolveTopicConfig({ "unclean.leader.election.enable": value })["unclean.leader.election.enable"],
      ).toBe(false);
    }
    for (const value of [1, 0, "yes", "", null, {}, [], "true1"]) {
      expect(
        codeOf(() => resolveTopicConfig({ "unclean.leader.election.enable": value })),
        String(value),
      ).toBe("INVALID_CONFIG");
    }
  });
});

describe("acks", () => {
  it('accepts 1, "all" and Kafka\'s -1; refuses anything else', () => {
    expect(parseAcks(undefined)).toBeUndefined();
    expect(parseAcks(1)).toBe(1);
    expect(parseAcks("1")).toBe(1);
    expect(parseAcks("all")).toBe("all");
    expect(parseAcks(-1)).toBe("all");
    for (const bad of [0, 2, "ALL", "", null, true, {}])
      expect(codeOf(() => parseAcks(bad))).toBe("INVALID_REQUEST");
  });

  it("refuses acks=all while the ISR is smaller than min.insync.replicas, retriably", () => {
    const config = resolveTopicConfig({ "min.insync.replicas": 2 });
    const tp = { topic: "t", partition: 0 };
    expect(codeOf(() => assertEnoughReplicas(tp, 2, config))).toBeUndefined();
    try {
      assertEnoughReplicas(tp, 1, config);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: "NOT_ENOUGH_REPLICAS", retriable: true });
    }
  });
});

describe("high watermark and ISR membership", () => {
  it("is the smallest in-sync log end and never moves back", () => {
    expect(replicatedHighWatermark(0, 10, [7, 9])).toBe(7);
    expect(replicatedHighWatermark(8, 10, [7])).toBe(8);
    expect(replicatedHighWatermark(0, 10, [])).toBe(10);
  });

  it("keeps a follower in sync while it caught up within replica.lag.time.max.ms", () => {
    const config = resolveTopicConfig({ "replica.lag.time.max.ms": 100 });
    expect(followerInSync(1_000, 1_100, config)).toBe(true);
    expect(followerInSync(1_000, 1_101, config)).toBe(false);
    expect(followerInSync(0, 29_000, DEFAULT_TOPIC_CONFIG)).toBe(true);
  });
});
