/**
 * End to end through the published package surface (`@edgelog/core`, as an app would import it): a producer
 * writes keyed records to several partitions, a consumer reads them all back, and nothing is lost, duplicated
 * or reordered within a partition or a key.
 */
import { EdgeLog, type KafkaMessage } from "@edgelog/core";
import { afterEach, describe, expect, it } from "vitest";
import { expectExactlyOnceInOrder, keyedMessages, waitFor } from "./support/keyed-workload.ts";

const PARTITIONS = 4;
const KEYS = 100;
const RECORDS = 5_000;

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
      const messages = keyedMessages(start, 250, KEYS);
      sends.push(producer.send({ topic: "orders", messages }));
    }
    const metadata = (await Promise.all(sends)).flat();
    expect(metadata.reduce((sum, m) => sum + m.lastOffset - m.baseOffset + 1, 0)).toBe(RECORDS);

    await waitFor(() => received.length >= RECORDS, 10_000);
    await consumer.stop();
    expectExactlyOnceInOrder(received, { records: RECORDS, partitions: PARTITIONS });

    const offsets = await log.admin().fetchTopicOffsets("orders");
    expect(offsets.reduce((sum, p) => sum + p.high, 0)).toBe(RECORDS);
  });
});
