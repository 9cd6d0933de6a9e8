/**
 * @module
 * `edgelog bench produce | consume`: a throughput test against any edgelog through the same client and core
 * producer / consumer as real use. Progress goes to stderr as a bar when it is a terminal; the summary
 * (records/s, MB/s and, for produce, p50 / p99 latency of one `send`) to stdout, or as JSON with `--json`.
 */
import { type EdgeLog, EdgeLogError } from "@edgelog/core";
import type { Command, CommandContext } from "../command.ts";
import { EXIT, type ExitCode } from "../exit-codes.ts";
import { expectPositionals, flag, integerOption, type Parsed, stringOption } from "../options.ts";
import { formatRate, ProgressBar, percentile, Samples } from "../stats.ts";

const DEFAULT_TOPIC = "edgelog-bench";
const MB = 1_000_000;

const produceBench: Command = {
  path: ["bench", "produce"],
  usage:
    "[--topic T] [--records N] [--record-size B] [--batch-size K] [--concurrency C] [--partitions P] [--json]",
  summary: "measure produce throughput and latency",
  help: [
    `Sends N records of B bytes to T (default ${DEFAULT_TOPIC}, created with P partitions if missing), K records`,
    "per send with C sends in flight, and prints records/s, MB/s and the p50 / p99 latency of a send.",
    "  --records N      default 100000",
    "  --record-size B  value bytes, default 100",
    "  --batch-size K   records per send, default 500",
    "  --concurrency C  sends in flight, default 4",
    "  --partitions P   for a topic it creates, default 1",
    "  --json           the summary as one JSON object",
  ].join("\n"),
  options: {
    topic: { type: "string", short: "t" },
    records: { type: "string", short: "n" },
    "record-size": { type: "string", short: "s" },
    "batch-size": { type: "string" },
    concurrency: { type: "string" },
    partitions: { type: "string" },
    json: { type: "boolean" },
  },
  async run(parsed, context): Promise<ExitCode> {
    expectPositionals(parsed, []);
    const topic = stringOption(parsed, "topic") ?? DEFAULT_TOPIC;
    const records = integerOption(parsed, "records", 100_000, 1);
    const recordSize = integerOption(parsed, "record-size", 100, 0, 16 * 1024 * 1024);
    const batchSize = integerOption(parsed, "batch-size", 500, 1, 100_000);
    const concurrency = integerOption(parsed, "concurrency", 4, 1, 1_000);
    const partitions = integerOption(parsed, "partitions", 1, 1, 1_000);
    const log = context.log();
    await ensureTopic(log, topic, partitions, context);

    const value = new Uint8Array(recordSize);
    for (let i = 0; i < recordSize; i++) value[i] = 97 + (i % 26);
    const producer = log.producer();
    const progress = new ProgressBar(context.io.stderr, {
      total: records,
      label: "produce",
      now: context.io.now,
    });
    const latencies = new Samples();
    let next = 0;
    let sent = 0;
    const started = context.io.now();
    const worker = async (): Promise<void> => {
      while (next < records) {
        const count = Math.min(batchSize, records - next);
        next += count;
        const messages = Array.from({ length: count }, () => ({ value }));
        const before = context.io.now();
        await producer.send({ topic, messages });
        latencies.add(context.io.now() - before);
        sent += count;
        progress.update(sent);
      }
    };
    try {
      await Promise.all(Array.from({ length: concurrency }, worker));
    } finally {
      progress.finish();
      await producer.disconnect().catch(() => undefined);
    }
    const seconds = (context.io.now() - started) / 1000;
    await printSummary(parsed, context, {
      benchmark: "produce",
      topic,
      records: sent,
      bytes: sent * recordSize,
      seconds,
      sendLatencyMs: {
        p50: round(percentile(latencies.values, 50)),
        p99: round(percentile(latencies.values, 99)),
      },
      batchSize,
      concurrency,
    });
    return EXIT.OK;
  },
};

