// Property tests of the share-group coordinator over a real log: members fetch, accept, release and reject at
// random, crash, close, sessions and locks run out, records keep arriving, and the coordinator restarts from its
// stored state (a JSON round trip, as every store persists it). Throughout, no record is held by two members at
// once; driven to the end, every record produced ends exactly once — accepted, or in the dead-letter topic as
// rejected or failed.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeBatch } from "../../src/codec/record-batch.ts";
import { isEdgeLogError } from "../../src/errors.ts";
import { MemoryShareState } from "../../src/memory/memory-share-state.ts";
import { MemoryStore } from "../../src/memory/memory-store.ts";
import { consumedRecordsOf } from "../../src/share/batch-records.ts";
import { DEAD_LETTER_HEADERS } from "../../src/share/dead-letter.ts";
import { ShareCoordinator } from "../../src/share/share-coordinator.ts";
import type { AcknowledgeType } from "../../src/share/share-partition.ts";
import type { ShareAcknowledgementBatch, ShareFetchResponse } from "../../src/share/share-types.ts";
import { DEFAULT_TOPIC_CONFIG } from "../../src/topic-config.ts";
import { copyShareState } from "./support.ts";

const GROUP = "jobs";
const TOPIC = "q";
const DLQ = "q.dlq";
const LOCK_MS = 1_000;
const SESSION_MS = 3_000;
const MEMBERS = ["m0", "m1", "__proto__"] as const;

type Command =
  | { kind: "produce"; partition: number; count: number }
  | { kind: "fetch"; who: number; max: number; type: AcknowledgeType; pick: number }
  | { kind: "tick"; ms: number }
  | { kind: "crash"; who: number }
  | { kind: "close"; who: number }
  | { kind: "restart" };

const who = fc.integer({ min: 0, max: MEMBERS.length - 1 });
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("produce" as const),
      partition: fc.integer({ min: 0, max: 1 }),
      count: fc.integer({ min: 1, max: 4 }),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("fetch" as const),
      who,
      max: fc.integer({ min: 0, max: 5 }),
      type: fc.constantFrom<AcknowledgeType>("accept", "accept", "accept", "release", "reject"),
      pick: fc.nat(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 0, max: 2_000 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("crash" as const), who }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("close" as const), who }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("restart" as const) }) },
);

interface Member {
  epoch: number;
  /** Records this member holds as far as it knows: key → lock deadline. */
  readonly held: Map<string, number>;
  /** Acknowledgements it will send with its next request. */
  pending: ShareAcknowledgementBatch[];
  lastSeen: number;
}

const key = (partition: number, offset: number): string => `${partition}/${offset}`;

class World {
  now = 1_000_000;
  readonly log = new MemoryStore({ now: () => this.now });
  state = new MemoryShareState();
  coordinator = this.#coordinator();
  readonly members = new Map<string, Member>(
    MEMBERS.map((m) => [m, { epoch: 0, held: new Map(), pending: [], lastSeen: 0 }]),
  );
  readonly produced = new Set<string>();
  readonly accepted = new Set<string>();

