// Automatic failover in workerd: a leader whose region is cut off (the fault switch, EDGELOG_FAULTS=true) is
// reported by the store, probed by the controller from its alarm and replaced once it has failed for the leader
// session timeout (EDGELOG_LEADER_SESSION_TIMEOUT_MS = 1000 in test/wrangler.toml) — not before — by the most
// caught-up in-sync replica; the lost leader leaves the in-sync set and, back, is fenced, truncated and rejoins.
// With no in-sync replica reachable the partition stays unavailable unless the topic allows unclean election.
import { env } from "cloudflare:test";
import { DEFAULT_TOPIC_CONFIG, EdgeLog } from "@edgelog/core";
import { expectEdgeLogError, makeBatch, readAll } from "@edgelog/core/testing";
import { describe, expect, it, vi } from "vitest";
import { type DurableObjectLogStore, type EdgeLogEnv, unwrap } from "../src/index.ts";
import { REPORT_INTERVAL_MS } from "../src/replication/leader-failure-reports.ts";
import {
  controllerFailoverState,
  countingAppends,
  createReplicated,
  expectAckedExactlyOnce,
  newStore,
  REPLICAS,
  replicaStub,
  storedLog,
} from "./replicas.ts";

const SESSION_TIMEOUT_MS = Number(env.EDGELOG_LEADER_SESSION_TIMEOUT_MS);
const decoder = new TextDecoder();

async function replicationOf(store: DurableObjectLogStore, topic: string, partition = 0) {
  return (await store.placement(topic))[partition]?.replication;
}

function controller(store: DurableObjectLogStore) {
  return env.TOPICS.getByName(`${store.namespacePrefix}topics`);
}

const failoverState = controllerFailoverState;

/** `env` whose controller stub counts the leader-failure reports the store sends. */
function countingReports(): { env: EdgeLogEnv; reports: () => number } {
  let reports = 0;
  const namespace = env.TOPICS;
  const topics = new Proxy(namespace, {
    get(target, property) {
      // Every controller replica's stub: `getByName` for the first region's, `get` for the others'.
      if (property !== "getByName" && property !== "get") return Reflect.get(target, property).bind(target);
      return (...args: unknown[]) => {
        const stub =
          property === "get"
            ? target.get(...(args as Parameters<typeof namespace.get>))
            : target.getByName(...(args as Parameters<typeof namespace.getByName>));
        return new Proxy(stub, {
          get(s, method) {
            const value = Reflect.get(s, method);
            if (typeof value !== "function") return value;
            return (...callArgs: unknown[]) => {
              if (method === "reportLeaderFailure") reports++;
              return (s as unknown as Record<PropertyKey, (...a: unknown[]) => unknown>)[method]?.(
                ...callArgs,
              );
            };
          },
        });
      };
    },
  });
  return { env: { ...env, TOPICS: topics }, reports: () => reports };
}

/** Every replica holds the same log and producers. */
async function expectConverged(store: DurableObjectLogStore, topic: string, partition = 0) {
  await vi.waitFor(
    async () => {
      const first = await storedLog(store, topic, REPLICAS[0] as string, partition);
      for (const region of REPLICAS.slice(1)) {
        expect(await storedLog(store, topic, region, partition), region).toEqual(first);
      }
    },
    { timeout: 10_000, interval: 100 },
  );
}

function values(records: { value?: Uint8Array | null }[]): string[] {
  return records.map((r) => decoder.decode(r.value ?? new Uint8Array()));
}

