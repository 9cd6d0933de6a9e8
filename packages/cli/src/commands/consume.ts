/**
 * @module
 * `edgelog consume TOPIC`: core's `Consumer` over the client, printing each record with a template or as JSON.
 * Without `--group` it reads the chosen partitions from where the flags say; with one it is a group member that
 * starts from the group's committed offsets and commits what it printed. It stops on `--exit` (every partition
 * at the high watermark it had when the command started), after `--count` records, on SIGINT / SIGTERM, or when
 * the reader of stdout goes away (`| head`): each a clean exit 0, committing first in a group. A record is marked
 * consumed only once written to stdout, so a commit never covers a record nobody saw.
 */
import { type Consumer, type EdgeLog, EdgeLogError, MAX_PARTITIONS } from "@edgelog/core";
import type { Command } from "../command.ts";
import { EXIT, type ExitCode, usageError } from "../exit-codes.ts";
import type { Output } from "../io.ts";
import {
  expectPositionals,
  flag,
  integerOption,
  listOption,
  type Parsed,
  parseInteger,
  parseTime,
  stringOption,
} from "../options.ts";
import { createFormatter, DEFAULT_TEMPLATE } from "../template.ts";

/** How often `--exit` checks whether every partition reached its end (also checked after every batch). */
const EXIT_CHECK_MS = 100;

type Start =
  | { readonly kind: "default" }
  | { readonly kind: "beginning" }
  | { readonly kind: "offset"; readonly offset: number }
  | { readonly kind: "time"; readonly timestamp: number };

type Outcome = { readonly kind: "done" } | { readonly kind: "failed"; readonly error: unknown };

export const consume: Command = {
  path: ["consume"],
  usage:
    "TOPIC [--from-beginning | --offset N | --from-time ISO] [--partition N]... [--group G] [--exit] [--count N] [--format FMT]",
  summary: "print a topic's records",
  help: [
    "Prints records as they arrive; stop with Ctrl-C (exit 0).",
    "",
    "  -b, --from-beginning    start at the log start (default: only new records; a group resumes from its",
    "                          committed offsets and uses this only where it has none)",
    "  -o, --offset N          start every chosen partition at offset N",
    "      --from-time ISO     start at the first record at or after this time (ISO 8601 or epoch ms)",
    "  -p, --partition N       read only partition N (repeatable; default all)",
    "  -g, --group G           read as a member of consumer group G: partitions are shared with the group's",
    "                          other members, and the offsets of printed records are committed",
    "  -e, --exit              stop at the end of the log: the high watermark each partition had at start",
    "                          (with --group: of the partitions the group assigned to this member, once it",
    "                          was assigned some)",
    "  -c, --count N           stop after N records",
    "  -f, --format FMT        json: one object a line {topic, partition, offset, timestamp, key, value, headers};",
    "                          or a template (default '%v\\n'): %v or %s value, %k key, %t topic, %p partition,",
    "                          %o offset, %T timestamp (ms), %h headers (k=v,…), %S / %K value / key size",
    "                          (-1 for null), %% a percent sign; escapes \\n \\t \\r \\0 \\\\",
  ].join("\n"),
  options: {
    "from-beginning": { type: "boolean", short: "b" },
    offset: { type: "string", short: "o" },
    "from-time": { type: "string" },
    partition: { type: "string", short: "p", multiple: true },
    group: { type: "string", short: "g" },
    exit: { type: "boolean", short: "e" },
    count: { type: "string", short: "c" },
    format: { type: "string", short: "f" },
  },
  async run(parsed, context): Promise<ExitCode> {
    const { io, log } = context;
    const [topic] = expectPositionals(parsed, ["TOPIC"]) as [string];
    const start = startOf(parsed);
    const groupId = stringOption(parsed, "group");
    const chosen = [
      ...new Set(
        listOption(parsed, "partition").map((p) => parseInteger(p, "partition", 0, MAX_PARTITIONS - 1)),
      ),
    ];
    if (groupId !== undefined && (chosen.length > 0 || start.kind === "offset" || start.kind === "time")) {
      throw usageError(
        "--group takes its partitions from the group and starts at its committed offsets: drop --partition, " +
          "--offset and --from-time (move a group with 'edgelog groups reset')",
      );
    }
    const count =
      stringOption(parsed, "count") === undefined ? undefined : integerOption(parsed, "count", 1, 1);
    const exitAtEnd = flag(parsed, "exit");
    const format = createFormatter(stringOption(parsed, "format") ?? DEFAULT_TEMPLATE);

    const admin = log().admin();
    const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    const partitionCount = metadata?.partitions.length ?? 0;
    for (const partition of chosen) {
      if (partition >= partitionCount) {
        throw new EdgeLogError(
          "UNKNOWN_TOPIC_OR_PARTITION",
          `topic "${topic}" has no partition ${partition} (it has ${partitionCount})`,
          { context: { topic, partition } },
        );
      }
    }
    const partitions = chosen.length > 0 ? chosen : Array.from({ length: partitionCount }, (_, i) => i);
    // The end of the log for --exit: fixed now, so records written while we read do not keep us reading.
    const ends = new Map<number, number>();
    if (exitAtEnd) for (const p of await admin.fetchTopicOffsets(topic)) ends.set(p.partition, p.high);

    const consumer = log().consumer(groupId === undefined ? {} : { groupId });
    await consumer.subscribe({ topic, fromBeginning: start.kind === "beginning" });
    if (groupId === undefined) {
      const others = Array.from({ length: partitionCount }, (_, i) => i).filter(
        (p) => !partitions.includes(p),
      );
      if (others.length > 0) consumer.pause([{ topic, partitions: others }]);
      await seekStart(log(), consumer, topic, partitions, start);
    }

    let finish: (outcome: Outcome) => void = () => {};
    const finished = new Promise<Outcome>((resolve) => {
      finish = resolve;
    });
    let done = false;
    let printed = 0;
    let joined = groupId === undefined;
    const end = (outcome: Outcome): void => {
      done = true;
      finish(outcome);
    };

    /**
     * Writes what `out` holds; only once stdout took it are its records consumed (committed, in a group). The
     * reader leaving first ends the command, and those records stay unconsumed.
     */
    const deliver = async (out: OutputBatch, resolveOffset: (offset: number) => void): Promise<boolean> => {
      const written = await out.write();
      if (written === null) return true;
      if (!written.delivered) {
        end({ kind: "done" });
        return false;
      }
      resolveOffset(written.lastOffset);
      printed += written.records;
      return true;
    };

    /** With --exit: whether every partition we read is at (or past) the end it had at start. */
    const atEnd = (): boolean => {
      if (!joined) return false;
      const reading = consumer
        .assignment()
        .filter((a) => a.topic === topic && partitions.includes(a.partition));
      return reading.every((a) => a.position !== null && a.position >= (ends.get(a.partition) ?? 0));
    };

    const offInterrupt = io.onInterrupt(() => end({ kind: "done" }));
    io.stdout.whenClosed.then(() => end({ kind: "done" }));
    consumer.on("consumer.crash", (event) =>
      end({ kind: "failed", error: (event as { error: unknown }).error }),
    );
    consumer.on("consumer.group_join", () => {
      joined = true;
    });
    const exitCheck = exitAtEnd
      ? setInterval(() => {
          if (!done && atEnd()) end({ kind: "done" });
        }, EXIT_CHECK_MS)
      : undefined;

    try {
      await consumer.run({
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, pause }) => {
          const logEnd = ends.get(batch.partition) ?? Number.POSITIVE_INFINITY;
          const out = new OutputBatch(io.stdout);
          for (const message of batch.messages) {
            if (done) break;
            if (exitAtEnd && message.offset >= logEnd) {
              // Past the end we stop at: fetch no more of this partition.
              pause();
              break;
            }
            out.add(format({ topic, partition: batch.partition, ...message }), message.offset);
            if (count !== undefined && printed + out.records >= count) end({ kind: "done" });
            if (out.full && !(await deliver(out, resolveOffset))) return;
          }
          await deliver(out, resolveOffset);
          if (exitAtEnd && !done && atEnd()) end({ kind: "done" });
        },
      });
      if (exitAtEnd && atEnd()) end({ kind: "done" });
      const outcome = await finished;
      if (outcome.kind === "failed") throw outcome.error;
      return EXIT.OK;
    } finally {
      done = true;
      if (exitCheck !== undefined) clearInterval(exitCheck);
      offInterrupt();
      // In a group this commits the offsets of what was printed, then leaves so partitions move at once.
      await consumer.stop();
    }
  },
};