  #coordinator(): ShareCoordinator {
    return new ShareCoordinator(this.state, this.log, { now: () => this.now, report: () => {} });
  }

  async setUp(): Promise<void> {
    await this.log.createTopic({ name: TOPIC, partitions: 2, config: DEFAULT_TOPIC_CONFIG });
    await this.log.createTopic({ name: DLQ, partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    await this.coordinator.alterConfig(GROUP, {
      "share.record.lock.duration.ms": LOCK_MS,
      "share.delivery.count.limit": 3,
      "share.partition.max.record.locks": 5,
      "share.auto.offset.reset": "earliest",
      "share.session.timeout.ms": SESSION_MS,
      "errors.deadletterqueue.topic.name": DLQ,
    });
  }

  /** Whether `member` may still act on a record: its lock and its session are both live. */
  holds(member: string, k: string): boolean {
    const m = this.members.get(member) as Member;
    const until = m.held.get(k);
    return until !== undefined && until > this.now && m.lastSeen + SESSION_MS >= this.now;
  }

  async step(c: Command): Promise<void> {
    switch (c.kind) {
      case "produce": {
        const { highWatermark } = await this.log.offsets({ topic: TOPIC, partition: c.partition });
        const records = Array.from({ length: c.count }, (_, i) => ({
          key: null,
          value: new TextEncoder().encode(`r${highWatermark + i}`),
          headers: [],
          timestamp: this.now,
        }));
        await this.log.append({ topic: TOPIC, partition: c.partition }, encodeBatch(records));
        for (let i = 0; i < c.count; i++) this.produced.add(key(c.partition, highWatermark + i));
        return;
      }
      case "fetch":
        await this.fetch(MEMBERS[c.who] as string, c.max, c.type, c.pick);
        return;
      case "tick":
        this.now += c.ms;
        return;
      case "crash": {
        // Forgets everything, acknowledges nothing: its records come back when its locks or session run out.
        const m = this.members.get(MEMBERS[c.who] as string) as Member;
        m.epoch = 0;
        m.pending = [];
        return;
      }
      case "close": {
        const member = MEMBERS[c.who] as string;
        const m = this.members.get(member) as Member;
        if (m.epoch === 0) return;
        try {
          const answer = await this.coordinator.fetch(GROUP, {
            memberId: member,
            sessionEpoch: -1,
            acknowledgements: m.pending,
          });
          this.settle(member, answer);
        } catch (error) {
          if (!(isEdgeLogError(error) && error.code === "SHARE_SESSION_NOT_FOUND")) throw error;
        }
        m.epoch = 0;
        m.pending = [];
        m.held.clear();
        return;
      }
      case "restart":
        // A new coordinator over what the store persisted: nothing in memory survives.
        this.state = await copyShareState(this.state);
        this.coordinator = this.#coordinator();
        return;
    }
  }

  async fetch(member: string, max: number, type: AcknowledgeType, pick: number): Promise<void> {
    const m = this.members.get(member) as Member;
    // Decide about what it holds now; the decisions go with this request.
    const live = [...m.held.keys()].filter((k) => this.holds(member, k));
    const chosen = live.filter((_, i) => (pick >> i) % 2 === 1 || i === pick % Math.max(1, live.length));
    const acks = [
      ...m.pending,
      ...chosen.map((k) => {
        const [partition, offset] = k.split("/").map(Number) as [number, number];
        return { topic: TOPIC, partition, firstOffset: offset, lastOffset: offset, type };
      }),
    ];
    for (const k of chosen) m.held.delete(k);
    let answer: ShareFetchResponse;
    try {
      answer = await this.coordinator.fetch(GROUP, {
        memberId: member,
        sessionEpoch: m.epoch,
        topics: [TOPIC],
        maxRecords: max,
        acknowledgements: acks,
      });
    } catch (error) {
      if (!isEdgeLogError(error)) throw error;
      // Its session ended (timed out): everything it held went back; it opens a new one next time.
      expect(["SHARE_SESSION_NOT_FOUND", "INVALID_SHARE_SESSION_EPOCH"]).toContain(error.code);
      m.epoch = 0;
      m.pending = [];
      m.held.clear();
      return;
    }
    if (m.epoch === 0) m.held.clear();
    m.epoch = answer.sessionEpoch;
    m.lastSeen = this.now;
    m.pending = [];
    this.settle(member, answer, acks);
    for (const p of answer.partitions) {
      for (const range of p.acquired) {
        for (let offset = range.firstOffset; offset <= range.lastOffset; offset++) {
          const k = key(p.partition, offset);
          expect(this.produced.has(k)).toBe(true);
          // The heart of it: never handed out while another member may still act on it.
          for (const other of MEMBERS) if (other !== member) expect(this.holds(other, k)).toBe(false);
          expect(this.accepted.has(k)).toBe(false);
          m.held.set(k, this.now + answer.acquisitionLockTimeoutMs);
        }
      }
    }
  }

  /** Accepts that went through count; a refused partition's acknowledgements did not happen. */
  settle(_member: string, answer: ShareFetchResponse, acks: readonly ShareAcknowledgementBatch[] = []): void {
    const refused = new Set(answer.acknowledgeErrors.map((e) => e.partition));
    for (const ack of acks) {
      if (ack.type !== "accept" || refused.has(ack.partition)) continue;
      for (let offset = ack.firstOffset; offset <= ack.lastOffset; offset++) {
        const k = key(ack.partition, offset);
        expect(this.accepted.has(k)).toBe(false);
        this.accepted.add(k);
      }
    }
  }

  /** Everyone stops; one member takes and accepts what is left until nothing comes. */
  async drain(): Promise<void> {
    this.now += SESSION_MS * 2;
    let epoch = 0;
    let acks: ShareAcknowledgementBatch[] = [];
    let empty = 0;
    for (let round = 0; round < 500 && empty < 3; round++) {
      const answer = await this.coordinator.fetch(GROUP, {
        memberId: "drain",
        sessionEpoch: epoch,
        topics: [TOPIC],
        maxRecords: 10,
        acknowledgements: acks,
      });
      expect(answer.acknowledgeErrors).toEqual([]);
      this.settle("drain", answer, acks);
      epoch = answer.sessionEpoch;
      acks = answer.partitions.flatMap((p) =>
        p.acquired.map((r) => ({ ...r, topic: TOPIC, partition: p.partition, type: "accept" as const })),
      );
      empty = answer.partitions.length === 0 ? empty + 1 : 0;
    }
    expect(empty).toBe(3);
  }

  async deadLetters(): Promise<Map<string, string>> {
    const { batches } = await this.log.read({ topic: DLQ, partition: 0 }, { offset: 0, maxBytes: 1 << 24 });
    const found = new Map<string, string>();
    for (const batch of batches) {
      for (const record of consumedRecordsOf(batch)) {
        const header = (name: string) =>
          new TextDecoder().decode(record.headers.find((h) => h.key === name)?.value ?? new Uint8Array());
        const k = key(
          Number(header(DEAD_LETTER_HEADERS.partition)),
          Number(header(DEAD_LETTER_HEADERS.offset)),
        );
        expect(found.has(k)).toBe(false);
        found.set(k, header(DEAD_LETTER_HEADERS.outcome));
      }
    }
    return found;
  }
}

describe("share-group coordinator (property)", () => {
  it("hands each record to one member at a time and ends each exactly once, across restarts", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 20, maxLength: 80 }), async (commands) => {
        const world = new World();
        await world.setUp();
        for (const c of commands) await world.step(c);
        await world.drain();
        const dead = await world.deadLetters();
        for (const k of world.produced) {
          const endings = (world.accepted.has(k) ? 1 : 0) + (dead.has(k) ? 1 : 0);
          expect(endings, `record ${k}`).toBe(1);
        }
        for (const outcome of dead.values()) expect(["rejected", "failed"]).toContain(outcome);
        const described = await world.coordinator.describe(GROUP);
        for (const p of described.partitions) {
          expect(p.inFlight).toEqual({ available: 0, acquired: 0, acknowledged: 0, archived: 0 });
          expect(p.pendingDeadLetters).toBe(0);
        }
      }),
      { numRuns: 40 },
    );
  });
});
