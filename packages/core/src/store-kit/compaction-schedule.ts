/**
 * @module
 * When a compacted partition next needs a pass (Kafka's cleaner choosing a log), as one pure function every store
 * asks after appends and from its housekeeping (the Durable Object's alarm): a pass is due once the cleanable bytes
 * written since the last pass make up `min.cleanable.dirty.ratio` of the partition, or once the oldest of them has
 * waited `max.compaction.lag.ms` — and never before the oldest is older than `min.compaction.lag.ms`, so every pass
 * that runs when due moves the checkpoint forward and none runs for nothing.
 */
import type { BatchInfo } from "../store.ts";
import type { TopicConfig } from "../topic-config.ts";
import type { CompactionCheckpoint } from "./compaction.ts";
import { batchTime } from "./compaction.ts";
import {
  compacts,
  maxCompactionLagMs,
  minCleanableDirtyRatio,
  minCompactionLagMs,
} from "./compaction-config.ts";

/** A partition's size and checkpoint, as the store keeps them. */
export interface CompactionState {
  /** Retained bytes of the partition. */
  readonly sizeBytes: number;
  readonly checkpoint: CompactionCheckpoint;
}

/**
 * When the partition next needs a pass (due when `≤ nowMs`), `null` when nothing would make one due. `dirty` gives
 * the batches from the checkpoint on, oldest first; it is called (and read, as far as needed) only when the answer
 * depends on their times — with a `max.compaction.lag.ms`, or a `min.compaction.lag.ms` once the ratio could be
 * met — so with the defaults a store answers from its byte counts alone.
 */
export function compactionDueAt(
  config: TopicConfig,
  state: CompactionState,
  dirty: () => Iterable<BatchInfo>,
  nowMs: number,
): number | null {
  if (!compacts(config)) return null;
  const cleanBytes = Math.min(state.checkpoint.cleanBytes, state.sizeBytes);
  const dirtyBytes = state.sizeBytes - cleanBytes;
  if (dirtyBytes <= 0) return null;
  const ratio = minCleanableDirtyRatio(config);
  const minLag = minCompactionLagMs(config);
  const maxLag = maxCompactionLagMs(config);
  // The ratio of the cleanable bytes can only be met when that of all dirty bytes is (cleanable ⊆ dirty).
  const ratioReachable = ratioMet(dirtyBytes, cleanBytes, ratio);
  if (minLag === 0 && ratioReachable) return nowMs;
  if (maxLag === null && !ratioReachable) return null;
  let byRatio: number | null = null;
  let byLag: number | null = null;
  let cleanableBytes = 0;
  // The cleanable section is a prefix: a batch counts once it and every batch before it are old enough.
  let cleanableAt = Number.NEGATIVE_INFINITY;
  for (const batch of dirty()) {
    const at = minLag === 0 ? Number.NEGATIVE_INFINITY : batchTime(batch) + minLag;
    if (byLag === null) {
      // The oldest dirty batch: the lag bound runs from it (min ≤ max, checked when the config was set).
      byLag = maxLag === null ? Number.POSITIVE_INFINITY : batchTime(batch) + maxLag;
      if (!ratioReachable) break;
    }
    cleanableAt = Math.max(cleanableAt, at);
    cleanableBytes += batch.sizeBytes;
    if (ratioMet(cleanableBytes, cleanBytes, ratio)) {
      byRatio = cleanableAt;
      break;
    }
  }
  const due = Math.min(byRatio ?? Number.POSITIVE_INFINITY, byLag ?? Number.POSITIVE_INFINITY);
  return Number.isFinite(due) ? due : null;
}

/** Kafka's dirty ratio: dirty / (clean + dirty) ≥ ratio, with some dirty bytes. */
function ratioMet(dirtyBytes: number, cleanBytes: number, ratio: number): boolean {
  return dirtyBytes > 0 && dirtyBytes >= ratio * (cleanBytes + dirtyBytes);
}

/**
 * Whether {@link compactionDueAt} would read the dirty batches for this state: a store whose batches cost a read
 * (IndexedDB) loads them only then.
 */
export function compactionNeedsBatches(config: TopicConfig, state: CompactionState, nowMs: number): boolean {
  let asked = false;
  compactionDueAt(
    config,
    state,
    () => {
      asked = true;
      return [];
    },
    nowMs,
  );
  return asked;
}
