/**
 * @module
 * Writing the dead-letter copies a share group owes (KIP-1191): the records archived as rejected or failed are read
 * back from their partitions and appended to the dead-letter topic, a batch per target partition. The coordinator
 * notes them done afterwards, so a copy is written at least once.
 */
import { splitIntoBatches } from "../codec/batch-builder.ts";
import { isEdgeLogError, isRetriable } from "../errors.ts";
import type { ConsumedRecord, LogRecord } from "../record.ts";
import type { ReadResult, TopicMetadata, TopicPartition } from "../store.ts";
import { consumedRecordsOf, holdsAny } from "./batch-records.ts";
import { deadLetterPartition, deadLetterRecord } from "./dead-letter.ts";
import type { ShareGroupConfig } from "./share-config.ts";
import type { ShareLogPort } from "./share-coordinator.ts";
import type { ShareGroupMeta } from "./share-group-state.ts";
import { type DeadLetterCandidate, pendingDeadLetters } from "./share-partition.ts";
import { type StoredSharePartition, unpackSharePartition } from "./share-partition-codec.ts";

/** Bytes one read of a source partition asks for. */
const READ_BYTES = 256 * 1024;

/** Appends the copies; fills `done` with what needs no more work. Returns true when a passing failure stopped it. */
export async function writeDeadLetters(
  log: ShareLogPort,
  report: (message: string, error: unknown) => void,
  groupId: string,
  meta: ShareGroupMeta,
  config: ShareGroupConfig,
  stored: ReadonlyMap<string, unknown>,
  done: Map<string, number[]>,
): Promise<boolean> {
  const topicName = config["errors.deadletterqueue.topic.name"];
  const owed: { key: string; tp: TopicPartition; pending: DeadLetterCandidate[] }[] = [];
  for (const [key, raw] of stored) {
    const index = meta.partitions[key];
    if (index === undefined) continue;
    owed.push({
      key,
      tp: { topic: index.topic, partition: index.partition },
      pending: pendingDeadLetters(unpackSharePartition(raw as StoredSharePartition)),
    });
  }
  const giveUp = (reason: string, error: unknown): boolean => {
    report(
      `share group "${groupId}": ${reason}; ${owed.reduce((n, o) => n + o.pending.length, 0)} record(s) not copied`,
      error,
    );
    for (const { key, pending } of owed)
      done.set(
        key,
        pending.map((p) => p.offset),
      );
    return false;
  };
  if (topicName === "") return giveUp("the dead-letter topic was unset", null);
  let target: TopicMetadata | null;
  try {
    target = await log.getTopic(topicName);
  } catch (error) {
    if (isRetriable(error)) return true;
    throw error;
  }
  if (target === null) return giveUp(`dead-letter topic "${topicName}" does not exist`, null);
  const byPartition = new Map<number, LogRecord[]>();
  for (const { key, tp, pending } of owed) {
    let records: Map<number, ConsumedRecord>;
    try {
      records = await readRecordsAt(
        log,
        tp,
        pending.map((p) => p.offset),
      );
    } catch (error) {
      if (isRetriable(error)) return true;
      // The source partition is gone (its topic deleted): nothing left to copy.
      done.set(
        key,
        pending.map((p) => p.offset),
      );
      continue;
    }
    for (const candidate of pending) {
      const record = records.get(candidate.offset);
      if (record === undefined) continue;
      const copy = deadLetterRecord(
        record,
        { groupId, ...tp },
        candidate,
        config["share.delivery.count.limit"],
      );
      const partition = deadLetterPartition(copy, tp.partition, target.partitions);
      const list = byPartition.get(partition);
      if (list === undefined) byPartition.set(partition, [copy]);
      else list.push(copy);
    }
    done.set(
      key,
      pending.map((p) => p.offset),
    );
  }
  for (const [partition, records] of byPartition) {
    try {
      const batches = splitIntoBatches(records, {
        producerId: null,
        maxBatchBytes: target.config["max.message.bytes"],
        maxMessageBytes: Number.POSITIVE_INFINITY,
      });
      // A copy of records accepted before: the caps of new writes do not apply (`AppendOptions`).
      for (const batch of batches) {
        await log.append({ topic: topicName, partition }, batch.encode(), { checkRecordCaps: false });
      }
    } catch (error) {
      if (isRetriable(error)) {
        done.clear();
        return true;
      }
      report(`share group "${groupId}": dead-letter copies to ${topicName}/${partition} failed`, error);
    }
  }
  return false;
}

/** The records at `offsets` of a partition (those still in the log). */
async function readRecordsAt(
  log: ShareLogPort,
  tp: TopicPartition,
  offsets: readonly number[],
): Promise<Map<number, ConsumedRecord>> {
  const wanted = new Set(offsets);
  const found = new Map<number, ConsumedRecord>();
  const sorted = [...wanted].sort((a, b) => a - b);
  let at = sorted[0];
  while (at !== undefined) {
    let result: ReadResult;
    try {
      result = await log.read(tp, { offset: at, maxBytes: READ_BYTES });
    } catch (error) {
      if (!(isEdgeLogError(error) && error.code === "OFFSET_OUT_OF_RANGE")) throw error;
      const bounds = await log.offsets(tp);
      const next = sorted.find((offset) => offset >= bounds.logStartOffset && offset < bounds.highWatermark);
      if (next === undefined || next === at) break;
      at = next;
      continue;
    }
    let last = at - 1;
    for (const batch of result.batches) {
      last = Math.max(last, batch.lastOffset);
      if (!holdsAny(batch, sorted)) continue;
      for (const record of consumedRecordsOf(batch))
        if (wanted.has(record.offset)) found.set(record.offset, record);
    }
    if (result.batches.length === 0) break;
    at = sorted.find((offset) => offset > last);
  }
  return found;
}
