/**
 * @module
 * What every store checks before it appends a batch it did not encode itself (a client may have): the size
 * limit of the topic and the batch's integrity. Cheap — the checksum and the record framing, no decoding.
 */
import { type BatchHeader, verifyBatch } from "../codec/record-batch.ts";
import { EdgeLogError } from "../errors.ts";
import type { TopicMetadata, TopicPartition } from "../store.ts";

export function inspectBatchForAppend(
  topic: TopicMetadata,
  tp: TopicPartition,
  batch: Uint8Array,
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
    return verifyBatch(batch);
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
