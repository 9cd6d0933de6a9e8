/**
 * @module
 * One partition of the memory store: batches in an array ordered by base offset (binary search finds the batch
 * holding an offset), producer state for idempotence, the compaction checkpoint, and the parked long-poll readers.
 * Synchronous, so every operation is atomic by construction in a single-threaded runtime. Retention and
 * compaction run after appends when core says they are due (there is no timer).
 */
import type {
  AppendResult,
  BatchInfo,
  PartitionOffsets,
  ReadResult,
  StoredBatch,
  TopicMetadata,
  TopicPartition,
} from "../store.ts";
import { checkBatch, planAppend, resultOf } from "../store-kit/append-plan.ts";
import { AppendWaiters } from "../store-kit/append-waiters.ts";
import {
  type CompactionCheckpoint,
  CompactionPass,
  type CompactionPassStats,
  NO_COMPACTION_CHECKPOINT,
  runCompactionPass,
} from "../store-kit/compaction.ts";
import { compactionDueAt } from "../store-kit/compaction-schedule.ts";
import { offsetForTimestampIn } from "../store-kit/offset-for-timestamp.ts";
import { type ProducerState, producerStateIsLive } from "../store-kit/producer-state.ts";
import { ReadBudget } from "../store-kit/read-budget.ts";
import { planRetention, retentionDueAt } from "../store-kit/retention.ts";
import type { StreamState } from "../store-kit/stream-state.ts";
import { assertOffsetInRange } from "../validation.ts";

/** Compact the batch array once this many leading entries have been deleted (amortised O(1) deletes). */
const COMPACT_AFTER_DELETED_BATCHES = 1024;

export class MemoryPartition {
  readonly waiters: AppendWaiters = new AppendWaiters();
  readonly #tp: TopicPartition;
  readonly #batches: StoredBatch[] = [];
  /** Index of the first retained batch in `#batches`. */
  #head = 0;
  #logStartOffset = 0;
  #highWatermark = 0;
  #sizeBytes = 0;
  readonly #producers = new Map<string, ProducerState>();
  #checkpoint: CompactionCheckpoint = NO_COMPACTION_CHECKPOINT;
  /** Durable Streams state (`store-kit/stream-state.ts`), replaced whole by `MemoryStore.stream`. */
  streamState: StreamState | null = null;

  constructor(tp: TopicPartition) {
    this.#tp = tp;
  }

