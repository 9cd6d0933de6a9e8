/**
 * One repetition of the core micro-benchmarks in Node: appends/s and reads/s of 100-byte records in batches of
 * 1,000 through the memory store and the whole EdgeLog API, beside baselines measured in the same process
 * (plain arrays holding the same records, and the codec alone), recorded under `core.<figure>.<target>` keys
 * for the orchestrator (apps/bench), which takes medians over repetitions and pairs the ratios.
 */
import { decodeBatch, EdgeLog, encodeBatch, type LogRecord, MemoryStore } from "../src/index.ts";
import { DEFAULT_TOPIC_CONFIG } from "../src/topic-config.ts";

export interface Sink {
  record(key: string, value: number): void;
  progress(text: string): void;
}

export interface CorePlan {
  /** Records per measurement; a multiple of 1,000. */
  readonly records: number;
}

const BATCH = 1_000;
const VALUE_BYTES = 100;
const encoder = new TextEncoder();
const config = { ...DEFAULT_TOPIC_CONFIG, "retention.ms": -1 };

function makeRecords(count: number): LogRecord[] {
  const timestamp = Date.now();
  return Array.from({ length: count }, (_, i) => {
    const value = new Uint8Array(VALUE_BYTES);
    for (let j = 0; j < VALUE_BYTES; j++) value[j] = (i + j) & 0xff;
    return { key: encoder.encode(`user-${i % 1000}`), value, headers: [], timestamp };
  });
}

const records = makeRecords(BATCH);
const encoded = encodeBatch(records);
const messages = records.map((r) => ({ key: r.key, value: r.value }));

async function rate(run: () => Promise<number> | number): Promise<number> {
  const started = performance.now();
  const count = await run();
  return count / ((performance.now() - started) / 1000);
}

async function filledStore(total: number): Promise<MemoryStore> {
  const store = new MemoryStore();
  await store.createTopic({ name: "bench", partitions: 1, config });
  for (let b = 0; b < total / BATCH; b++) await store.append({ topic: "bench", partition: 0 }, encoded);
  return store;
}

export async function coreRepetition(plan: CorePlan, _rep: number, sink: Sink): Promise<void> {
  const total = plan.records;
  const batches = total / BATCH;
  const figures: [string, () => Promise<number> | number][] = [
    [
      "core.append.array",
      () => {
        const log: LogRecord[] = [];
        for (let b = 0; b < batches; b++) for (const record of records) log.push(record);
        return log.length;
      },
    ],
    [
      "core.append.edgelog",
      async () => {
        const store = new MemoryStore();
        await store.createTopic({ name: "bench", partitions: 1, config });
        for (let b = 0; b < batches; b++) await store.append({ topic: "bench", partition: 0 }, encoded);
        return total;
      },
    ],
    [
      "core.encode.codec",
      () => {
        for (let b = 0; b < batches; b++) encodeBatch(records);
        return total;
      },
    ],
    [
      "core.encode-append.edgelog",
      async () => {
        const store = new MemoryStore();
        await store.createTopic({ name: "bench", partitions: 1, config });
        for (let b = 0; b < batches; b++)
          await store.append({ topic: "bench", partition: 0 }, encodeBatch(records));
        return total;
      },
    ],
    [
      "core.decode.codec",
      () => {
        for (let b = 0; b < batches; b++) decodeBatch(encoded);
        return total;
      },
    ],
  ];
  const shown: string[] = [];
  for (const [key, run] of figures) {
    const value = await rate(run);
    sink.record(key, value);
    shown.push(`${key.split(".").slice(1).join(".")} ${Math.round(value).toLocaleString("en-US")}`);
  }

  const readStore = await filledStore(total);
  const read = await rate(async () => {
    let offset = 0;
    let count = 0;
    while (offset < total) {
      const result = await readStore.read(
        { topic: "bench", partition: 0 },
        { offset, maxBytes: 1024 * 1024 },
      );
      for (const batch of result.batches) {
        count += decodeBatch(batch.payload).records.length;
        offset = batch.lastOffset + 1;
      }
    }
    return count;
  });
  sink.record("core.read.edgelog", read);

  // The whole API: producer.send (partitioning, batching, idempotence) and a consumer's eachBatch loop.
  const produce = await rate(async () => {
    const log = new EdgeLog();
    await log
      .admin()
      .createTopics({ topics: [{ topic: "bench", numPartitions: 1, config: { "retention.ms": -1 } }] });
    const producer = log.producer();
    for (let b = 0; b < batches; b++) await producer.send({ topic: "bench", messages });
    return total;
  });
  sink.record("core.produce.edgelog", produce);
  const consumeLog = new EdgeLog({ store: readStore });
  const consume = await rate(async () => {
    const consumer = consumeLog.consumer({ maxWaitTimeInMs: 50 });
    await consumer.subscribe({ topics: ["bench"], fromBeginning: true });
    let count = 0;
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachBatch: async ({ batch }) => {
          count += batch.messages.length;
          if (count >= total) resolve();
        },
      });
    });
    await done;
    await consumer.stop();
    return count;
  });
  sink.record("core.consume.edgelog", consume);
  for (const [name, value] of [
    ["read", read],
    ["produce", produce],
    ["consume", consume],
  ] as const)
    shown.push(`${name} ${Math.round(value).toLocaleString("en-US")}`);
  sink.progress(`core: ${shown.join(" · ")} records/s`);
}
