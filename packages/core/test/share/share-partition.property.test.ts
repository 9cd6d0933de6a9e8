// Property tests of the share-partition state machine: random acquisitions, acknowledgements (valid and not),
// lock expiry, members leaving, retention, compaction removing records (in flight or not) and restarts (the stored form
// through JSON) against a log with gaps. Throughout, no
// record is held by two members, the window stays within its bounds, and a record leaves the window only once it
// is done; driven to the end, every record of the log ends accepted, rejected or failed (or removed by retention).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isEdgeLogError } from "../../src/errors.ts";
import { DEFAULT_SHARE_GROUP_CONFIG, type ShareGroupConfig } from "../../src/share/share-config.ts";
import {
  type AcknowledgeType,
  acknowledge,
  acquire,
  deadLettersWritten,
  dropRemoved,
  expireLocks,
  type InFlightRecord,
  newSharePartition,
  pendingDeadLetters,
  releaseMember,
  type SharePartitionState,
  startOffsetOf,
  truncateBefore,
} from "../../src/share/share-partition.ts";
import { packSharePartition, unpackSharePartition } from "../../src/share/share-partition-codec.ts";

const MEMBERS = ["m0", "m1", "constructor"] as const;
const LOCK_MS = 1_000;

type Command =
  | { kind: "acquire"; who: number; max: number }
  | { kind: "ack"; who: number; type: AcknowledgeType; pick: number }
  | { kind: "badAck"; who: number; offset: number }
  | { kind: "tick"; ms: number }
  | { kind: "leave"; who: number }
  | { kind: "retention"; by: number }
  | { kind: "compact"; pick: number }
  | { kind: "deadLetters" }
  | { kind: "restart" };

