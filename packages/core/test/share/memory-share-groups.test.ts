// The share-group conformance suite against the memory store.
import { MemoryStore } from "../../src/memory/memory-store.ts";
import { runShareGroupConformance } from "../../src/testing/index.ts";

runShareGroupConformance("MemoryStore", {
  createStore: () => new MemoryStore(),
  compact: async (store, tp) => {
    await (store as MemoryStore).compact(tp);
  },
});
