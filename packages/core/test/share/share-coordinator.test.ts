// The share-group coordinator with a hand-driven clock: what the conformance suite cannot wait for in real time
// (sessions running out, alarms), and what only the coordinator decides (retention and re-created topics under
// the window, a missing dead-letter topic, the group's bounds).
import { describe, expect, it } from "vitest";
import { encodeBatch } from "../../src/codec/record-batch.ts";
import { MemoryShareState } from "../../src/memory/memory-share-state.ts";
import { MemoryStore } from "../../src/memory/memory-store.ts";
import { partitionForKey } from "../../src/partitioner/murmur2.ts";
import { ShareCoordinator } from "../../src/share/share-coordinator.ts";
import type { ShareFetchResponse } from "../../src/share/share-types.ts";
import { expectEdgeLogError, readAll } from "../../src/testing/helpers.ts";
import { DEFAULT_TOPIC_CONFIG } from "../../src/topic-config.ts";

const encoder = new TextEncoder();

async function world(options: { maxMembers?: number } = {}) {
  let now = 1_000_000;
  const log = new MemoryStore({ now: () => now });
  const reports: string[] = [];
  const deadlines: (number | null)[] = [];
  const coordinator = new ShareCoordinator(new MemoryShareState(), log, {
    now: () => now,
    report: (message) => reports.push(message),
    onWrite: (_group, next) => deadlines.push(next),
    ...options,
  });
  const produce = (topic: string, partition: number, values: string[], key: string | null = null) =>
    log.append(
      { topic, partition },
      encodeBatch(
        values.map((v) => ({
          key: key === null ? null : encoder.encode(key),
          value: encoder.encode(v),
          headers: [],
          timestamp: now,
        })),
      ),
    );
  const topic = (name: string, partitions = 1) =>
    log.createTopic({ name, partitions, config: DEFAULT_TOPIC_CONFIG });
  await coordinator.alterConfig("g", {
    "share.auto.offset.reset": "earliest",
    "share.record.lock.duration.ms": 1_000,
    "share.session.timeout.ms": 5_000,
  });
  return {
    log,
    coordinator,
    reports,
    deadlines,
    produce,
    topic,
    tick: (ms: number) => {
      now += ms;
    },
    get now() {
      return now;
    },
  };
}

const offsets = (answer: ShareFetchResponse): number[] =>
  answer.partitions.flatMap((p) =>
    p.acquired.flatMap((r) =>
      Array.from({ length: r.lastOffset - r.firstOffset + 1 }, (_, i) => r.firstOffset + i),
    ),
  );

