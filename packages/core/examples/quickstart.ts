/**
 * The README's example, runnable: `npm run demo` or
 * `node packages/core/examples/quickstart.ts` under Node ≥ 22.18, which runs TypeScript directly.
 * Produces keyed events to a three-partition topic, consumes them back, and prints what each partition holds.
 */
import { decodeJson, EdgeLog, encodeJson, type KafkaMessage } from "../src/index.ts";

const log = new EdgeLog(); // in-memory store; pass { store } for another

const admin = log.admin();
await admin.createTopics({ topics: [{ topic: "orders", numPartitions: 3 }] });

const producer = log.producer();
const users = ["ada", "grace", "linus", "barbara"];
const sent = await producer.send({
  topic: "orders",
  messages: Array.from({ length: 12 }, (_, i) => ({
    key: users[i % users.length],
    value: encodeJson({ order: i, user: users[i % users.length] }),
    headers: { source: "quickstart" },
  })),
});
console.log(
  "sent:",
  sent.map((m) => `partition ${m.partition} offsets ${m.baseOffset}..${m.lastOffset}`).join(", "),
);

const received: { partition: number; message: KafkaMessage }[] = [];
const consumer = log.consumer({ maxWaitTimeInMs: 100 });
await consumer.subscribe({ topics: ["orders"], fromBeginning: true });
await consumer.run({
  eachMessage: async ({ partition, message }) => {
    received.push({ partition, message });
  },
});
while (received.length < 12) await new Promise((resolve) => setTimeout(resolve, 10));
await consumer.stop();

for (const { partition, message } of received) {
  const { order, user } = decodeJson<{ order: number; user: string }>(message.value) ?? {
    order: -1,
    user: "",
  };
  console.log(`partition ${partition} offset ${message.offset}: order ${order} by ${user}`);
}
console.log("offsets:", JSON.stringify(await admin.fetchTopicOffsets("orders")));
await log.close();
