import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EdgeLogError } from "../../src/errors.ts";
import {
  createRoundRobinPartitioner,
  createStickyPartitioner,
  DEFAULT_STICKY_BYTES,
  type Partitioner,
  type PartitionerArgs,
  type PartitionerFactory,
  Partitioners,
  partitionForKey,
} from "../../src/partitioner/index.ts";

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A `random` that replays `values` in a loop. */
function replay(...values: number[]): () => number {
  let i = 0;
  return () => {
    const value = values[i % values.length] ?? 0;
    i++;
    return value;
  };
}

/** mulberry32: a tiny seeded PRNG, so "random" runs are reproducible. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function keyless(partitionCount: number, sizeBytes = 10, topic = "t"): PartitionerArgs {
  return { topic, partitionCount, key: null, sizeBytes };
}

function run(partitioner: Partitioner, records: number, args: PartitionerArgs): number[] {
  return Array.from({ length: records }, () => partitioner(args));
}

/** Lengths of the runs of equal consecutive values: [1,1,2,2,2] → [2,3]. */
function runLengths(values: readonly number[]): number[] {
  const lengths: number[] = [];
  values.forEach((value, i) => {
    if (i > 0 && value === values[i - 1]) lengths[lengths.length - 1] = (lengths.at(-1) ?? 0) + 1;
    else lengths.push(1);
  });
  return lengths;
}

const BUILT_INS: ReadonlyArray<readonly [string, PartitionerFactory]> = [
  ["Partitioners.DefaultPartitioner", Partitioners.DefaultPartitioner],
  ["Partitioners.RoundRobinPartitioner", Partitioners.RoundRobinPartitioner],
  ["createStickyPartitioner", createStickyPartitioner({ stickyBytes: 1, random: seeded(1) })],
  ["createRoundRobinPartitioner", createRoundRobinPartitioner({ random: seeded(2) })],
];

describe.each(BUILT_INS)("%s", (_name, factory) => {
  it("sends every keyed record to partitionForKey (Java-compatible), whatever came before", () => {
    const partitioner = factory();
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme" }),
        fc.integer({ min: 1, max: 5000 }),
        fc.boolean(),
        (text, partitionCount, keylessFirst) => {
          if (keylessFirst) partitioner(keyless(partitionCount));
          const key = utf8(text);
          expect(partitioner({ topic: "t", partitionCount, key, sizeBytes: 100 })).toBe(
            partitionForKey(key, partitionCount),
          );
        },
      ),
    );
  });

  it("sends Kafka's vector '21' to partition 0 of 10 (& 0x7fffffff, not abs)", () => {
    expect(factory()({ topic: "t", partitionCount: 10, key: utf8("21"), sizeBytes: 1 })).toBe(0);
  });

  it("keeps keyless records in range", () => {
    const partitioner = factory();
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.nat({ max: 50_000 }), (partitionCount, sizeBytes) => {
        const partition = partitioner(keyless(partitionCount, sizeBytes));
        expect(Number.isInteger(partition)).toBe(true);
        expect(partition).toBeGreaterThanOrEqual(0);
        expect(partition).toBeLessThan(partitionCount);
      }),
    );
  });

  it.each([0, -3, 2.5, Number.NaN, Number.POSITIVE_INFINITY])("rejects a partition count of %s", (n) => {
    const partitioner = factory();
    for (const key of [null, utf8("k")]) {
      let caught: unknown;
      try {
        partitioner({ topic: "orders", partitionCount: n, key, sizeBytes: 1 });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(EdgeLogError);
      expect(caught).toMatchObject({ code: "INVALID_PARTITIONS", context: { topic: "orders" } });
    }
  });
});

describe("Partitioners", () => {
  it("is frozen and names the two built-ins", () => {
    expect(Object.isFrozen(Partitioners)).toBe(true);
    expect(Object.keys(Partitioners).sort()).toEqual(["DefaultPartitioner", "RoundRobinPartitioner"]);
  });

  it("DefaultPartitioner is sticky for DEFAULT_STICKY_BYTES (Kafka's batch.size, 16384)", () => {
    expect(DEFAULT_STICKY_BYTES).toBe(16384);
    const partitioner = Partitioners.DefaultPartitioner();
    // 16 records of 1 KiB fill the first partition exactly; all of them stay on it.
    const first = run(partitioner, 16, keyless(1000, 1024));
    expect(new Set(first).size).toBe(1);
    // The 17th starts a new sticky run on another partition.
    expect(partitioner(keyless(1000, 1024))).not.toBe(first[0]);
  });
});

