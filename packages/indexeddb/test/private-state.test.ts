// IndexedDbLogStore's private key space (`PrivateStateStore`) over fake-indexeddb: compare-and-set, invisible to
// every group call, and the schema upgrade 1 → 2 that moves the outbox's state row out of `groups` by hand-made
// version-1 databases.
import "fake-indexeddb/auto";
import { expectEdgeLogError } from "@edgelog/core/testing";
import { IDBFactory } from "fake-indexeddb";
import { afterEach, describe, expect, it } from "vitest";
import { IndexedDbLogStore, OUTBOX_STATE_ID } from "../src/index.ts";
import { createV1Database } from "./support/v1-database.ts";

let sequence = 0;
const uniqueName = (): string => `private-state-${++sequence}-${Math.random().toString(36).slice(2)}`;

describe("IndexedDbLogStore private state", () => {
  const stores: IndexedDbLogStore[] = [];
  const open = (factory: IDBFactory, name: string): IndexedDbLogStore => {
    const store = new IndexedDbLogStore({ name, indexedDB: factory });
    stores.push(store);
    return store;
  };
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });

  it("is compare-and-set, durable across a reopen, and apart from group state of the same name", async () => {
    const factory = new IDBFactory();
    const name = uniqueName();
    const store = open(factory, name);
    expect(await store.getPrivateState("k")).toBeNull();
    expect(await store.putPrivateState("k", { epoch: 0 }, null)).toBe(1);
    await expectEdgeLogError(store.putPrivateState("k", {}, null), "CONCURRENT_TRANSACTIONS");
    await expectEdgeLogError(store.putPrivateState("k", {}, 7), "CONCURRENT_TRANSACTIONS");
    expect(await store.putPrivateState("k", { epoch: 1 }, 1)).toBe(2);
    expect(await store.getGroupState("k")).toBeNull();
    await store.putGroupState("k", { members: [] }, null);
    await store.close();
    expect(await open(factory, name).getPrivateState("k")).toEqual({ state: { epoch: 1 }, version: 2 });
  });

  it("is never listed, described or deleted by the group calls", async () => {
    const store = open(new IDBFactory(), uniqueName());
    await store.putPrivateState(OUTBOX_STATE_ID, { plan: "in flight" }, null);
    await store.putGroupState("g", { members: [] }, null);
    expect(await store.listGroups()).toEqual(["g"]);
    await expectEdgeLogError(store.describeGroup(OUTBOX_STATE_ID), "GROUP_ID_NOT_FOUND");
    await expectEdgeLogError(store.deleteGroup(OUTBOX_STATE_ID), "GROUP_ID_NOT_FOUND");
    for (const id of await store.listGroups()) await store.deleteGroup(id);
    expect(await store.listGroups()).toEqual([]);
    expect(await store.getPrivateState(OUTBOX_STATE_ID)).toEqual({
      state: { plan: "in flight" },
      version: 1,
    });
  });

  it("upgrading a version-1 database moves the outbox's group row into the private store, version and all", async () => {
    const factory = new IDBFactory();
    const name = uniqueName();
    const outbox = { producerId: "p-1", epoch: 3, sequences: { "clicks/0": 5 }, committed: {}, plan: null };
    await createV1Database(factory, name, {
      groups: [
        { groupId: OUTBOX_STATE_ID, state: outbox, version: 42 },
        { groupId: "billing", state: { members: [] }, version: 2 },
      ],
    });
    const store = open(factory, name);
    expect(await store.getPrivateState(OUTBOX_STATE_ID)).toEqual({ state: outbox, version: 42 });
    expect(await store.getGroupState(OUTBOX_STATE_ID)).toBeNull();
    expect(await store.listGroups()).toEqual(["billing"]);
    expect(await store.getGroupState("billing")).toEqual({ state: { members: [] }, version: 2 });
    // The next compare-and-set continues from the moved version.
    expect(await store.putPrivateState(OUTBOX_STATE_ID, { ...outbox, epoch: 4 }, 42)).toBe(43);
  });

  it("upgrading a version-1 database without outbox state only adds the private store", async () => {
    const factory = new IDBFactory();
    const name = uniqueName();
    await createV1Database(factory, name, {
      groups: [{ groupId: "billing", state: { members: [] }, version: 1 }],
    });
    const store = open(factory, name);
    expect(await store.getPrivateState(OUTBOX_STATE_ID)).toBeNull();
    expect(await store.listGroups()).toEqual(["billing"]);
    expect(await store.putPrivateState(OUTBOX_STATE_ID, {}, null)).toBe(1);
  });
});
