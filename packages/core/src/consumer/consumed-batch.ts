/**
 * @module
 * Turning stored batches into what consumer handlers see: KafkaJS-shaped messages (numeric offsets and
 * timestamps, ordered headers) and the `Batch` object of `eachBatch`.
 */
import { decodeBatchAs } from "../codec/record-batch.ts";
import type { StoredBatch } from "../store.ts";
import { MessageBytes } from "./message-bytes.ts";

/** A consumed header: its value's `toString()` decodes UTF-8, as in KafkaJS. */
export interface MessageHeader {
  readonly key: string;
  readonly value: MessageBytes | null;
}

/** A message as handlers receive it. */
export interface KafkaMessage {
  /** Bytes whose `toString()` is UTF-8 text, as KafkaJS's `Buffer`s. */
  readonly key: MessageBytes | null;
  /** `null` is a tombstone. `toString()` gives the UTF-8 text; `decodeJson` parses JSON. */
  readonly value: MessageBytes | null;
  /** Ordered; a key may repeat. */
  readonly headers: readonly MessageHeader[];
  readonly timestamp: number;
  readonly offset: number;
  /** Always 0: no compression, no transactions. Present for KafkaJS compatibility. */
  readonly attributes: 0;
}

/** The batch of `eachBatch`, after KafkaJS's `Batch`. */
export interface Batch {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: number;
  readonly messages: readonly KafkaMessage[];
  isEmpty(): boolean;
  firstOffset(): number | null;
  lastOffset(): number;
  /** Records between the last message and the high watermark. */
  offsetLag(): number;
  /** Records between the first message and the high watermark. */
  offsetLagLow(): number;
}

/** Decodes stored batches into messages at or after `fromOffset`. */
export function messagesFrom(batches: readonly StoredBatch[], fromOffset: number): KafkaMessage[] {
  const messages: KafkaMessage[] = [];
  for (const batch of batches) {
    if (batch.lastOffset < fromOffset) continue;
    // The decoder makes the handler's views itself: one allocation per field, not a view of a view.
    const { records } = decodeBatchAs(batch.payload, messageBytesView);
    for (let i = Math.max(0, fromOffset - batch.baseOffset); i < records.length; i++) {
      const record = records[i];
      if (record === undefined) break;
      messages.push({
        key: record.key,
        value: record.value,
        headers: record.headers,
        timestamp: record.timestamp,
        offset: batch.baseOffset + i,
        attributes: 0,
      });
    }
  }
  return messages;
}

function messageBytesView(bytes: Uint8Array, start: number, end: number): MessageBytes {
  return new MessageBytes(bytes.buffer as ArrayBuffer, bytes.byteOffset + start, end - start);
}

export function makeBatch(
  topic: string,
  partition: number,
  highWatermark: number,
  messages: readonly KafkaMessage[],
): Batch {
  const first = messages[0];
  const last = messages.at(-1);
  return {
    topic,
    partition,
    highWatermark,
    messages,
    isEmpty: () => messages.length === 0,
    firstOffset: () => first?.offset ?? null,
    lastOffset: () => (last === undefined ? highWatermark - 1 : last.offset),
    offsetLag: () => (last === undefined ? 0 : Math.max(0, highWatermark - 1 - last.offset)),
    offsetLagLow: () => (first === undefined ? 0 : Math.max(0, highWatermark - 1 - first.offset)),
  };
}
