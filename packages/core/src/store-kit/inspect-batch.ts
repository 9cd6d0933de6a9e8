/**
 * @module
 * What every store checks before it appends a batch it did not encode itself (a client may have): the size
 * limit of the topic, the batch's integrity, a key on every record of a compacted topic and, for a new write, the
 * per-record caps (`RECORD_CAPS`). Cheap —
 * the checksum and one walk over the record framing that also measures what the caps bound, no decoding.
 */
import { type BatchHeader, verifyBatch } from "../codec/record-batch.ts";
import { RECORD_CAPS, type RecordCaps } from "../codec/record-caps.ts";
import { EdgeLogError } from "../errors.ts";
import type { TopicMetadata, TopicPartition } from "../store.ts";
import { compacts } from "./compaction-config.ts";

/**
 * Checks a batch before a store appends it. `caps` is `RECORD_CAPS` for a client's new write; `null` for a copy
 * of history (a replicated batch), which was accepted once and must copy even if a cap came later.
 * @throws EdgeLogError `MESSAGE_TOO_LARGE`, `CORRUPT_MESSAGE`, `UNSUPPORTED_VERSION` or `INVALID_RECORD` (a
 * record over a cap, or without a key on a compacted topic), each with `topic` and `partition` in its context.
 */
export function inspectBatchForAppend(
  topic: TopicMetadata,
  tp: TopicPartition,
  batch: Uint8Array,
  caps: RecordCaps | null = RECORD_CAPS,
): BatchHeader {
  const maxBytes = topic.config["max.message.bytes"];
  if (batch.byteLength > maxBytes) {
    throw new EdgeLogError(
      "MESSAGE_TOO_LARGE",
      `batch of ${batch.byteLength} bytes exceeds max.message.bytes=${maxBytes} of topic "${tp.topic}"`,
      { context: { topic: tp.topic, partition: tp.partition, sizeBytes: batch.byteLength, maxBytes } },
    );
  }
  try {
    // Kafka refuses keyless records on a compacted topic: compaction keeps the latest record *per key*.
    return verifyBatch(batch, caps, compacts(topic.config));
  } catch (error) {
    if (error instanceof EdgeLogError) {
      throw new EdgeLogError(error.code, error.message, {
        context: { ...error.context, topic: tp.topic, partition: tp.partition },
        cause: error,
      });
    }
    throw error;
  }
}
