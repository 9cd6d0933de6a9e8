/**
 * @module
 * Partition-level steps that `IndexedDbLogStore` runs inside its transactions: find a topic and a partition row,
 * find the batch holding an offset through the batch key, drop batches below a new log start (with the producers
 * they protected) and apply retention. Each takes the transaction it runs in; none opens one.
 */
import type { BatchInfo, PartitionOffsets, TopicMetadata, TopicPartition } from "@edgelog/core";
import {
  type AppendPlan,
  assertPartitionExists,
  planRetention,
  producerStateIsLive,
  retentionDueAt,
  retentionNeedsOldest,
  unknownTopic,
} from "@edgelog/core/store-kit";
import type { IDBPTransaction, StoreNames } from "idb";
import {
  type BatchRow,
  batchRange,
  type LogSchema,
  type PartitionRow,
  partitionRange,
} from "./idb-schema.ts";

type AnyStores = StoreNames<LogSchema>[];
export type ReadTx = IDBPTransaction<LogSchema, AnyStores, "readonly">;
export type WriteTx = IDBPTransaction<LogSchema, AnyStores, "readwrite">;
type Tx = ReadTx | WriteTx;

/** Marks a request's promise as handled: its failure aborts the transaction, which is reported instead. */
export function settle(promise: Promise<unknown>): void {
  promise.catch(() => undefined);
}

export async function topicIn(tx: Tx, name: string): Promise<TopicMetadata> {
  const topic = await tx.objectStore("topics").get(name);
  if (topic === undefined) throw unknownTopic(name);
  return topic;
}

export async function partitionIn(tx: Tx, topicId: string, partition: number): Promise<PartitionRow> {
  return (
    (await tx.objectStore("partitions").get([topicId, partition])) ?? {
      topicId,
      partition,
      logStartOffset: 0,
      highWatermark: 0,
      sizeBytes: 0,
    }
  );
}

export async function partitionOf(
  tx: Tx,
  tp: TopicPartition,
): Promise<{ topic: TopicMetadata; row: PartitionRow }> {
  const topic = await topicIn(tx, tp.topic);
  assertPartitionExists(tp.topic, tp.partition, topic.partitions);
  return { topic, row: await partitionIn(tx, topic.topicId, tp.partition) };
}

/**
 * Base offset of the batch holding `offset`, found with one reverse cursor step on the batch key; `offset`
 * itself when no batch holds it (at the high watermark), so a range from it starts right.
 */
export async function baseOffsetHolding(
  tx: Tx,
  topicId: string,
  partition: number,
  offset: number,
): Promise<number> {
  const range = IDBKeyRange.bound([topicId, partition], [topicId, partition, offset]);
  const cursor = await tx.objectStore("batches").openCursor(range, "prev");
  return cursor !== null && cursor.value.lastOffset >= offset ? cursor.value.baseOffset : offset;
}

/**
 * Advances the log start to `beforeOffset`, drops the batches wholly below it and the producers whose batches
 * are all gone (core's producerStateIsLive). Returns the new row; the caller writes it.
 */
export async function deleteBelow(
  tx: WriteTx,
  topicId: string,
  partition: number,
  row: PartitionRow,
  beforeOffset: number,
): Promise<PartitionRow> {
  const logStartOffset = Math.max(row.logStartOffset, beforeOffset);
  let freedBytes = 0;
  let freedClean = 0;
  const cleanedTo = row.compaction?.cleanedTo ?? 0;
  let cursor = await tx.objectStore("batches").openCursor(batchRange(topicId, partition, 0, logStartOffset));
  while (cursor !== null) {
    // Only the last batch below the new start can straddle it; it stays.
    if (cursor.value.lastOffset < logStartOffset) {
      freedBytes += cursor.value.sizeBytes;
      if (cursor.value.baseOffset < cleanedTo) freedClean += cursor.value.sizeBytes;
      settle(cursor.delete());
    }
    cursor = await cursor.continue();
  }
  let producer = await tx.objectStore("producers").openCursor(partitionRange(topicId, partition));
  while (producer !== null) {
    if (!producerStateIsLive(producer.value.state, logStartOffset)) settle(producer.delete());
    producer = await producer.continue();
  }
  const next = { ...row, logStartOffset, sizeBytes: row.sizeBytes - freedBytes };
  // The clean section shrank by what went from it: the dirty ratio stays right.
  const { compaction } = row;
  return compaction === undefined
    ? next
    : { ...next, compaction: { cleanedTo, cleanBytes: Math.max(0, compaction.cleanBytes - freedClean) } };
}

/** Writes the rows of core's append plan; not awaited, like every write of an append transaction. */
export function writePlan(tx: WriteTx, plan: AppendPlan<PartitionRow>): void {
  const { topicId, partition } = plan.partition;
  // Requests of a transaction run in order and a failed one aborts the transaction, which the caller reports:
  // awaiting each would cost a round trip per batch.
  for (const batch of plan.batches) settle(tx.objectStore("batches").add({ ...batch, topicId, partition }));
  for (const state of plan.producers) {
    settle(tx.objectStore("producers").put({ topicId, partition, producerId: state.producerId, state }));
  }
}

/**
 * Kafka's `delete` cleanup policy: core says when it is due and where the log start moves; the oldest batch is
 * read only when its age matters, so most appends read one key at most.
 */
export async function applyRetention(
  tx: WriteTx,
  topic: TopicMetadata,
  row: PartitionRow,
  now: number,
): Promise<PartitionRow> {
  const { config } = topic;
  const oldest = retentionNeedsOldest(config, row.sizeBytes)
    ? await tx.objectStore("batches").get(partitionRange(row.topicId, row.partition))
    : undefined;
  const due = retentionDueAt(config, row.sizeBytes, oldest, now);
  if (due === null || due > now) return row;
  const batches = await tx.objectStore("batches").getAll(partitionRange(row.topicId, row.partition));
  const cutoff = planRetention(batches, config, now, row.sizeBytes);
  return cutoff === null ? row : deleteBelow(tx, row.topicId, row.partition, row, cutoff);
}

export function batchInfoOf(row: BatchRow): BatchInfo {
  const { baseOffset, lastOffset, recordCount, maxTimestamp, logAppendTime, sizeBytes } = row;
  return { baseOffset, lastOffset, recordCount, maxTimestamp, logAppendTime, sizeBytes };
}

export function offsetsOf(row: PartitionRow): PartitionOffsets {
  return { logStartOffset: row.logStartOffset, highWatermark: row.highWatermark };
}
