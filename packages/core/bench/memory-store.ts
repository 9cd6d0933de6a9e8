/**
 * Micro-benchmark of the memory store and the core codec: appends/s and reads/s of 100-byte records in batches
 * of 1,000, beside baselines measured in the same process (plain arrays holding the same bytes, and the codec
 * alone), so the figures read as ratios rather than as absolute numbers from a shared machine.
 * Run: `npm run bench` (or `node packages/core/bench/memory-store.ts [--records N] [--rounds N]`).
 */
import { decodeBatch, EdgeLog, encodeBatch, type LogRecord, MemoryStore } from "../src/index.ts";
import { DEFAULT_TOPIC_CONFIG } from "../src/topic-config.ts";

const args = new Map<string, string>();
for (let i = 2; i + 1 < process.argv.length; i += 2)
  args.set(process.argv[i] ?? "", process.argv[i + 1] ?? "");
const RECORDS = Number(args.get("--records") ?? 1_000_000);
const ROUNDS = Number(args.get("--rounds") ?? 5);
const BATCH = 1_000;
const VALUE_BYTES = 100;

const encoder = new TextEncoder();
function makeRecords(count: number): LogRecord[] {
  const timestamp = Date.now();
  return Array.from({ length: count }, (_, i) => {
    const value = new Uint8Array(VALUE_BYTES);
    for (let j = 0; j < VALUE_BYTES; j++) value[j] = (i + j) & 0xff;
    return { key: encoder.encode(`user-${i % 1000}`), value, headers: [], timestamp };
  });
}

const records = makeRecords(BATCH);
const batches = RECORDS / BATCH;
const config = { ...DEFAULT_TOPIC_CONFIG, "retention.ms": -1 };

/** Best of `ROUNDS` runs, in records per second. */
async function measure(name: string, run: () => Promise<number> | number): Promise<number> {
  let best = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    const count = await run();
    const seconds = (performance.now() - started) / 1000;
    best = Math.max(best, count / seconds);
  }
  console.log(`${name.padEnd(52)} ${Math.round(best).toLocaleString("en-US").padStart(12)} records/s`);
  return best;
}

console.log(
  `${RECORDS.toLocaleString("en-US")} records of ${VALUE_BYTES} B in batches of ${BATCH}, best of ${ROUNDS}\n`,
);

// Baselines: what holding and handing out the same bytes costs with no log at all.
const baselineWrite = await measure("baseline: push records into an array", () => {
  const log: LogRecord[] = [];
  for (let b = 0; b < batches; b++) for (const record of records) log.push(record);
  return log.length;
});
const encoded = encodeBatch(records);
const codecEncode = await measure("codec: encodeBatch", () => {
  for (let b = 0; b < batches; b++) encodeBatch(records);
  return RECORDS;
});
const codecDecode = await measure("codec: decodeBatch (verifies the checksum)", () => {
  for (let b = 0; b < batches; b++) decodeBatch(encoded);
  return RECORDS;
});

// The store: append pre-encoded batches, then encode + append, then read everything back.
const appendOnly = await measure("MemoryStore.append (pre-encoded batches)", async () => {
  const store = new MemoryStore();
  await store.createTopic({ name: "bench", partitions: 1, config });
  for (let b = 0; b < batches; b++) await store.append({ topic: "bench", partition: 0 }, encoded);
  return RECORDS;
});
const encodeAppend = await measure("encodeBatch + MemoryStore.append", async () => {
  const store = new MemoryStore();
  await store.createTopic({ name: "bench", partitions: 1, config });
  for (let b = 0; b < batches; b++)
    await store.append({ topic: "bench", partition: 0 }, encodeBatch(records));
  return RECORDS;
});

const readStore = new MemoryStore();
await readStore.createTopic({ name: "bench", partitions: 1, config });
for (let b = 0; b < batches; b++) await readStore.append({ topic: "bench", partition: 0 }, encoded);
const read = await measure("MemoryStore.read + decodeBatch (1 MiB fetches)", async () => {
  let offset = 0;
  let count = 0;
  while (offset < RECORDS) {
    const result = await readStore.read({ topic: "bench", partition: 0 }, { offset, maxBytes: 1024 * 1024 });
    for (const batch of result.batches) {
      count += decodeBatch(batch.payload).records.length;
      offset = batch.lastOffset + 1;
    }
  }
  return count;
});

// The whole API: producer.send (partitioning, batching, idempotence) and a consumer's eachBatch loop.
const messages = records.map((r) => ({ key: r.key, value: r.value }));
const produce = await measure("EdgeLog producer.send (1,000 messages per send)", async () => {
  const log = new EdgeLog();
  await log
    .admin()
    .createTopics({ topics: [{ topic: "bench", numPartitions: 1, config: { "retention.ms": -1 } }] });
  const producer = log.producer();
  for (let b = 0; b < batches; b++) await producer.send({ topic: "bench", messages });
  return RECORDS;
});
const consumeLog = new EdgeLog({ store: readStore });
const consume = await measure("EdgeLog consumer eachBatch (from the beginning)", async () => {
  const consumer = consumeLog.consumer({ maxWaitTimeInMs: 50 });
  await consumer.subscribe({ topics: ["bench"], fromBeginning: true });
  let count = 0;
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        count += batch.messages.length;
        if (count >= RECORDS) resolve();
      },
    });
  });
  await done;
  await consumer.stop();
  return count;
});

const ratio = (a: number, b: number): string => `${(a / b).toFixed(3)}×`;
console.log("\nratios (higher is better):");
console.log(`  append (pre-encoded) / array push      ${ratio(appendOnly, baselineWrite)}`);
console.log(`  encode + append / codec encode alone   ${ratio(encodeAppend, codecEncode)}`);
console.log(`  read + decode / codec decode alone     ${ratio(read, codecDecode)}`);
console.log(`  producer.send / encode + append        ${ratio(produce, encodeAppend)}`);
console.log(`  consumer / read + decode               ${ratio(consume, read)}`);