const consumeBench: Command = {
  path: ["bench", "consume"],
  usage: "[--topic T] [--records N] [--json]",
  summary: "measure consume throughput",
  help: [
    `Reads T (default ${DEFAULT_TOPIC}) from the log start until N records (default: all there are when it`,
    "starts) and prints records/s and MB/s. Run 'edgelog bench produce' first to fill it.",
    "  --json  the summary as one JSON object",
  ].join("\n"),
  options: {
    topic: { type: "string", short: "t" },
    records: { type: "string", short: "n" },
    json: { type: "boolean" },
  },
  async run(parsed, context): Promise<ExitCode> {
    expectPositionals(parsed, []);
    const topic = stringOption(parsed, "topic") ?? DEFAULT_TOPIC;
    const log = context.log();
    const offsets = await log.admin().fetchTopicOffsets(topic);
    const available = offsets.reduce((sum, p) => sum + (p.high - p.low), 0);
    const records = integerOption(parsed, "records", available, 1);
    if (records > available) {
      throw new EdgeLogError(
        "OFFSET_OUT_OF_RANGE",
        `"${topic}" holds ${available} records, fewer than --records ${records}: produce more first`,
        { context: { topic } },
      );
    }
    const consumer = log.consumer();
    await consumer.subscribe({ topic, fromBeginning: true });
    const progress = new ProgressBar(context.io.stderr, {
      total: records,
      label: "consume",
      now: context.io.now,
    });
    let read = 0;
    let bytes = 0;
    let finish: (error?: unknown) => void = () => {};
    const finished = new Promise<unknown>((resolve) => {
      finish = resolve;
    });
    consumer.on("consumer.crash", (event) => finish((event as { error: unknown }).error));
    const started = context.io.now();
    try {
      await consumer.run({
        eachBatch: async ({ batch }) => {
          if (read >= records) return;
          for (const message of batch.messages) {
            bytes += message.value?.byteLength ?? 0;
            if (++read >= records) break;
          }
          progress.update(read);
          if (read >= records) finish();
        },
      });
      if (records === 0) finish();
      const failure = await finished;
      if (failure !== undefined) throw failure;
    } finally {
      progress.finish();
      await consumer.stop();
    }
    const seconds = (context.io.now() - started) / 1000;
    await printSummary(parsed, context, { benchmark: "consume", topic, records: read, bytes, seconds });
    return EXIT.OK;
  },
};

interface Summary {
  readonly benchmark: string;
  readonly topic: string;
  readonly records: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly sendLatencyMs?: { p50: number; p99: number };
  readonly [extra: string]: unknown;
}

async function printSummary(parsed: Parsed, { io }: CommandContext, summary: Summary): Promise<void> {
  const recordsPerSecond = summary.seconds > 0 ? Math.round(summary.records / summary.seconds) : null;
  const mbPerSecond = summary.seconds > 0 ? round(summary.bytes / MB / summary.seconds) : null;
  if (flag(parsed, "json")) {
    await io.stdout.write(`${JSON.stringify({ ...summary, recordsPerSecond, mbPerSecond })}\n`);
    return;
  }
  const lines = [
    `${summary.benchmark} ${summary.topic}: ${summary.records.toLocaleString("en-US")} records, ` +
      `${round(summary.bytes / MB)} MB in ${summary.seconds.toFixed(2)} s`,
    `  ${formatRate(summary.records, summary.seconds)} records/s, ${mbPerSecond ?? "-"} MB/s`,
  ];
  if (summary.sendLatencyMs !== undefined) {
    lines.push(`  send latency p50 ${summary.sendLatencyMs.p50} ms, p99 ${summary.sendLatencyMs.p99} ms`);
  }
  await io.stdout.write(`${lines.join("\n")}\n`);
}

async function ensureTopic(
  log: EdgeLog,
  topic: string,
  partitions: number,
  context: CommandContext,
): Promise<void> {
  const created = await log.admin().createTopics({ topics: [{ topic, numPartitions: partitions }] });
  if (created) await context.note(`created topic "${topic}" with ${partitions} partition(s)`);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

export const BENCH_COMMANDS: readonly Command[] = [produceBench, consumeBench];
