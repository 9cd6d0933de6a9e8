// The share-group conformance suite against the memory store.
import { MemoryStore } from "../../src/memory/memory-store.ts";
import { runShareGroupConformance } from "../../src/testing/index.ts";

runShareGroupConformance("MemoryStore", { createStore: () => new MemoryStore() });
