/**
 * Two consumers in one group share a topic: `node packages/core/examples/consumer-group.ts` (Node ≥ 22.18).
 * Swap `new EdgeLog()` for `createClient({ url: "http://127.0.0.1:8787" })` (from `@edgelog/client`) and the
 * same code runs against the local Worker, with the group coordinated by its Durable Object.
 */
import { decodeText, EdgeLog } from "../src/index.ts";

const log = new EdgeLog();
const admin = log.admin();
await admin.createTopics({ topics: [{ topic: "orders", numPartitions: 4 }] });

const handledBy = new Map<string, string[]>();
async function member(name: string) {
  const consumer = log.consumer({ groupId: "billing", sessionTimeout: 3_000, maxWaitTimeInMs: 200 });
  consumer.on("consumer.group_join", (event) => console.log(name, "assigned", JSON.stringify(event)));
  await consumer.subscribe({ topics: ["orders"], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      handledBy.set(name, [...(handledBy.get(name) ?? []), `p${partition}:${decodeText(message.value)}`]);
    },
  });
  return consumer;
}

const first = await member("first");
const second = await member("second");
// The second member gets its half once the first has released it (a heartbeat or two).
await new Promise((resolve) => setTimeout(resolve, 2_500));
await log.producer().send({
  topic: "orders",
  messages: Array.from({ length: 8 }, (_, i) => ({ key: `user-${i}`, value: `order-${i}` })),
});
await new Promise((resolve) => setTimeout(resolve, 1_000));
for (const [name, records] of handledBy) console.log(name, "handled", records.join(" "));

await Promise.all([first.stop(), second.stop()]); // commit, then leave
console.log(JSON.stringify(await admin.fetchOffsets({ groupId: "billing", topics: ["orders"] })));
await log.close();
