// The outbox's state document: restamp's stamping rule, and name-keyed counters that stay safe for topics named
// `__proto__` or `constructor` through a store round trip (memory and fake-indexeddb) and from old plain objects.
import "fake-indexeddb/auto";
import { MemoryStore } from "@edgelog/core";
import type { PrivateStateStore } from "@edgelog/core/store-kit";
import { IDBFactory } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { IndexedDbLogStore } from "../src/index.ts";
import {
  counterOf,
  loadOutboxState,
  newOutboxState,
  type OutboxState,
  type PlannedBatch,
  restamp,
  restoreOutboxState,
  type SyncPlan,
  saveOutboxState,
} from "../src/outbox-state.ts";

const batch = (
  partition: number,
  count: number,
  status: PlannedBatch["status"] = "pending",
): PlannedBatch => ({
  partition,
  epoch: 0,
  baseSequence: 0,
  offsets: Array.from({ length: count }, (_, i) => i),
  status,
});
const stamps = (plan: SyncPlan) => plan.batches.map((b) => [b.partition, b.epoch, b.baseSequence]);

describe("restamp", () => {
  it("continues each partition after its stored sequence, and after batches acked in this epoch", () => {
    const state = newOutboxState("p");
    state.sequences["t/1"] = 5;
    const acked = { ...batch(0, 2, "acked"), baseSequence: 7 };
    const plan: SyncPlan = {
      topic: "t",
      localFrom: 0,
      localTo: 9,
      batches: [acked, batch(0, 1, "refused"), batch(0, 3), batch(1, 2), batch(1, 1)],
    };
    restamp(state, plan);
    expect(stamps(plan)).toEqual([
      [0, 0, 7], // acked: untouched
      [0, 0, 0], // refused: took no sequence, untouched
      [0, 0, 9],
      [1, 0, 5],
      [1, 0, 7],
    ]);
  });

  it("after an epoch bump ignores acks of the old epoch and wraps sequences at 2^31", () => {
    const state: OutboxState = { ...newOutboxState("p"), epoch: 1 };
    state.sequences["t/0"] = 2 ** 31 - 1;
    const plan: SyncPlan = {
      topic: "t",
      localFrom: 0,
      localTo: 4,
      batches: [{ ...batch(0, 1, "acked"), baseSequence: 40 }, batch(0, 2), batch(0, 1)],
    };
    restamp(state, plan);
    expect(stamps(plan).slice(1)).toEqual([
      [0, 1, 2 ** 31 - 1],
      [0, 1, 1],
    ]);
  });
});

describe("outbox state counters", () => {
  it("restores state written by the old code (plain objects) into null-prototype counters", () => {
    const old = {
      producerId: "p",
      epoch: 2,
      sequences: { "clicks/0": 4 },
      committed: { clicks: 9 },
      plan: null,
    };
    const state = restoreOutboxState(old);
    expect(Object.getPrototypeOf(state.committed)).toBeNull();
    expect(Object.getPrototypeOf(state.sequences)).toBeNull();
    expect(counterOf(state.committed, "clicks")).toBe(9);
    expect(counterOf(state.sequences, "clicks/0")).toBe(4);
    expect(counterOf(state.committed, "constructor")).toBe(0);
    expect(counterOf(state.committed, "__proto__")).toBe(0);
    expect(counterOf(state.committed, "toString")).toBe(0);
  });

  const stores: [string, () => PrivateStateStore][] = [
    ["MemoryStore", () => new MemoryStore()],
    [
      "IndexedDbLogStore",
      () => new IndexedDbLogStore({ name: `state-${Math.random()}`, indexedDB: new IDBFactory() }),
    ],
  ];
  for (const [name, create] of stores) {
    it(`keeps topics named __proto__ and constructor through a ${name} round trip`, async () => {
      const store = create();
      const state = newOutboxState("p");
      const [proto, ctor] = ["__proto__", "constructor"];
      state.committed[proto] = 3;
      state.committed[ctor] = 5;
      state.sequences[`${proto}/0`] = 7;
      const version = await saveOutboxState(store, state, null);
      const loaded = await loadOutboxState(store);
      expect(loaded.version).toBe(version);
      expect(counterOf(loaded.state.committed, "__proto__")).toBe(3);
      expect(counterOf(loaded.state.committed, "constructor")).toBe(5);
      expect(counterOf(loaded.state.sequences, "__proto__/0")).toBe(7);
      expect(Object.keys(loaded.state.committed).sort()).toEqual(["__proto__", "constructor"]);
      expect(Object.getPrototypeOf(loaded.state.committed)).toBeNull();
      await (store as unknown as { close(): Promise<void> }).close();
    });
  }
});