describe("automatic failover", () => {
  it("elects the most caught-up in-sync replica once the leader has failed for the session timeout; the old leader leaves the ISR, comes back fenced, truncated, and rejoins", async () => {
    const counted = countingReports();
    const store = newStore("failover", counted.env);
    await createReplicated(store, "lost", { "replica.lag.time.max.ms": 60_000 });
    const tp = { topic: "lost", partition: 0 };
    await store.append(tp, makeBatch(1, "acked"));
    // apac misses the next batch (acks=1): weur is now the most caught-up in-sync replica.
    store.setReplicationDropped("apac", true);
    await store.append(tp, makeBatch(1, "weur-has-it"), { acks: 1 });
    await vi.waitFor(async () => expect((await storedLog(store, "lost", "weur")).batches).toHaveLength(2));
    // wnam writes one more that nobody else gets, then its region goes down.
    store.setReplicationDropped("weur", true);
    await store.append(tp, makeBatch(1, "only-wnam"), { acks: 1 });
    store.setRegionUnreachable("wnam", true);
    try {
      const cutAt = Date.now();
      // The store reports the failed calls (once a second per partition, however many fail) and answers
      // LEADER_NOT_AVAILABLE (retriable: nothing was written) once its own resends give up.
      const before = counted.reports();
      const refused = await Promise.all([
        store.append(tp, makeBatch(1, "refused")).catch((error: unknown) => error),
        ...Array.from({ length: 4 }, () => store.offsets(tp).catch((error: unknown) => error)),
      ]);
      for (const error of refused)
        expect(error).toMatchObject({ code: "LEADER_NOT_AVAILABLE", retriable: true });
      expect(Date.now() - cutAt).toBeLessThan(REPORT_INTERVAL_MS);
      expect(counted.reports() - before).toBe(1);
      const { suspects } = await failoverState(store);
      expect(suspects).toMatchObject([{ topic: "lost", partition: 0, leader: "wnam", leaderEpoch: 0 }]);
      // Not before the session timeout: half-way through, wnam still leads.
      const suspectedAt = suspects[0]?.since ?? 0;
      await new Promise((resolve) => setTimeout(resolve, suspectedAt + SESSION_TIMEOUT_MS / 2 - Date.now()));
      expect(await replicationOf(store, "lost")).toMatchObject({ leader: "wnam", leaderEpoch: 0 });
      expect(Date.now()).toBeLessThan(suspectedAt + SESSION_TIMEOUT_MS);
      // Then weur (2 batches) wins over apac (1); wnam leaves the in-sync set.
      store.setReplicationDropped("apac", false);
      store.setReplicationDropped("weur", false);
      await vi.waitFor(async () => expect((await replicationOf(store, "lost"))?.leader).toBe("weur"), {
        timeout: 5_000,
        interval: 50,
      });
      expect(Date.now() - suspectedAt).toBeGreaterThanOrEqual(SESSION_TIMEOUT_MS);
      expect(await replicationOf(store, "lost")).toEqual({
        leader: "weur",
        replicas: REPLICAS,
        isr: ["weur", "apac"],
        leaderEpoch: 1,
      });
      expect((await store.placement("lost"))[0]?.region).toBe("weur");
      expect((await failoverState(store)).suspects).toEqual([]);
      // acks=all no longer waits for wnam: the new leader and apac make the high watermark.
      const after = await store.append(tp, makeBatch(1, "new-leader"));
      expect(after).toMatchObject({ baseOffset: 2, highWatermark: 3 });
    } finally {
      store.setRegionUnreachable("wnam", false);
      store.setReplicationDropped("apac", false);
      store.setReplicationDropped("weur", false);
    }
    // wnam is back: weur's push fences it (epoch 1), it truncates what only it wrote and catches up, and weur
    // takes it back into the in-sync set.
    const wnam = await replicaStub(store, "lost", 0, "wnam");
    await vi.waitFor(async () => expect((await replicationOf(store, "lost"))?.isr).toEqual(REPLICAS), {
      timeout: 5_000,
    });
    expect((await wnam.stats()).truncations).toBe(1);
    expect(await wnam.append(makeBatch(1, "stale"))).toMatchObject({
      ok: false,
      error: { code: "NOT_LEADER_OR_FOLLOWER", context: { leader: "weur", leaderEpoch: 1 } },
    });
    await expectConverged(store, "lost");
    expect(values(await readAll(store, tp))).toEqual(["acked-0", "weur-has-it-0", "new-leader-0"]);
  }, 20_000);

  it("does not replace a leader that fails for less than the session timeout (it answers the probe again)", async () => {
    const store = newStore("failover");
    await createReplicated(store, "blip");
    const tp = { topic: "blip", partition: 0 };
    await store.append(tp, makeBatch(1, "a"));
    store.setRegionUnreachable("wnam", true);
    try {
      await expectEdgeLogError(store.append(tp, makeBatch(1, "refused")), "LEADER_NOT_AVAILABLE");
      expect((await failoverState(store)).suspects).toHaveLength(1);
      await new Promise((resolve) => setTimeout(resolve, SESSION_TIMEOUT_MS / 3));
    } finally {
      store.setRegionUnreachable("wnam", false);
    }
    // The next probe finds wnam answering: the suspicion is cleared, and past the timeout nothing was elected.
    await vi.waitFor(async () => expect((await failoverState(store)).suspects).toEqual([]));
    await new Promise((resolve) => setTimeout(resolve, SESSION_TIMEOUT_MS));
    const { elections, probes } = await failoverState(store);
    expect(elections).toBe(0);
    // Probes of the leader only (a fifth of the session apart) — the other replicas are asked only to elect.
    expect(probes).toBeGreaterThanOrEqual(1);
    expect(probes).toBeLessThanOrEqual(4);
    expect(await replicationOf(store, "blip")).toMatchObject({
      leader: "wnam",
      leaderEpoch: 0,
      isr: REPLICAS,
    });
    expect((await store.append(tp, makeBatch(1, "b"))).baseOffset).toBe(1);
  });

  it("ignores a report from a stale epoch and one of an unknown partition", async () => {
    const store = newStore("failover");
    await createReplicated(store, "stale");
    const topics = controller(store);
    const ref = { prefix: store.namespacePrefix, region: "wnam" };
    expect(unwrap(await topics.reportLeaderFailure(ref, "stale", 0, 7))).toMatchObject({ leaderEpoch: 0 });
    expect(unwrap(await topics.reportLeaderFailure(ref, "stale", 3, 0))).toBeNull();
    expect(unwrap(await topics.reportLeaderFailure(ref, "__proto__", 0, 0))).toBeNull();
    await store.createTopicIn({ name: "single", partitions: 1, config: DEFAULT_TOPIC_CONFIG }, ["wnam"]);
    expect(unwrap(await topics.reportLeaderFailure(ref, "single", 0, 0))).toBeNull();
    expect((await failoverState(store)).suspects).toEqual([]);
  });
});

