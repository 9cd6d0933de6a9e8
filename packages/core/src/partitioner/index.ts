/**
 * @module
 * Kafka-compatible partitioning: Java's murmur2 for keyed records, and the pluggable `Partitioner` seam with the
 * built-in sticky (default) and round-robin strategies for keyless ones.
 */

export { murmur2, partitionForKey, toPositive } from "./murmur2.ts";
export type {
  Partitioner,
  PartitionerArgs,
  PartitionerFactory,
  RoundRobinPartitionerOptions,
  StickyPartitionerOptions,
} from "./partitioners.ts";
export {
  createRoundRobinPartitioner,
  createStickyPartitioner,
  DEFAULT_STICKY_BYTES,
  Partitioners,
} from "./partitioners.ts";