describe("createStickyPartitioner (keyless records)", () => {
  it("stays on one partition until >= stickyBytes were assigned to it, then switches", () => {
    // random 0.25 of 4 partitions → 1; then 0.0 of the 3 others → 0.
    const partitioner = createStickyPartitioner({ stickyBytes: 100, random: replay(0.25, 0) })();
    // 25 bytes each: after the 4th record exactly 100 bytes went to partition 1.
    expect(run(partitioner, 4, keyless(4, 25))).toEqual([1, 1, 1, 1]);
    expect(run(partitioner, 4, keyless(4, 25))).toEqual([0, 0, 0, 0]);
  });

  it("counts bytes, not records: the record that crosses stickyBytes still lands on the sticky partition", () => {
    const partitioner = createStickyPartitioner({ stickyBytes: 100, random: replay(0, 0.99) })();
    // 30 bytes each: 90 after three records (< 100), so the 4th stays; 120 after it, so the 5th moves.
    expect(run(partitioner, 5, keyless(3, 30))).toEqual([0, 0, 0, 0, 2]);
  });

  it("switches after every record bigger than stickyBytes", () => {
    const partitioner = createStickyPartitioner({ stickyBytes: 100, random: seeded(7) })();
    const partitions = run(partitioner, 50, keyless(5, 1000));
    expect(runLengths(partitions).every((length) => length === 1)).toBe(true);
  });

  it("picks a different partition on every switch, for any random source", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 50 }),
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), {
          minLength: 1,
          maxLength: 20,
        }),
        (partitionCount, randoms) => {
          const partitioner = createStickyPartitioner({ stickyBytes: 1, random: replay(...randoms) })();
          const partitions = run(partitioner, 40, keyless(partitionCount, 1));
          for (let i = 1; i < partitions.length; i++) expect(partitions[i]).not.toBe(partitions[i - 1]);
          for (const p of partitions) expect(p).toBeLessThan(partitionCount);
        },
      ),
    );
  });

  it("the switch is uniform over the other partitions: random 0 skips the current one", () => {
    const partitioner = createStickyPartitioner({ stickyBytes: 1, random: () => 0 })();
    expect(run(partitioner, 6, keyless(2, 1))).toEqual([0, 1, 0, 1, 0, 1]);
  });

  it("stays on partition 0 of a single-partition topic", () => {
    const partitioner = createStickyPartitioner({ stickyBytes: 1, random: seeded(3) })();
    expect(run(partitioner, 20, keyless(1, 500))).toEqual(Array(20).fill(0));
  });

  it("re-picks at once when the partition count shrinks below the sticky partition, with a fresh byte count", () => {
    const partitioner = createStickyPartitioner({ stickyBytes: 100, random: () => 0.9 })();
    expect(run(partitioner, 2, keyless(8, 40))).toEqual([7, 7]); // 80 bytes on partition 7
    // 7 is gone: pick again among 4, and the new partition gets its own full 100 bytes.
    expect(run(partitioner, 3, keyless(4, 40))).toEqual([3, 3, 3]);
    expect(partitioner(keyless(4, 40))).not.toBe(3);
  });

  it("keeps its sticky partition when partitions are added", () => {
    const partitioner = createStickyPartitioner({ stickyBytes: 100, random: () => 0.5 })();
    expect(partitioner(keyless(4, 10))).toBe(2);
    expect(run(partitioner, 3, keyless(16, 10))).toEqual([2, 2, 2]);
  });

  it("keeps a separate sticky partition and byte count per topic", () => {
    const partitioner = createStickyPartitioner({ stickyBytes: 100, random: replay(0, 0.5) })();
    expect(partitioner(keyless(4, 60, "a"))).toBe(0);
    expect(partitioner(keyless(4, 60, "b"))).toBe(2);
    expect(partitioner(keyless(4, 60, "a"))).toBe(0); // a: 120 bytes now
    expect(partitioner(keyless(4, 30, "b"))).toBe(2); // b: 90, still below
    expect(partitioner(keyless(4, 10, "b"))).toBe(2); // b: 100
    expect(partitioner(keyless(4, 10, "a"))).not.toBe(0);
    expect(partitioner(keyless(4, 10, "b"))).not.toBe(2);
  });

  it("does not count keyed records against the sticky partition", () => {
    const partitioner = createStickyPartitioner({ stickyBytes: 100, random: () => 0 })();
    expect(partitioner(keyless(4, 50))).toBe(0);
    for (let i = 0; i < 10; i++)
      partitioner({ topic: "t", partitionCount: 4, key: utf8(`k${i}`), sizeBytes: 1000 });
    expect(partitioner(keyless(4, 49))).toBe(0); // 99 keyless bytes so far
  });

  it("gives each partitioner made by the factory its own state", () => {
    const factory = createStickyPartitioner({ stickyBytes: 10, random: () => 0 });
    const a = factory();
    const b = factory();
    expect(run(a, 3, keyless(3, 10))).toEqual([0, 1, 0]);
    expect(b(keyless(3, 10))).toBe(0);
  });

  it("is deterministic with an injected random", () => {
    const sequence = (seed: number) =>
      run(createStickyPartitioner({ stickyBytes: 64, random: seeded(seed) })(), 500, keyless(12, 20));
    expect(sequence(42)).toEqual(sequence(42));
    expect(sequence(42)).not.toEqual(sequence(43));
  });

  it("spreads keyless traffic roughly evenly over many switches", () => {
    const partitionCount = 8;
    const partitioner = createStickyPartitioner({ stickyBytes: 10, random: seeded(11) })();
    const counts = new Array<number>(partitionCount).fill(0);
    for (const p of run(partitioner, 80_000, keyless(partitionCount, 10))) counts[p] = (counts[p] ?? 0) + 1;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(1_000);
  });

  it.each([0, -1, 1.5, Number.NaN])("rejects stickyBytes %s with INVALID_CONFIG", (stickyBytes) => {
    expect(() => createStickyPartitioner({ stickyBytes })).toThrow(
      expect.objectContaining({ code: "INVALID_CONFIG" }),
    );
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])("rejects a keyless sizeBytes of %s", (sizeBytes) => {
    const partitioner = createStickyPartitioner()();
    expect(() => partitioner(keyless(3, sizeBytes))).toThrow(
      expect.objectContaining({ code: "INVALID_RECORD" }),
    );
  });
});

