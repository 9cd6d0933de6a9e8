import { describe, expect, it } from "vitest";
import {
  divergenceOffset,
  endOffsetForEpoch,
  type LeaderEpochEntry,
  leaderEpochStarted,
  MAX_LEADER_EPOCHS_RETAINED,
  mergeLeaderEpochs,
  planElection,
  planFailover,
  truncateLeaderEpochs,
  truncateProducerState,
} from "../src/store-kit/index.ts";

const tp = { topic: "t", partition: 0 };
const replication = {
  leader: "wnam",
  replicas: ["wnam", "weur", "apac"],
  isr: ["wnam", "weur"],
  leaderEpoch: 3,
};

describe("planElection", () => {
  it("moves leadership to an in-sync replica under the next epoch, the in-sync set unchanged", () => {
    expect(planElection(tp, replication, "weur")).toEqual({ ...replication, leader: "weur", leaderEpoch: 4 });
  });

  it("refuses the current leader, an out-of-sync replica and a region without a replica", () => {
    expect(() => planElection(tp, replication, "wnam")).toThrow(
      expect.objectContaining({ code: "ELECTION_NOT_NEEDED", retriable: false }),
    );
    expect(() => planElection(tp, replication, "apac")).toThrow(
      expect.objectContaining({ code: "ELIGIBLE_LEADERS_NOT_AVAILABLE", retriable: true }),
    );
    for (const region of ["enam", "constructor", "__proto__"]) {
      expect(() => planElection(tp, replication, region)).toThrow(
        expect.objectContaining({ code: "INVALID_REQUEST" }),
      );
    }
  });
});

describe("planFailover", () => {
  const three = {
    leader: "wnam",
    replicas: ["wnam", "weur", "apac"],
    isr: ["wnam", "weur", "apac"],
    leaderEpoch: 3,
  };

  it("elects the reachable in-sync replica with the largest log end; the lost leader leaves the in-sync set", () => {
    const plan = planFailover(
      three,
      [
        { region: "weur", logEnd: 10 },
        { region: "apac", logEnd: 12 },
      ],
      false,
    );
    expect(plan).toEqual({
      next: { leader: "apac", replicas: three.replicas, isr: ["weur", "apac"], leaderEpoch: 4 },
      unclean: false,
    });
  });

  it("breaks ties by replica order, whatever order the answers came in", () => {
    const answers = [
      { region: "apac", logEnd: 7 },
      { region: "weur", logEnd: 7 },
    ];
    expect(planFailover(three, answers, false)?.next.leader).toBe("weur");
    expect(planFailover({ ...three, replicas: ["wnam", "apac", "weur"] }, answers, false)?.next.leader).toBe(
      "apac",
    );
  });

  it("never elects the lost leader, a region without a replica, or an out-of-sync replica ahead of an in-sync one", () => {
    const plan = planFailover(
      replication,
      [
        { region: "wnam", logEnd: 99 },
        { region: "enam", logEnd: 99 },
        { region: "__proto__", logEnd: 99 },
        { region: "apac", logEnd: 50 },
        { region: "weur", logEnd: 10 },
      ],
      true,
    );
    expect(plan).toEqual({
      next: { leader: "weur", replicas: replication.replicas, isr: ["weur"], leaderEpoch: 4 },
      unclean: false,
    });
  });

  it("leaves the partition leaderless (null) when no in-sync replica answered and unclean election is off", () => {
    expect(planFailover(replication, [{ region: "apac", logEnd: 50 }], false)).toBeNull();
    expect(planFailover(replication, [], true)).toBeNull();
    expect(planFailover(replication, [{ region: "wnam", logEnd: 50 }], true)).toBeNull();
  });

  it("with unclean election, the most caught-up out-of-sync replica leads alone", () => {
    const outOfSync = { ...three, isr: ["wnam"] };
    expect(
      planFailover(
        outOfSync,
        [
          { region: "weur", logEnd: 4 },
          { region: "apac", logEnd: 9 },
        ],
        true,
      ),
    ).toEqual({
      next: { leader: "apac", replicas: three.replicas, isr: ["apac"], leaderEpoch: 4 },
      unclean: true,
    });
  });
});

