// The leader's replication loop against a scripted host: a follower that never answers must not hold up the
// others (each follower has its own loop), and the high watermark follows only the in-sync followers.
import { DEFAULT_TOPIC_CONFIG, type StoredBatch } from "@edgelog/core";
import type { PartitionReplication } from "@edgelog/core/store-kit";
import { describe, expect, it, vi } from "vitest";
import { LeaderReplicator, type ReplicationHost } from "../src/replication/leader-replicator.ts";
import type { ReplicaRole, ReplicateRequest } from "../src/replication/replica-role.ts";

function scriptedHost(isr: string[]) {
  let role: ReplicaRole = {
    region: "wnam",
    prefix: "",
    leader: "wnam",
    replicas: ["wnam", "weur", "apac"],
    isr,
    leaderEpoch: 0,
  };
  const log: StoredBatch[] = [];
  let hw = 0;
  const sent: { region: string; request: ReplicateRequest }[] = [];
  const host: ReplicationHost = {
    role: () => role,
    config: () => ({ ...DEFAULT_TOPIC_CONFIG, "replica.lag.time.max.ms": 60_000 }),
    topicId: () => "id",
    logEnd: () => log.length,
    logStartOffset: () => 0,
    leaderEpochs: () => [{ epoch: 0, startOffset: 0, leader: "wnam" }],
    fenced: () => undefined,
    wakeAt: () => undefined,
    highWatermark: () => hw,
    advanceHighWatermark: (next) => {
      hw = next;
    },
    batchesFrom: (offset) => log.slice(offset),
    replicate: (region, request) => {
      sent.push({ region, request });
      // apac never answers (a region that hangs rather than refuses).
      if (region === "apac") return new Promise(() => undefined);
      const last = request.batches.at(-1);
      return Promise.resolve({ logEnd: last === undefined ? 0 : last.baseOffset + 1 });
    },
    alterIsr: async (next) => ({ ...role, isr: [...next] }) as PartitionReplication,
    adopt: (replication) => {
      role = { ...role, ...replication };
    },
    now: () => Date.now(),
  };
  const commit = (replicator: LeaderReplicator) => {
    const offset = log.length;
    log.push({
      baseOffset: offset,
      lastOffset: offset,
      recordCount: 1,
      maxTimestamp: 0,
      logAppendTime: 0,
      sizeBytes: 1,
      payload: new Uint8Array([offset]),
    });
    replicator.onCommit();
  };
  return { host, commit, sent, hw: () => hw };
}

describe("LeaderReplicator", () => {
  it("keeps replicating to a healthy follower while another one hangs", async () => {
    const scripted = scriptedHost(["wnam", "weur"]);
    const replicator = new LeaderReplicator(scripted.host);
    try {
      for (let i = 1; i <= 3; i++) {
        scripted.commit(replicator);
        await vi.waitFor(() => expect(scripted.hw()).toBe(i));
      }
      expect(scripted.sent.filter((s) => s.region === "weur").length).toBe(3);
      // apac got one call, still unanswered; nothing else was queued behind it.
      expect(scripted.sent.filter((s) => s.region === "apac").length).toBe(1);
    } finally {
      replicator.stop(new Error("test over"));
    }
  });

  it("holds acks=all while an in-sync follower hangs, and answers once the high watermark covers the batch", async () => {
    const scripted = scriptedHost(["wnam", "weur", "apac"]);
    const replicator = new LeaderReplicator(scripted.host);
    try {
      scripted.commit(replicator);
      let answered = false;
      void replicator.waitForHighWatermark(1).then(
        () => {
          answered = true;
        },
        () => undefined,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(answered).toBe(false);
      expect(scripted.hw()).toBe(0);
    } finally {
      replicator.stop(new Error("test over"));
    }
  });
});
