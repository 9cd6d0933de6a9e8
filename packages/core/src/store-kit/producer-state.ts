/**
 * @module
 * The idempotent producer's bookkeeping (docs/semantics.md §A4), as pure functions every store runs inside
 * its append transaction, so the rules exist once and every store applies them identically.
 *
 * Rules, after Kafka's `ProducerAppendInfo.checkSequence` and `ProducerStateEntry`:
 * an older epoch is fenced; a newer epoch must start at sequence 0; within an epoch a batch identical to one of
 * the last five (same first and last sequence) is a duplicate and returns the original offsets; the next batch
 * must start right after the last sequence (wrapping at 2^31); anything else is out of order.
 */
import type { BatchHeader } from "../codec/record-batch.ts";
import { EdgeLogError } from "../errors.ts";
import type { TopicPartition } from "../store.ts";

/** Kafka's `NUM_BATCHES_TO_RETAIN`: how many recent batches per producer are remembered for dedupe. */
export const PRODUCER_BATCHES_RETAINED = 5;
/** Sequences are int32 and wrap to 0 after this, as in Kafka. */
const SEQUENCE_MODULUS = 2 ** 31;

/** One remembered batch of a producer. */
export interface ProducerBatchEntry {
  readonly firstSequence: number;
  readonly lastSequence: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly logAppendTime: number;
}

/** What a partition remembers about one producer; JSON-serialisable so any store can persist it. */
export interface ProducerState {
  readonly producerId: string;
  readonly epoch: number;
  /** Oldest first, at most `PRODUCER_BATCHES_RETAINED`. */
  readonly batches: readonly ProducerBatchEntry[];
}

export type SequenceCheck =
  | { readonly kind: "append" }
  | { readonly kind: "duplicate"; readonly entry: ProducerBatchEntry };

/** The last sequence a batch covers, wrapping like Kafka's int32 sequences. */
export function lastSequenceOf(baseSequence: number, recordCount: number): number {
  return (baseSequence + recordCount - 1) % SEQUENCE_MODULUS;
}

/** The sequence the next batch must start with. */
export function nextSequenceAfter(lastSequence: number): number {
  return (lastSequence + 1) % SEQUENCE_MODULUS;
}

/**
 * Decides whether a producer-stamped batch is appended or is a duplicate, or throws the Kafka error.
 * `state` is what the partition remembers about `header.producerId` (undefined when nothing).
 */
export function checkProducerSequence(
  tp: TopicPartition,
  state: ProducerState | undefined,
  header: BatchHeader,
): SequenceCheck {
  const { producerId, producerEpoch: epoch, baseSequence, recordCount } = header;
  if (producerId === null) return { kind: "append" };
  const context = { topic: tp.topic, partition: tp.partition, producerId, receivedSequence: baseSequence };
  if (state === undefined) {
    if (baseSequence === 0) return { kind: "append" };
    // The partition has no record of this producer (new partition, or its batches were removed by retention):
    // accepting a mid-stream sequence could hide a lost batch, so the producer must start a new epoch at 0.
    throw new EdgeLogError(
      "UNKNOWN_PRODUCER_ID",
      `producer "${producerId}" is unknown to ${tp.topic}/${tp.partition}; start a new epoch at sequence 0`,
      { context: { ...context, expectedSequence: 0 } },
    );
  }
  if (epoch < state.epoch) {
    throw new EdgeLogError(
      "INVALID_PRODUCER_EPOCH",
      `producer "${producerId}" epoch ${epoch} is older than the current epoch ${state.epoch}`,
      { context: { ...context, producerEpoch: epoch, currentEpoch: state.epoch } },
    );
  }
  if (epoch > state.epoch) {
    if (baseSequence === 0) return { kind: "append" };
    throw new EdgeLogError(
      "OUT_OF_ORDER_SEQUENCE_NUMBER",
      `producer "${producerId}" began epoch ${epoch} at sequence ${baseSequence}; a new epoch starts at 0`,
      { context: { ...context, expectedSequence: 0, producerEpoch: epoch } },
    );
  }
  const lastSequence = lastSequenceOf(baseSequence, recordCount);
  const duplicate = state.batches.find(
    (b) => b.firstSequence === baseSequence && b.lastSequence === lastSequence,
  );
  if (duplicate !== undefined) return { kind: "duplicate", entry: duplicate };
  const latest = state.batches.at(-1);
  const expectedSequence = latest === undefined ? 0 : nextSequenceAfter(latest.lastSequence);
  if (baseSequence === expectedSequence) return { kind: "append" };
  throw new EdgeLogError(
    "OUT_OF_ORDER_SEQUENCE_NUMBER",
    `producer "${producerId}" sent sequence ${baseSequence} to ${tp.topic}/${tp.partition}, expected ${expectedSequence}`,
    { context: { ...context, expectedSequence, producerEpoch: epoch } },
  );
}

/** The producer's state after its batch was appended at `baseOffset`. */
export function producerStateAfterAppend(
  state: ProducerState | undefined,
  header: BatchHeader,
  baseOffset: number,
  logAppendTime: number,
): ProducerState {
  const { producerId, producerEpoch, baseSequence, recordCount } = header;
  if (producerId === null) throw new TypeError("producerStateAfterAppend needs a producer-stamped batch");
  const entry: ProducerBatchEntry = {
    firstSequence: baseSequence,
    lastSequence: lastSequenceOf(baseSequence, recordCount),
    baseOffset,
    lastOffset: baseOffset + recordCount - 1,
    logAppendTime,
  };
  const kept = state === undefined || state.epoch !== producerEpoch ? [] : state.batches;
  return { producerId, epoch: producerEpoch, batches: [...kept, entry].slice(-PRODUCER_BATCHES_RETAINED) };
}

/**
 * Whether a producer's state still protects data at or after `logStartOffset`. Producer state lives as long as
 * the data it deduplicates: once retention removed all of a producer's remembered batches, it is dropped.
 */
export function producerStateIsLive(state: ProducerState, logStartOffset: number): boolean {
  const latest = state.batches.at(-1);
  return latest !== undefined && latest.lastOffset >= logStartOffset;
}
