/**
 * @module
 * `@edgelog/core/testing`: the store conformance suite. Any `LogStore` runs it with one call inside a vitest
 * file, in whatever runtime the store lives in (Node, workerd, a browser):
 *
 * @example
 * import { runLogStoreConformance } from "@edgelog/core/testing";
 * runLogStoreConformance("MemoryStore", { createStore: () => new MemoryStore() });
 */

export {
  type CompactionConformanceOptions,
  runCompactionConformance,
  type TestClock,
} from "./compaction-conformance.ts";
export {
  type ConsumerGroupScenarioOptions,
  cuttableStore,
  runConsumerGroupScenario,
} from "./consumer-group-scenario.ts";
export {
  errorCodeOf,
  expectEdgeLogError,
  expectTwoWritersGetDenseOffsets,
  makeBatch,
  makeRecords,
  readAll,
} from "./helpers.ts";
export {
  type LogStoreConformanceOptions,
  runLogStoreConformance,
  type StoreLimits,
} from "./log-store-conformance.ts";
export { runShareGroupConformance, type ShareGroupConformanceOptions } from "./share-group-conformance.ts";
