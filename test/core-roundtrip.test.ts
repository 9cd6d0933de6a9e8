/**
 * End to end through the published package surface (`@edgelog/core`, as an app would import it): a producer
 * writes keyed records to several partitions, a consumer reads them all back, and nothing is lost, duplicated
 * or reordered within a partition or a key.
 */
import { decodeJson, EdgeLog, type KafkaMessage, partitionForKey } from "@edgelog/core";
import { afterEach, describe, expect, it } from "vitest";

const PARTITIONS = 4;
const KEYS = 100;
const RECORDS = 5_000;

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the consumer");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("@edgelog/core end to end", () => {
  let log: EdgeLog;
  afterEach(async () => {
    await log.close();
  });

  it("reads back exactly what was produced, in order per partition and per key", async () => {
    log = new EdgeLog();
    await log.admin().createTopics({ topics: [{ topic: "orders", numPartitions: PARTITIONS }] });

    const received: { partition: number; message: KafkaMessage }[] = [];
    const consumer = log.consumer({ maxWaitTimeInMs: 200 });
    await consumer.subscribe({ topics: ["orders"], fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: PARTITIONS,
      eachMessage: async ({ partition, message }) => {
        received.push({ partition, message });
      },
    });

    // Produce while the consumer is live: several concurrent sends, each of many keys.
    const producer = log.producer({ lingerMs: 2 });
    const sends = [];
    for (let start = 0; start < RECORDS; start += 250) {
      const messages = Array.from({ length: 250 }, (_, i) => {
        const n = start + i;
        return { key: `user-${n % KEYS}`, value: JSON.stringify({ n, seqOfKey: Math.floor(n / KEYS) }) };
      });
      sends.push(producer.send({ topic: "orders", messages }));
    }
    const metadata = (await Promise.all(sends)).flat();
    expect(metadata.reduce((sum, m) => sum + m.lastOffset - m.baseOffset + 1, 0)).toBe(RECORDS);

    await waitFor(() => received.length >= RECORDS);
    await consumer.stop();
    expect(received).toHaveLength(RECORDS);

    const encoder = new TextEncoder();
    const seen = new Set<number>();
    const lastOffsetByPartition = new Map<number, number>();
    const lastSeqByKey = new Map<string, number>();
    for (const { partition, message } of received) {
      const key = new TextDecoder().decode(message.key ?? new Uint8Array());
      const { n, seqOfKey } = decodeJson<{ n: number; seqOfKey: number }>(message.value) ?? {
        n: -1,
        seqOfKey: -1,
      };
      expect(seen.has(n)).toBe(false);
      seen.add(n);
      expect(partition).toBe(partitionForKey(encoder.encode(key), PARTITIONS));
      expect(message.offset).toBe((lastOffsetByPartition.get(partition) ?? -1) + 1);
      lastOffsetByPartition.set(partition, message.offset);
      expect(seqOfKey).toBe((lastSeqByKey.get(key) ?? -1) + 1);
      lastSeqByKey.set(key, seqOfKey);
    }
    expect(seen.size).toBe(RECORDS);
    expect(lastOffsetByPartition.size).toBe(PARTITIONS);

    const offsets = await log.admin().fetchTopicOffsets("orders");
    expect(offsets.reduce((sum, p) => sum + p.high, 0)).toBe(RECORDS);
  });
});