describe("createRoundRobinPartitioner (keyless records)", () => {
  it("cycles through the partitions from a random start", () => {
    expect(run(createRoundRobinPartitioner({ random: () => 0 })(), 7, keyless(3))).toEqual([
      0, 1, 2, 0, 1, 2, 0,
    ]);
    // 0.5 → counter 2^30, and 2^30 % 3 = 1.
    expect(run(createRoundRobinPartitioner({ random: () => 0.5 })(), 4, keyless(3))).toEqual([1, 2, 0, 1]);
  });

  it("gives every partition exactly k records out of k × partitionCount, whatever the start", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 5 }),
        (start, partitionCount, k) => {
          const partitioner = createRoundRobinPartitioner({ random: () => start })();
          const counts = new Array<number>(partitionCount).fill(0);
          for (const p of run(partitioner, k * partitionCount, keyless(partitionCount))) {
            counts[p] = (counts[p] ?? 0) + 1;
          }
          expect(counts).toEqual(new Array<number>(partitionCount).fill(k));
        },
      ),
    );
  });

  it("ignores sizeBytes", () => {
    const partitioner = createRoundRobinPartitioner({ random: () => 0 })();
    expect([1, 1_000_000, 0].map((size) => partitioner(keyless(3, size)))).toEqual([0, 1, 2]);
  });

  it("keeps one counter per topic, each started from its own random draw", () => {
    const partitioner = createRoundRobinPartitioner({ random: replay(0, 0.5) })();
    expect(partitioner(keyless(4, 1, "a"))).toBe(0);
    expect(partitioner(keyless(4, 1, "b"))).toBe(0); // 2^30 % 4
    expect(partitioner(keyless(4, 1, "a"))).toBe(1);
    expect(partitioner(keyless(4, 1, "a"))).toBe(2);
    expect(partitioner(keyless(4, 1, "b"))).toBe(1);
  });

  it("carries the counter across a change of partition count", () => {
    const partitioner = createRoundRobinPartitioner({ random: () => 0 })();
    expect(run(partitioner, 2, keyless(2))).toEqual([0, 1]);
    expect(run(partitioner, 4, keyless(5))).toEqual([2, 3, 4, 0]);
  });

  it("interleaves keyed records without advancing the counter", () => {
    const partitioner = createRoundRobinPartitioner({ random: () => 0 })();
    expect(partitioner(keyless(3))).toBe(0);
    partitioner({ topic: "t", partitionCount: 3, key: utf8("x"), sizeBytes: 1 });
    expect(partitioner(keyless(3))).toBe(1);
  });

  it("is deterministic with an injected random", () => {
    const sequence = (seed: number) => {
      const partitioner = createRoundRobinPartitioner({ random: seeded(seed) })();
      return ["a", "b", "c"].flatMap((topic) => run(partitioner, 5, keyless(1000, 1, topic)));
    };
    expect(sequence(5)).toEqual(sequence(5));
    expect(sequence(5)).not.toEqual(sequence(6));
  });
});

describe("keyed distribution", () => {
  it("spreads many random keys roughly uniformly", () => {
    const partitionCount = 10;
    const keys = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 32 }), { numRuns: 20_000, seed: 42 });
    const counts = new Array<number>(partitionCount).fill(0);
    for (const key of keys) {
      const p = partitionForKey(key, partitionCount);
      counts[p] = (counts[p] ?? 0) + 1;
    }
    // Expected 2000 each, σ ≈ 42: ±300 is a 7σ band, loose enough to be stable, tight enough to catch a skew.
    for (const count of counts) expect(Math.abs(count - 2000)).toBeLessThan(300);
  });

  it("spreads realistic string ids roughly uniformly", () => {
    const partitionCount = 12;
    const counts = new Array<number>(partitionCount).fill(0);
    for (let i = 0; i < 24_000; i++) {
      const p = partitionForKey(utf8(`user-${i}`), partitionCount);
      counts[p] = (counts[p] ?? 0) + 1;
    }
    for (const count of counts) expect(Math.abs(count - 2000)).toBeLessThan(300);
  });
});
