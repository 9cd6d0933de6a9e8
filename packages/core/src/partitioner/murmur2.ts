/**
 * @module
 * Kafka's key hash. A keyed record goes to `toPositive(murmur2(keyBytes)) % partitionCount`, exactly as the Java
 * client computes it (`K: clients/.../common/utils/Utils.java` `murmur2`, `BuiltInPartitioner.partitionForKey`), so
 * a key lands on the same partition whichever Kafka-compatible client produced it.
 */

import { EdgeLogError } from "../errors.ts";

/** Kafka's fixed seed: the hash must never depend on anything but the key bytes. */
const SEED = 0x9747b28c;
/** The mixing multiplier of MurmurHash2. */
const M = 0x5bd1e995;
/** The mixing shift of MurmurHash2. */
const R = 24;
/** Clears the sign bit: Kafka's `Utils.toPositive`. */
const POSITIVE_MASK = 0x7fffffff;

/**
 * MurmurHash2 (32-bit) as Kafka's `Utils.murmur2` computes it: little-endian 4-byte blocks, bytes read unsigned
 * (Java's `& 0xff`), and the result a signed 32-bit integer, as Java's `int`.
 * @example
 * murmur2(new TextEncoder().encode("foobar")) // -790332482, as in Kafka's UtilsTest
 */
export function murmur2(data: Uint8Array): number {
  const length = data.byteLength;
  // A DataView reads whole blocks without per-byte index checks and honours the view's byteOffset.
  const view = new DataView(data.buffer, data.byteOffset, length);
  const blocksEnd = length & ~3;
  let h = SEED ^ length;

  for (let i = 0; i < blocksEnd; i += 4) {
    let k = view.getInt32(i, true);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }

  // The 1–3 trailing bytes; Java's switch falls through from case 3 to case 1.
  const tail = length & 3;
  if (tail > 0) {
    if (tail === 3) h ^= view.getUint8(blocksEnd + 2) << 16;
    if (tail >= 2) h ^= view.getUint8(blocksEnd + 1) << 8;
    h ^= view.getUint8(blocksEnd);
    h = Math.imul(h, M);
  }

  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * Kafka's `Utils.toPositive`: clears the sign bit. Not `Math.abs` — `-1` maps to `2147483647` and
 * `-2147483648` to `0`, and a partition choice that used `abs` would disagree with Java for every negative hash.
 * @example
 * toPositive(-973932308) // 1173551340
 */
export function toPositive(n: number): number {
  return n & POSITIVE_MASK;
}

/**
 * The partition of a keyed record, as Kafka's `BuiltInPartitioner.partitionForKey`. `key` is the serialised key
 * (UTF-8 for string keys, which is what Java's `StringSerializer` and KafkaJS produce).
 * @throws EdgeLogError `INVALID_PARTITIONS` if `partitionCount` is not a positive integer.
 * @example
 * partitionForKey(new TextEncoder().encode("order-42"), 12) // the same partition the Java client picks
 */
export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  assertPartitionCount(partitionCount);
  return toPositive(murmur2(key)) % partitionCount;
}

/**
 * Throws `INVALID_PARTITIONS` unless `partitionCount` is a positive integer. Shared by the partitioners so every
 * built-in rejects a bad count the same way; not part of the folder's public API.
 * @internal
 */
export function assertPartitionCount(partitionCount: number, topic?: string): void {
  if (Number.isSafeInteger(partitionCount) && partitionCount > 0) return;
  const context = topic === undefined ? { partitionCount } : { topic, partitionCount };
  throw new EdgeLogError(
    "INVALID_PARTITIONS",
    `partition count must be a positive integer, got ${partitionCount}`,
    {
      context,
    },
  );
}
