// MemoryStore's private key space (`PrivateStateStore`): compare-and-set like group state, and invisible to every
// group call (the offline outbox keeps its producer id, epoch and in-flight plan there).
import { expectEdgeLogError } from "@edgelog/core/testing";
import { describe, expect, it } from "vitest";
import { MemoryStore } from "../src/index.ts";

describe("MemoryStore private state", () => {
  it("is compare-and-set, hands out copies, and is its own key space", async () => {
    const store = new MemoryStore();
    expect(await store.getPrivateState("outbox")).toBeNull();
    expect(await store.putPrivateState("outbox", { epoch: 0 }, null)).toBe(1);
    const stale = await expectEdgeLogError(
      store.putPrivateState("outbox", {}, null),
      "CONCURRENT_TRANSACTIONS",
    );
    expect(stale.retriable).toBe(true);
    expect(await store.putPrivateState("outbox", { epoch: 1 }, 1)).toBe(2);
    const read = await store.getPrivateState("outbox");
    expect(read).toEqual({ state: { epoch: 1 }, version: 2 });
    (read?.state as { epoch: number }).epoch = 99;
    expect((await store.getPrivateState("outbox"))?.state).toEqual({ epoch: 1 });
    // A group of the same name is another thing entirely.
    expect(await store.getGroupState("outbox")).toBeNull();
    expect(await store.putGroupState("outbox", { members: [] }, null)).toBe(1);
    expect((await store.getPrivateState("outbox"))?.version).toBe(2);
  });

  it("is never listed, described or deleted by the group calls", async () => {
    const store = new MemoryStore();
    await store.putPrivateState("__edgelog_outbox", { plan: "in flight" }, null);
    expect(await store.listGroups()).toEqual([]);
    await expectEdgeLogError(store.describeGroup("__edgelog_outbox"), "GROUP_ID_NOT_FOUND");
    await expectEdgeLogError(store.deleteGroup("__edgelog_outbox"), "GROUP_ID_NOT_FOUND");
    expect(await store.getPrivateState("__edgelog_outbox")).toEqual({
      state: { plan: "in flight" },
      version: 1,
    });
  });

  it("fails with STORE_CLOSED once closed", async () => {
    const store = new MemoryStore();
    await store.close();
    await expectEdgeLogError(store.getPrivateState("k"), "STORE_CLOSED");
    await expectEdgeLogError(store.putPrivateState("k", {}, null), "STORE_CLOSED");
  });
});