/**
 * Output bytes gathered into one write: one system call per ~16 KiB instead of one per record, and well inside a
 * pipe's buffer (64 KiB on Linux), so a write completes while the reader still reads and what it took is known.
 */
export const OUTPUT_BATCH_BYTES = 16 * 1024;

/** Formatted records waiting to be written together, with the offset of the last. */
class OutputBatch {
  readonly #out: Output;
  #chunks: Uint8Array[] = [];
  #bytes = 0;
  #lastOffset = -1;
  records = 0;

  constructor(out: Output) {
    this.#out = out;
  }

  get full(): boolean {
    return this.#bytes >= OUTPUT_BATCH_BYTES;
  }

  add(bytes: Uint8Array, offset: number): void {
    this.#chunks.push(bytes);
    this.#bytes += bytes.byteLength;
    this.#lastOffset = offset;
    this.records++;
  }

  /** Writes and empties the batch; `null` when it was empty. */
  async write(): Promise<{ delivered: boolean; lastOffset: number; records: number } | null> {
    if (this.records === 0) return null;
    const result = { lastOffset: this.#lastOffset, records: this.records };
    const bytes = Buffer.concat(this.#chunks, this.#bytes);
    this.#chunks = [];
    this.#bytes = 0;
    this.records = 0;
    return { ...result, delivered: await this.#out.write(bytes) };
  }
}

function startOf(parsed: Parsed): Start {
  const offset = stringOption(parsed, "offset");
  const time = stringOption(parsed, "from-time");
  const beginning = flag(parsed, "from-beginning");
  if ([offset !== undefined, time !== undefined, beginning].filter(Boolean).length > 1) {
    throw usageError("give at most one of --from-beginning, --offset and --from-time");
  }
  if (offset !== undefined) return { kind: "offset", offset: parseInteger(offset, "offset") };
  if (time !== undefined) return { kind: "time", timestamp: parseTime(time, "from-time") };
  return beginning ? { kind: "beginning" } : { kind: "default" };
}

/** Positions the partitions of a consumer without a group (a group starts at its committed offsets). */
async function seekStart(
  log: EdgeLog,
  consumer: Consumer,
  topic: string,
  partitions: readonly number[],
  start: Start,
): Promise<void> {
  if (start.kind === "offset") {
    // Clamped to what the log holds: an offset outside it would otherwise be reset to the end by the consumer.
    for (const { partition, low, high } of await log.admin().fetchTopicOffsets(topic)) {
      const offset = Math.min(Math.max(start.offset, low), high);
      if (partitions.includes(partition)) consumer.seek({ topic, partition, offset });
    }
  } else if (start.kind === "time") {
    const offsets = await log.admin().fetchTopicOffsetsByTimestamp(topic, start.timestamp);
    for (const { partition, offset } of offsets) {
      if (partitions.includes(partition)) consumer.seek({ topic, partition, offset });
    }
  }
}
