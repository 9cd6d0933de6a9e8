/**
 * @module
 * `edgelog produce TOPIC`: one record per stdin line through core's idempotent `Producer`, so a batch retried
 * after a lost response is stored once. The lines that arrive together go out in one `send` (the producer
 * batches further within `--linger-ms`); each line's partition is chosen here with core's own partitioner
 * (murmur2 for keys, sticky without), so every line's offset is known from the send's per-partition result. At
 * most a bounded window of records is in flight and stdin is read only as it drains, so memory stays flat however
 * much is piped in. Offsets go to stdout in input order (`PARTITION OFFSET`, one line per record), the summary to
 * stderr.
 */
import {
  EdgeLogError,
  isEdgeLogError,
  MAX_PARTITIONS,
  type Message,
  Partitioners,
  type RecordMetadata,
} from "@edgelog/core";
import type { Command } from "../command.ts";
import { EXIT, type ExitCode, usageError } from "../exit-codes.ts";
import { splitKey, splitLineGroups } from "../lines.ts";
import { expectPositionals, flag, integerOption, listOption, parsePair, stringOption } from "../options.ts";
import { formatRate } from "../stats.ts";
import { decodeEscapes } from "../template.ts";
import { interruptible } from "./interruptible.ts";

/** Records sent but not yet acknowledged, at most: bounds memory and the offsets held back for ordering. */
export const MAX_PENDING_RECORDS = 16_384;
/** Bytes of lines in flight, at most. */
export const MAX_PENDING_BYTES = 16 * 1024 * 1024;
const utf8 = new TextEncoder();

/** One `send`: consecutive input lines, with the partition chosen for each. */
interface Pending {
  readonly sent: Promise<RecordMetadata[]>;
  readonly partitions: readonly number[];
  readonly bytes: number;
  /** 1-based number of its first line, for error messages. */
  readonly firstLine: number;
}

export const produce: Command = {
  path: ["produce"],
  usage: "TOPIC [--key-separator SEP] [--partition N] [--header KEY=VALUE]... [--linger-ms MS] [--quiet]",
  summary: "write stdin to a topic, one record per line",
  help: [
    "Reads stdin line by line (split on \\n, bytes kept exactly as given) and writes each line as one record.",
    "",
    "  -K, --key-separator SEP  split each line at the first SEP into key and value (\\t, \\n, \\0, \\\\ escapes);",
    "                           a line without SEP is an error (exit 2)",
    "  -p, --partition N        write every record to partition N (default: by key, murmur2 as in Kafka;",
    "                           keyless records are spread by the sticky partitioner)",
    "  -H, --header KEY=VALUE   add this header to every record (repeatable, in order)",
    "      --linger-ms MS       wait this long to fill a batch (default 5)",
    "      --retries N          retries of a batch whose outcome is unknown (default 10); the producer is",
    "                           idempotent, so a retried batch is never stored twice",
    "  -q, --quiet              print no offsets",
    "",
    "Prints PARTITION OFFSET for each stored record on stdout, in input order, and a summary on stderr.",
    "When the server refuses a record, stops reading and exits non-zero naming the lines not stored; lines",
    "already sent before the refusal was known are still stored (and printed).",
  ].join("\n"),
  options: {
    "key-separator": { type: "string", short: "K" },
    partition: { type: "string", short: "p" },
    header: { type: "string", short: "H", multiple: true },
    "linger-ms": { type: "string" },
    retries: { type: "string" },
    quiet: { type: "boolean", short: "q" },
  },
  async run(parsed, { io, log, note }): Promise<ExitCode> {
    const [topic] = expectPositionals(parsed, ["TOPIC"]) as [string];
    const separatorText = stringOption(parsed, "key-separator");
    const separator =
      separatorText === undefined ? undefined : utf8.encode(decodeEscapes(separatorText, "key-separator"));
    if (separator?.byteLength === 0) throw usageError("--key-separator must not be empty");
    const partitionText = stringOption(parsed, "partition");
    const partition =
      partitionText === undefined ? undefined : integerOption(parsed, "partition", 0, 0, MAX_PARTITIONS - 1);
    const headers = listOption(parsed, "header").map((text) => {
      const [key, value] = parsePair(text, "header");
      return { key, value };
    });
    const lingerMs = integerOption(parsed, "linger-ms", 5, 0, 60_000);
    const retries = integerOption(parsed, "retries", 10, 0, 100);
    const quiet = flag(parsed, "quiet");

    // Fail on an unknown topic or partition before reading any input.
    const [metadata] = (
      await log()
        .admin()
        .fetchTopicMetadata({ topics: [topic] })
    ).topics;
    const partitionCount = metadata?.partitions.length ?? 0;
    if (partition !== undefined && partition >= partitionCount) {
      throw new EdgeLogError(
        "UNKNOWN_TOPIC_OR_PARTITION",
        `topic "${topic}" has no partition ${partition} (it has ${partitionCount})`,
        { context: { topic, partition } },
      );
    }

    const producer = log().producer({ lingerMs, retry: { retries } });
    const partitioner = Partitioners.DefaultPartitioner();
    const started = io.now();
    const window = new Window();
    let read = 0;
    let written = 0;
    let failure: unknown = null;
    const fail = (error: unknown): void => {
      failure ??= error;
    };

    // Prints each record's offset once it and every record before it are stored, while input is still read.
    const printer = (async () => {
      for (let next = await window.oldest(); next !== undefined; next = await window.oldest()) {
        const results = await next.sent.catch(() => null);
        if (results !== null) {
          written += next.partitions.length;
          if (!quiet) await io.stdout.write(offsetLines(results, next.partitions));
        }
        window.release(next);
      }
    })();

    const send = (
      messages: Message[],
      partitions: number[],
      bytes: number,
      firstLine: number,
    ): Promise<void> => {
      const sent = producer.send({ topic, messages });
      const lines = messages.length;
      // Noted at once, not when the printer gets here, so no further input is sent after a refusal.
      sent.catch((error: unknown) => fail(linesError(error, firstLine, lines)));
      return window.add({ sent, partitions, bytes, firstLine });
    };

    const groups = interruptible(splitLineGroups(io.stdin), io);
    try {
      for await (const group of groups) {
        if (failure !== null) break;
        const firstLine = read + 1;
        const messages: Message[] = [];
        const partitions: number[] = [];
        let bytes = 0;
        try {
          for (const line of group) {
            read++;
            const { key, value } =
              separator === undefined ? { key: null, value: line } : splitKey(line, separator, read);
            const chosen =
              partition ?? partitioner({ topic, partitionCount, key, sizeBytes: line.byteLength });
            messages.push({
              ...(key === null ? {} : { key }),
              value,
              partition: chosen,
              ...(headers.length === 0 ? {} : { headers }),
            });
            partitions.push(chosen);
            bytes += line.byteLength;
          }
        } catch (error) {
          // A malformed line: what came before it is still sent.
          fail(error);
        }
        if (messages.length > 0) await send(messages, partitions, bytes, firstLine);
      }
    } catch (error) {
      fail(error);
    } finally {
      window.close();
      await printer;
      await producer.disconnect().catch(() => undefined);
    }

    const seconds = (io.now() - started) / 1000;
    const failed = read - written;
    await note(
      `produced ${written} record${written === 1 ? "" : "s"} to "${topic}" in ${seconds.toFixed(2)} s` +
        ` (${formatRate(written, seconds)} records/s)${failed > 0 ? `, ${failed} not produced` : ""}` +
        (groups.interrupted ? ", interrupted" : ""),
    );
    if (failure !== null) throw failure;
    return groups.interrupted ? EXIT.INTERRUPTED : EXIT.OK;
  },
};

