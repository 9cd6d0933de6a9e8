// A deployment of one region (the top-level wrangler.toml: REGIONS = "wnam") keeps the controller it always had:
// one TopicsObject named `${prefix}topics`, reached with one call per operation, and no call between controller
// replicas (a quorum of one is the object's own SQLite). Counted here, in the Worker's own workerd.
import { runInDurableObject, env as testEnv } from "cloudflare:test";
import { DEFAULT_TOPIC_CONFIG } from "@edgelog/core";
import { makeBatch } from "@edgelog/core/testing";
import { DurableObjectLogStore, type EdgeLogEnv, TopicsObject } from "@edgelog/durable-objects";
import { afterEach, describe, expect, it, vi } from "vitest";

afterEach(() => vi.restoreAllMocks());

const env = testEnv as unknown as EdgeLogEnv;

/** Every TopicsObject method called, with the replica (region) each call was meant for. */
function countControllerCalls(): { name: string; region: string }[] {
  const calls: { name: string; region: string }[] = [];
  const methods = Object.getOwnPropertyNames(TopicsObject.prototype).filter(
    (name) => name !== "constructor" && name !== "alarm",
  ) as (keyof TopicsObject & string)[];
  for (const name of methods) {
    const original = TopicsObject.prototype[name] as (...args: unknown[]) => unknown;
    const prototype = TopicsObject.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
    vi.spyOn(prototype, name).mockImplementation(function (this: TopicsObject, ...args: unknown[]) {
      calls.push({ name, region: (args[0] as { region: string }).region });
      return original.apply(this, args);
    });
  }
  return calls;
}

describe("the controller of a single-region deployment", () => {
  it('is the one object named prefix + "topics": one call per operation, none between replicas, no alarm', async () => {
    const calls = countControllerCalls();
    const prefix = "single-region/";
    const store = new DurableObjectLogStore(env, { namespacePrefix: prefix, metadataMaxAgeMs: 0 });
    const spec = { name: "one", partitions: 2, config: DEFAULT_TOPIC_CONFIG };
    await store.createTopic(spec);
    await store.append({ topic: "one", partition: 1 }, makeBatch(1));
    await store.listTopics();
    await store.placement("one");
    await store.createPartitions("one", 3);
    await store.groupHeartbeat("g", { memberId: "m", memberEpoch: 0, topics: ["one"] });
    await store.listGroups();
    await store.deleteTopic("one");
    expect(calls.map((c) => c.name)).toEqual([
      "createTopic",
      "describeTopic", // the append's metadata (cache disabled here)
      "listTopics",
      "describeTopic", // placement: through the store's description (its epoch check)
      "createPartitions",
      "registerGroup", // the group's first write
      "getTopic", // the group's subscription
      "listGroups",
      "describeTopic", // the delete closes its partitions' read caches first (docs/architecture.md)
      "deleteTopic",
    ]);
    expect(new Set(calls.map((c) => c.region))).toEqual(new Set(["wnam"]));
    const topics = env.TOPICS.getByName(`${prefix}topics`);
    const state = await runInDurableObject(topics, async (_instance, storage) => ({
      alarm: await storage.storage.getAlarm(),
      tables: storage.storage.sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .toArray()
        .map((row) => row.name),
      peers: storage.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM controller_peers").one().n,
    }));
    expect(state).toEqual({
      alarm: null,
      // The quorum's tables, and failover's (per replica, never replicated: empty without replicated topics).
      tables: ["controller_peers", "controller_self", "election_pending", "failover_suspects", "registers"],
      peers: 0,
    });
  });
});
