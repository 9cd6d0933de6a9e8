/**
 * @module
 * What one compaction slice costs in CPU: core's share of a Durable Object's slice (decoding `COMPACTION_SLICE_BYTES`
 * of batches to index their keys, or to clean them and re-encode what survives), measured in Node on the batch
 * shapes a compacted topic sees. The Durable Object adds SQLite reads and writes of the same bytes; together they
 * are the longest an append waits behind compaction. Run:
 *
 *   node --conditions=@edgelog/source packages/core/bench/compaction.ts
 *
 * Prints, per shape, the median and worst milliseconds of an indexing slice and of a cleaning slice.
 */
import { encodeBatch, type LogRecord, type StoredBatch } from "../src/index.ts";
import { CompactionPass, NO_COMPACTION_CHECKPOINT } from "../src/store-kit/compaction.ts";
import { DEFAULT_TOPIC_CONFIG } from "../src/topic-config.ts";

/** The Durable Object's slice budget (`packages/durable-objects/src/partition-compaction.ts`). */
const SLICE_BYTES = 256 * 1024;
const REPETITIONS = 30;
/** Repetitions run first and not counted, so the JIT has compiled the paths measured. */
const WARM_UP = 5;
const encoder = new TextEncoder();
const config = { ...DEFAULT_TOPIC_CONFIG, "cleanup.policy": "compact" as const };

interface Shape {
  readonly label: string;
  readonly recordsPerBatch: number;
  readonly valueBytes: number;
  /** Distinct keys over the whole slice: fewer means more records superseded (and rewritten). */
  readonly keys: number;
}

const SHAPES: readonly Shape[] = [
  {
    label: "100 B values, 100 per batch, 50 keys (most superseded)",
    recordsPerBatch: 100,
    valueBytes: 100,
    keys: 50,
  },
  {
    label: "100 B values, 100 per batch, all keys distinct (none superseded)",
    recordsPerBatch: 100,
    valueBytes: 100,
    keys: 1e9,
  },
  {
    label: "1 KiB values, 1 per batch, 20 keys (a batch per record)",
    recordsPerBatch: 1,
    valueBytes: 1024,
    keys: 20,
  },
];

function sliceOf(shape: Shape): StoredBatch[] {
  const batches: StoredBatch[] = [];
  let bytes = 0;
  let offset = 0;
  while (bytes < SLICE_BYTES) {
    const records: LogRecord[] = Array.from({ length: shape.recordsPerBatch }, (_, i) => ({
      key: encoder.encode(`key-${(offset + i) % shape.keys}`),
      value: new Uint8Array(shape.valueBytes).fill(offset & 0xff),
      headers: [],
      timestamp: 1_700_000_000_000 + offset,
    }));
    const payload = encodeBatch(records, { producerId: "bench", producerEpoch: 0, baseSequence: offset });
    batches.push({
      baseOffset: offset,
      lastOffset: offset + records.length - 1,
      recordCount: records.length,
      maxTimestamp: 1_700_000_000_000 + offset,
      logAppendTime: 1_700_000_000_000 + offset,
      sizeBytes: payload.byteLength,
      payload,
    });
    bytes += payload.byteLength;
    offset += records.length;
  }
  return batches;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

for (const shape of SHAPES) {
  const batches = sliceOf(shape);
  const end = (batches.at(-1) as StoredBatch).lastOffset + 1;
  const index: number[] = [];
  const clean: number[] = [];
  let rewritten = 0;
  for (let rep = -WARM_UP; rep < REPETITIONS; rep++) {
    const pass = new CompactionPass({
      config,
      nowMs: 1_800_000_000_000,
      logStartOffset: 0,
      highWatermark: end,
      checkpoint: NO_COMPACTION_CHECKPOINT,
    });
    let started = performance.now();
    for (const batch of batches) pass.index(batch);
    pass.endIndex();
    const indexMs = performance.now() - started;
    started = performance.now();
    rewritten = 0;
    for (const batch of batches) if (pass.clean(batch) !== null) rewritten++;
    if (rep < 0) continue;
    index.push(indexMs);
    clean.push(performance.now() - started);
  }
  const fmt = (values: number[]) =>
    `median ${median(values).toFixed(2)} ms, worst ${Math.max(...values).toFixed(2)} ms`;
  console.log(`${shape.label}: ${batches.length} batches, ${rewritten} rewritten`);
  console.log(`  index slice: ${fmt(index)}`);
  console.log(`  clean slice: ${fmt(clean)}`);
}
