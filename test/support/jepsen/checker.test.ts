// The Jepsen checker on hand-made histories: a clean one passes, and for each property a history that breaks
// only it is caught under that property's name — so no check of the fault-schedule tests can pass vacuously.
import { describe, expect, it } from "vitest";
import { checkHistory, type Property } from "./checker.ts";
import type { History, RecordAt, ReplicaState } from "./history.ts";

const REGIONS = ["wnam", "weur", "apac"];

const rec = (offset: number, key: string, seq: number, partition = 0): RecordAt => ({
  partition,
  offset,
  key,
  value: `${key}#${seq}`,
});

/** p0-k0#0..2 and p1-k0#0 on partition 0, identical on all three replicas, epochs 0 (wnam) and 1 (weur). */
function clean(): History {
  const log = [rec(0, "p0-k0", 0), rec(1, "p1-k0", 0), rec(2, "p0-k0", 1), rec(3, "p0-k0", 2)];
  const epochs = [
    { epoch: 0, startOffset: 0, leader: "wnam" },
    { epoch: 1, startOffset: 2, leader: "weur" },
  ];
  return {
    partitions: 1,
    replicas: REGIONS,
    acks: log.slice(0, 3),
    observations: [
      ...log.map((r) => ({ ...r, reader: "consumer c1@1" })),
      // A second member re-reads from the committed offset after a handover: at least once, order kept.
      ...log.slice(2).map((r) => ({ ...r, reader: "consumer c2@2" })),
    ],
    commits: [
      { partition: 0, offset: 0 },
      { partition: 0, offset: 2 },
      { partition: 0, offset: 2 },
      { partition: 0, offset: 4 },
    ],
    elections: [{ partition: 0, leader: "weur", leaderEpoch: 1 }],
    finalReplicas: REGIONS.map((region) => ({ region, partition: 0, records: log, epochs })),
    finalIsr: [{ partition: 0, isr: REGIONS }],
  };
}

function replica(history: History, region: string): ReplicaState {
  const found = history.finalReplicas.find((r) => r.region === region);
  if (found === undefined) throw new Error(region);
  return found;
}

function withReplica(history: History, region: string, change: Partial<ReplicaState>): History {
  return {
    ...history,
    finalReplicas: history.finalReplicas.map((r) => (r.region === region ? { ...r, ...change } : r)),
  };
}

const properties = (history: History): Property[] => [
  ...new Set(checkHistory(history).map((v) => v.property)),
];

