/**
 * @module
 * Acquisition for a share fetch, in two steps so the log is read outside the group's turn: `readAhead` picks the
 * partitions to look at from the group's document as it is (in turn, those with records that came back first) and
 * reads each from its first record in flight, or its end — in parallel, while other members' requests are served;
 * `acquireFromReads` then, inside the turn, acquires what those reads hold against the partitions' current state
 * (a record another member took meanwhile is simply not there to take any more; records that came back meanwhile
 * are read again, in the turn, by `rereadReturned`).
 */
import { isEdgeLogError } from "../errors.ts";
import type { ReadResult, StoredBatch, TopicMetadata, TopicPartition } from "../store.ts";
import { compareStrings } from "../validation.ts";
import { holdsAny, recordOffsetsOf } from "./batch-records.ts";
import type { ShareGroupConfig } from "./share-config.ts";
import type { ShareLogPort } from "./share-coordinator.ts";
import { type SharePartitionIndex, sharePartitionKey } from "./share-group-state.ts";
import {
  type AcquiredRecord,
  acquire,
  dropRemoved,
  hasRoom,
  newSharePartition,
  type SharePartitionState,
  startOffsetOf,
  truncateBefore,
} from "./share-partition.ts";
import type { AcquiredRange, ShareFetchPartition } from "./share-types.ts";

/** Share-partitions one fetch reads at most (in turn, so every partition gets its share). */
export const SHARE_PARTITIONS_PER_FETCH = 8;
/** Bytes one share-partition read asks the log for. */
const PARTITION_READ_BYTES = 256 * 1024;

/** What a fetch read of one partition before its turn. */
export interface ReadAhead {
  readonly key: string;
  readonly tp: TopicPartition;
  readonly topicId: string;
  /** Where the read started (records below it are not this read's). */
  readonly from: number;
  readonly result: ReadResult;
  /** For a partition the group had not started (or whose topic was re-created): where it starts. */
  readonly start: number | null;
}

/**
 * The partitions a fetch looks at, in turn from `cursor`: first those with records that came back, then those
 * whose window has room — or may have once `changing` ones are updated (acknowledgements, locks running out).
 * Returns them and where the next fetch starts.
 */
export function chooseCandidates(
  all: readonly string[],
  indexes: Readonly<Record<string, SharePartitionIndex>>,
  config: ShareGroupConfig,
  changing: ReadonlySet<string>,
  cursor: number,
): { chosen: string[]; next: number } {
  if (all.length === 0) return { chosen: [], next: cursor };
  const start = cursor % all.length;
  const returned: string[] = [];
  const roomy: string[] = [];
  for (let i = 0; i < all.length; i++) {
    const key = all[(start + i) % all.length] as string;
    const index = indexes[key];
    if (index !== undefined && index.available > 0) returned.push(key);
    else if (
      index === undefined ||
      changing.has(key) ||
      inFlight(index) < config["share.partition.max.record.locks"]
    )
      roomy.push(key);
  }
  const chosen = [...returned, ...roomy].slice(0, SHARE_PARTITIONS_PER_FETCH);
  return { chosen, next: start + Math.max(1, chosen.length) };
}

/** Every partition of `topics`, by key, in topic-name order. */
export function partitionKeysOf(topics: ReadonlyMap<string, TopicMetadata>): string[] {
  const all: string[] = [];
  for (const name of [...topics.keys()].sort(compareStrings)) {
    const partitions = (topics.get(name) as TopicMetadata).partitions;
    for (let partition = 0; partition < partitions; partition++) all.push(sharePartitionKey(name, partition));
  }
  return all;
}

/**
 * Reads the chosen partitions, each from its start offset when records came back, else its end: the first alone,
 * and the others (in parallel) only when it cannot fill the fetch — a steady consumer of a busy partition reads
 * one partition per fetch, not all of them.
 */
export async function readAhead(
  log: ShareLogPort,
  keys: readonly string[],
  indexes: Readonly<Record<string, SharePartitionIndex>>,
  topics: ReadonlyMap<string, TopicMetadata>,
  config: ShareGroupConfig,
  maxRecords: number,
): Promise<ReadAhead[]> {
  const [firstKey, ...others] = keys;
  if (firstKey === undefined) return [];
  const first = await readOne(log, firstKey, indexes[firstKey], topics, config);
  if (first !== null && acquirable(first, indexes[firstKey]) >= maxRecords) return [first];
  const rest = await Promise.all(others.map((key) => readOne(log, key, indexes[key], topics, config)));
  return [first, ...rest].filter((read) => read !== null);
}

/** About how many records a read can give: those past the window's end, and those that came back. */
function acquirable(read: ReadAhead, index: SharePartitionIndex | undefined): number {
  const end = index === undefined || read.start !== null ? read.from : index.endOffset;
  let count = index === undefined || read.start !== null ? 0 : index.available;
  for (const batch of read.result.batches) {
    const last = Math.min(batch.lastOffset, read.result.highWatermark - 1);
    count += Math.max(0, last - Math.max(end, batch.baseOffset) + 1);
  }
  return count;
}

/**
 * Inside the turn: a read that began past records which came back meanwhile (released by this very request's
 * acknowledgements, locks or sessions running out) is read again from the first of them, so the request can give
 * them again at once. Rare, and then only those partitions.
 */
