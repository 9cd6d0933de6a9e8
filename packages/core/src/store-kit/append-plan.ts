/**
 * @module
 * The append as a pure planner, once for every store (in the style of `runStreamCommand`): given a partition's
 * bounds, the states of the producers the batches name and the checked batches, `planAppend` decides each
 * batch's outcome and returns the rows to write. A store loads that state inside its transaction, calls the
 * planner and applies the plan (writes the rows, wakes readers); it never decides anything about an append
 * itself, so offsets, dedupe and producer bookkeeping cannot drift between stores.
 *
 * Two kinds of batch go through it. A leader's batch gets the next offsets and the store's clock as its append
 * time, after core's idempotent-producer check. A replicated batch (a follower applying its leader's log) arrives
 * with `assigned` offsets and append time: it must land exactly there, contiguous with the high watermark; a
 * batch already held is a no-op duplicate; and it updates producer state exactly as the leader did (no sequence
 * check: the leader already made it), so that after a failover the new leader dedupes a producer's retries.
 */
import type { BatchHeader } from "../codec/record-batch.ts";
import { RECORD_CAPS } from "../codec/record-caps.ts";
import { EdgeLogError, isEdgeLogError } from "../errors.ts";
import type { AppendResult, PartitionOffsets, StoredBatch, TopicMetadata, TopicPartition } from "../store.ts";
import { inspectBatchForAppend } from "./inspect-batch.ts";
import { checkProducerSequence, type ProducerState, producerStateAfterAppend } from "./producer-state.ts";

/** What the planner needs of a partition's row; a store's row may carry more, which the plan keeps. */
export interface PartitionBounds extends PartitionOffsets {
  /** Bytes of the retained batches (for `retention.bytes`). */
  readonly sizeBytes: number;
}

/** Where a leader put a batch: a follower's replicated batch must land exactly there. */
export interface AssignedPlacement {
  readonly baseOffset: number;
  readonly logAppendTime: number;
}

/** A batch that passed `inspectBatchForAppend` (size, integrity, caps when they apply), with its header. */
export interface CheckedBatch {
  readonly payload: Uint8Array;
  readonly header: BatchHeader;
  /** Set for a replicated batch: its leader's offsets and append time. */
  readonly assigned?: AssignedPlacement;
}

/** A batch that failed before planning (inspection, unknown partition): its outcome is that error. */
export interface RejectedBatch {
  readonly error: EdgeLogError;
}

export type AppendOutcome =
  | { readonly kind: "appended"; readonly result: AppendResult }
  | { readonly kind: "duplicate"; readonly result: AppendResult }
  | { readonly kind: "error"; readonly error: EdgeLogError };

export interface AppendPlanInput<P extends PartitionBounds> {
  readonly tp: TopicPartition;
  /** The partition's row as loaded in the store's transaction. */
  readonly partition: P;
  /**
   * The stored state of each producer the batches name (see `producerIdsOf`); absent or `undefined`: the
   * partition does not know it. Read only: the plan carries the new states.
   */
  readonly producers: ReadonlyMap<string, ProducerState | undefined>;
  /** In arrival order; later batches see earlier ones (a producer's pipelined batches in one group commit). */
  readonly batches: readonly (CheckedBatch | RejectedBatch)[];
  /** The append time of leader batches. */
  readonly nowMs: number;
}

export interface AppendPlan<P extends PartitionBounds> {
  /** The partition row to write: `input.partition` with the new high watermark and size (the same object when nothing was appended). */
  readonly partition: P;
  /** Batch rows to write, in offset order. */
  readonly batches: readonly StoredBatch[];
  /** Producer states to write: the last one of each producer that appended. */
  readonly producers: readonly ProducerState[];
  /** One per input batch, in input order. */
  readonly outcomes: readonly AppendOutcome[];
}

/** The distinct producer ids of `batches`: the producer states a store must load before planning. */
export function producerIdsOf(batches: readonly (CheckedBatch | RejectedBatch)[]): string[] {
  const ids = new Set<string>();
  for (const batch of batches) {
    if ("header" in batch && batch.header.producerId !== null) ids.add(batch.header.producerId);
  }
  return [...ids];
}

/** How {@link checkBatch} treats a batch. */
export interface CheckBatchOptions {
  /** A replicated batch: where its leader put it. */
  readonly assigned?: AssignedPlacement;
  /**
   * Whether the per-record caps (`RECORD_CAPS`) apply. Default: `true` for a new write, `false` for an
   * `assigned` batch — a copy of history was accepted once (maybe before a cap existed) and must still copy.
   */
  readonly checkRecordCaps?: boolean;
}

/** Inspects one batch for `planAppend`: its header, or the verdict that rejects it (a bug still throws). */
export function checkBatch(
  topic: TopicMetadata,
  tp: TopicPartition,
  payload: Uint8Array,
  options: CheckBatchOptions = {},
): CheckedBatch | RejectedBatch {
  const { assigned } = options;
  const caps = (options.checkRecordCaps ?? assigned === undefined) ? RECORD_CAPS : null;
  try {
    const header = inspectBatchForAppend(topic, tp, payload, caps);
    return assigned === undefined ? { payload, header } : { payload, header, assigned };
  } catch (error) {
    if (isEdgeLogError(error)) return { error };
    throw error;
  }
}

