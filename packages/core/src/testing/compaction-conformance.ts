/**
 * @module
 * Compacted topics, checked the same way in every store that compacts (`runCompactionConformance`): a model test —
 * random keyed writes, deletes (tombstones) and compaction passes interleaved with reads, after each pass a full
 * read equal to the model's "latest record per key" plus what is too young to compact, survivors at their original
 * offsets — and the edges around it: keyless records refused, reads and offset lookups over the gaps a pass leaves,
 * the idempotent producer's state surviving a pass, and no retention under `compact` alone.
 *
 * A store compacts on its own too (after appends, from an alarm). The model allows for it: a pass at an earlier time
 * removes a subset of what a later pass removes, so after each pass the test runs, the log is exactly the model's;
 * between them the test checks only what holds at any moment — every record read is one that was written at that
 * offset, and the latest record of each key is there unless it is a tombstone.
 */
import { describe, expect, it } from "vitest";
import { decodeBatch, encodeBatch } from "../codec/record-batch.ts";
import type { LogStore, TopicConfig, TopicPartition } from "../index.ts";
import type { LogRecord } from "../record.ts";
import { DEFAULT_TOPIC_CONFIG } from "../topic-config.ts";
import { expectEdgeLogError, readAll } from "./helpers.ts";

/** A clock the suite moves, handed to the store it creates (memory and IndexedDB stores take one). */
export interface TestClock {
  now(): number;
}

export interface CompactionConformanceOptions {
  /**
   * A fresh, empty store. With `clock`, the store must take its time from it (append times, compaction); without
   * (`controlsClock: false`) the time-dependent cases use settings under which the exact time does not matter.
   */
  createStore(clock: TestClock): LogStore | Promise<LogStore>;
  /** Whether the store reads the time from the clock it is given. Default `true`. */
  readonly controlsClock?: boolean;
  /** Runs one compaction pass of the partition now, whether or not one is due, and waits for it to finish. */
  compact(store: LogStore, tp: TopicPartition): Promise<void>;
  /** Disposes of a store after its test (default: `store.close()`). */
  destroyStore?(store: LogStore): Promise<void>;
  /** Model runs (seeds) and operations per run; defaults 3 and 40. */
  readonly runs?: number;
  readonly operations?: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const text = (bytes: Uint8Array | null): string | null => (bytes === null ? null : decoder.decode(bytes));
/** A fixed past time: record timestamps in the real-clock runs, so a record's age is its append time's. */
const PAST = 1_700_000_000_000;

/** mulberry32: a small seeded generator, so a failing run names the seed that reproduces it. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ModelRecord {
  readonly offset: number;
  readonly key: string;
  readonly value: string | null;
  readonly timestamp: number;
  readonly appendTime: number;
}

interface ModelBatch {
  readonly baseOffset: number;
  /** When the batch counts as written (its newest timestamp, never before its append). */
  readonly time: number;
}

/** The log as the model knows it: every record written, and which offsets passes removed. */
class CompactionModel {
  readonly records: ModelRecord[] = [];
  readonly batches: ModelBatch[] = [];
  readonly removed = new Set<number>();
  #cleanedTo = 0;

  readonly config: TopicConfig;

  constructor(config: TopicConfig) {
    this.config = config;
  }

  get highWatermark(): number {
    return this.records.length;
  }

  written(baseOffset: number, records: readonly ModelRecord[]): void {
    const time = Math.max(...records.map((r) => Math.max(r.timestamp, r.appendTime)));
    this.batches.push({ baseOffset, time });
    this.records.push(...records);
  }

  /** A pass at `nowMs`: Kafka's rule, written out independently of core's. */
  compacted(nowMs: number): void {
    const minLag = this.config["min.compaction.lag.ms"] ?? 0;
    const retention = this.config["delete.retention.ms"] ?? 86_400_000;
    const young = this.batches.find(
      (b) => b.baseOffset >= this.#cleanedTo && minLag > 0 && b.time + minLag > nowMs,
    );
    const end = young?.baseOffset ?? this.highWatermark;
    const latest = new Map<string, ModelRecord>();
    for (const record of this.records) if (record.offset < end) latest.set(record.key, record);
    for (const record of this.records) {
      if (record.offset >= end || record.offset === this.highWatermark - 1) continue;
      const newest = latest.get(record.key) !== record;
      const expired =
        record.value === null && Math.max(record.timestamp, record.appendTime) + retention <= nowMs;
      if (newest || expired) this.removed.add(record.offset);
    }
    this.#cleanedTo = end;
  }

