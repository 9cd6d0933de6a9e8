/**
 * @module
 * The dead-letter copy of a share-group record (KIP-1191): the record as it was — key, value, timestamp, headers —
 * plus headers saying where it came from and why it failed, on the dead-letter topic's partition for its key (a
 * keyless record keeps its partition number, modulo the topic's count). A copy is written at least once: a crash
 * between the append and the group's note that it is done writes it again.
 */
import { partitionForKey } from "../partitioner/murmur2.ts";
import type { ConsumedRecord, LogRecord, RecordHeader } from "../record.ts";
import type { DeadLetterCandidate } from "./share-partition.ts";

/** The headers a dead-letter copy carries after the record's own. */
export const DEAD_LETTER_HEADERS = {
  topic: "edgelog.dlq.topic",
  partition: "edgelog.dlq.partition",
  offset: "edgelog.dlq.offset",
  group: "edgelog.dlq.group",
  deliveryCount: "edgelog.dlq.delivery.count",
  /** `rejected` (a consumer rejected it) or `failed` (its delivery count reached the limit). */
  outcome: "edgelog.dlq.outcome",
  error: "edgelog.dlq.error",
} as const;

const encoder = new TextEncoder();

/** The copy of `record` for the dead-letter topic. */
export function deadLetterRecord(
  record: ConsumedRecord,
  source: { groupId: string; topic: string; partition: number },
  candidate: DeadLetterCandidate,
  deliveryLimit: number,
): LogRecord {
  const error =
    candidate.error ??
    (candidate.outcome === "failed"
      ? `not accepted after ${candidate.deliveryCount} deliveries (share.delivery.count.limit ${deliveryLimit})`
      : "rejected by a consumer");
  const header = (key: string, value: string): RecordHeader => ({ key, value: encoder.encode(value) });
  return {
    key: record.key,
    value: record.value,
    timestamp: record.timestamp,
    headers: [
      ...record.headers,
      header(DEAD_LETTER_HEADERS.topic, source.topic),
      header(DEAD_LETTER_HEADERS.partition, String(source.partition)),
      header(DEAD_LETTER_HEADERS.offset, String(record.offset)),
      header(DEAD_LETTER_HEADERS.group, source.groupId),
      header(DEAD_LETTER_HEADERS.deliveryCount, String(candidate.deliveryCount)),
      header(DEAD_LETTER_HEADERS.outcome, candidate.outcome),
      header(DEAD_LETTER_HEADERS.error, error),
    ],
  };
}

/** The dead-letter topic's partition for a copy: by key like the producer's default, else the source's number. */
export function deadLetterPartition(record: LogRecord, sourcePartition: number, partitions: number): number {
  return record.key === null ? sourcePartition % partitions : partitionForKey(record.key, partitions);
}
