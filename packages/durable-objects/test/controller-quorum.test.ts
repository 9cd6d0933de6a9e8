// The controller survives its region, in workerd: three controller replicas (one per region of the test config)
// hold the topic table and group registry as CASPaxos registers. With the first region cut off (fault switch)
// every controller operation still works through the others; with two of three cut off changes are refused with a
// retriable NOT_CONTROLLER while reads still answer; a replica that comes back is caught up; concurrent proposers
// never hand out one leader epoch twice; a value only a minority accepted is either completed or superseded,
// never answered on its own; a single-region deployment's tables are taken over and the new replicas brought up.
import { abortAllDurableObjects, env, runInDurableObject } from "cloudflare:test";
import { DEFAULT_TOPIC_CONFIG } from "@edgelog/core";
import { httpStatusFor } from "@edgelog/core/store-kit";
import { expectEdgeLogError, makeBatch } from "@edgelog/core/testing";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type DurableObjectLogStore, TopicsObject, unwrap } from "../src/index.ts";
import { createReplicated, newStore, REPLICAS, storedLog } from "./replicas.ts";

/** A controller replica's stub, as the deployment names it. */
function controllerOf(store: DurableObjectLogStore, region: string) {
  const prefix = store.namespacePrefix;
  return env.TOPICS.getByName(region === REPLICAS[0] ? `${prefix}topics` : `${prefix}topics/${region}`);
}

function refOf(store: DurableObjectLogStore, region: string) {
  return { prefix: store.namespacePrefix, region };
}

/** A register as one replica holds it (read from its SQLite, past any fault). */
async function registerOn(store: DurableObjectLogStore, region: string, kind: string, key: string) {
  return runInDurableObject(controllerOf(store, region), (_instance, state) => {
    const rows = state.storage.sql
      .exec<{ accepted: number | null; value: string | null }>(
        "SELECT accepted, value FROM registers WHERE kind = ? AND key = ?",
        kind,
        key,
      )
      .toArray();
    return rows[0] ?? { accepted: null, value: null };
  });
}

async function leadershipOn(store: DurableObjectLogStore, region: string, topic: string, partition = 0) {
  const { value } = await registerOn(store, region, "topic", topic);
  if (value === null) return null;
  const row = JSON.parse(value) as { replication: string | null };
  return (JSON.parse(row.replication ?? "[]") as { leader: string; leaderEpoch: number; isr: string[] }[])[
    partition
  ];
}

const join = (topics: string[]) => ({ memberId: "m", memberEpoch: 0, topics });

afterEach(() => vi.restoreAllMocks());

/** Calls between controller replicas, by method, counted where they arrive. */
function countQuorumCalls(): Record<string, number> {
  const counts: Record<string, number> = { controllerPrepare: 0, controllerAccept: 0, controllerPeek: 0 };
  for (const name of Object.keys(counts)) {
    const prototype = TopicsObject.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
    const original = prototype[name] as (...args: unknown[]) => unknown;
    vi.spyOn(prototype, name).mockImplementation(function (this: TopicsObject, ...args: unknown[]) {
      counts[name] = (counts[name] ?? 0) + 1;
      return original.apply(this, args);
    });
  }
  return counts;
}