  present(from = 0): { offset: number; key: string; value: string | null }[] {
    return this.records
      .filter((r) => r.offset >= from && !this.removed.has(r.offset))
      .map(({ offset, key, value }) => ({ offset, key, value }));
  }
}

async function readLog(store: LogStore, tp: TopicPartition, from?: number) {
  return (await readAll(store, tp, from)).map((r) => ({
    offset: r.offset,
    key: text(r.key) ?? "",
    value: text(r.value),
  }));
}

export function runCompactionConformance(name: string, options: CompactionConformanceOptions): void {
  const controlsClock = options.controlsClock ?? true;
  const runs = options.runs ?? 3;
  const operations = options.operations ?? 40;

  describe(`compaction conformance: ${name}`, () => {
    let time = PAST;
    const clock: TestClock = { now: () => time };
    const open = async (): Promise<LogStore> => {
      time = PAST + 1_000_000;
      return options.createStore(clock);
    };
    const dispose = (store: LogStore) =>
      (options.destroyStore ? options.destroyStore(store) : store.close()).catch(() => undefined);
    const tp: TopicPartition = { topic: "state", partition: 0 };
    const create = (store: LogStore, config: Partial<TopicConfig>) =>
      store.createTopic({
        name: tp.topic,
        partitions: 1,
        config: { ...DEFAULT_TOPIC_CONFIG, "cleanup.policy": "compact", ...config },
      });
    const record = (
      key: string | null,
      value: string | null,
      timestamp = controlsClock ? time : PAST,
    ): LogRecord => ({
      key: key === null ? null : encoder.encode(key),
      value: value === null ? null : encoder.encode(value),
      headers: [],
      timestamp,
    });

    // Real-clock stores: tombstones expire at once (retention 0) and no lag holds a batch back, so what a pass does
    // does not depend on when exactly it runs. A moving clock exercises the lags too.
    const variants: { label: string; config: Partial<TopicConfig> }[] = controlsClock
      ? [
          { label: "tombstones kept 100 ms, no lag", config: { "delete.retention.ms": 100 } },
          {
            label: "tombstones kept 100 ms, 50 ms lag",
            config: { "delete.retention.ms": 100, "min.compaction.lag.ms": 50 },
          },
        ]
      : [
          { label: "tombstones expire at once", config: { "delete.retention.ms": 0 } },
          { label: "tombstones kept", config: {} },
        ];

    for (const variant of variants) {
      it(`matches the model: latest per key, offsets unchanged (${variant.label})`, async () => {
        for (let run = 0; run < runs; run++) {
          const seed = 0x5eed + run;
          const store = await open();
          try {
            await modelRun(store, variant.config, seed);
          } catch (error) {
            throw new Error(`model run with seed ${seed} failed: ${String(error)}`, { cause: error });
          } finally {
            await dispose(store);
          }
        }
      });
    }

    async function modelRun(store: LogStore, config: Partial<TopicConfig>, seed: number): Promise<void> {
      const metadata = await create(store, config);
      const model = new CompactionModel(metadata.config);
      const next = random(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
      const keys = ["a", "b", "c", "d", "e"];
      for (let op = 0; op < operations; op++) {
        const roll = next();
        if (roll < 0.55) {
          const count = 1 + Math.floor(next() * 4);
          const records = Array.from({ length: count }, (_, i) =>
            record(pick(keys), next() < 0.25 ? null : `v${op}.${i}`),
          );
          const result = await store.append(tp, encodeBatch(records));
          model.written(
            result.baseOffset,
            records.map((r, i) => ({
              offset: result.baseOffset + i,
              key: text(r.key) ?? "",
              value: text(r.value),
              timestamp: r.timestamp,
              appendTime: result.logAppendTime,
            })),
          );
        } else if (roll < 0.75) {
          await options.compact(store, tp);
          model.compacted(controlsClock ? time : Date.now());
          await expectModel(store, model, next);
        } else if (roll < 0.9 && controlsClock) {
          time += Math.floor(next() * 80);
        } else {
          await expectInvariants(store, model);
        }
      }
      await options.compact(store, tp);
      model.compacted(controlsClock ? time : Date.now());
      await expectModel(store, model, next);
    }

    async function expectModel(store: LogStore, model: CompactionModel, next: () => number): Promise<void> {
      expect(await store.offsets(tp)).toEqual({ logStartOffset: 0, highWatermark: model.highWatermark });
      expect(await readLog(store, tp)).toEqual(model.present());
      // A read from any offset, removed ones included, starts at the first survivor at or after it.
      const from = Math.floor(next() * (model.highWatermark + 1));
      expect(await readLog(store, tp, from)).toEqual(model.present(from));
      // Every batch stays dense: offsets are computed as baseOffset + i, so a gap only ever lies between batches.
      let previousLast = -1;
      for (const batch of await store.listBatches(tp, { limit: 10_000 })) {
        expect(batch.lastOffset - batch.baseOffset + 1).toBe(batch.recordCount);
        expect(batch.baseOffset).toBeGreaterThan(previousLast);
        previousLast = batch.lastOffset;
      }
    }

    async function expectInvariants(store: LogStore, model: CompactionModel): Promise<void> {
      const read = await readLog(store, tp);
      for (const got of read) {
        const written = model.records[got.offset];
        expect(got).toEqual({ offset: written?.offset, key: written?.key, value: written?.value });
      }
      const latest = new Map<string, ModelRecord>();
      for (const r of model.records) latest.set(r.key, r);
      const offsets = new Set(read.map((r) => r.offset));
      for (const r of latest.values()) if (r.value !== null) expect(offsets.has(r.offset)).toBe(true);
    }

    it("refuses a keyless record on a compacted topic with INVALID_RECORD and writes nothing", async () => {
      const store = await open();
      try {
        await create(store, {});
        const error = await expectEdgeLogError(
          store.append(tp, encodeBatch([record("k", "1"), record(null, "2")])),
          "INVALID_RECORD",
        );
        expect(error.context).toMatchObject({ topic: tp.topic, partition: 0, offsetDelta: 1 });
        expect(await store.offsets(tp)).toEqual({ logStartOffset: 0, highWatermark: 0 });
        // A keyed tombstone is a record like any other.
        expect((await store.append(tp, encodeBatch([record("k", null)]))).baseOffset).toBe(0);
      } finally {
        await dispose(store);
      }
    });

    it("reads over the gaps a pass leaves: from a removed offset, by timestamp, to the last record", async () => {
      const store = await open();
      try {
        await create(store, { "delete.retention.ms": 0 });
        // Stamped in the past: the tombstone's age is its append time's, so retention 0 expires it at once.
        const at = (i: number) => (controlsClock ? time - 100 : PAST) + i;
        // Offsets 0..5: a, b, a, c, a, b — then 6: c's tombstone.
        const keys = ["a", "b", "a", "c", "a", "b"];
        await store.append(tp, encodeBatch(keys.map((k, i) => record(k, `${k}${i}`, at(i)))));
        await store.append(tp, encodeBatch([record("c", null, at(6))]));
        await options.compact(store, tp);
        // Survivors: a4, b5 and c's tombstone (the log's last record is never removed).
        expect(await readLog(store, tp)).toEqual([
          { offset: 4, key: "a", value: "a4" },
          { offset: 5, key: "b", value: "b5" },
          { offset: 6, key: "c", value: null },
        ]);
        expect(await store.offsets(tp)).toEqual({ logStartOffset: 0, highWatermark: 7 });
        expect((await store.read(tp, { offset: 1 })).batches[0]?.baseOffset).toBe(4);
        expect(await readLog(store, tp, 2)).toEqual(await readLog(store, tp, 4));
        // The record stamped at(2) is gone: the earliest at or after that time is the next survivor.
        expect(await store.offsetForTimestamp(tp, at(2))).toBe(4);
        expect(await store.offsetForTimestamp(tp, at(7))).toBeNull();
        // Once something follows it, the expired tombstone goes too.
        await store.append(tp, encodeBatch([record("d", "d7", at(7))]));
        await options.compact(store, tp);
        expect((await readLog(store, tp)).map((r) => r.offset)).toEqual([4, 5, 7]);
      } finally {
        await dispose(store);
      }
    });

    it("keeps the idempotent producer's state: a retried batch whose records a pass removed is a duplicate", async () => {
      const store = await open();
      try {
        await create(store, { "delete.retention.ms": 0 });
        const producer = { producerId: "p", producerEpoch: 0, baseSequence: 0 };
        const first = encodeBatch([record("a", "1"), record("b", "1")], producer);
        expect((await store.append(tp, first)).baseOffset).toBe(0);
        await store.append(tp, encodeBatch([record("a", "2"), record("b", "2")]));
        await options.compact(store, tp);
        expect((await readLog(store, tp)).map((r) => r.offset)).toEqual([2, 3]);
        const retried = await store.append(tp, first);
        expect(retried).toMatchObject({ duplicate: true, baseOffset: 0, lastOffset: 1 });
        const following = encodeBatch([record("c", "1")], { ...producer, baseSequence: 2 });
        expect(await store.append(tp, following)).toMatchObject({ duplicate: false, baseOffset: 4 });
      } finally {
        await dispose(store);
      }
    });

    it("deletes nothing by age or size under `compact` alone", async () => {
      const store = await open();
      try {
        await create(store, { "retention.ms": 0, "retention.bytes": 1 });
        for (let i = 0; i < 5; i++) await store.append(tp, encodeBatch([record(`k${i}`, `v${i}`)]));
        if (controlsClock) time += 1000;
        await options.compact(store, tp);
        expect(await store.offsets(tp)).toEqual({ logStartOffset: 0, highWatermark: 5 });
        expect((await readLog(store, tp)).map((r) => r.value)).toEqual(["v0", "v1", "v2", "v3", "v4"]);
      } finally {
        await dispose(store);
      }
    });

    it("compacts a topic made compacted after it was written, dropping the keyless records it held", async () => {
      const store = await open();
      try {
        await store.createTopic({ name: tp.topic, partitions: 1, config: DEFAULT_TOPIC_CONFIG });
        await store.append(
          tp,
          encodeBatch([record("a", "1"), record(null, "x"), record("a", "2"), record("b", "1")]),
        );
        await expectEdgeLogError(options.compact(store, tp), "INVALID_REQUEST");
        const altered = await store.alterTopicConfig(tp.topic, { "cleanup.policy": "compact" });
        expect(altered.config["cleanup.policy"]).toBe("compact");
        await expectEdgeLogError(store.append(tp, encodeBatch([record(null, "y")])), "INVALID_RECORD");
        await options.compact(store, tp);
        expect(await readLog(store, tp)).toEqual([
          { offset: 2, key: "a", value: "2" },
          { offset: 3, key: "b", value: "1" },
        ]);
      } finally {
        await dispose(store);
      }
    });

    it("rewrites only the batches that lost records, each survivor run at its own offsets", async () => {
      const store = await open();
      try {
        await create(store, {});
        await store.append(
          tp,
          encodeBatch([record("a", "1"), record("b", "1"), record("c", "1"), record("d", "1")]),
        );
        await store.append(tp, encodeBatch([record("x", "1"), record("y", "1")]));
        await store.append(tp, encodeBatch([record("b", "2"), record("z", "1")]));
        const before = await store.read(tp, { offset: 4 });
        await options.compact(store, tp);
        const batches = await store.listBatches(tp);
        expect(batches.map((b) => [b.baseOffset, b.lastOffset])).toEqual([
          [0, 0],
          [2, 3],
          [4, 5],
          [6, 7],
        ]);
        // The untouched batch is the one appended, byte for byte.
        const after = await store.read(tp, { offset: 4 });
        expect(after.batches[0]?.payload).toEqual(before.batches[0]?.payload);
        const values = decodeBatch(
          (await store.read(tp, { offset: 2 })).batches[0]?.payload ?? new Uint8Array(),
        );
        expect(values.records.map((r) => text(r.key))).toEqual(["c", "d"]);
      } finally {
        await dispose(store);
      }
    });
  });
}