/** The result of an outcome, or its error thrown: for a caller that appended one batch. */
export function resultOf(outcome: AppendOutcome | undefined): AppendResult {
  if (outcome === undefined) throw new Error("append lost its outcome");
  if (outcome.kind === "error") throw outcome.error;
  return outcome.result;
}

/** Plans appending `input.batches` to the partition; pure, so a store can run it inside any transaction. */
export function planAppend<P extends PartitionBounds>(input: AppendPlanInput<P>): AppendPlan<P> {
  const { tp, nowMs } = input;
  let partition = input.partition;
  const producers = new Map<string, ProducerState | undefined>();
  const stateOf = (producerId: string): ProducerState | undefined =>
    producers.has(producerId) ? producers.get(producerId) : input.producers.get(producerId);
  const batches: StoredBatch[] = [];
  const outcomes: AppendOutcome[] = [];
  const answer = (baseOffset: number, lastOffset: number, logAppendTime: number, duplicate: boolean) => ({
    baseOffset,
    lastOffset,
    logAppendTime,
    duplicate,
    logStartOffset: partition.logStartOffset,
    highWatermark: partition.highWatermark,
  });

  for (const batch of input.batches) {
    if ("error" in batch) {
      outcomes.push({ kind: "error", error: batch.error });
      continue;
    }
    const { header, assigned } = batch;
    const state = header.producerId === null ? undefined : stateOf(header.producerId);
    let baseOffset = partition.highWatermark;
    let logAppendTime = nowMs;
    if (assigned === undefined) {
      try {
        const check = checkProducerSequence(tp, state, header);
        if (check.kind === "duplicate") {
          const { baseOffset, lastOffset, logAppendTime } = check.entry;
          outcomes.push({ kind: "duplicate", result: answer(baseOffset, lastOffset, logAppendTime, true) });
          continue;
        }
      } catch (error) {
        // A verdict on this batch only (out of sequence, fenced): the others go on.
        if (!isEdgeLogError(error)) throw error;
        outcomes.push({ kind: "error", error });
        continue;
      }
    } else {
      const lastOffset = assigned.baseOffset + header.recordCount - 1;
      const placed = checkPlacement(tp, partition, assigned.baseOffset, lastOffset);
      if (placed === "held") {
        const result = answer(assigned.baseOffset, lastOffset, assigned.logAppendTime, true);
        outcomes.push({ kind: "duplicate", result });
        continue;
      }
      if (placed !== "append") {
        outcomes.push({ kind: "error", error: placed });
        continue;
      }
      baseOffset = assigned.baseOffset;
      logAppendTime = assigned.logAppendTime;
    }
    const stored: StoredBatch = {
      baseOffset,
      lastOffset: baseOffset + header.recordCount - 1,
      recordCount: header.recordCount,
      maxTimestamp: header.maxTimestamp,
      logAppendTime,
      sizeBytes: batch.payload.byteLength,
      payload: batch.payload,
    };
    batches.push(stored);
    partition = {
      ...partition,
      highWatermark: stored.lastOffset + 1,
      sizeBytes: partition.sizeBytes + stored.sizeBytes,
    };
    if (header.producerId !== null) {
      producers.set(header.producerId, producerStateAfterAppend(state, header, baseOffset, logAppendTime));
    }
    outcomes.push({ kind: "appended", result: answer(baseOffset, stored.lastOffset, logAppendTime, false) });
  }

  const changed: ProducerState[] = [];
  for (const state of producers.values()) if (state !== undefined) changed.push(state);
  return { partition, batches, producers: changed, outcomes };
}

/**
 * Where a replicated batch goes: `"append"` when it starts at the high watermark, `"held"` when the partition
 * already holds all of it (a repeated replication), or the error for a gap or an overlap — either means the
 * follower's log has diverged from its leader's and must be repaired, not appended to.
 */
function checkPlacement(
  tp: TopicPartition,
  partition: PartitionOffsets,
  baseOffset: number,
  lastOffset: number,
): "append" | "held" | EdgeLogError {
  const { highWatermark, logStartOffset } = partition;
  if (baseOffset === highWatermark) return "append";
  if (lastOffset < highWatermark) return "held";
  const gap = baseOffset > highWatermark;
  return new EdgeLogError(
    "OFFSET_OUT_OF_RANGE",
    gap
      ? `replicated batch at offset ${baseOffset} leaves a gap after the high watermark ${highWatermark} of ${tp.topic}/${tp.partition}`
      : `replicated batch [${baseOffset}, ${lastOffset}] overlaps the high watermark ${highWatermark} of ${tp.topic}/${tp.partition}`,
    {
      context: {
        topic: tp.topic,
        partition: tp.partition,
        offset: baseOffset,
        logStartOffset,
        highWatermark,
        replica: gap ? "gap" : "overlap",
      },
    },
  );
}
