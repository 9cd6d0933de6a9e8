// Property tests of the consumer-group coordinator: random joins, heartbeats, slow releases, leaves, crashes,
// subscription changes, topic growth, deletion and re-creation, and time passing. Throughout, no partition is
// processed by two members at once (client side) or owned by two (server side), and epochs only grow; once the
// survivors heartbeat for a while, every subscribed partition has exactly one owner.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isEdgeLogError } from "../../src/errors.ts";
import type { GroupState } from "../../src/groups/group-state-machine.ts";
import type { GroupHeartbeatRequest, TopicPartitions } from "../../src/groups/group-types.ts";
import { FakeGroupWorld } from "./support.ts";

const GROUP = "g";
const TOPICS = ["a", "b", "c"] as const;
const SESSION_MS = 10_000;

interface SimClient {
  readonly memberId: string;
  topics: string[];
  epoch: number;
  /** The last assignment the coordinator gave. */
  assigned: TopicPartitions[];
  /** What the client is processing: the assignment plus revoked partitions it has not let go of yet. */
  processing: Set<string>;
  lastOk: number;
}

type Command =
  | { kind: "join"; who: number; topics: string[] }
  | { kind: "heartbeat"; who: number }
  | { kind: "release"; who: number }
  | { kind: "leave"; who: number }
  | { kind: "crash"; who: number }
  | { kind: "subscribe"; who: number; topics: string[] }
  | { kind: "grow"; topic: string; by: number }
  | { kind: "delete"; topic: string }
  | { kind: "create"; topic: string; partitions: number }
  | { kind: "tick"; ms: number };

const who = fc.integer({ min: 0, max: 4 });
const topicSet = fc.subarray([...TOPICS], { minLength: 1 });
const topic = fc.constantFrom(...TOPICS);
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("join" as const), who, topics: topicSet }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("heartbeat" as const), who }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("release" as const), who }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("leave" as const), who }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("crash" as const), who }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("subscribe" as const), who, topics: topicSet }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("grow" as const), topic, by: fc.integer({ min: 1, max: 3 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("delete" as const), topic }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("create" as const),
      topic,
      partitions: fc.integer({ min: 1, max: 6 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 0, max: 15_000 }) }),
  },
);

const tpKey = (t: string, p: number): string => `${t}/${p}`;
const keysOf = (list: readonly TopicPartitions[]): string[] =>
  list.flatMap(({ topic, partitions }) => partitions.map((p) => tpKey(topic, p)));
const toList = (keys: Iterable<string>): TopicPartitions[] => {
  const byTopic = new Map<string, number[]>();
  for (const k of keys) {
    const [t, p] = k.split("/") as [string, string];
    byTopic.set(t, [...(byTopic.get(t) ?? []), Number(p)]);
  }
  return [...byTopic].map(([t, partitions]) => ({ topic: t, partitions: partitions.sort((x, y) => x - y) }));
};

class Simulation {
  readonly world = new FakeGroupWorld();
  readonly coordinator;
  readonly clients = new Map<number, SimClient>();
  lastGroupEpoch = 0;
  lastMemberEpochs = new Map<string, number>();
  rejoined = new Set<string>();
  #incarnation = 0;

  constructor(assignor: string) {
    this.coordinator = this.world.coordinator();
    for (const t of TOPICS) this.world.createTopic(t, 3);
    this.assignor = assignor;
  }
  readonly assignor: string;

  async run(c: Command): Promise<void> {
    this.#clientSessionTimers();
    switch (c.kind) {
      case "join": {
        if (this.clients.has(c.who)) return;
        const client: SimClient = {
          memberId: `m${c.who}-${this.#incarnation++}`,
          topics: c.topics,
          epoch: 0,
          assigned: [],
          processing: new Set(),
          lastOk: this.world.now,
        };
        this.clients.set(c.who, client);
        await this.heartbeat(client);
        return;
      }
      case "heartbeat": {
        const client = this.clients.get(c.who);
        if (client !== undefined) await this.heartbeat(client);
        return;
      }
      case "release": {
        const client = this.clients.get(c.who);
        if (client !== undefined) client.processing = new Set(keysOf(client.assigned));
        return;
      }
      case "leave": {
        const client = this.clients.get(c.who);
        if (client === undefined) return;
        client.processing.clear();
        this.clients.delete(c.who);
        await this.coordinator.heartbeat(GROUP, { memberId: client.memberId, memberEpoch: -1 });
        return;
      }
      case "crash":
        this.clients.delete(c.who);
        return;
      case "subscribe": {
        const client = this.clients.get(c.who);
        if (client === undefined) return;
        client.topics = c.topics;
        await this.heartbeat(client, true);
        return;
      }
      case "grow": {
        const existing = this.world.topics.get(c.topic);
        if (existing !== undefined) this.world.growTopic(c.topic, existing.partitions + c.by);
        return;
      }
      case "delete":
        this.world.topics.delete(c.topic);
        // Readers of a deleted topic find it gone: clients stop processing it and forget it was assigned, so
        // a re-created topic of the same name is processed only once the coordinator assigns it anew.
        for (const client of this.clients.values()) {
          for (const k of [...client.processing])
            if (k.startsWith(`${c.topic}/`)) client.processing.delete(k);
          client.assigned = client.assigned.filter((tp) => tp.topic !== c.topic);
        }
        return;
      case "create":
        if (!this.world.topics.has(c.topic)) this.world.createTopic(c.topic, c.partitions);
        return;
      case "tick":
        this.world.now += c.ms;
        this.#clientSessionTimers();
        return;
    }
  }

