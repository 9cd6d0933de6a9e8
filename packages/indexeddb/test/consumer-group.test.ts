// Consumer groups over IndexedDB (fake-indexeddb in Node): the same scenario as the memory store's and the local
// Worker's, with every participant on its own IndexedDbLogStore instance of one database — tabs, in effect — so
// the members coordinate only through the database's compare-and-set group state and BroadcastChannel wake-ups.
import "fake-indexeddb/auto";
import type { LogStore } from "@edgelog/core";
import { runConsumerGroupScenario } from "@edgelog/core/testing";
import { IDBFactory } from "fake-indexeddb";
import { afterEach, describe, it } from "vitest";
import { IndexedDbLogStore } from "../src/index.ts";

describe("consumer groups over IndexedDbLogStore instances sharing one database", () => {
  const opened: LogStore[] = [];
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close().catch(() => undefined);
  });

  it("shares partitions, hands them over on leave and after a member vanishes", async () => {
    const factory = new IDBFactory();
    const name = `edgelog-group-${Math.random().toString(36).slice(2)}`;
    await runConsumerGroupScenario({
      storeFor: () => {
        const store = new IndexedDbLogStore({ name, indexedDB: factory });
        opened.push(store);
        return store;
      },
      topic: "orders",
      groupId: "billing",
      timeoutMs: 60_000,
    });
  }, 90_000);
});