describe("no in-sync replica reachable", () => {
  /** The followers fall out of the in-sync set (reachable, but their pushes dropped), then the leader is lost. */
  async function leaderAlone(store: DurableObjectLogStore, topic: string, config: Record<string, unknown>) {
    await createReplicated(store, topic, {
      "replica.lag.time.max.ms": 100,
      "min.insync.replicas": 1,
      ...config,
    });
    const tp = { topic, partition: 0 };
    await store.append(tp, makeBatch(1, "everyone"));
    store.setReplicationDropped("apac", true);
    await store.append(tp, makeBatch(1, "wnam-weur"), { acks: 1 });
    await vi.waitFor(async () => expect((await storedLog(store, topic, "weur")).batches).toHaveLength(2));
    store.setReplicationDropped("weur", true);
    await store.append(tp, makeBatch(1, "wnam-only"), { acks: 1 });
    await vi.waitFor(async () => expect((await replicationOf(store, topic))?.isr).toEqual(["wnam"]), {
      timeout: 5_000,
    });
    store.setRegionUnreachable("wnam", true);
    return tp;
  }

  it("stays unavailable (LEADER_NOT_AVAILABLE) without unclean.leader.election.enable, until the leader returns", async () => {
    const store = newStore("failover");
    try {
      const tp = await leaderAlone(store, "clean", {});
      await expectEdgeLogError(store.append(tp, makeBatch(1, "refused")), "LEADER_NOT_AVAILABLE");
      await new Promise((resolve) => setTimeout(resolve, SESSION_TIMEOUT_MS * 1.5));
      // Nobody may lead: nothing was elected, the suspicion stays, and producers keep being told to retry.
      expect(await replicationOf(store, "clean")).toMatchObject({
        leader: "wnam",
        leaderEpoch: 0,
        isr: ["wnam"],
      });
      const state = await failoverState(store);
      expect(state.elections).toBe(0);
      expect(state.suspects).toHaveLength(1);
      const refused = await store.read(tp, { offset: 0 }).catch((error: unknown) => error);
      expect(refused).toMatchObject({ code: "LEADER_NOT_AVAILABLE", retriable: true });
      store.setRegionUnreachable("wnam", false);
      await vi.waitFor(async () => expect((await failoverState(store)).suspects).toEqual([]));
      // The leader is back with everything it had: nothing was lost.
      expect((await store.append(tp, makeBatch(1, "back"), { acks: 1 })).baseOffset).toBe(3);
    } finally {
      store.setRegionUnreachable("wnam", false);
      store.setReplicationDropped("apac", false);
      store.setReplicationDropped("weur", false);
    }
  });

  it("elects the most caught-up out-of-sync replica with unclean.leader.election.enable (ISR = [it]); what only the lost leader held is lost", async () => {
    const store = newStore("failover");
    try {
      const tp = await leaderAlone(store, "unclean", { "unclean.leader.election.enable": true });
      await expectEdgeLogError(store.append(tp, makeBatch(1, "refused")), "LEADER_NOT_AVAILABLE");
      await vi.waitFor(async () => expect((await replicationOf(store, "unclean"))?.leader).toBe("weur"), {
        timeout: 5_000,
        interval: 50,
      });
      expect(await replicationOf(store, "unclean")).toEqual({
        leader: "weur",
        replicas: REPLICAS,
        isr: ["weur"],
        leaderEpoch: 1,
      });
      // weur's log ends at 2: "wnam-only" (offset 2) is gone; the next record takes its offset.
      store.setReplicationDropped("apac", false);
      store.setReplicationDropped("weur", false);
      expect((await store.append(tp, makeBatch(1, "after"), { acks: 1 })).baseOffset).toBe(2);
    } finally {
      store.setRegionUnreachable("wnam", false);
      store.setReplicationDropped("apac", false);
      store.setReplicationDropped("weur", false);
    }
    await expectConverged(store, "unclean");
    expect(values(await readAll(store, { topic: "unclean", partition: 0 }))).toEqual([
      "everyone-0",
      "wnam-weur-0",
      "after-0",
    ]);
  });
});

