/**
 * @module
 * Compaction of a compacted topic's partition in IndexedDB (docs/semantics.md §A10), as steps `IndexedDbLogStore`
 * runs inside a readwrite transaction: whether core's schedule says a pass is due, and the pass itself — core's
 * `CompactionPass` over the partition's batches, its replacements written in place of the batches that lost
 * records, the new checkpoint and size in the partition row. IndexedDB runs readwrite transactions one at a time,
 * so no append of any tab interleaves with a pass.
 */
import type { TopicMetadata } from "@edgelog/core";
import {
  CompactionPass,
  type CompactionPassStats,
  compactionDueAt,
  compactionNeedsBatches,
  compacts,
  NO_COMPACTION_CHECKPOINT,
  runCompactionPass,
} from "@edgelog/core/store-kit";
import { batchRange, type PartitionRow } from "./idb-schema.ts";
import { settle, type WriteTx } from "./store-partition.ts";

export type CompactionCheck = "none" | "due" | "check";

/**
 * After an append, from what the append transaction holds: `due` (run a pass), `check` (core needs the batches'
 * times: the pass transaction decides), or `none`.
 */
export function compactionAfterAppend(
  topic: TopicMetadata,
  row: PartitionRow,
  nowMs: number,
): CompactionCheck {
  if (!compacts(topic.config)) return "none";
  const state = { sizeBytes: row.sizeBytes, checkpoint: row.compaction ?? NO_COMPACTION_CHECKPOINT };
  if (compactionNeedsBatches(topic.config, state, nowMs)) return "check";
  const due = compactionDueAt(topic.config, state, () => [], nowMs);
  return due !== null && due <= nowMs ? "due" : "none";
}

/**
 * When a pass is due (core's schedule), reading the dirty batches only as far as it needs their times: the oldest
 * first (all a `max.compaction.lag.ms` needs), all of them only when a `min.compaction.lag.ms` makes the ratio
 * depend on which are old enough.
 */
export async function compactionDue(
  tx: WriteTx,
  topic: TopicMetadata,
  row: PartitionRow,
  nowMs: number,
): Promise<number | null> {
  if (!compacts(topic.config)) return null;
  const checkpoint = row.compaction ?? NO_COMPACTION_CHECKPOINT;
  const state = { sizeBytes: row.sizeBytes, checkpoint };
  if (!compactionNeedsBatches(topic.config, state, nowMs)) {
    return compactionDueAt(topic.config, state, () => [], nowMs);
  }
  const range = batchRange(row.topicId, row.partition, checkpoint.cleanedTo, null);
  const oldest = await tx.objectStore("batches").getAll(range, 1);
  let wantsMore = false;
  const due = compactionDueAt(
    topic.config,
    state,
    function* () {
      yield* oldest;
      wantsMore = true;
    },
    nowMs,
  );
  if (!wantsMore || oldest.length === 0) return due;
  const dirty = await tx.objectStore("batches").getAll(range);
  return compactionDueAt(topic.config, state, () => dirty, nowMs);
}

/** One pass over the partition inside `tx`; answers the row to write and what the pass did. */
export async function compactPartition(
  tx: WriteTx,
  topic: TopicMetadata,
  row: PartitionRow,
  nowMs: number,
  indexBudgetBytes?: number,
): Promise<{ row: PartitionRow; stats: CompactionPassStats }> {
  const pass = new CompactionPass({
    config: topic.config,
    nowMs,
    logStartOffset: row.logStartOffset,
    highWatermark: row.highWatermark,
    checkpoint: row.compaction ?? NO_COMPACTION_CHECKPOINT,
    ...(indexBudgetBytes === undefined ? {} : { indexBudgetBytes }),
  });
  const { topicId, partition } = row;
  const batches = await tx.objectStore("batches").getAll(batchRange(topicId, partition, 0, null));
  const retained = batches.filter((b) => b.lastOffset >= row.logStartOffset);
  const replaced = runCompactionPass(
    pass,
    retained.filter((b) => b.baseOffset >= pass.dirtyFrom),
    (end) => retained.filter((b) => b.baseOffset < end),
  );
  const store = tx.objectStore("batches");
  let sizeBytes = row.sizeBytes;
  for (const [baseOffset, replacements] of replaced) {
    const old = retained.find((b) => b.baseOffset === baseOffset);
    sizeBytes -= old?.sizeBytes ?? 0;
    // In order within the transaction: the delete lands before a replacement at the same base offset.
    settle(store.delete([topicId, partition, baseOffset]));
    for (const batch of replacements) {
      settle(store.put({ ...batch, topicId, partition }));
      sizeBytes += batch.sizeBytes;
    }
  }
  return { row: { ...row, sizeBytes, compaction: pass.checkpoint() }, stats: pass.stats() };
}