describe("ShareCoordinator", () => {
  it("ends a silent member's session: its records go back, and it is told to open a new session", async () => {
    const w = await world();
    await w.topic("jobs");
    await w.produce("jobs", 0, ["a"]);
    const held = await w.coordinator.fetch("g", { memberId: "quiet", sessionEpoch: 0, topics: ["jobs"] });
    expect(offsets(held)).toEqual([0]);
    // Its lock would hold for 1 s; the session (5 s) outlives it — both run out here.
    w.tick(5_001);
    const other = await w.coordinator.fetch("g", { memberId: "busy", sessionEpoch: 0, topics: ["jobs"] });
    expect(offsets(other)).toEqual([0]);
    expect((await w.coordinator.describe("g")).members.map((m) => m.memberId)).toEqual(["busy"]);
    await expectEdgeLogError(
      w.coordinator.fetch("g", { memberId: "quiet", sessionEpoch: held.sessionEpoch, topics: ["jobs"] }),
      "SHARE_SESSION_NOT_FOUND",
    );
  });

  it("expires locks and sessions with no request (an alarm), and says when to look next", async () => {
    const w = await world();
    await w.topic("jobs");
    await w.produce("jobs", 0, ["a"]);
    await w.coordinator.fetch("g", { memberId: "m", sessionEpoch: 0, topics: ["jobs"] });
    // The write told the host the lock's deadline (the session's is later).
    expect(w.deadlines.at(-1)).toBe(w.now + 1_000);
    expect(await w.coordinator.expire("g")).toBe(w.now + 1_000);
    w.tick(1_000);
    expect(await w.coordinator.expire("g")).toBe(w.now - 1_000 + 5_001);
    const described = await w.coordinator.describe("g");
    expect(described.partitions[0]?.inFlight).toEqual({
      available: 1,
      acquired: 0,
      acknowledged: 0,
      archived: 0,
    });
    w.tick(5_000);
    expect(await w.coordinator.expire("g")).toBeNull();
    expect((await w.coordinator.describe("g")).members).toEqual([]);
  });

  it("lets retention take records still in the window: they leave it, the start offset follows the log", async () => {
    const w = await world();
    await w.topic("jobs");
    await w.produce("jobs", 0, ["a", "b", "c"]);
    const first = await w.coordinator.fetch("g", {
      memberId: "m",
      sessionEpoch: 0,
      topics: ["jobs"],
      maxRecords: 2,
    });
    expect(offsets(first)).toEqual([0, 1]);
    await w.log.deleteRecords({ topic: "jobs", partition: 0 }, 2);
    const next = await w.coordinator.fetch("g", {
      memberId: "m",
      sessionEpoch: first.sessionEpoch,
      topics: ["jobs"],
      acknowledgements: [{ topic: "jobs", partition: 0, firstOffset: 0, lastOffset: 1, type: "accept" }],
    });
    expect(offsets(next)).toEqual([2]);
    expect((await w.coordinator.describe("g")).partitions[0]).toMatchObject({ startOffset: 2, endOffset: 3 });
  });

  it("starts a re-created topic's partitions afresh", async () => {
    const w = await world();
    await w.topic("jobs");
    await w.produce("jobs", 0, ["old-0", "old-1"]);
    const first = await w.coordinator.fetch("g", {
      memberId: "m",
      sessionEpoch: 0,
      topics: ["jobs"],
      maxRecords: 1,
    });
    expect(offsets(first)).toEqual([0]);
    await w.log.deleteTopic("jobs");
    await w.topic("jobs");
    await w.produce("jobs", 0, ["new-0"]);
    const next = await w.coordinator.fetch("g", {
      memberId: "m",
      sessionEpoch: first.sessionEpoch,
      topics: ["jobs"],
    });
    expect(offsets(next)).toEqual([0]);
    expect(next.partitions[0]?.acquired[0]?.deliveryCount).toBe(1);
  });

  it("copies a keyed record to the dead-letter partition of its key", async () => {
    const w = await world();
    await w.topic("jobs");
    await w.topic("dlq", 4);
    await w.coordinator.alterConfig("g", { "errors.deadletterqueue.topic.name": "dlq" });
    await w.produce("jobs", 0, ["v"], "user-7");
    const got = await w.coordinator.fetch("g", { memberId: "m", sessionEpoch: 0, topics: ["jobs"] });
    await w.coordinator.fetch("g", {
      memberId: "m",
      sessionEpoch: got.sessionEpoch,
      maxRecords: 0,
      acknowledgements: [{ topic: "jobs", partition: 0, firstOffset: 0, lastOffset: 0, type: "reject" }],
    });
    const partition = partitionForKey(encoder.encode("user-7"), 4);
    expect(await readAll(w.log, { topic: "dlq", partition })).toHaveLength(1);
  });

  it("gives up copies to a dead-letter topic that does not exist, says so, and moves on", async () => {
    const w = await world();
    await w.topic("jobs");
    await w.coordinator.alterConfig("g", { "errors.deadletterqueue.topic.name": "missing" });
    await w.produce("jobs", 0, ["v"]);
    const got = await w.coordinator.fetch("g", { memberId: "m", sessionEpoch: 0, topics: ["jobs"] });
    await w.coordinator.fetch("g", {
      memberId: "m",
      sessionEpoch: got.sessionEpoch,
      maxRecords: 0,
      acknowledgements: [{ topic: "jobs", partition: 0, firstOffset: 0, lastOffset: 0, type: "reject" }],
    });
    expect(w.reports).toEqual([expect.stringContaining('dead-letter topic "missing" does not exist')]);
    expect((await w.coordinator.describe("g")).partitions[0]).toMatchObject({
      startOffset: 1,
      pendingDeadLetters: 0,
    });
  });

  it("takes at most maxMembers sessions; a member that reopens always fits", async () => {
    const w = await world({ maxMembers: 2 });
    await w.topic("jobs");
    for (const memberId of ["a", "b"]) {
      await w.coordinator.fetch("g", { memberId, sessionEpoch: 0, topics: ["jobs"], maxRecords: 0 });
    }
    await expectEdgeLogError(
      w.coordinator.fetch("g", { memberId: "c", sessionEpoch: 0, topics: ["jobs"], maxRecords: 0 }),
      "GROUP_MAX_SIZE_REACHED",
    );
    await w.coordinator.fetch("g", { memberId: "a", sessionEpoch: 0, topics: ["jobs"], maxRecords: 0 });
  });

  it("spreads acquisition over partitions in turn", async () => {
    const w = await world();
    await w.topic("jobs", 12);
    for (let p = 0; p < 12; p++) await w.produce("jobs", p, [`p${p}`]);
    let epoch = 0;
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = await w.coordinator.fetch("g", {
        memberId: "m",
        sessionEpoch: epoch,
        topics: ["jobs"],
        maxRecords: 4,
      });
      epoch = answer.sessionEpoch;
      seen.push(...answer.partitions.map((p) => p.partition));
    }
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });
});
