/**
 * The keyed workload the end-to-end tests share: record n has key `user-(n % keys)` and carries `n` and its
 * sequence within its key, so a consumer's view can be checked for exactly-once delivery, Kafka's key → partition
 * mapping, dense per-partition offsets and per-key order.
 */
import { decodeJson, type KafkaMessage, type Message, partitionForKey } from "@edgelog/core";
import { expect } from "vitest";

export function keyedMessages(start: number, count: number, keys: number): Message[] {
  return Array.from({ length: count }, (_, i) => {
    const n = start + i;
    return { key: `user-${n % keys}`, value: JSON.stringify({ n, seqOfKey: Math.floor(n / keys) }) };
  });
}

export async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the consumer");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Asserts every record 0..records-1 arrived once, on its key's partition, in offset and key order. */
export function expectExactlyOnceInOrder(
  received: readonly { partition: number; message: KafkaMessage }[],
  options: { records: number; partitions: number },
): void {
  expect(received).toHaveLength(options.records);
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const seen = new Set<number>();
  const lastOffsetByPartition = new Map<number, number>();
  const lastSeqByKey = new Map<string, number>();
  for (const { partition, message } of received) {
    const key = decoder.decode(message.key ?? new Uint8Array());
    const { n, seqOfKey } = decodeJson<{ n: number; seqOfKey: number }>(message.value) ?? {
      n: -1,
      seqOfKey: -1,
    };
    expect(seen.has(n)).toBe(false);
    seen.add(n);
    expect(partition).toBe(partitionForKey(encoder.encode(key), options.partitions));
    expect(message.offset).toBe((lastOffsetByPartition.get(partition) ?? -1) + 1);
    lastOffsetByPartition.set(partition, message.offset);
    expect(seqOfKey).toBe((lastSeqByKey.get(key) ?? -1) + 1);
    lastSeqByKey.set(key, seqOfKey);
  }
  expect(seen.size).toBe(options.records);
  expect(lastOffsetByPartition.size).toBe(options.partitions);
}