  /** A client that heard nothing for a session timeout assumes it was removed and drops everything. */
  #clientSessionTimers(): void {
    for (const client of this.clients.values()) {
      if (this.world.now - client.lastOk >= SESSION_MS) {
        client.processing.clear();
        client.assigned = [];
        client.epoch = 0;
      }
    }
  }

  async heartbeat(client: SimClient, sendTopics = false): Promise<void> {
    const joining = client.epoch === 0;
    const request: GroupHeartbeatRequest = joining
      ? {
          memberId: client.memberId,
          memberEpoch: 0,
          topics: client.topics,
          sessionTimeoutMs: SESSION_MS,
          rebalanceTimeoutMs: 30_000,
          serverAssignor: this.assignor,
        }
      : {
          memberId: client.memberId,
          memberEpoch: client.epoch,
          ownedPartitions: toList(client.processing),
          ...(sendTopics ? { topics: client.topics } : {}),
        };
    if (joining) this.rejoined.add(client.memberId);
    try {
      const response = await this.coordinator.heartbeat(GROUP, request);
      client.epoch = response.memberEpoch;
      client.assigned = response.assignment.map((tp) => ({
        topic: tp.topic,
        partitions: [...tp.partitions],
      }));
      for (const k of keysOf(client.assigned)) client.processing.add(k);
      client.lastOk = this.world.now;
    } catch (error) {
      if (!isEdgeLogError(error) || !["FENCED_MEMBER_EPOCH", "UNKNOWN_MEMBER_ID"].includes(error.code))
        throw error;
      client.processing.clear();
      client.assigned = [];
      client.epoch = 0;
    }
  }

  state(): GroupState | null {
    return (this.world.states.get(GROUP)?.state as GroupState | undefined) ?? null;
  }

  checkInvariants(): void {
    const state = this.state();
    if (state !== null) {
      const owners = new Map<string, string>();
      for (const m of Object.values(state.members)) {
        for (const list of [m.assigned, m.pendingRevocation]) {
          for (const [t, ps] of Object.entries(list)) {
            for (const p of ps) {
              const k = tpKey(t, p);
              expect(owners.get(k), `server: ${k} owned by two members`).toBeUndefined();
              owners.set(k, m.memberId);
            }
          }
        }
      }
      expect(state.groupEpoch).toBeGreaterThanOrEqual(this.lastGroupEpoch);
      expect(state.assignmentEpoch).toBeLessThanOrEqual(state.groupEpoch);
      this.lastGroupEpoch = state.groupEpoch;
      for (const m of Object.values(state.members)) {
        const before = this.lastMemberEpochs.get(m.memberId);
        if (before !== undefined && !this.rejoined.has(m.memberId))
          expect(m.memberEpoch).toBeGreaterThanOrEqual(before);
        this.lastMemberEpochs.set(m.memberId, m.memberEpoch);
      }
      this.rejoined.clear();
    }
    const processedBy = new Map<string, string>();
    for (const client of this.clients.values()) {
      for (const k of client.processing) {
        expect(
          processedBy.get(k),
          `client: ${k} processed by ${processedBy.get(k)} and ${client.memberId}`,
        ).toBeUndefined();
        processedBy.set(k, client.memberId);
      }
    }
  }

  /** Survivors release promptly and heartbeat every 2 s; crashed members time out meanwhile. */
  async converge(): Promise<void> {
    for (let round = 0; round < 14; round++) {
      this.world.now += 2_000;
      this.#clientSessionTimers();
      for (const client of this.clients.values()) {
        client.processing = new Set(keysOf(client.assigned));
        await this.heartbeat(client);
        this.checkInvariants();
      }
    }
  }

  checkConverged(): void {
    const expected = new Set<string>();
    const subscribers = new Map<string, Set<string>>();
    for (const client of this.clients.values()) {
      for (const t of client.topics) {
        const metadata = this.world.topics.get(t);
        if (metadata === undefined) continue;
        for (let p = 0; p < metadata.partitions; p++) expected.add(tpKey(t, p));
        subscribers.set(t, (subscribers.get(t) ?? new Set()).add(client.memberId));
      }
    }
    const owned = new Map<string, string>();
    for (const client of this.clients.values()) {
      expect([...client.processing].sort()).toEqual(keysOf(client.assigned).sort());
      for (const k of client.processing) {
        owned.set(k, client.memberId);
        expect(subscribers.get(k.split("/")[0] as string)?.has(client.memberId)).toBe(true);
      }
    }
    expect([...owned.keys()].sort()).toEqual([...expected].sort());
    const state = this.state();
    if (state !== null && this.clients.size > 0) {
      expect(Object.keys(state.members).sort()).toEqual(
        [...this.clients.values()].map((c) => c.memberId).sort(),
      );
    }
  }
}

describe("the group coordinator under random membership and topic changes", () => {
  for (const assignor of ["uniform", "range"]) {
    it(`keeps ownership exclusive and converges (${assignor})`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 60 }), async (commands) => {
          const sim = new Simulation(assignor);
          for (const c of commands) {
            await sim.run(c);
            sim.checkInvariants();
          }
          await sim.converge();
          sim.checkConverged();
        }),
        { numRuns: 300 },
      );
    });
  }

  it("balances a homogeneous group: counts differ by at most one", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 8 }),
        async (members, partitions, leavers) => {
          const sim = new Simulation("uniform");
          sim.world.growTopic("a", partitions);
          for (let i = 0; i < members; i++) await sim.run({ kind: "join", who: i, topics: ["a"] });
          for (const i of leavers) await sim.run({ kind: "leave", who: i });
          await sim.converge();
          sim.checkConverged();
          const counts = [...sim.clients.values()].map((c) => keysOf(c.assigned).length);
          if (counts.length > 0) expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 200 },
    );
  });
});
