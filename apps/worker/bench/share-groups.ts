/**
 * One repetition of the share-group benchmark: records/s through a share group with 1, 4 and 16 consumers, beside
 * Cloudflare Queues' consumer in miniflare, in the same run.
 *   - edgelog (`share.consumers.<n>.edgelog`): a backlog of `records` 100-byte records on a topic of `partitions`
 *     partitions; `n` share consumers (`@edgelog/client`, each its own HTTP client, `maxRecords` per fetch)
 *     acquire, handle (nothing) and accept them through the local Worker (each group one `ShareGroupObject`). The
 *     figure: records handled after the first one ÷ the time from the first to the last.
 *   - Queues (`share.queues-push`): the same backlog sent to a miniflare queue, every message delayed so they all
 *     become deliverable together, acked one by one by a Worker consumer (batches of 100). Miniflare has no
 *     `http_pull` consumer and dispatches one batch at a time, so there is one Queues figure, not one per count.
 *     The figure: records handled after the first batch ÷ the time from the first batch to the last (workerd's
 *     clock moves between batches).
 * Each edgelog count gets a topic and a group of its own per repetition.
 */
import { createClient } from "../../../packages/client/src/index.ts";
import type { Sink } from "./http-throughput.ts";

export interface SharePlan {
  readonly records: number;
  readonly partitions: number;
  readonly consumerCounts: readonly number[];
  readonly maxRecords: number;
  readonly valueBytes: number;
  /**
   * The Queues backlog: fewer messages than `records`, because each delayed message holds a timer in miniflare's
   * broker and past about 10,000 of them a send fails ("Unknown Internal Error (15000)"). A rate, so comparable.
   */
  readonly queuesRecords: number;
  /** How long the Queues backlog is held back so it is whole when delivery starts (s). */
  readonly queuesDelaySeconds: number;
  readonly timeoutMs: number;
}

export const shareKeys = {
  edgelog: (consumers: number): string => `share.consumers.${consumers}.edgelog`,
  queues: "share.queues-push",
};

const PRODUCE_BATCH = 1_000;
const QUEUES_FILL_CHUNK = 5_000;

async function ok(response: Response): Promise<Response> {
  if (!response.ok) throw new Error(`${response.url}: ${response.status} ${await response.text()}`);
  return response;
}

/** edgelog: `consumers` share consumers drain a backlog of `plan.records`; records/s. */
async function edgelogRate(url: string, plan: SharePlan, consumers: number, tag: string): Promise<number> {
  const log = createClient({ url });
  const topic = `share-bench-${tag}`;
  const groupId = `share-bench-${tag}`;
  await log.admin().createTopics({ topics: [{ topic, numPartitions: plan.partitions }] });
  await log.admin().alterShareGroupConfig(groupId, {
    "share.auto.offset.reset": "earliest",
    // Kafka's default since 4.1 (KIP-932's 200 kept 16 consumers of one partition waiting on each other).
    "share.partition.max.record.locks": 2_000,
  });
  const value = "x".repeat(plan.valueBytes);
  const producer = log.producer();
  for (let sent = 0; sent < plan.records; sent += PRODUCE_BATCH) {
    const count = Math.min(PRODUCE_BATCH, plan.records - sent);
    await producer.send({
      topic,
      messages: Array.from({ length: count }, (_, i) => ({ key: `k${sent + i}`, value })),
    });
  }
  let handled = 0;
  let first = 0;
  let last = 0;
  let done = (): void => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const members = Array.from({ length: consumers }, () =>
    createClient({ url }).shareConsumer({ groupId, maxRecords: plan.maxRecords, maxWaitTimeInMs: 1_000 }),
  );
  for (const member of members) {
    await member.subscribe({ topics: [topic] });
    member.on("consumer.crash", (event) => console.error("share consumer crashed", event));
  }
  const timeout = setTimeout(done, plan.timeoutMs);
  await Promise.all(
    members.map((member) =>
      member.run({
        eachMessage: async () => {
          const now = performance.now();
          if (handled === 0) first = now;
          handled++;
          last = now;
          if (handled >= plan.records) done();
        },
      }),
    ),
  );
  await finished;
  clearTimeout(timeout);
  await Promise.all(members.map((member) => member.stop()));
  if (handled < plan.records)
    throw new Error(`share bench: ${handled} of ${plan.records} records handled in time`);
  return (handled - 1) / ((last - first) / 1000);
}

/** Queues: a consumer Worker drains a delayed backlog; records/s. */
async function queuesRate(url: string, plan: SharePlan): Promise<number> {
  await ok(await fetch(`${url}/reset`, { method: "POST" }));
  const records = plan.queuesRecords;
  for (let sent = 0; sent < records; sent += QUEUES_FILL_CHUNK) {
    await ok(
      await fetch(`${url}/fill`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          count: Math.min(QUEUES_FILL_CHUNK, records - sent),
          valueBytes: plan.valueBytes,
          delaySeconds: plan.queuesDelaySeconds,
        }),
      }),
    );
  }
  const deadline = Date.now() + plan.timeoutMs;
  for (;;) {
    const stats = (await (await ok(await fetch(`${url}/stats`))).json()) as {
      consumed: number;
      firstMs: number;
      firstBatch: number;
      lastMs: number;
    };
    if (stats.consumed >= records) {
      return (stats.consumed - stats.firstBatch) / ((stats.lastMs - stats.firstMs) / 1000);
    }
    if (Date.now() > deadline)
      throw new Error(`queues bench: ${stats.consumed} of ${records} consumed in time`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function shareRepetition(
  urls: { edgelog: string; queues: string },
  plan: SharePlan,
  rep: number,
  sink: Sink,
): Promise<void> {
  for (const consumers of plan.consumerCounts) {
    const rate = await edgelogRate(
      urls.edgelog,
      plan,
      consumers,
      `${rep < 0 ? "w" : rep}-${consumers}-${Date.now()}`,
    );
    sink.record(shareKeys.edgelog(consumers), rate);
    sink.progress(`${consumers} share consumer(s): ${Math.round(rate).toLocaleString("en-US")} records/s`);
  }
  const rate = await queuesRate(urls.queues, plan);
  sink.record(shareKeys.queues, rate);
  sink.progress(`Queues consumer (miniflare): ${Math.round(rate).toLocaleString("en-US")} records/s`);
}
