/**
 * @module
 * The partitioner seam, KafkaJS-style: a producer takes a `PartitionerFactory` (`createPartitioner`), calls it
 * once, and asks the resulting `Partitioner` for the partition of every record that has no explicit `partition`
 * (an explicit partition always wins and never reaches the partitioner). Factories instead of flags, so users can
 * inject their own strategy and tests can inject `random`.
 *
 * Every built-in sends keyed records to `partitionForKey` — Java-compatible murmur2 — so only keyless records
 * differ between them.
 */

import { EdgeLogError } from "../errors.ts";
import { assertPartitionCount, partitionForKey } from "./murmur2.ts";

/** What a partitioner is told about one record. */
export interface PartitionerArgs {
  topic: string;
  /** How many partitions the topic has now; may change between calls when partitions are added. */
  partitionCount: number;
  /** The serialised key, or `null` for a keyless record. */
  key: Uint8Array | null;
  /** encoded size of the record, for sticky switching */
  sizeBytes: number;
}

/**
 * Picks a partition in `[0, partitionCount)` for a record without an explicit partition.
 * @example
 * const allToZero: Partitioner = () => 0;
 */
export type Partitioner = (args: PartitionerArgs) => number;

/**
 * Makes a partitioner with its own state (sticky partitions, round-robin counters), one per producer.
 * @example
 * const producer = client.producer({ createPartitioner: Partitioners.RoundRobinPartitioner });
 */
export type PartitionerFactory = () => Partitioner;

/** Kafka's default `batch.size`: KIP-794 switches the sticky partition after this many bytes. */
export const DEFAULT_STICKY_BYTES = 16_384;

/** KafkaJS seeds its round-robin counter from 32 random bits; 31 keep the counter a small positive integer. */
const COUNTER_START_RANGE = 2 ** 31;

export interface StickyPartitionerOptions {
  /** Bytes a sticky partition receives before a keyless record switches to another one. */
  stickyBytes?: number;
  /** A source of numbers in `[0, 1)`, like `Math.random` (the default); inject a seeded one for determinism. */
  random?: () => number;
}

export interface RoundRobinPartitionerOptions {
  /** A source of numbers in `[0, 1)`, like `Math.random` (the default); seeds each topic's counter. */
  random?: () => number;
}

/**
 * The default strategy. Keyed records: `partitionForKey`. Keyless records: sticky per topic, as KIP-794's
 * `BuiltInPartitioner` — they stay on one partition until at least `stickyBytes` bytes have gone to it, so they
 * batch together, then move to a random *different* partition. A sticky partition that no longer exists (the
 * partition count shrank) is replaced at once. Kafka's adaptive weighting by queue length is left out: it is not
 * observable on the wire and we have no broker queues to weigh.
 * @throws EdgeLogError `INVALID_CONFIG` if `stickyBytes` is not a positive integer; the partitioner throws
 * `INVALID_PARTITIONS` for a bad `partitionCount` and `INVALID_RECORD` for a bad `sizeBytes`.
 * @example
 * const producer = client.producer({ createPartitioner: createStickyPartitioner({ stickyBytes: 64 * 1024 }) });
 */
export function createStickyPartitioner(options: StickyPartitionerOptions = {}): PartitionerFactory {
  const { stickyBytes = DEFAULT_STICKY_BYTES, random = Math.random } = options;
  if (!Number.isSafeInteger(stickyBytes) || stickyBytes <= 0) {
    throw new EdgeLogError("INVALID_CONFIG", `stickyBytes must be a positive integer, got ${stickyBytes}`, {
      context: { stickyBytes },
    });
  }

  return () => {
    const sticky = new Map<string, { partition: number; bytes: number }>();

    return ({ topic, partitionCount, key, sizeBytes }) => {
      assertPartitionCount(partitionCount, topic);
      if (key !== null) return partitionForKey(key, partitionCount);
      if (!Number.isFinite(sizeBytes) || sizeBytes < 0) {
        throw new EdgeLogError(
          "INVALID_RECORD",
          `sizeBytes must be a non-negative number, got ${sizeBytes}`,
          {
            context: { topic, sizeBytes },
          },
        );
      }

      let state = sticky.get(topic);
      if (state === undefined || state.partition >= partitionCount) {
        state = { partition: randomIndex(random, partitionCount), bytes: 0 };
        sticky.set(topic, state);
      } else if (state.bytes >= stickyBytes) {
        // Switch lazily, on the first record past the limit, so the pick sees the current partition count.
        state.partition = randomOtherIndex(random, partitionCount, state.partition);
        state.bytes = 0;
      }
      state.bytes += sizeBytes;
      return state.partition;
    };
  };
}

/**
 * KafkaJS's keyless strategy. Keyed records: `partitionForKey`. Keyless records: a per-topic counter that starts
 * at a random value and advances by one per record, modulo the partition count — an even spread, but every
 * record in its own batch. (KafkaJS skips partitions without a leader; edgelog has no leaderless partitions.)
 * @throws EdgeLogError the partitioner throws `INVALID_PARTITIONS` for a bad `partitionCount`.
 * @example
 * const producer = client.producer({ createPartitioner: createRoundRobinPartitioner({ random: () => 0 }) // starts at partition 0 });
 */
export function createRoundRobinPartitioner(options: RoundRobinPartitionerOptions = {}): PartitionerFactory {
  const { random = Math.random } = options;

  return () => {
    const counters = new Map<string, number>();

    return ({ topic, partitionCount, key }) => {
      assertPartitionCount(partitionCount, topic);
      if (key !== null) return partitionForKey(key, partitionCount);

      const counter = counters.get(topic) ?? randomIndex(random, COUNTER_START_RANGE);
      // Below 2^53 for any realistic lifetime (~285 years at a million records a second), so it never wraps.
      counters.set(topic, counter + 1);
      return counter % partitionCount;
    };
  };
}

/**
 * The built-in factories, named as in KafkaJS.
 * @example
 * const producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner });
 */
export const Partitioners: Readonly<{
  /** Java-compatible keyed records; sticky keyless records (KIP-794), `DEFAULT_STICKY_BYTES` per partition. */
  DefaultPartitioner: PartitionerFactory;
  /** Java-compatible keyed records; round-robin keyless records (KafkaJS). */
  RoundRobinPartitioner: PartitionerFactory;
}> = Object.freeze({
  DefaultPartitioner: createStickyPartitioner(),
  RoundRobinPartitioner: createRoundRobinPartitioner(),
});

/** An integer in `[0, n)` from `random`, clamped so a misbehaving source (1, NaN) cannot leave the range. */
function randomIndex(random: () => number, n: number): number {
  const index = Math.floor(random() * n);
  return Number.isSafeInteger(index) && index >= 0 ? Math.min(index, n - 1) : 0;
}

/** A uniformly random index in `[0, n)` other than `current`, or `current` when it is the only one. */
function randomOtherIndex(random: () => number, n: number, current: number): number {
  if (n <= 1) return current;
  const index = randomIndex(random, n - 1);
  return index >= current ? index + 1 : index;
}
