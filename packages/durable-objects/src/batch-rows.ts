/**
 * @module
 * The `batches` table's rows as the partition's code reads and writes them: the columns, their conversion to core's
 * `BatchInfo` / `StoredBatch`, and the payload as SQLite binds it. Shared by `PartitionObject` and its compaction.
 */
import type { BatchInfo, StoredBatch } from "@edgelog/core";

/** The columns of a batch without its payload. */
export const BATCH_INFO_COLUMNS =
  "base_offset, last_offset, record_count, max_timestamp, append_time, size_bytes";

export type BatchInfoRow = {
  base_offset: number;
  last_offset: number;
  record_count: number;
  max_timestamp: number;
  append_time: number;
  size_bytes: number;
};

export type BatchRow = BatchInfoRow & { payload: ArrayBuffer };

export function toBatchInfo(row: BatchInfoRow): BatchInfo {
  return {
    baseOffset: row.base_offset,
    lastOffset: row.last_offset,
    recordCount: row.record_count,
    maxTimestamp: row.max_timestamp,
    logAppendTime: row.append_time,
    sizeBytes: row.size_bytes,
  };
}

export function toStoredBatch(row: BatchRow): StoredBatch {
  return { ...toBatchInfo(row), payload: new Uint8Array(row.payload) };
}

/** SQLite rows as they are read, converted one at a time (a consumer that stops early reads no further). */
export function* mapRows<R, T>(rows: Iterable<R>, convert: (row: R) => T): Generator<T> {
  for (const row of rows) yield convert(row);
}

/** The bytes of `view` as an ArrayBuffer of exactly its length (SQLite binds whole ArrayBuffers). */
export function exactBuffer(view: Uint8Array): ArrayBuffer {
  if (
    view.byteOffset === 0 &&
    view.byteLength === view.buffer.byteLength &&
    view.buffer instanceof ArrayBuffer
  ) {
    return view.buffer;
  }
  return view.slice().buffer as ArrayBuffer;
}

/** Inserts one batch row. */
export function insertBatch(sql: SqlStorage, batch: StoredBatch): void {
  sql.exec(
    `INSERT INTO batches (base_offset, last_offset, record_count, max_timestamp, append_time, size_bytes, payload)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
    batch.baseOffset,
    batch.lastOffset,
    batch.recordCount,
    batch.maxTimestamp,
    batch.logAppendTime,
    batch.sizeBytes,
    exactBuffer(batch.payload),
  );
}
