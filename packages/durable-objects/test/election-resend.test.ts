// Re-sending an election in workerd: the controller remembers the replicas it could not tell of an epoch and
// tells them again from its alarm until they answer — a new leader whose becomeLeader was lost after the election
// was recorded learns it leads, and an old leader that comes back is told it follows (and truncates) even when no
// push reaches it. Re-sending stops once told, and a newer election supersedes an older one's messages.
import { expectEdgeLogError, makeBatch, readAll } from "@edgelog/core/testing";
import { describe, expect, it, vi } from "vitest";
import { type DurableObjectLogStore, unwrap } from "../src/index.ts";
import { controllerFailoverState, createReplicated, newStore, replicaStub, storedLog } from "./replicas.ts";

const decoder = new TextDecoder();

const controllerState = controllerFailoverState;

async function roleOf(store: DurableObjectLogStore, topic: string, region: string) {
  const { leader, leaderEpoch } = unwrap(await (await replicaStub(store, topic, 0, region)).leaderEpochs());
  return { leader, leaderEpoch };
}

describe("re-sending an election", () => {
  it("re-sends a becomeLeader lost after the election was recorded, until the new leader has it", async () => {
    const store = newStore("resend");
    await createReplicated(store, "missed");
    const tp = { topic: "missed", partition: 0 };
    await store.append(tp, makeBatch(1, "before"));
    store.setControlDropped("weur", true);
    try {
      // Recorded (weur was reachable when asked), but weur never heard: it still follows wnam at epoch 0.
      expect(await store.electLeader(tp, "weur")).toMatchObject({ leader: "weur", leaderEpoch: 1 });
      expect(await roleOf(store, "missed", "weur")).toEqual({ leader: "wnam", leaderEpoch: 0 });
      expect((await controllerState(store)).pending).toEqual([
        { topic: "missed", partition: 0, region: "weur", leaderEpoch: 1, attempts: 0 },
      ]);
      // Producers are told to retry meanwhile (weur answers that wnam leads, wnam that weur does).
      await expectEdgeLogError(store.append(tp, makeBatch(1, "meanwhile")), "NOT_LEADER_OR_FOLLOWER");
      // The controller keeps trying, with backoff.
      await vi.waitFor(async () =>
        expect((await controllerState(store)).pending[0]?.attempts).toBeGreaterThan(1),
      );
    } finally {
      store.setControlDropped("weur", false);
    }
    await vi.waitFor(async () => expect((await controllerState(store)).pending).toEqual([]), {
      timeout: 5_000,
    });
    expect(await roleOf(store, "missed", "weur")).toEqual({ leader: "weur", leaderEpoch: 1 });
    expect(await store.append(tp, makeBatch(1, "after"))).toMatchObject({ baseOffset: 1, highWatermark: 2 });
    // Told once, the messages stop: no re-send is made for a partition with nothing pending.
    const { resends } = await controllerState(store);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await controllerState(store)).resends).toBe(resends);
    expect((await readAll(store, tp)).map((r) => decoder.decode(r.value ?? new Uint8Array()))).toEqual([
      "before-0",
      "after-0",
    ]);
  });

  it("tells an old leader that comes back that it follows, and it truncates, with every push to it dropped", async () => {
    const store = newStore("resend");
    await createReplicated(store, "back", { "replica.lag.time.max.ms": 60_000 });
    const tp = { topic: "back", partition: 0 };
    await store.append(tp, makeBatch(1, "acked"));
    // wnam writes one batch nobody else gets, then is cut off; weur is elected without telling it.
    store.setReplicationDropped("weur", true);
    store.setReplicationDropped("apac", true);
    await store.append(tp, makeBatch(1, "only-wnam"), { acks: 1 });
    store.setRegionUnreachable("wnam", true);
    store.setReplicationDropped("weur", false);
    store.setReplicationDropped("apac", false);
    // Pushes to wnam stay dropped: only the controller's re-send can reach it.
    store.setReplicationDropped("wnam", true);
    try {
      expect(await store.electLeader(tp, "weur")).toMatchObject({ leader: "weur", leaderEpoch: 1 });
      expect((await controllerState(store)).pending.map((p) => p.region)).toEqual(["wnam"]);
      await store.append(tp, makeBatch(1, "new"), { acks: 1 });
      store.setRegionUnreachable("wnam", false);
      await vi.waitFor(async () => expect((await controllerState(store)).pending).toEqual([]), {
        timeout: 5_000,
      });
      expect(await roleOf(store, "back", "wnam")).toEqual({ leader: "weur", leaderEpoch: 1 });
      const wnam = await replicaStub(store, "back", 0, "wnam");
      expect((await wnam.stats()).truncations).toBe(1);
      // It cut "only-wnam" (asked weur for its epochs) and got nothing else: no push reached it.
      expect((await storedLog(store, "back", "wnam")).batches.map((b) => b.base_offset)).toEqual([0]);
      expect(await wnam.append(makeBatch(1, "stale"))).toMatchObject({
        ok: false,
        error: { code: "NOT_LEADER_OR_FOLLOWER", context: { leader: "weur", leaderEpoch: 1 } },
      });
    } finally {
      store.setRegionUnreachable("wnam", false);
      store.setReplicationDropped("wnam", false);
    }
    await vi.waitFor(
      async () =>
        expect(await storedLog(store, "back", "wnam")).toEqual(await storedLog(store, "back", "weur")),
      {
        timeout: 5_000,
      },
    );
  });

  it("drops the pending messages of an epoch a newer election superseded", async () => {
    const store = newStore("resend");
    await createReplicated(store, "newer");
    const tp = { topic: "newer", partition: 0 };
    store.setControlDropped("apac", true);
    try {
      await store.electLeader(tp, "weur");
      expect((await controllerState(store)).pending).toMatchObject([{ region: "apac", leaderEpoch: 1 }]);
      store.setControlDropped("apac", false);
      store.setControlDropped("wnam", true);
      await store.electLeader(tp, "apac");
      // apac was told of epoch 2 (it leads): its epoch-1 message is gone; wnam's epoch-2 one waits.
      expect((await controllerState(store)).pending).toMatchObject([{ region: "wnam", leaderEpoch: 2 }]);
    } finally {
      store.setControlDropped("apac", false);
      store.setControlDropped("wnam", false);
    }
    await vi.waitFor(async () => expect((await controllerState(store)).pending).toEqual([]), {
      timeout: 5_000,
    });
    expect(await roleOf(store, "newer", "wnam")).toEqual({ leader: "apac", leaderEpoch: 2 });
  });
});
