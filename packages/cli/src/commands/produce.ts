/**
 * @module
 * `edgelog produce TOPIC`: one record per stdin line through core's idempotent `Producer`, so a batch retried
 * after a lost response is stored once. Each line is its own `send` (so each gets its own offset back) and the
 * producer batches what arrives within `--linger-ms`; at most a bounded window of records is in flight, and
 * stdin is read only as the window drains, so memory stays flat however much is piped in. Offsets go to stdout
 * in input order (`PARTITION OFFSET`, one line per record), the summary to stderr.
 */
import {
  EdgeLogError,
  isEdgeLogError,
  MAX_PARTITIONS,
  type Message,
  type RecordMetadata,
} from "@edgelog/core";
import type { Command } from "../command.ts";
import { EXIT, type ExitCode, usageError } from "../exit-codes.ts";
import { splitKey, splitLines } from "../lines.ts";
import { expectPositionals, flag, integerOption, listOption, parsePair, stringOption } from "../options.ts";
import { formatRate } from "../stats.ts";
import { decodeEscapes } from "../template.ts";
import { interruptible } from "./interruptible.ts";

/** Records sent but not yet acknowledged, at most: bounds memory and the offsets held back for ordering. */
export const MAX_PENDING_RECORDS = 16_384;
/** Bytes of values and keys in flight, at most. */
export const MAX_PENDING_BYTES = 16 * 1024 * 1024;
const utf8 = new TextEncoder();

interface Pending {
  readonly sent: Promise<RecordMetadata[]>;
  readonly bytes: number;
  /** 1-based line number, for error messages. */
  readonly line: number;
}

/** The records in flight, oldest first, bounded in count and bytes: `add` waits while it is full. */
class Window {
  readonly #queue: Pending[] = [];
  #bytes = 0;
  #closed = false;
  #wakeReader: (() => void) | null = null;
  #wakePrinter: (() => void) | null = null;

  async add(pending: Pending): Promise<void> {
    this.#queue.push(pending);
    this.#bytes += pending.bytes;
    this.#wakePrinter?.();
    while (this.#queue.length >= MAX_PENDING_RECORDS || this.#bytes >= MAX_PENDING_BYTES) {
      await new Promise<void>((resolve) => {
        this.#wakeReader = resolve;
      });
    }
  }

  /** The oldest record in flight, waiting for one; `undefined` once closed and empty. */
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
    this.#bytes -= pending.bytes;
    this.#wakeReader?.();
  }

  /** No more records will be added. */
  close(): void {
    this.#closed = true;
    this.#wakePrinter?.();
  }
}

/** The error with the line it refused, so the user can find the record. */
function lineError(error: unknown, line: number): unknown {
  if (!isEdgeLogError(error)) return error;
  return new EdgeLogError(error.code, `line ${line}: ${error.message}`, {
    context: { ...error.context, line },
  });
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
    "Prints PARTITION OFFSET for each record on stdout, in input order, and a summary on stderr.",
    "On the first record the server refuses, stops reading, waits for what is in flight (those records are",
    "stored and printed) and exits non-zero with the refused line's number in the message.",
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
    if (partition !== undefined && partition >= (metadata?.partitions.length ?? 0)) {
      throw new EdgeLogError(
        "UNKNOWN_TOPIC_OR_PARTITION",
        `topic "${topic}" has no partition ${partition} (it has ${metadata?.partitions.length ?? 0})`,
        { context: { topic, partition } },
      );
    }

    const producer = log().producer({ lingerMs, retry: { retries } });
    const started = io.now();
    const window = new Window();
    let read = 0;
    let written = 0;
    let failure: unknown = null;

    // Prints each record's offset as soon as it and every record before it are stored, while input is still read.
    const printer = (async () => {
      for (let next = await window.oldest(); next !== undefined; next = await window.oldest()) {
        try {
          const [result] = await next.sent;
          written++;
          if (!quiet && result !== undefined)
            await io.stdout.write(`${result.partition} ${result.baseOffset}\n`);
        } catch (error) {
          failure ??= lineError(error, next.line);
        }
        window.release(next);
      }
    })();

    const lines = interruptible(splitLines(io.stdin), io);
    try {
      for await (const line of lines) {
        // A refusal stops the input: checked before each send, as it may have arrived while stdin was idle.
        if (failure !== null) break;
        read++;
        const message: Message = {
          ...(separator === undefined ? { value: line } : splitKey(line, separator, read)),
          ...(partition === undefined ? {} : { partition }),
          ...(headers.length === 0 ? {} : { headers }),
        };
        const sent = producer.send({ topic, messages: [message] });
        // The printer reports a rejection, in order; this only keeps it from counting as unhandled meanwhile.
        sent.catch(() => undefined);
        await window.add({ sent, bytes: line.byteLength, line: read });
      }
    } catch (error) {
      failure ??= error;
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
        (lines.interrupted ? ", interrupted" : ""),
    );
    if (failure !== null) throw failure;
    return lines.interrupted ? EXIT.INTERRUPTED : EXIT.OK;
  },
};