describe("leader-epoch table (KIP-101)", () => {
  const leader: LeaderEpochEntry[] = [
    { epoch: 0, startOffset: 0, leader: "wnam" },
    { epoch: 1, startOffset: 45, leader: "weur" },
  ];

  it("answers an epoch's end offset: the next epoch's start, or the log end for the latest", () => {
    expect(endOffsetForEpoch(leader, 0, 60)).toBe(45);
    expect(endOffsetForEpoch(leader, 1, 60)).toBe(60);
    expect(endOffsetForEpoch(leader, 7, 60)).toBe(60);
    // An epoch the log never saw ends where the next one it saw starts.
    expect(
      endOffsetForEpoch(
        [
          { epoch: 0, startOffset: 0, leader: "a" },
          { epoch: 2, startOffset: 9, leader: "b" },
        ],
        1,
        20,
      ),
    ).toBe(9);
  });

  it("cuts an old leader at the new leader's end of its last epoch — above the high watermark when it held more", () => {
    const old: LeaderEpochEntry[] = [{ epoch: 0, startOffset: 0, leader: "wnam" }];
    // Old leader wrote to 55; the new leader took over at 45: records 45..54 are the unreplicated suffix.
    expect(divergenceOffset(old, 55, leader, 60, 0)).toBe(45);
    // Nothing past it: nothing to cut.
    expect(divergenceOffset(old, 45, leader, 60, 0)).toBeNull();
    expect(divergenceOffset(old, 30, leader, 60, 0)).toBeNull();
    // A follower of the current epoch never diverges from its leader.
    expect(divergenceOffset(leader, 50, leader, 60, 0)).toBeNull();
    expect(divergenceOffset([], 10, leader, 60, 0)).toBeNull();
  });

  it("cuts to the log start a replica whose last epoch the leader no longer keeps (it cannot be compared)", () => {
    const trimmed: LeaderEpochEntry[] = [
      { epoch: 70, startOffset: 100, leader: "weur" },
      { epoch: 71, startOffset: 120, leader: "apac" },
    ];
    const behind: LeaderEpochEntry[] = [{ epoch: 3, startOffset: 10, leader: "wnam" }];
    expect(divergenceOffset(behind, 50, trimmed, 130, 5)).toBe(5);
    // Nothing held past its log start: nothing to cut.
    expect(divergenceOffset(behind, 5, trimmed, 130, 5)).toBeNull();
    // Its last epoch is one the leader keeps: compared as usual.
    expect(divergenceOffset([{ epoch: 70, startOffset: 100, leader: "weur" }], 125, trimmed, 130, 5)).toBe(
      120,
    );
  });

  it("merges only epochs that wrote below the follower's log end, in order, bounded", () => {
    const local: LeaderEpochEntry[] = [{ epoch: 0, startOffset: 0, leader: "wnam" }];
    expect(mergeLeaderEpochs(local, leader, 40)).toEqual(local);
    expect(mergeLeaderEpochs(local, leader, 46)).toEqual(leader);
    const many = Array.from({ length: 100 }, (_, i) => ({ epoch: i, startOffset: i, leader: "x" }));
    const merged = mergeLeaderEpochs([], many, 1000);
    expect(merged).toHaveLength(MAX_LEADER_EPOCHS_RETAINED);
    expect(merged.at(-1)?.epoch).toBe(99);
  });

  it("records a new epoch at the new leader's log end and drops epochs that a truncation emptied", () => {
    expect(leaderEpochStarted(leader, 2, "apac", 60).at(-1)).toEqual({
      epoch: 2,
      startOffset: 60,
      leader: "apac",
    });
    // An epoch that wrote nothing before the next one started is not kept: tables stay identical across replicas.
    expect(leaderEpochStarted(leader, 2, "apac", 45)).toEqual([
      leader[0],
      { epoch: 2, startOffset: 45, leader: "apac" },
    ]);
    expect(
      mergeLeaderEpochs(
        [leader[0] as LeaderEpochEntry, { epoch: 1, startOffset: 80, leader: "weur" }],
        [leader[0] as LeaderEpochEntry, { epoch: 3, startOffset: 80, leader: "wnam" }],
        90,
      ),
    ).toEqual([leader[0], { epoch: 3, startOffset: 80, leader: "wnam" }]);
    expect(truncateLeaderEpochs(leader, 45)).toEqual([leader[0]]);
    expect(truncateLeaderEpochs(leader, 46)).toEqual(leader);
  });
});

describe("truncateProducerState", () => {
  const entry = (base: number, seq: number) => ({
    firstSequence: seq,
    lastSequence: seq,
    baseOffset: base,
    lastOffset: base,
    logAppendTime: 0,
  });
  const state = { producerId: "p", epoch: 0, batches: [entry(10, 0), entry(20, 1), entry(30, 2)] };

  it("forgets the batches a truncation removed, so their retry is appended again, not answered duplicate", () => {
    expect(truncateProducerState(state, 25)).toEqual({ ...state, batches: [entry(10, 0), entry(20, 1)] });
    expect(truncateProducerState(state, 31)).toBe(state);
    expect(truncateProducerState(state, 10)).toBeUndefined();
  });
});
