/**
 * @module
 * Cutting records into record batches under a byte budget, with the sizes `encodeBatch` will really produce
 * (`batchHeaderSize` + `encodedRecordSize`), not estimates. Every writer that turns records into batches uses it:
 * the producer (incrementally, one open batch per partition), the HTTP JSON produce (one batch per partition,
 * refused whole when over), the offline outbox's sync planner (one batch per partition per plan, oversized records
 * set aside) and Durable Streams appends (cut into as many batches as needed).
 *
 * Two limits are told apart, as Kafka's producer does with `batch.size` and `max.message.bytes`: the *budget* at
 * which a batch is cut, and the *limit* above which a record is refused because even a batch holding only it would
 * be too large for the topic. A record over the budget but within the limit goes in a batch of its own.
 */
import { EdgeLogError, type ErrorContext } from "../errors.ts";
import type { LogRecord } from "../record.ts";
import { batchHeaderSize, encodeBatch, encodedRecordSize, type ProducerStamp } from "./record-batch.ts";

/** What a batch may hold. */
export interface BatchBudget {
  /** The producer id the batches will be stamped with, `null` for none: its UTF-8 bytes are in every header. */
  readonly producerId: string | null;
  /** A batch is cut before the record that would take its encoded size (header included) over this. */
  readonly maxBatchBytes: number;
}

/**
 * The encoded size of a batch holding only `record`: what decides whether a record can be sent at all.
 * @example
 * soloBatchSize({ key: null, value: null, headers: [], timestamp: 0 }, null) // 37 + 5
 */
export function soloBatchSize(record: LogRecord, producerId: string | null): number {
  return batchHeaderSize(producerId) + encodedRecordSize(record, record.timestamp);
}

/**
 * The one `MESSAGE_TOO_LARGE` for a record whose batch of its own (`sizeBytes`, from {@link soloBatchSize}) is
 * over `maxBytes`. `context` says where the record came from (its topic, its index in a request).
 */
export function recordTooLarge(
  sizeBytes: number,
  maxBytes: number,
  context: ErrorContext = {},
): EdgeLogError {
  const { topic, index } = context;
  const which = typeof index === "number" ? `record ${index}` : "a record";
  const where = typeof topic === "string" ? ` of topic "${topic}"` : "";
  return new EdgeLogError(
    "MESSAGE_TOO_LARGE",
    `${which} encodes to a batch of ${sizeBytes} bytes, over the max.message.bytes${where} (${maxBytes})`,
    { context: { ...context, sizeBytes, maxBytes } },
  );
}

/**
 * One batch being filled: its records and its exact encoded size so far. A record is measured once, against
 * the batch's first timestamp (record timestamps are stored as deltas from it).
 * @example
 * const builder = new BatchBuilder({ producerId: null, maxBatchBytes: 1024 * 1024 });
 * for (const record of records) if (!builder.tryAdd(record)) break;
 * const bytes = builder.encode();
 */
export class BatchBuilder {
  /** The records added, in order; read-only to callers. */
  readonly records: LogRecord[] = [];
  readonly #maxBatchBytes: number;
  #sizeBytes: number;
  #baseTimestamp = 0;

  constructor(budget: BatchBudget) {
    this.#maxBatchBytes = budget.maxBatchBytes;
    this.#sizeBytes = batchHeaderSize(budget.producerId);
  }

  /** The encoded size of the batch so far; just the header while empty. */
  get sizeBytes(): number {
    return this.#sizeBytes;
  }

  get recordCount(): number {
    return this.records.length;
  }

  /**
   * Adds `record` when the batch stays within the budget, and always into an empty batch (a record over the budget
   * then goes alone: refusing it is the caller's {@link soloBatchSize} check against its limit). `false` means the
   * batch is full: encode it and start another for this record.
   */
  tryAdd(record: LogRecord): boolean {
    if (this.records.length === 0) {
      this.add(record);
      return true;
    }
    const size = encodedRecordSize(record, this.#baseTimestamp);
    if (this.#sizeBytes + size > this.#maxBatchBytes) return false;
    this.#sizeBytes += size;
    this.records.push(record);
    return true;
  }

  /**
   * Adds `record` whatever the budget, for a caller that refuses an over-budget batch as a whole rather than
   * cutting it (compare {@link sizeBytes} with the limit afterwards).
   */
  add(record: LogRecord): void {
    if (this.records.length === 0) this.#baseTimestamp = record.timestamp;
    this.#sizeBytes += encodedRecordSize(record, this.#baseTimestamp);
    this.records.push(record);
  }

  /** Encodes the records as one batch (of exactly {@link sizeBytes}), stamped when `stamp` is given. */
  encode(stamp?: ProducerStamp): Uint8Array {
    return encodeBatch(this.records, stamp);
  }
}

/** {@link splitIntoBatches}' options. */
export interface SplitOptions extends BatchBudget {
  /**
   * The hard limit, usually the topic's `max.message.bytes`: a record whose batch of its own is larger is refused
   * with `MESSAGE_TOO_LARGE` before any batch is returned. Default `maxBatchBytes`; `Infinity` leaves the verdict
   * to the store.
   */
  readonly maxMessageBytes?: number;
  /** Copied into a refusal's context (the topic, say). */
  readonly context?: ErrorContext;
}

/**
 * Splits records into batches in order: each batch as full as the budget allows, never an empty one, a record
 * over the budget (but within `maxMessageBytes`) alone in its own.
 * @throws EdgeLogError `MESSAGE_TOO_LARGE` for a record over `maxMessageBytes` (its `index` in the context).
 * @example
 * const batches = splitIntoBatches(records, { producerId: null, maxBatchBytes: 256 * 1024 }).map((b) => b.encode());
 */
export function splitIntoBatches(records: readonly LogRecord[], options: SplitOptions): BatchBuilder[] {
  const maxMessageBytes = options.maxMessageBytes ?? options.maxBatchBytes;
  const batches: BatchBuilder[] = [];
  let open: BatchBuilder | null = null;
  records.forEach((record, index) => {
    if (maxMessageBytes !== Number.POSITIVE_INFINITY) {
      const alone = soloBatchSize(record, options.producerId);
      if (alone > maxMessageBytes)
        throw recordTooLarge(alone, maxMessageBytes, { ...options.context, index });
    }
    if (open === null || !open.tryAdd(record)) {
      open = new BatchBuilder(options);
      open.tryAdd(record);
      batches.push(open);
    }
  });
  return batches;
}
