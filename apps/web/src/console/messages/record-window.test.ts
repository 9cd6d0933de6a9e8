import { EdgeLogError } from "@edgelog/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ConsoleRecord } from "./console-record.ts";
import type { PageRead, PageReader, PartitionBounds } from "./partition-reader.ts";
import { RecordWindow, type WindowOptions } from "./record-window.ts";

/** Partitions made up on demand (a million records cost nothing until read), optionally with holes (compacted). */
interface FakeLog {
  readonly logStart: number;
  readonly highWatermark: number;
  readonly timestampOf: (offset: number) => number;
  readonly hole: (offset: number) => boolean;
}

class FakeReader implements PageReader {
  reads = 0;
  recordsRead = 0;
  readonly logs = new Map<number, FakeLog>();

  add(
    partition: number,
    count: number,
    timestampOf: (offset: number) => number,
    options: { logStart?: number; hole?: (offset: number) => boolean } = {},
  ): this {
    const logStart = options.logStart ?? 0;
    this.logs.set(partition, {
      logStart,
      highWatermark: logStart + count,
      timestampOf,
      hole: options.hole ?? (() => false),
    });
    return this;
  }

  /** Every record of a partition (small logs only). */
  records(partition: number): ConsoleRecord[] {
    const log = this.#log(partition);
    return this.#from(partition, log, log.logStart, Number.MAX_SAFE_INTEGER);
  }

  #from(partition: number, log: FakeLog, offset: number, limit: number): ConsoleRecord[] {
    const out: ConsoleRecord[] = [];
    for (let o = offset; o < log.highWatermark && out.length < limit; o++) {
      if (log.hole(o)) continue;
      out.push({
        partition,
        offset: o,
        timestamp: log.timestampOf(o),
        key: `k${o % 10}`,
        value: { n: o, partition },
        headers: {},
        sizeChars: 100,
      });
    }
    return out;
  }

  bounds(partition: number): Promise<PartitionBounds> {
    const log = this.#log(partition);
    return Promise.resolve({ partition, logStartOffset: log.logStart, highWatermark: log.highWatermark });
  }

  all(): PartitionBounds[] {
    return [...this.logs].map(([partition, log]) => ({
      partition,
      logStartOffset: log.logStart,
      highWatermark: log.highWatermark,
    }));
  }

  #log(partition: number): FakeLog {
    const log = this.logs.get(partition);
    if (log === undefined) throw new EdgeLogError("UNKNOWN_TOPIC_OR_PARTITION", "no such partition");
    return log;
  }

  async read(partition: number, offset: number, limit: number): Promise<PageRead> {
    this.reads++;
    const log = this.#log(partition);
    if (offset < log.logStart || offset > log.highWatermark) {
      throw new EdgeLogError("OFFSET_OUT_OF_RANGE", "out of range", { context: { offset } });
    }
    const records = this.#from(partition, log, offset, limit);
    this.recordsRead += records.length;
    return {
      records,
      nextOffset: records.length === 0 ? offset : (records.at(-1) as ConsoleRecord).offset + 1,
      logStartOffset: log.logStart,
      highWatermark: log.highWatermark,
    };
  }

  async offsetForTime(partition: number, timestampMs: number): Promise<number> {
    const log = this.#log(partition);
    for (let o = log.logStart; o < log.highWatermark; o++) {
      if (!log.hole(o) && log.timestampOf(o) >= timestampMs) return o;
    }
    return log.highWatermark;
  }
}

const offsets = (window: RecordWindow) => window.records.map((r) => r.offset);
const ids = (records: readonly ConsoleRecord[]) => records.map((r) => `${r.partition}:${r.offset}`);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

function open(reader: FakeReader, options: Partial<WindowOptions> = {}): RecordWindow {
  return new RecordWindow({ reader, partitions: reader.all(), filter: null, ...options });
}