  offsets(): PartitionOffsets {
    return { logStartOffset: this.#logStartOffset, highWatermark: this.#highWatermark };
  }

  /** Bytes of the retained batches. */
  get sizeBytes(): number {
    return this.#sizeBytes;
  }

  /** Load–plan–apply over core's planner; the load is free here (everything is in memory). */
  append(topic: TopicMetadata, batch: Uint8Array, nowMs: number, checkRecordCaps: boolean): AppendResult {
    const plan = planAppend({
      tp: this.#tp,
      partition: { ...this.offsets(), sizeBytes: this.#sizeBytes },
      producers: this.#producers,
      batches: [checkBatch(topic, this.#tp, batch, { checkRecordCaps })],
      nowMs,
    });
    const result = resultOf(plan.outcomes[0]);
    if (result.duplicate) return result;
    // Copy: the caller may reuse its buffer, and the log must never change under a reader.
    for (const stored of plan.batches) this.#batches.push({ ...stored, payload: stored.payload.slice() });
    for (const state of plan.producers) this.#producers.set(state.producerId, state);
    this.#highWatermark = plan.partition.highWatermark;
    this.#sizeBytes = plan.partition.sizeBytes;
    this.#applyRetention(topic, nowMs);
    this.#applyCompaction(topic, nowMs);
    this.waiters.notify();
    // Retention may have moved the log start: answer the bounds as they are now.
    return { ...result, ...this.offsets() };
  }

  read(offset: number, maxBytes: number): ReadResult {
    assertOffsetInRange(this.#tp, offset, this.offsets());
    const batches: StoredBatch[] = [];
    const budget = new ReadBudget(maxBytes);
    for (let i = this.#indexOf(offset); i < this.#batches.length; i++) {
      const batch = this.#batches[i] as StoredBatch;
      if (!budget.admits(batch.sizeBytes)) break;
      batches.push({ ...batch, payload: batch.payload.slice() });
    }
    return { batches, ...this.offsets() };
  }

  offsetForTimestamp(timestamp: number): number | null {
    return offsetForTimestampIn(this.#retained(), timestamp, this.#logStartOffset);
  }

  listBatches(fromOffset: number | undefined, limit: number): BatchInfo[] {
    const start =
      fromOffset === undefined ? this.#head : this.#indexOf(Math.max(fromOffset, this.#logStartOffset));
    return this.#batches.slice(start, start + limit).map(({ payload: _payload, ...info }) => info);
  }

  deleteRecords(beforeOffset: number): PartitionOffsets {
    assertOffsetInRange(this.#tp, beforeOffset, this.offsets());
    this.#logStartOffset = Math.max(this.#logStartOffset, beforeOffset);
    let freedClean = 0;
    while (this.#head < this.#batches.length) {
      const batch = this.#batches[this.#head] as StoredBatch;
      if (batch.lastOffset >= this.#logStartOffset) break;
      this.#sizeBytes -= batch.sizeBytes;
      if (batch.baseOffset < this.#checkpoint.cleanedTo) freedClean += batch.sizeBytes;
      this.#head++;
    }
    if (freedClean > 0) {
      const { cleanedTo, cleanBytes } = this.#checkpoint;
      this.#checkpoint = { cleanedTo, cleanBytes: Math.max(0, cleanBytes - freedClean) };
    }
    if (this.#head >= COMPACT_AFTER_DELETED_BATCHES && this.#head * 2 >= this.#batches.length) {
      this.#batches.splice(0, this.#head);
      this.#head = 0;
    }
    for (const [producerId, state] of this.#producers) {
      if (!producerStateIsLive(state, this.#logStartOffset)) this.#producers.delete(producerId);
    }
    return this.offsets();
  }

  #applyRetention(topic: TopicMetadata, nowMs: number): void {
    const due = retentionDueAt(topic.config, this.#sizeBytes, this.#batches[this.#head], nowMs);
    if (due === null || due > nowMs) return;
    const cutoff = planRetention(this.#retained(), topic.config, nowMs, this.#sizeBytes);
    if (cutoff !== null) this.deleteRecords(cutoff);
  }

  /** A compaction pass now, whether or not one is due (a compacted topic's; see `MemoryStore.compact`). */
  compact(topic: TopicMetadata, nowMs: number, indexBudgetBytes?: number): CompactionPassStats {
    const pass = new CompactionPass({
      config: topic.config,
      nowMs,
      ...this.offsets(),
      checkpoint: this.#checkpoint,
      ...(indexBudgetBytes === undefined ? {} : { indexBudgetBytes }),
    });
    const replaced = runCompactionPass(pass, this.#retainedFrom(pass.dirtyFrom), (end) =>
      this.#retainedBelow(end),
    );
    if (replaced.size > 0) {
      // One rebuild of the array, not a splice per batch: a pass may rewrite many.
      const batches: StoredBatch[] = [];
      let sizeBytes = 0;
      for (const batch of this.#retained()) {
        for (const kept of replaced.get(batch.baseOffset) ?? [batch]) {
          batches.push(kept);
          sizeBytes += kept.sizeBytes;
        }
      }
      this.#batches.length = 0;
      for (const batch of batches) this.#batches.push(batch);
      this.#head = 0;
      this.#sizeBytes = sizeBytes;
    }
    this.#checkpoint = pass.checkpoint();
    return pass.stats();
  }

  /** Core's schedule: a pass when the dirty ratio or `max.compaction.lag.ms` says so. */
  #applyCompaction(topic: TopicMetadata, nowMs: number): void {
    const state = { sizeBytes: this.#sizeBytes, checkpoint: this.#checkpoint };
    const due = compactionDueAt(
      topic.config,
      state,
      () => this.#retainedFrom(this.#checkpoint.cleanedTo),
      nowMs,
    );
    if (due !== null && due <= nowMs) this.compact(topic, nowMs);
  }

  *#retainedFrom(offset: number): Generator<StoredBatch> {
    for (let i = this.#indexOf(Math.max(offset, this.#logStartOffset)); i < this.#batches.length; i++) {
      const batch = this.#batches[i] as StoredBatch;
      if (batch.baseOffset >= offset) yield batch;
    }
  }

  *#retainedBelow(end: number): Generator<StoredBatch> {
    for (const batch of this.#retained()) {
      if (batch.baseOffset >= end) return;
      yield batch;
    }
  }

  *#retained(): Generator<StoredBatch> {
    for (let i = this.#head; i < this.#batches.length; i++) yield this.#batches[i] as StoredBatch;
  }

  /** Index of the batch holding `offset`: the last batch whose base offset is ≤ it (or the end). */
  #indexOf(offset: number): number {
    let low = this.#head;
    let high = this.#batches.length - 1;
    let found = this.#batches.length;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const batch = this.#batches[mid] as StoredBatch;
      if (batch.lastOffset < offset) {
        low = mid + 1;
      } else {
        found = mid;
        high = mid - 1;
      }
    }
    return found;
  }
}