describe("controller replicas with the first region cut off", () => {
  it("create, describe, list, elect, ISR shrink and group registration all go through the other two", async () => {
    const store = newStore("controller");
    await createReplicated(store, "before");
    store.setRegionUnreachable("wnam", true);
    try {
      const config = { "replica.lag.time.max.ms": 100, "min.insync.replicas": 1 };
      const metadata = await createReplicated(store, "during", config, ["weur", "apac"]);
      expect(await store.getTopic("during")).toMatchObject({ topicId: metadata.topicId, partitions: 1 });
      expect((await store.listTopics()).map((t) => t.name)).toEqual(["before", "during"]);
      const tp = { topic: "during", partition: 0 };
      await store.append(tp, makeBatch(1, "a"));
      expect(await store.electLeader(tp, "apac")).toMatchObject({ leader: "apac", leaderEpoch: 1 });
      expect(await store.append(tp, makeBatch(1, "b"))).toMatchObject({ baseOffset: 1 });
      // weur stops getting apac's pushes: the leader asks the controller (weur's and apac's replicas) to shrink.
      store.setReplicationDropped("weur", true);
      await store.append(tp, makeBatch(1, "c"), { acks: 1 });
      await vi.waitFor(
        async () => expect((await store.placement("during"))[0]?.replication?.isr).toEqual(["apac"]),
        { timeout: 5_000 },
      );
      store.setReplicationDropped("weur", false);
      await store.groupHeartbeat("g", join(["during"]));
      expect(await store.listGroups()).toEqual(["g"]);
      // The first replica took none of it (it stays cut off).
      expect((await registerOn(store, "wnam", "topic", "during")).value).toBeNull();
      expect((await registerOn(store, "wnam", "group", "g")).value).toBeNull();
    } finally {
      store.setRegionUnreachable("wnam", false);
      store.setReplicationDropped("weur", false);
    }
    // Back: the replicas that proposed catch it up from their alarms; reads from it show everything.
    await vi.waitFor(
      async () => {
        // (weur is back in sync by now: its pushes are delivered again.)
        const majority = await leadershipOn(store, "weur", "during");
        expect(majority).toMatchObject({ leader: "apac", leaderEpoch: 1 });
        expect(await leadershipOn(store, "wnam", "during")).toEqual(majority);
        expect((await registerOn(store, "wnam", "group", "g")).value).toBe("true");
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(unwrap(await controllerOf(store, "wnam").listGroups(refOf(store, "wnam")))).toEqual(["g"]);
    expect(
      unwrap(await controllerOf(store, "wnam").describeTopic(refOf(store, "wnam"), "during"))?.placement,
    ).toEqual(["apac"]);
  });
});

describe("a replica back from being cut off, not caught up yet", () => {
  it("answers reads from its own table, but never says a topic created meanwhile is unknown when asked to change it", async () => {
    const store = newStore("controller");
    await createReplicated(store, "first");
    store.setRegionUnreachable("wnam", true);
    try {
      await createReplicated(store, "meanwhile");
    } finally {
      store.setRegionUnreachable("wnam", false);
    }
    // Keep wnam a change behind: the proposer's catch-up alarm is put off.
    for (const region of ["weur", "apac"]) {
      await runInDurableObject(controllerOf(store, region), (_instance, state) =>
        state.storage.deleteAlarm(),
      );
    }
    expect((await registerOn(store, "wnam", "topic", "meanwhile")).value).toBeNull();
    const wnam = controllerOf(store, "wnam");
    expect(unwrap(await wnam.getTopic(refOf(store, "wnam"), "meanwhile"))).toBeNull();
    // Changes look the topic up on a majority when the replica's own table lacks it.
    expect(await store.electLeader({ topic: "meanwhile", partition: 0 }, "apac")).toMatchObject({
      leader: "apac",
      leaderEpoch: 1,
    });
    expect((await store.createPartitions("meanwhile", 2)).partitions).toBe(2);
    await store.deleteTopic("meanwhile");
    await expectEdgeLogError(store.deleteTopic("meanwhile"), "UNKNOWN_TOPIC_OR_PARTITION");
    expect((await store.listTopics()).map((t) => t.name)).toEqual(["first"]);
  });
});

describe("reaching the controller", () => {
  it("moves on from a replica whose call fails or hangs, and a hung peer does not hold a change up", async () => {
    const store = newStore("controller");
    await createReplicated(store, "reached");
    const prototype = TopicsObject.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
    const original = { listTopics: prototype.listTopics, controllerPrepare: prototype.controllerPrepare };
    let failing: "throw" | "hang" = "throw";
    vi.spyOn(prototype, "listTopics").mockImplementation(function (this: TopicsObject, ...args: unknown[]) {
      if ((args[0] as { region: string }).region !== "wnam") return original.listTopics?.apply(this, args);
      if (failing === "throw") return Promise.reject(new Error("Network connection lost."));
      return new Promise(() => undefined);
    });
    expect((await store.listTopics()).map((t) => t.name)).toEqual(["reached"]);
    failing = "hang";
    // After the 5 s a replica may take, the next one answers.
    expect((await store.listTopics()).map((t) => t.name)).toEqual(["reached"]);
    // apac's replica stops answering prepares: wnam and weur are a majority, the change goes through.
    vi.spyOn(prototype, "controllerPrepare").mockImplementation(function (
      this: TopicsObject,
      ...args: unknown[]
    ) {
      if ((args[0] as { region: string }).region === "apac") return new Promise(() => undefined);
      return original.controllerPrepare?.apply(this, args);
    });
    await store.createTopic({ name: "past-a-hung-peer", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    expect(await registerOn(store, "weur", "topic", "past-a-hung-peer")).toMatchObject({
      accepted: expect.any(Number),
    });
  }, 20_000);

  it("keeps names that are Object.prototype's keys apart, through any replica", async () => {
    const store = newStore("controller");
    for (const name of ["__proto__", "constructor"]) {
      await store.createTopic({ name, partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    }
    await store.groupHeartbeat("valueOf", join(["constructor"]));
    store.setRegionUnreachable("wnam", true);
    try {
      expect((await store.listTopics()).map((t) => t.name)).toEqual(["__proto__", "constructor"]);
      expect(await store.listGroups()).toEqual(["valueOf"]);
      await store.createTopic({ name: "toString", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
      await store.deleteTopic("__proto__");
      expect((await store.listTopics()).map((t) => t.name)).toEqual(["constructor", "toString"]);
    } finally {
      store.setRegionUnreachable("wnam", false);
    }
  });
});

describe("controller replicas with two of three regions cut off", () => {
  it("refuses every change with a retriable NOT_CONTROLLER (503), never a hang or a 500; reads still answer", async () => {
    const store = newStore("controller");
    await createReplicated(store, "kept");
    await store.groupHeartbeat("g0", join(["kept"]));
    store.setRegionUnreachable("weur", true);
    store.setRegionUnreachable("apac", true);
    try {
      const spec = { name: "refused", partitions: 1, config: DEFAULT_TOPIC_CONFIG };
      const refused = await expectEdgeLogError(store.createTopic(spec), "NOT_CONTROLLER");
      expect(refused.retriable).toBe(true);
      expect(httpStatusFor(refused.code)).toBe(503);
      await expectEdgeLogError(store.deleteTopic("kept"), "NOT_CONTROLLER");
      await expectEdgeLogError(store.groupHeartbeat("g1", join(["kept"])), "NOT_CONTROLLER");
      // Reads are the first replica's own.
      expect((await store.listTopics()).map((t) => t.name)).toEqual(["kept"]);
      expect(await store.placement("kept")).toMatchObject([{ partition: 0, region: "wnam" }]);
      expect(await store.listGroups()).toEqual(["g0"]);
      // The one left may be any: with wnam and weur cut off, apac answers reads alone.
      store.setRegionUnreachable("wnam", true);
      store.setRegionUnreachable("apac", false);
      store.setRegionUnreachable("weur", true);
      expect((await store.listTopics()).map((t) => t.name)).toEqual(["kept"]);
      await expectEdgeLogError(store.createTopic(spec), "NOT_CONTROLLER");
      // All three cut off: nothing answers, and says so.
      store.setRegionUnreachable("apac", true);
      await expectEdgeLogError(store.listTopics(), "NOT_CONTROLLER");
    } finally {
      for (const region of REPLICAS) store.setRegionUnreachable(region, false);
    }
    // Nothing refused was half-done: the topic is still there, the refused name free.
    expect((await store.listTopics()).map((t) => t.name)).toEqual(["kept"]);
    await store.createTopic({ name: "refused", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    expect((await store.listTopics()).map((t) => t.name)).toEqual(["kept", "refused"]);
  });
});

describe("concurrent proposers", () => {
  it("two controller replicas electing the same partition at once: each leader epoch is handed out once", async () => {
    const store = newStore("controller");
    await createReplicated(store, "race");
    const tp = { topic: "race", partition: 0 };
    const answered: number[] = [];
    let conflicts = 0;
    for (const [first, second] of [
      ["weur", "weur"],
      ["apac", "wnam"],
      ["weur", "weur"],
      ["wnam", "apac"],
    ] as const) {
      // The same target from both (one wins, the other is told it already leads), or two targets (both win, one
      // epoch each, in some order).
      const outcomes = await Promise.allSettled([
        controllerOf(store, "wnam").electLeader(refOf(store, "wnam"), "race", 0, first),
        controllerOf(store, "weur").electLeader(refOf(store, "weur"), "race", 0, second),
      ]);
      for (const outcome of outcomes) {
        if (outcome.status === "rejected") throw outcome.reason;
        if (outcome.value.ok) answered.push(outcome.value.value.leaderEpoch);
        else {
          expect(outcome.value.error.code).toBe("ELECTION_NOT_NEEDED");
          conflicts++;
        }
      }
    }
    expect(conflicts).toBeGreaterThan(0);
    // Distinct, and together exactly the epochs recorded: nothing handed out twice, nothing skipped.
    expect(new Set(answered).size).toBe(answered.length);
    expect([...answered].sort((a, b) => a - b)).toEqual(answered.map((_, i) => i + 1));
    const recorded = (await store.placement("race"))[0]?.replication;
    expect(recorded?.leaderEpoch).toBe(answered.length);
    // The partition follows the recorded leader: a write lands, and every replica's epoch table agrees.
    await store.append(tp, makeBatch(1, "after"));
    await vi.waitFor(
      async () => {
        const logs = await Promise.all(REPLICAS.map((region) => storedLog(store, "race", region)));
        for (const log of logs) expect(log).toEqual(logs[0]);
      },
      { timeout: 10_000, interval: 100 },
    );
  });

  it("a value only a minority accepted is superseded if a majority never saw it, and completed if one did", async () => {
    const store = newStore("controller");
    await createReplicated(store, "lost");
    await createReplicated(store, "kept");
    const wnam = controllerOf(store, "wnam");
    const weur = controllerOf(store, "weur");
    // A proposer (of replica index 2) prepared a ballot above everything on wnam and weur — a majority — then
    // reached wnam alone with its accept (apac leads at epoch 1) and died.
    const ballot = 1_000 * 64 + 2;
    const minorityAccept = async (topic: string) => {
      const { value } = await registerOn(store, "wnam", "topic", topic);
      const row = JSON.parse(value ?? "null") as { replication: string };
      const replication = JSON.parse(row.replication) as { leader: string; leaderEpoch: number }[];
      replication[0] = {
        ...(replication[0] as { leader: string; leaderEpoch: number }),
        leader: "apac",
        leaderEpoch: 1,
      };
      const next = JSON.stringify({ ...row, replication: JSON.stringify(replication) });
      for (const [stub, region] of [
        [wnam, "wnam"],
        [weur, "weur"],
      ] as const) {
        expect(
          unwrap(await stub.controllerPrepare(refOf(store, region), "topic", topic, ballot)),
        ).toMatchObject({
          promised: true,
        });
      }
      expect(
        unwrap(
          await wnam.controllerAccept(refOf(store, "wnam"), "topic", topic, ballot, {
            value: next,
            changes: ["stray"],
          }),
        ),
      ).toEqual({
        accepted: true,
      });
    };

    // Superseded: with wnam cut off, weur and apac never saw it; weur's election gets epoch 1 for weur, under a
    // higher ballot than the stray value — which was never answered to anyone, so losing it is allowed.
    await minorityAccept("lost");
    store.setRegionUnreachable("wnam", true);
    try {
      expect(await store.electLeader({ topic: "lost", partition: 0 }, "weur")).toMatchObject({
        leader: "weur",
        leaderEpoch: 1,
      });
    } finally {
      store.setRegionUnreachable("wnam", false);
    }
    // A quorum read never answers the stray value, and hands wnam the chosen one.
    const described = unwrap(await wnam.describeTopic(refOf(store, "wnam"), "lost", { quorum: true }));
    expect(described?.replication?.[0]).toMatchObject({ leader: "weur", leaderEpoch: 1 });
    expect(await leadershipOn(store, "wnam", "lost")).toMatchObject({ leader: "weur", leaderEpoch: 1 });

    // Completed: with wnam reachable, the next proposal sees it (the highest ballot a majority reports) and builds
    // on it — the election gets epoch 2, never a second epoch 1.
    await minorityAccept("kept");
    expect(await store.electLeader({ topic: "kept", partition: 0 }, "weur")).toMatchObject({
      leader: "weur",
      leaderEpoch: 2,
    });
    for (const region of REPLICAS) {
      expect(await leadershipOn(store, region, "kept"), region).toMatchObject({
        leader: "weur",
        leaderEpoch: 2,
      });
    }
  });
});

describe("growing the quorum", () => {
  it("takes over a single-region deployment's tables and brings the new regions' replicas up to date", async () => {
    const store = newStore("controller");
    const first = controllerOf(store, "wnam");
    // Today's tables, as the one metadata object of a single-region deployment wrote them (before the
    // replication column existed, even), on the first replica only.
    await runInDurableObject(first, (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec(`CREATE TABLE topics (name TEXT PRIMARY KEY, topic_id TEXT NOT NULL, partitions INTEGER NOT NULL,
        config TEXT NOT NULL, created_at INTEGER NOT NULL, placement TEXT NOT NULL, regions TEXT NOT NULL)`);
      sql.exec("CREATE TABLE groups (group_id TEXT PRIMARY KEY)");
      sql.exec(
        "INSERT INTO topics VALUES (?, ?, 2, ?, 1, ?, ?)",
        "old.topic",
        "old-id",
        JSON.stringify(DEFAULT_TOPIC_CONFIG),
        JSON.stringify(["wnam", "wnam"]),
        JSON.stringify(["wnam"]),
      );
      sql.exec("INSERT INTO groups VALUES ('constructor'), ('old-group')");
    });
    // The deployment restarts with three regions.
    await abortAllDurableObjects();
    expect(await store.getTopic("old.topic")).toMatchObject({
      topicId: "old-id",
      partitions: 2,
      createdAt: 1,
    });
    // First contact: the first replica lets the others join (from its alarm, or before its first change) …
    await store.createTopic({ name: "new", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    for (const region of ["weur", "apac"]) {
      expect(
        JSON.parse((await registerOn(store, region, "topic", "old.topic")).value ?? "null"),
      ).toMatchObject({
        name: "old.topic",
        topic_id: "old-id",
        replication: null,
      });
      expect((await registerOn(store, region, "group", "constructor")).value).toBe("true");
    }
    // … so a majority without it knows the old topics and groups, and the name rules still hold there.
    store.setRegionUnreachable("wnam", true);
    try {
      expect((await store.listTopics()).map((t) => t.name)).toEqual(["new", "old.topic"]);
      expect(await store.listGroups()).toEqual(["constructor", "old-group"]);
      await expectEdgeLogError(
        store.createTopic({ name: "old_topic", partitions: 1, config: DEFAULT_TOPIC_CONFIG }),
        "INVALID_TOPIC",
      );
      await expectEdgeLogError(
        store.createTopic({ name: "old.topic", partitions: 1, config: DEFAULT_TOPIC_CONFIG }),
        "TOPIC_ALREADY_EXISTS",
      );
    } finally {
      store.setRegionUnreachable("wnam", false);
    }
  });

  it("a replica that has not joined refuses to answer or vote, so its empty table never outvotes the first", async () => {
    const store = newStore("controller");
    const weur = controllerOf(store, "weur");
    // Nobody has let weur join yet (the first replica was never contacted).
    const read = await weur.listTopics(refOf(store, "weur"));
    expect(read).toMatchObject({ ok: false, error: { code: "NOT_CONTROLLER" } });
    const promise = await weur.controllerPrepare(refOf(store, "weur"), "topic", "x", 64);
    expect(promise).toMatchObject({ ok: false, error: { code: "NOT_CONTROLLER" } });
    // With the first replica cut off from the start, no majority of joined replicas exists: refused, not guessed.
    store.setRegionUnreachable("wnam", true);
    try {
      await expectEdgeLogError(store.listTopics(), "NOT_CONTROLLER");
      await expectEdgeLogError(
        store.createTopic({ name: "early", partitions: 1, config: DEFAULT_TOPIC_CONFIG }),
        "NOT_CONTROLLER",
      );
    } finally {
      store.setRegionUnreachable("wnam", false);
    }
    await store.createTopic({ name: "early", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    expect(unwrap(await weur.listTopics(refOf(store, "weur"))).map((t) => t.name)).toEqual(["early"]);
  });
});

describe("what the quorum costs (3 regions)", () => {
  it("a change: one prepare and one accept per other replica; a read: none; a change that changes nothing: prepares", async () => {
    const store = newStore("controller");
    await createReplicated(store, "warm");
    const counts = countQuorumCalls();
    const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
    await store.createTopic({ name: "counted", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    await settle();
    // The proposer answers once a majority answered; the third replica's calls are sent all the same.
    expect(counts).toEqual({ controllerPrepare: 2, controllerAccept: 2, controllerPeek: 0 });
    await store.listTopics();
    await store.placement("counted");
    await store.getTopic("warm");
    await store.listGroups();
    await settle();
    expect(counts).toEqual({ controllerPrepare: 2, controllerAccept: 2, controllerPeek: 0 });
    const wnam = controllerOf(store, "wnam");
    unwrap(await wnam.registerGroup(refOf(store, "wnam"), "g"));
    unwrap(await wnam.registerGroup(refOf(store, "wnam"), "g"));
    await settle();
    // The second registration finds the entry on a majority: nothing to accept.
    expect(counts).toEqual({ controllerPrepare: 6, controllerAccept: 4, controllerPeek: 0 });
    // A quorum read of a value a majority agrees on: one peek per other replica.
    unwrap(await wnam.describeTopic(refOf(store, "wnam"), "counted", { quorum: true }));
    await settle();
    expect(counts).toEqual({ controllerPrepare: 6, controllerAccept: 4, controllerPeek: 2 });
  });
});