const who = fc.integer({ min: 0, max: MEMBERS.length - 1 });
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant("acquire" as const), who, max: fc.integer({ min: 1, max: 6 }) }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("ack" as const),
      who,
      type: fc.constantFrom<AcknowledgeType>("accept", "accept", "release", "reject"),
      pick: fc.nat(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("badAck" as const),
      who,
      offset: fc.integer({ min: 0, max: 40 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 0, max: 1_500 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("leave" as const), who }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("retention" as const), by: fc.integer({ min: 0, max: 3 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("compact" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("deadLetters" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("restart" as const) }) },
);

interface Scenario {
  readonly logOffsets: number[];
  readonly config: ShareGroupConfig;
  readonly deadLetters: boolean;
  readonly commands: Command[];
}

const scenario: fc.Arbitrary<Scenario> = fc.record({
  // A log with gaps (a compacted partition): which of offsets 0..29 hold a record.
  logOffsets: fc
    .array(fc.boolean(), { minLength: 1, maxLength: 30 })
    .map((holds) => holds.flatMap((held, offset) => (held ? [offset] : [])))
    .filter((offsets) => offsets.length > 0),
  config: fc
    .record({
      limit: fc.integer({ min: 2, max: 4 }),
      locks: fc.integer({ min: 1, max: 8 }),
    })
    .map(({ limit, locks }) => ({
      ...DEFAULT_SHARE_GROUP_CONFIG,
      "share.record.lock.duration.ms": LOCK_MS,
      "share.delivery.count.limit": limit,
      "share.partition.max.record.locks": locks,
    })),
  deadLetters: fc.boolean(),
  commands: fc.array(command, { maxLength: 60 }),
});

class Run {
  state: SharePartitionState;
  now = 10_000;
  logStart = 0;
  /** Offset → who holds it, as the members see it, and until when. */
  readonly held = new Map<number, { member: string; until: number }>();
  /** How each record ended, as observed when it left Acquired for good. */
  readonly outcomes = new Map<number, string>();
  readonly removed = new Set<number>();

  readonly s: Scenario;
  /** The offsets that hold a record now: compaction removes some (never the last). */
  log: number[];

  constructor(s: Scenario) {
    this.s = s;
    this.log = [...s.logOffsets];
    this.state = newSharePartition("t1", 0);
  }

  #from(): number {
    const first = this.state.records.find((r) => r.state === "Available")?.offset ?? this.state.endOffset;
    return Math.max(this.logStart, Math.min(first, this.state.endOffset));
  }

  readable(): number[] {
    const from = this.#from();
    return this.log.filter((offset) => offset >= from);
  }

  /** What a fetch does: read the log, let the records it no longer has leave, acquire from what it read. */
  acquire(member: string, max: number) {
    const from = this.#from();
    const readable = this.readable();
    const last = readable.at(-1);
    if (last !== undefined) {
      const gone = this.state.records.filter(
        (r) =>
          r.state === "Available" && r.offset >= from && r.offset <= last && !readable.includes(r.offset),
      );
      expect(dropRemoved(this.state, from, last, readable)).toBe(gone.length);
      for (const record of gone) this.removed.add(record.offset);
    }
    return acquire(this.state, member, this.now, this.s.config, max, readable);
  }

  step(c: Command): void {
    const { config, deadLetters } = this.s;
    const before = snapshot(this.state);
    // The live records: those that leave the window are dropped as they are, in their final state.
    const live = [...this.state.records];
    switch (c.kind) {
      case "acquire": {
        const member = MEMBERS[c.who] as string;
        const got = this.acquire(member, c.max);
        expect(got.length).toBeLessThanOrEqual(c.max);
        for (const { offset, deliveryCount } of got) {
          const holder = this.held.get(offset);
          // Never handed out while someone else still holds it under a live lock.
          if (holder !== undefined) expect(holder.until).toBeLessThanOrEqual(this.now);
          expect(this.log).toContain(offset);
          expect(deliveryCount).toBeLessThanOrEqual(config["share.delivery.count.limit"]);
          this.held.set(offset, { member, until: this.now + LOCK_MS });
        }
        break;
      }
      case "ack": {
        const member = MEMBERS[c.who] as string;
        const mine = [...this.held]
          .filter(([, h]) => h.member === member && h.until > this.now)
          .map(([o]) => o);
        if (mine.length === 0) break;
        const chosen = mine.filter((_, i) => (c.pick >> i) % 2 === 0 || i === c.pick % mine.length);
        acknowledge(
          this.state,
          member,
          chosen.map((offset) => ({ offset, type: c.type, error: "e" })),
          config,
          deadLetters,
          { topic: "t", partition: 0 },
        );
        for (const offset of chosen) this.held.delete(offset);
        break;
      }
      case "badAck": {
        const member = MEMBERS[c.who] as string;
        const holder = this.held.get(c.offset);
        if (holder !== undefined && holder.member === member && holder.until > this.now) break;
        let code = "ok";
        try {
          acknowledge(this.state, member, [{ offset: c.offset, type: "accept" }], config, deadLetters, {
            topic: "t",
            partition: 0,
          });
        } catch (error) {
          code = isEdgeLogError(error) ? error.code : "other";
        }
        // Only a record this member holds may be acknowledged; a refusal changes nothing.
        expect(code).toBe("INVALID_RECORD_STATE");
        expect(snapshot(this.state)).toEqual(before);
        return;
      }
      case "tick":
        this.now += c.ms;
        expireLocks(this.state, this.now, config, deadLetters);
        for (const [offset, h] of this.held) if (h.until <= this.now) this.held.delete(offset);
        break;
      case "leave": {
        const member = MEMBERS[c.who] as string;
        releaseMember(this.state, member, config, deadLetters);
        for (const [offset, h] of this.held) if (h.member === member) this.held.delete(offset);
        break;
      }
      case "retention": {
        this.logStart = Math.min(this.state.endOffset, this.logStart + c.by);
        for (const record of this.state.records)
          if (record.offset < this.logStart) this.removed.add(record.offset);
        truncateBefore(this.state, this.logStart);
        for (const offset of this.held.keys()) if (offset < this.logStart) this.held.delete(offset);
        break;
      }
      case "compact": {
        // Removes the offsets the bits of `pick` name, the log's last record never (as a pass keeps it).
        const last = this.log.at(-1);
        this.log = this.log.filter((offset, i) => offset === last || (c.pick >> (i % 30)) % 2 === 0);
        break;
      }
      case "deadLetters":
        deadLettersWritten(
          this.state,
          pendingDeadLetters(this.state).map((p) => p.offset),
        );
        break;
      case "restart":
        // What a store keeps: the packed runs, through JSON.
        this.state = unpackSharePartition(JSON.parse(JSON.stringify(packSharePartition(this.state))));
        expect(snapshot(this.state)).toEqual(before);
        return;
    }
    this.observe(live);
    this.check();
  }

  /** Records that left the window since `before` must have been done (accepted, rejected, failed) or removed. */
  observe(before: readonly InFlightRecord[]): void {
    const now = new Map(this.state.records.map((r) => [r.offset, r]));
    for (const record of before) {
      const after = now.get(record.offset);
      if (after !== undefined || this.removed.has(record.offset)) continue;
      // It left: its last state was terminal, its copy (if any) written.
      const final = finalOf(record);
      expect(["accepted", "rejected", "failed"]).toContain(final);
    }
    for (const record of this.state.records) {
      if (record.outcome !== null) this.outcomes.set(record.offset, record.outcome);
    }
  }

  check(): void {
    const { config } = this.s;
    const { records, endOffset } = this.state;
    expect(records.length).toBeLessThanOrEqual(config["share.partition.max.record.locks"]);
    for (let i = 0; i < records.length; i++) {
      const record = records[i] as InFlightRecord;
      if (i > 0) expect(record.offset).toBeGreaterThan((records[i - 1] as InFlightRecord).offset);
      expect(record.offset).toBeLessThan(endOffset);
      expect(record.deliveryCount).toBeLessThanOrEqual(config["share.delivery.count.limit"]);
      if (record.state === "Acquired") {
        expect(record.memberId).not.toBeNull();
        expect(this.held.get(record.offset)?.member).toBe(record.memberId);
      } else {
        expect(record.memberId).toBeNull();
      }
      if (record.state === "Available")
        expect(record.deliveryCount).toBeLessThan(config["share.delivery.count.limit"]);
      if (record.deadLetter === "pending") expect(this.s.deadLetters).toBe(true);
    }
    // The window starts at a record still in flight (or one whose copy is owed), never at a finished one.
    const first = records[0];
    if (first !== undefined) {
      expect(
        first.state !== "Acknowledged" && first.state !== "Archived" ? true : first.deadLetter === "pending",
      ).toBe(true);
      expect(startOffsetOf(this.state)).toBe(first.offset);
    }
  }

  /** Drives the partition to the end: one member acquires and accepts until the whole log is done. */
  finish(): void {
    const { config, deadLetters } = this.s;
    this.now += LOCK_MS * 10;
    expireLocks(this.state, this.now, config, deadLetters);
    this.held.clear();
    for (let round = 0; round < 200; round++) {
      const before = [...this.state.records];
      const got = this.acquire("drain", 10);
      acknowledge(
        this.state,
        "drain",
        got.map(({ offset }) => ({ offset, type: "accept" as const })),
        config,
        deadLetters,
        { topic: "t", partition: 0 },
      );
      deadLettersWritten(
        this.state,
        pendingDeadLetters(this.state).map((p) => p.offset),
      );
      this.observe(before);
      if (this.state.records.length === 0 && this.readable().every((o) => o < this.state.endOffset)) break;
    }
    // Nothing is left in flight, and every record of the log was taken in (or removed by retention first).
    expect(this.state.records).toEqual([]);
    const last = this.s.logOffsets.at(-1) as number;
    expect(this.state.endOffset).toBeGreaterThan(last);
  }
}

function snapshot(state: SharePartitionState): InFlightRecord[] {
  return JSON.parse(JSON.stringify(state.records)) as InFlightRecord[];
}

function finalOf(record: InFlightRecord): string {
  return record.state === "Acknowledged" || record.state === "Archived"
    ? (record.outcome ?? "none")
    : "in flight";
}

describe("share-partition state machine (property)", () => {
  it("never lets two members hold a record, keeps its bounds, and finishes every record", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const run = new Run(s);
        for (const c of s.commands) run.step(c);
        run.finish();
      }),
      { numRuns: 200 },
    );
  });
});
