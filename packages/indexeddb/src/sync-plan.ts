/**
 * @module
 * Building a sync plan (pure): which local records of one topic go upstream next, to which partition, in which
 * batches, and which are refused before sending. The plan is persisted before anything is sent (`sync-runner.ts`),
 * so everything here is decided once per plan and never re-decided for a resend.
 */
import { type LogRecord, partitionForKey, type TopicMetadata } from "@edgelog/core";
import { BatchBuilder, recordTooLarge, soloBatchSize } from "@edgelog/core/store-kit";
import type { PlannedBatch, SyncPlan } from "./outbox-state.ts";

/** Upper bound on one upstream batch (the server's `max.message.bytes` may lower it). */
export const MAX_BATCH_BYTES = 1024 * 1024;
/**
 * Records per sync plan: bounds the plan document (their local offsets) and the work redone after one failure,
 * while keeping the per-plan fixed cost (state writes, a local delete) small per record when draining a backlog.
 */
export const MAX_PLAN_RECORDS = 5_000;

export interface PlanInput {
  readonly topic: string;
  /** The first local offset of the plan (the topic's committed position). */
  readonly localFrom: number;
  /** Local records from `localFrom` on, in offset order (at most `MAX_PLAN_RECORDS` of them). */
  readonly records: ReadonlyMap<number, LogRecord>;
  /** The upstream topic, `null` when it does not exist (then every record is refused). */
  readonly upstream: TopicMetadata | null;
  /** Stamped into every batch: its size counts toward the batch header. */
  readonly producerId: string;
  /** The partition keyless records go to in this plan (Kafka's sticky partitioner, KIP-480). */
  readonly stickyPartition: number;
}

/**
 * Cuts the records into at most one pending batch per upstream partition, in local order: a record that cannot be
 * sent at all (no such upstream topic; larger than a batch may be) is refused on its own, taking no sequence; the
 * plan ends before the first record that would overflow its partition's batch (the next plan starts there).
 * Stamps are left at 0: `restamp` gives them.
 */
export function buildPlan(input: PlanInput): SyncPlan {
  const { topic, upstream, producerId } = input;
  const batches: PlannedBatch[] = [];
  // Batches are cut by core's batch builder (exact encoded sizes), one open per partition.
  const open = new Map<number, { batch: PlannedBatch; builder: BatchBuilder }>();
  const maxBytes = Math.min(MAX_BATCH_BYTES, upstream?.config["max.message.bytes"] ?? MAX_BATCH_BYTES);
  const budget = { producerId, maxBatchBytes: maxBytes };
  const refuse = (
    partition: number,
    offset: number,
    code: "UNKNOWN_TOPIC_OR_PARTITION" | "MESSAGE_TOO_LARGE",
    message: string,
  ): void => {
    batches.push({
      partition,
      epoch: 0,
      baseSequence: 0,
      offsets: [offset],
      status: "refused",
      error: { code, message },
    });
  };
  let localTo = input.localFrom;
  for (const [offset, record] of input.records) {
    if (upstream === null) {
      refuse(0, offset, "UNKNOWN_TOPIC_OR_PARTITION", `upstream topic "${topic}" does not exist`);
      localTo = offset + 1;
      continue;
    }
    const partition =
      record.key === null ? input.stickyPartition : partitionForKey(record.key, upstream.partitions);
    const alone = soloBatchSize(record, producerId);
    if (alone > maxBytes) {
      // Refused before sending, so it never takes a sequence and never blocks the rest.
      refuse(partition, offset, "MESSAGE_TOO_LARGE", recordTooLarge(alone, maxBytes, { topic }).message);
      localTo = offset + 1;
      continue;
    }
    const current = open.get(partition);
    if (current === undefined) {
      const batch: PlannedBatch = {
        partition,
        epoch: 0,
        baseSequence: 0,
        offsets: [offset],
        status: "pending",
      };
      batches.push(batch);
      const builder = new BatchBuilder(budget);
      builder.tryAdd(record);
      open.set(partition, { batch, builder });
    } else {
      // One batch per partition per plan: a full batch ends the plan here, the rest goes in the next one.
      if (!current.builder.tryAdd(record)) break;
      current.batch.offsets.push(offset);
    }
    localTo = offset + 1;
  }
  return { topic, localFrom: input.localFrom, localTo, batches };
}
