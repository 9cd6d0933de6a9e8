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

  it("lets a caught-up follower rejoin the in-sync set even when its rejoin raced another change and nothing more is written", async () => {
    // Found by the Jepsen test: two followers catch up at once; the first one's in-sync-set change is in flight
    // when the second finishes (one change at a time, so the second is not proposed), and with nobody behind and
    // no write to come, nothing ever proposed it again.
    const scripted = scriptedHost(["wnam"]);
    let answerApac: (logEnd: number) => void = () => undefined;
    let recordIsr: () => void = () => undefined;
    const proposals: string[][] = [];
    let role = scripted.host.role();
    const host: ReplicationHost = {
      ...scripted.host,
      role: () => role,
      replicate: (region, request) => {
        const end = (request.batches.at(-1)?.baseOffset ?? -1) + 1;
        if (region === "weur") return Promise.resolve({ logEnd: end });
        return new Promise((resolve) => {
          answerApac = (logEnd) => resolve({ logEnd });
        });
      },
      alterIsr: (next) => {
        proposals.push([...next]);
        const recorded = { ...role, isr: [...next] } as PartitionReplication;
        // The first change waits until the test lets it through; later ones are recorded at once.
        if (proposals.length > 1) return Promise.resolve(recorded);
        return new Promise((resolve) => {
          recordIsr = () => resolve(recorded);
        });
      },
      adopt: (replication) => {
        role = { ...role, ...replication };
      },
    };
    const replicator = new LeaderReplicator(host);
    try {
      scripted.commit(replicator);
      await vi.waitFor(() => expect(proposals).toEqual([["wnam", "weur"]]));
      answerApac(1);
      await new Promise((resolve) => setTimeout(resolve, 10));
      recordIsr();
      await vi.waitFor(() => expect(role.isr).toEqual(["wnam", "weur", "apac"]), { timeout: 3_000 });
      expect(proposals).toEqual([
        ["wnam", "weur"],
        ["wnam", "weur", "apac"],
      ]);
    } finally {
      replicator.stop(new Error("test over"));
    }
  });

  it("keeps an idle follower in sync through the first commit after a quiet spell longer than the lag time", async () => {
    // Found by the offline-outbox failover e2e: after more than replica.lag.time.max.ms without writes, one
    // follower's answer to the next push re-checked the in-sync set while the other's push was still on its way,
    // and dropped it — its last "caught up" time was its last push answer, long ago. It held the whole log until
    // that commit, so it was caught up until then (Kafka's rule).
    const scripted = scriptedHost(["wnam", "weur", "apac"]);
    let clock = 1_000_000;
    const proposals: string[][] = [];
    let releaseApac: () => void = () => undefined;
    let role = scripted.host.role();
    const host: ReplicationHost = {
      ...scripted.host,
      role: () => role,
      config: () => ({ ...DEFAULT_TOPIC_CONFIG, "replica.lag.time.max.ms": 1_000 }),
      now: () => clock,
      replicate: (region, request) => {
        const logEnd = (request.batches.at(-1)?.baseOffset ?? -1) + 1;
        if (region === "weur") return Promise.resolve({ logEnd });
        // apac answers the second push only when the test lets it.
        if (request.batches[0]?.baseOffset === 1) {
          return new Promise((resolve) => {
            releaseApac = () => resolve({ logEnd });
          });
        }
        return Promise.resolve({ logEnd });
      },
      alterIsr: (next) => {
        proposals.push([...next]);
        return Promise.resolve({ ...role, isr: [...next] } as PartitionReplication);
      },
      adopt: (replication) => {
        role = { ...role, ...replication };
      },
    };
    const replicator = new LeaderReplicator(host);
    try {
      scripted.commit(replicator);
      await vi.waitFor(() => expect(scripted.hw()).toBe(1));
      clock += 60_000; // a quiet minute, far past the 1 s lag time
      scripted.commit(replicator);
      // weur answers at once; its round re-checks the in-sync set while apac's push is on its way.
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(proposals).toEqual([]);
      releaseApac();
      await vi.waitFor(() => expect(scripted.hw()).toBe(2));
      expect(role.isr).toEqual(["wnam", "weur", "apac"]);
    } finally {
      replicator.stop(new Error("test over"));
    }
  });
});