describe("producers through an automatic failover", () => {
  it("idempotent keyed acks=all producers lose, duplicate and reorder nothing while the leader's region is lost and comes back", async () => {
    const store = newStore("failover");
    await createReplicated(store, "run", { "replica.lag.time.max.ms": 60_000 }, REPLICAS, 2);
    const { counted, seen } = countingAppends(store);
    const log = new EdgeLog({ store: counted });
    const producers = 3;
    const perProducer = 30;
    const acked = new Map<string, { partition: number; offset: number }>();
    const progress: (() => void)[] = [];
    const until = async (count: number) => {
      while (acked.size < count) await new Promise<void>((resolve) => progress.push(resolve));
    };
    const run = async (p: number) => {
      // A retry budget longer than the session timeout: sends keep retrying until the new leader takes them.
      const producer = log.producer({
        acks: "all",
        retry: { retries: 40, initialRetryTime: 50, maxRetryTime: 300 },
      });
      for (let i = 0; i < perProducer; i++) {
        const value = `p${p}-${i}`;
        const [meta] = await producer.send({ topic: "run", messages: [{ key: `k${p}-${i % 4}`, value }] });
        if (meta === undefined) throw new Error("no metadata");
        acked.set(value, { partition: meta.partition, offset: meta.baseOffset });
        for (const wake of progress.splice(0)) wake();
      }
      await producer.disconnect();
    };
    let failedOverAt = 0;
    const faults = async () => {
      await until(20);
      const cutAt = Date.now();
      store.setRegionUnreachable("wnam", true);
      try {
        await vi.waitFor(
          async () => {
            const placement = await store.placement("run");
            expect(placement.map((p) => p.region)).not.toContain("wnam");
          },
          { timeout: 10_000, interval: 50 },
        );
        failedOverAt = Date.now();
        console.log(`both partitions failed over ${failedOverAt - cutAt} ms after wnam was cut off`);
        await until(50);
      } finally {
        store.setRegionUnreachable("wnam", false);
      }
    };
    await Promise.all([...Array.from({ length: producers }, (_, p) => run(p)), faults()]);
    expect(acked.size).toBe(producers * perProducer);
    for (const partition of [0, 1]) {
      const replication = await replicationOf(store, "run", partition);
      expect(replication?.leader).not.toBe("wnam");
      expect(replication?.leaderEpoch).toBe(1);
      // wnam catches up from the new leader and is taken back into the in-sync set.
      await vi.waitFor(
        async () => expect((await replicationOf(store, "run", partition))?.isr).toEqual(REPLICAS),
        {
          timeout: 10_000,
        },
      );
      await expectConverged(store, "run", partition);
      const records = await readAll(store, { topic: "run", partition });
      expectAckedExactlyOnce(records, acked, partition);
    }
    console.log(
      `automatic failover under load: ${producers * perProducer} acks=all sends, ${seen.appends} appends reached ` +
        `the store, failures the producers retried: ${JSON.stringify([...seen.failures])}`,
    );
  }, 60_000);
});
