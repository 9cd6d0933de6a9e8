/**
 * @module
 * One partition of the memory store: batches in an array ordered by base offset (binary search finds the batch
 * holding an offset), producer state for idempotence, and the parked long-poll readers. Synchronous, so every
 * operation is atomic by construction in a single-threaded runtime.
 */
import { findOffsetForTimestamp } from "../codec/record-batch.ts";
import { EdgeLogError } from "../errors.ts";
import type {
  AppendResult,
  BatchInfo,
  PartitionOffsets,
  ReadResult,
  StoredBatch,
  TopicMetadata,
  TopicPartition,
} from "../store.ts";
import { AppendWaiters } from "../store-kit/append-waiters.ts";
import { inspectBatchForAppend } from "../store-kit/inspect-batch.ts";
import {
  checkProducerSequence,
  type ProducerState,
  producerStateAfterAppend,
  producerStateIsLive,
} from "../store-kit/producer-state.ts";
import { planRetention } from "../store-kit/retention.ts";
import type { StreamState } from "../store-kit/stream-state.ts";

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
  /** Durable Streams state (`store-kit/stream-state.ts`), replaced whole by `MemoryStore.stream`. */
  streamState: StreamState | null = null;

  constructor(tp: TopicPartition) {
    this.#tp = tp;
  }

  offsets(): PartitionOffsets {
    return { logStartOffset: this.#logStartOffset, highWatermark: this.#highWatermark };
  }

  append(topic: TopicMetadata, batch: Uint8Array, nowMs: number): AppendResult {
    const header = inspectBatchForAppend(topic, this.#tp, batch);
    const producerState = header.producerId === null ? undefined : this.#producers.get(header.producerId);
    const check = checkProducerSequence(this.#tp, producerState, header);
    if (check.kind === "duplicate") {
      const { baseOffset, lastOffset, logAppendTime } = check.entry;
      return { baseOffset, lastOffset, logAppendTime, duplicate: true, ...this.offsets() };
    }
    const baseOffset = this.#highWatermark;
    const stored: StoredBatch = {
      baseOffset,
      lastOffset: baseOffset + header.recordCount - 1,
      recordCount: header.recordCount,
      maxTimestamp: header.maxTimestamp,
      logAppendTime: nowMs,
      sizeBytes: batch.byteLength,
      // Copy: the caller may reuse its buffer, and the log must never change under a reader.
      payload: batch.slice(),
    };
    this.#batches.push(stored);
    this.#highWatermark = stored.lastOffset + 1;
    this.#sizeBytes += stored.sizeBytes;
    if (header.producerId !== null) {
      this.#producers.set(
        header.producerId,
        producerStateAfterAppend(producerState, header, baseOffset, nowMs),
      );
    }
    this.#applyRetention(topic, nowMs);
    this.waiters.notify();
    return {
      baseOffset,
      lastOffset: stored.lastOffset,
      logAppendTime: nowMs,
      duplicate: false,
      ...this.offsets(),
    };
  }

  read(offset: number, maxBytes: number): ReadResult {
    this.#assertInRange(offset);
    const batches: StoredBatch[] = [];
    let budget = maxBytes;
    for (let i = this.#indexOf(offset); i < this.#batches.length; i++) {
      const batch = this.#batches[i] as StoredBatch;
      if (batches.length > 0 && batch.sizeBytes > budget) break;
      batches.push({ ...batch, payload: batch.payload.slice() });
      budget -= batch.sizeBytes;
    }
    return { batches, ...this.offsets() };
  }

  offsetForTimestamp(timestamp: number): number | null {
    for (let i = this.#head; i < this.#batches.length; i++) {
      const batch = this.#batches[i] as StoredBatch;
      if (batch.maxTimestamp < timestamp) continue;
      const found = findOffsetForTimestamp(batch.payload, batch.baseOffset, timestamp);
      // A batch straddling the log start may hold the match below it; the first retained offset is then the answer.
      if (found !== null) return Math.max(found, this.#logStartOffset);
    }
    return null;
  }

  listBatches(fromOffset: number | undefined, limit: number): BatchInfo[] {
    const start =
      fromOffset === undefined ? this.#head : this.#indexOf(Math.max(fromOffset, this.#logStartOffset));
    return this.#batches.slice(start, start + limit).map(({ payload: _payload, ...info }) => info);
  }

  deleteRecords(beforeOffset: number): PartitionOffsets {
    this.#assertInRange(beforeOffset);
    this.#logStartOffset = Math.max(this.#logStartOffset, beforeOffset);
    while (this.#head < this.#batches.length) {
      const batch = this.#batches[this.#head] as StoredBatch;
      if (batch.lastOffset >= this.#logStartOffset) break;
      this.#sizeBytes -= batch.sizeBytes;
      this.#head++;
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
    const first = this.#batches[this.#head];
    if (first === undefined) return;
    const retentionMs = topic.config["retention.ms"];
    const retentionBytes = topic.config["retention.bytes"];
    const due =
      (retentionMs >= 0 && Math.max(first.maxTimestamp, first.logAppendTime) < nowMs - retentionMs) ||
      (retentionBytes >= 0 && this.#sizeBytes > retentionBytes);
    if (!due) return;
    const cutoff = planRetention(this.#retained(), topic.config, nowMs, this.#sizeBytes);
    if (cutoff !== null) this.deleteRecords(cutoff);
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

  #assertInRange(offset: number): void {
    if (offset < this.#logStartOffset || offset > this.#highWatermark) {
      throw new EdgeLogError(
        "OFFSET_OUT_OF_RANGE",
        `offset ${offset} is outside [${this.#logStartOffset}, ${this.#highWatermark}] of ${this.#tp.topic}/${this.#tp.partition}`,
        {
          context: {
            ...this.#tp,
            offset,
            logStartOffset: this.#logStartOffset,
            highWatermark: this.#highWatermark,
          },
        },
      );
    }
  }
}