describe("the Jepsen checker", () => {
  it("passes a clean history", () => {
    expect(checkHistory(clean())).toEqual([]);
  });

  it("acked-on-every-replica: an acknowledged record missing on one replica, or moved, or never read", () => {
    const h = clean();
    const shortened = withReplica(h, "apac", { records: replica(h, "apac").records.slice(0, 2) });
    expect(properties(shortened)).toEqual(["acked-on-every-replica", "replicas-identical"]);
    expect(checkHistory(shortened)[0]?.message).toContain(
      "p0-k0#1 acknowledged at 0@2, but replica apac holds nothing",
    );
    const moved = withReplica(h, "weur", {
      records: [rec(0, "p0-k0", 0), rec(1, "p1-k0", 0), rec(2, "p2-k0", 0), rec(3, "p0-k0", 1)],
    });
    expect(properties(moved)).toContain("acked-on-every-replica");
    const unread = { ...h, finalReplicas: h.finalReplicas.filter((r) => r.region !== "weur") };
    expect(checkHistory(unread)).toEqual([
      { property: "acked-on-every-replica", message: "partition 0: no log was read from replica weur" },
    ]);
  });

  it("exactly-once: a retry appended again at a second offset", () => {
    const h = clean();
    const log = [...replica(h, "wnam").records, rec(4, "p0-k0", 2)];
    const duplicated: History = {
      ...h,
      finalReplicas: h.finalReplicas.map((r) => ({ ...r, records: log })),
    };
    expect(properties(duplicated)).toContain("exactly-once");
    expect(checkHistory(duplicated).find((v) => v.property === "exactly-once")?.message).toBe(
      "p0-k0#2 at 0@3 (consumer c1@1) and at 0@4 (replica wnam)",
    );
    // Also caught on one replica alone, for a record nobody acknowledged or read (a duplicate also breaks its
    // key's order, which is checked on its own below).
    const twice = [...replica(h, "weur").records, rec(4, "p2-k0", 0), rec(5, "p2-k0", 0)];
    const onReplica = withReplica(h, "weur", { records: twice });
    expect(properties(onReplica)).toEqual(["exactly-once", "key-order", "replicas-identical"]);
  });

  it("one-record-per-offset: a reader saw a record at an offset that now holds another (a lost write)", () => {
    const h = clean();
    const diverged: History = {
      ...h,
      observations: [...h.observations, { ...rec(1, "p2-k0", 0), reader: "consumer c2@2" }],
    };
    expect(properties(diverged)).toEqual(["one-record-per-offset"]);
    expect(checkHistory(diverged)[0]?.message).toBe("0@1 held p1-k0#0 (ack) and p2-k0#0 (consumer c2@2)");
  });

  it("key-order: a key's records out of sequence in a replica's log or in one reader's view", () => {
    const h = clean();
    const swapped = [rec(0, "p0-k0", 0), rec(1, "p1-k0", 0), rec(2, "p0-k0", 2), rec(3, "p0-k0", 1)];
    const inLog: History = {
      ...h,
      acks: [],
      observations: [],
      finalReplicas: h.finalReplicas.map((r) => ({ ...r, records: swapped })),
    };
    expect(properties(inLog)).toEqual(["key-order"]);
    // A reader that went back within one member epoch (a reset to an earlier offset) breaks it too.
    const rewound: History = {
      ...h,
      observations: [...h.observations, { ...rec(2, "p0-k0", 1), reader: "consumer c1@1" }],
    };
    expect(properties(rewound)).toEqual(["key-order"]);
    expect(checkHistory(rewound)[0]?.message).toBe("consumer c1@1: p0-k0#1 at 0@2 after p0-k0#2 at 0@3");
  });

  it("one-leader-per-epoch: two leaders or two start offsets for one epoch, or epochs out of order", () => {
    const h = clean();
    const twoLeaders = withReplica(h, "apac", {
      epochs: [
        { epoch: 0, startOffset: 0, leader: "wnam" },
        { epoch: 1, startOffset: 2, leader: "apac" },
      ],
    });
    expect(properties(twoLeaders)).toEqual(["one-leader-per-epoch"]);
    const twoStarts = withReplica(h, "apac", {
      epochs: [
        { epoch: 0, startOffset: 0, leader: "wnam" },
        { epoch: 1, startOffset: 3, leader: "weur" },
      ],
    });
    expect(properties(twoStarts)).toEqual(["one-leader-per-epoch"]);
    const backwards = withReplica(h, "apac", {
      epochs: [
        { epoch: 1, startOffset: 2, leader: "weur" },
        { epoch: 0, startOffset: 0, leader: "wnam" },
      ],
    });
    expect(properties(backwards)).toEqual(["one-leader-per-epoch"]);
    // Over HTTP there are no tables: two elections answering the same epoch with different leaders are caught.
    const elections: History = {
      ...h,
      elections: [...h.elections, { partition: 0, leader: "apac", leaderEpoch: 1 }],
      finalReplicas: h.finalReplicas.map((r) => ({ ...r, epochs: [] })),
    };
    expect(checkHistory(elections)).toEqual([
      {
        property: "one-leader-per-epoch",
        message: "partition 0 epoch 1: led by weur (election) and apac (election)",
      },
    ]);
  });

  it("commits-monotonic: a committed offset that moves back", () => {
    const h = clean();
    const back: History = { ...h, commits: [...h.commits, { partition: 0, offset: 3 }] };
    expect(checkHistory(back)).toEqual([
      { property: "commits-monotonic", message: "partition 0: committed 4, then 3 (snapshot 4)" },
    ]);
  });

  it("consumed-every-ack: an acknowledged record no consumer saw", () => {
    const h = clean();
    const unseen: History = { ...h, observations: h.observations.filter((o) => o.value !== "p1-k0#0") };
    expect(properties(unseen)).toEqual(["consumed-every-ack"]);
  });

  it("replicas-identical: a replica holding a record the others lack (an untruncated suffix)", () => {
    const h = clean();
    const extra = withReplica(h, "wnam", { records: [...replica(h, "wnam").records, rec(4, "p2-k0", 0)] });
    expect(checkHistory(extra)).toEqual([
      {
        property: "replicas-identical",
        message: "partition 0: replica wnam has 4:p2-k0#0 where weur has nothing (record 4; 5 vs 4 records)",
      },
      {
        property: "replicas-identical",
        message: "partition 0: replica wnam has 4:p2-k0#0 where apac has nothing (record 4; 5 vs 4 records)",
      },
    ]);
  });

  it("isr-restored: a replica that never rejoined the in-sync set once everything healed", () => {
    const h = clean();
    expect(checkHistory({ ...h, finalIsr: [{ partition: 0, isr: ["wnam", "weur"] }] })).toEqual([
      {
        property: "isr-restored",
        message: "partition 0: apac never rejoined the in-sync set (wnam, weur)",
      },
    ]);
  });

  it("caps what one property lists, so a broken run still prints readably", () => {
    const h = clean();
    const commits = Array.from({ length: 20 }, (_, i) => ({ partition: 0, offset: 20 - i }));
    const violations = checkHistory({ ...h, commits });
    expect(violations).toHaveLength(6);
    expect(violations.at(-1)?.message).toBe("… and 14 more");
  });
});
