// The shared LogStore conformance suite against the Durable Object store, inside workerd. Each store gets its
// own namespace prefix, so the objects of one test never meet another's; a reopen aborts every object
// (in-memory state gone, SQLite kept) and builds a fresh store over the same prefix.
import { abortAllDurableObjects, env } from "cloudflare:test";
import { runCompactionConformance, runLogStoreConformance } from "@edgelog/core/testing";
import { DurableObjectLogStore } from "../src/index.ts";

let worlds = 0;

runLogStoreConformance("DurableObjectLogStore", {
  // Nothing that needs private documents runs on the Durable Object store (the offline outbox is a browser's).
  capabilities: { privateState: false },
  createStore: () => new DurableObjectLogStore(env, { namespacePrefix: `conformance-${++worlds}/` }),
  reopenStore: async (store) => {
    const prefix = (store as DurableObjectLogStore).namespacePrefix;
    await store.close();
    await abortAllDurableObjects();
    return new DurableObjectLogStore(env, { namespacePrefix: prefix });
  },
});

// Compaction runs from each partition object's alarm in slices; `compact` runs a whole pass on demand. The object
// keeps its own clock (Date.now), so the suite runs its time-independent settings.
runCompactionConformance("DurableObjectLogStore", {
  controlsClock: false,
  // Each operation is an RPC here: two seeds per variant keep the suite's time in bounds.
  runs: 2,
  createStore: () => new DurableObjectLogStore(env, { namespacePrefix: `compaction-${++worlds}/` }),
  compact: async (store, tp) => {
    await (store as DurableObjectLogStore).compact(tp);
  },
});