describe("the record window", () => {
  it("pages one partition forward from the start, a page per read", async () => {
    const reader = new FakeReader().add(0, 1_000_000, (o) => o);
    const window = open(reader);
    await window.start({ kind: "earliest" });
    expect(offsets(window)).toEqual(range(0, 200));
    expect(window.top.state).toBe("end");
    await window.loadNewer();
    await window.loadNewer();
    expect(offsets(window)).toEqual(range(0, 600));
    expect(window.bottom.state).toBe("idle");
    expect(reader.reads).toBe(3);
    expect(reader.recordsRead).toBe(600);
  });

  it("opens at the latest page of a million records with one read, and goes back a page at a time", async () => {
    const reader = new FakeReader().add(0, 1_000_000, (o) => o);
    const window = open(reader);
    await window.start({ kind: "latest" });
    expect(offsets(window)).toEqual(range(999_800, 1_000_000));
    expect(window.bottom.state).toBe("end");
    await window.loadOlder();
    expect(offsets(window)).toEqual(range(999_600, 1_000_000));
    expect(reader.reads).toBe(2);
  });

  it("opens at an offset or a time, and says when an offset had to move into the log", async () => {
    const reader = new FakeReader().add(0, 1000, (o) => 1_000 + o * 10, { logStart: 100 });
    const atOffset = open(reader);
    await atOffset.start({ kind: "offset", offset: 500 });
    // The page from the offset, and the page before it as context; the view starts at the offset.
    expect(offsets(atOffset)).toEqual(range(300, 700));
    expect(atOffset.startAt).toBe("0:500");
    expect(reader.reads).toBe(2);

    const atTime = open(reader);
    await atTime.start({ kind: "time", timestampMs: 1_000 + 250 * 10 - 5 });
    expect(atTime.startAt).toBe("0:250");
    expect(atTime.records[0]?.offset).toBe(100);

    const deleted = open(reader);
    await deleted.start({ kind: "offset", offset: 5 });
    expect(deleted.records[0]?.offset).toBe(100);
    expect(deleted.startAt).toBe("0:100");
    expect(deleted.notes).toEqual(["Offset 5 of partition 0 was deleted: its log starts at 100."]);

    const past = open(reader);
    await past.start({ kind: "offset", offset: 5_000 });
    expect(past.notes).toEqual(["Offset 5000 of partition 0 is past its end (1100)."]);
    expect(offsets(past)).toEqual(range(900, 1100));
    expect(past.startAt).toBe("end");
  });

  it("interleaves partitions by timestamp, each in offset order, every record once both ways", async () => {
    const reader = new FakeReader()
      .add(0, 500, (o) => o * 3)
      .add(1, 300, (o) => o * 5 + 1)
      .add(2, 700, (o) => Math.floor(o / 7) * 7, { hole: (o) => o % 3 === 0 });
    const forward = open(reader, { pageRecords: 50 });
    await forward.start({ kind: "earliest" });
    while (forward.bottom.state !== "end") await forward.loadNewer();
    const all = [0, 1, 2].flatMap((p) => reader.records(p));
    expect(forward.records).toHaveLength(all.length);
    expect(new Set(ids(forward.records)).size).toBe(all.length);
    for (let i = 1; i < forward.records.length; i++) {
      const [a, b] = [forward.records[i - 1] as ConsoleRecord, forward.records[i] as ConsoleRecord];
      expect(a.timestamp <= b.timestamp).toBe(true);
    }

    const backward = open(reader, { pageRecords: 50 });
    await backward.start({ kind: "latest" });
    while (backward.top.state !== "end") await backward.loadOlder();
    expect(ids(backward.records).sort()).toEqual(ids(forward.records).sort());
    for (const partition of [0, 1, 2]) {
      const mine = backward.records.filter((r) => r.partition === partition).map((r) => r.offset);
      expect(mine).toEqual([...mine].sort((a, b) => a - b));
    }
  });

  it("stays within its bound, and reads cut records again when the person scrolls back", async () => {
    const reader = new FakeReader().add(0, 10_000, (o) => o).add(1, 10_000, (o) => o);
    const window = open(reader, { pageRecords: 100, maxRecords: 300 });
    await window.start({ kind: "earliest" });
    for (let i = 0; i < 10; i++) await window.loadNewer();
    expect(window.records).toHaveLength(300);
    expect(window.top.state).toBe("idle");
    const shown = ids(window.records);
    for (let i = 0; i < 3; i++) await window.loadOlder();
    expect(window.records).toHaveLength(300);
    for (let i = 0; i < 3; i++) await window.loadNewer();
    expect(ids(window.records)).toEqual(shown);
  });

  it("bounds what a window of large values holds", async () => {
    const reader = new FakeReader().add(0, 1000, (o) => o);
    const window = open(reader, { maxChars: 100 * 250 });
    await window.start({ kind: "earliest" });
    await window.loadNewer();
    expect(window.records).toHaveLength(250);
  });

  it("scans with a filter up to its budget, then goes on only when asked", async () => {
    const reader = new FakeReader().add(0, 100_000, (o) => o);
    const window = open(reader, {
      filter: (record) => record.offset % 700 === 0,
      scanBudget: 3_000,
    });
    await window.start({ kind: "earliest" });
    expect(offsets(window)).toEqual([0, 700, 1400, 2100, 2800]);
    expect(window.scanned).toBe(3_000);
    expect(window.bottom.state).toBe("budget");
    await window.loadNewer();
    expect(window.scanned).toBe(6_000);
    expect(offsets(window).at(-1)).toBe(5600);
    expect(reader.recordsRead).toBeLessThanOrEqual(7_000);
  });

  it("appends the live tail from where the window ends, ignoring replays", async () => {
    const reader = new FakeReader().add(0, 100, (o) => o).add(1, 100, (o) => o);
    const window = open(reader, { pageRecords: 30 });
    await window.start({ kind: "earliest" });
    const live = await window.beginLive();
    // The window read ahead of what it shows; the tail starts at the first record not shown.
    const shownOf = (p: number) => window.records.filter((r) => r.partition === p).length;
    expect(live).toEqual(
      new Map([
        [0, shownOf(0)],
        [1, shownOf(1)],
      ]),
    );
    const tail = (await reader.read(0, live.get(0) as number, 5)).records;
    await window.appendLive(0, tail, 100);
    await window.appendLive(0, tail, 100);
    expect(window.records.filter((r) => r.partition === 0).map((r) => r.offset)).toEqual(
      range(0, shownOf(0)),
    );
    expect(shownOf(0)).toBe((live.get(0) as number) + 5);
  });

  it("follows a log start that retention moved past its cursor", async () => {
    const reader = new FakeReader().add(0, 1000, (o) => o);
    const window = open(reader, { pageRecords: 100 });
    await window.start({ kind: "earliest" });
    reader.add(0, 500, (o) => o, { logStart: 500 });
    await window.loadNewer();
    expect(window.records.at(-1)?.offset).toBe(599);
    expect(window.bottom.state).toBe("idle");
  });

  it("shows a read's error at its edge", async () => {
    const reader = new FakeReader().add(0, 1000, (o) => o);
    const window = open(reader);
    await window.start({ kind: "earliest" });
    reader.logs.delete(0);
    await window.loadNewer();
    expect(window.bottom.state).toBe("error");
    expect(window.bottom.error?.code).toBe("UNKNOWN_TOPIC_OR_PARTITION");
    expect(window.records).toHaveLength(200);
  });

  it("keeps every partition's records contiguous and unique under any scrolling", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom("earliest", "latest"),
        async (moves, partitions, from) => {
          const reader = new FakeReader();
          for (let p = 0; p < partitions; p++) {
            reader.add(p, 150 + p * 40, (o) => (o * (p + 2)) % 97, { hole: (o) => (o + p) % 11 === 0 });
          }
          const window = open(reader, { pageRecords: 25, maxRecords: 80 });
          await window.start({ kind: from as "earliest" | "latest" });
          for (const newer of moves) await (newer ? window.loadNewer() : window.loadOlder());
          expect(window.records.length).toBeLessThanOrEqual(80);
          expect(new Set(ids(window.records)).size).toBe(window.records.length);
          for (let p = 0; p < partitions; p++) {
            const expected = reader.records(p).map((r) => r.offset);
            const mine = window.records.filter((r) => r.partition === p).map((r) => r.offset);
            if (mine.length === 0) continue;
            const first = expected.indexOf(mine[0] as number);
            expect(mine).toEqual(expected.slice(first, first + mine.length));
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