export async function rereadReturned(
  log: ShareLogPort,
  reads: readonly ReadAhead[],
  partitions: ReadonlyMap<string, SharePartitionState>,
): Promise<ReadAhead[]> {
  return Promise.all(
    reads.map(async (read) => {
      const state = partitions.get(read.key);
      if (state === undefined || state.topicId !== read.topicId) return read;
      const first = state.records.find((record) => record.state === "Available")?.offset;
      if (first === undefined || first >= read.from) return read;
      try {
        const result = await log.read(read.tp, { offset: first, maxBytes: PARTITION_READ_BYTES });
        return { ...read, from: Math.max(first, result.logStartOffset), result };
      } catch (error) {
        // Retention took them meanwhile (truncation follows from the first read's log start), or the topic went.
        if (isEdgeLogError(error)) return read;
        throw error;
      }
    }),
  );
}

async function readOne(
  log: ShareLogPort,
  key: string,
  index: SharePartitionIndex | undefined,
  topics: ReadonlyMap<string, TopicMetadata>,
  config: ShareGroupConfig,
): Promise<ReadAhead | null> {
  const [topic, partitionText] = key.split("\u0000") as [string, string];
  const tp = { topic, partition: Number(partitionText) };
  const metadata = topics.get(topic);
  if (metadata === undefined) return null;
  try {
    let start: number | null = null;
    let from: number;
    if (index === undefined || index.topicId !== metadata.topicId) {
      const bounds = await log.offsets(tp);
      start = config["share.auto.offset.reset"] === "earliest" ? bounds.logStartOffset : bounds.highWatermark;
      from = start;
    } else {
      from = index.available > 0 ? index.startOffset : index.endOffset;
    }
    let result: ReadResult;
    try {
      result = await log.read(tp, { offset: from, maxBytes: PARTITION_READ_BYTES });
    } catch (error) {
      if (!(isEdgeLogError(error) && error.code === "OFFSET_OUT_OF_RANGE")) throw error;
      // Retention passed the records the window still had, or its end: read on from the log start.
      const bounds = await log.offsets(tp);
      from = Math.max(from, bounds.logStartOffset);
      result = await log.read(tp, { offset: from, maxBytes: PARTITION_READ_BYTES });
    }
    return { key, tp, topicId: metadata.topicId, from: Math.max(from, result.logStartOffset), result, start };
  } catch (error) {
    // A topic deleted meanwhile has nothing to give; anything else fails the fetch.
    if (isEdgeLogError(error) && error.code === "UNKNOWN_TOPIC_OR_PARTITION") return null;
    throw error;
  }
}

/** The partitions of a transaction, as acquisition changes them. */
export interface AcquisitionTarget {
  readonly partitions: Map<string, SharePartitionState>;
  readonly touched: Set<string>;
}

/**
 * Acquires up to `maxRecords` of what the reads hold for `memberId`; says which partitions are worth waiting on
 * (at the end of their log with room in their window). `start` is called before a partition is started, and may
 * refuse (the group's bound on partitions).
 */
export function acquireFromReads(
  target: AcquisitionTarget,
  reads: readonly ReadAhead[],
  memberId: string,
  now: number,
  config: ShareGroupConfig,
  maxRecords: number,
  admit: (key: string) => void,
): { partitions: ShareFetchPartition[]; waitOn: { tp: TopicPartition; offset: number }[] } {
  const partitions: ShareFetchPartition[] = [];
  const waitOn: { tp: TopicPartition; offset: number }[] = [];
  let remaining = maxRecords;
  for (const { key, tp, topicId, from, result, start } of reads) {
    let state = target.partitions.get(key);
    if (state === undefined || state.topicId !== topicId) {
      admit(key);
      state = newSharePartition(topicId, start ?? from);
      target.partitions.set(key, state);
      target.touched.add(key);
    }
    if (result.logStartOffset > startOffsetOf(state)) {
      truncateBefore(state, result.logStartOffset);
      target.touched.add(key);
    }
    const readable = result.batches.flatMap((batch) =>
      recordOffsetsOf(batch, from).filter((offset) => offset < result.highWatermark),
    );
    // A read steps over compaction's gaps: what it skipped up to its last batch is gone from the log.
    const lastBatch = result.batches.at(-1);
    if (
      lastBatch !== undefined &&
      dropRemoved(state, from, Math.min(lastBatch.lastOffset, result.highWatermark - 1), readable) > 0
    ) {
      target.touched.add(key);
    }
    const got = remaining > 0 ? acquire(state, memberId, now, config, remaining, readable) : [];
    if (got.length > 0) {
      target.touched.add(key);
      remaining -= got.length;
      partitions.push({ ...tp, batches: batchesHolding(result.batches, got), acquired: rangesOf(got) });
    }
    if (hasRoom(state, config) && state.endOffset >= result.highWatermark) {
      waitOn.push({ tp, offset: state.endOffset });
    }
  }
  return { partitions, waitOn };
}

function inFlight(index: SharePartitionIndex): number {
  return index.available + index.acquired + index.acknowledged + index.archived;
}

/** Acquired offsets as runs of consecutive offsets with one delivery count. */
function rangesOf(acquired: readonly AcquiredRecord[]): AcquiredRange[] {
  const ranges: AcquiredRange[] = [];
  const sorted = [...acquired].sort((a, b) => a.offset - b.offset);
  for (const { offset, deliveryCount } of sorted) {
    const last = ranges.at(-1);
    if (last !== undefined && last.lastOffset + 1 === offset && last.deliveryCount === deliveryCount) {
      ranges[ranges.length - 1] = { ...last, lastOffset: offset };
    } else {
      ranges.push({ firstOffset: offset, lastOffset: offset, deliveryCount });
    }
  }
  return ranges;
}

/** The batches that hold at least one acquired offset: the member needs nothing else. */
function batchesHolding(batches: readonly StoredBatch[], acquired: readonly AcquiredRecord[]): StoredBatch[] {
  const offsets = acquired.map((a) => a.offset).sort((a, b) => a - b);
  return batches.filter((batch) => holdsAny(batch, offsets));
}