/** `PARTITION OFFSET` per record of one send, in send order: a send's records in a partition are consecutive. */
function offsetLines(results: readonly RecordMetadata[], partitions: readonly number[]): string {
  const next = new Map(results.map((r) => [r.partition, r.baseOffset]));
  let out = "";
  for (const partition of partitions) {
    const offset = next.get(partition) ?? -1;
    next.set(partition, offset + 1);
    out += `${partition} ${offset}\n`;
  }
  return out;
}

/** The error with the lines it concerns, so the user can find them (a refused send stores none of its lines). */
function linesError(error: unknown, firstLine: number, lines: number): unknown {
  if (!isEdgeLogError(error)) return error;
  const where = lines === 1 ? `line ${firstLine}` : `lines ${firstLine}-${firstLine + lines - 1}`;
  return new EdgeLogError(error.code, `${where}: ${error.message}`, {
    context: { ...error.context, line: firstLine },
  });
}

/** The sends in flight, oldest first, bounded in records and bytes: `add` waits while it is full. */
class Window {
  readonly #queue: Pending[] = [];
  #records = 0;
  #bytes = 0;
  #closed = false;
  #wakeReader: (() => void) | null = null;
  #wakePrinter: (() => void) | null = null;

  async add(pending: Pending): Promise<void> {
    this.#queue.push(pending);
    this.#records += pending.partitions.length;
    this.#bytes += pending.bytes;
    this.#wakePrinter?.();
    while (this.#records >= MAX_PENDING_RECORDS || this.#bytes >= MAX_PENDING_BYTES) {
      await new Promise<void>((resolve) => {
        this.#wakeReader = resolve;
      });
    }
  }

  /** The oldest send in flight, waiting for one; `undefined` once closed and empty. */
  async oldest(): Promise<Pending | undefined> {
    while (this.#queue.length === 0 && !this.#closed) {
      await new Promise<void>((resolve) => {
        this.#wakePrinter = resolve;
      });
    }
    return this.#queue[0];
  }

  release(pending: Pending): void {
    this.#queue.shift();
    this.#records -= pending.partitions.length;
    this.#bytes -= pending.bytes;
    this.#wakeReader?.();
  }

  /** No more sends will be added. */
  close(): void {
    this.#closed = true;
    this.#wakePrinter?.();
  }
}
