/**
 * @module
 * The share-group answers of the HTTP API in `format: "batches"` (docs/http-api.md "Share groups") turned back
 * into the `ShareGroupStore` shapes: each stored batch arrives as base64 and is handed on as the exact bytes the
 * log holds, with its metadata read from its own header.
 */
import type { AcquiredRange, ShareFetchPartition, ShareFetchResponse, StoredBatch } from "@edgelog/core";
import { readBatchHeader } from "@edgelog/core/store-kit";

/** `POST /v1/share-groups/{g}/fetch` with `format: "batches"`, as the server answers it. */
export interface ShareFetchJson extends Omit<ShareFetchResponse, "partitions"> {
  readonly partitions: readonly {
    readonly topic: string;
    readonly partition: number;
    readonly acquired: AcquiredRange[];
    readonly batches: readonly { baseOffset: number; lastOffset: number; payload: string }[];
  }[];
}

export function toShareFetchResponse(json: ShareFetchJson): ShareFetchResponse {
  const partitions: ShareFetchPartition[] = json.partitions.map((p) => ({
    topic: p.topic,
    partition: p.partition,
    acquired: p.acquired,
    batches: p.batches.map(toStoredBatch),
  }));
  return {
    memberId: json.memberId,
    sessionEpoch: json.sessionEpoch,
    acquisitionLockTimeoutMs: json.acquisitionLockTimeoutMs,
    partitions,
    acknowledgeErrors: json.acknowledgeErrors,
  };
}

function toStoredBatch(batch: { baseOffset: number; lastOffset: number; payload: string }): StoredBatch {
  const payload = fromBase64(batch.payload);
  const header = readBatchHeader(payload);
  return {
    baseOffset: batch.baseOffset,
    lastOffset: batch.lastOffset,
    recordCount: header.recordCount,
    maxTimestamp: header.maxTimestamp,
    // Not carried by the share fetch: a consumer never needs it.
    logAppendTime: -1,
    sizeBytes: payload.byteLength,
    payload,
  };
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
