// CASPaxos as the controller runs it, under every message order fast-check's scheduler picks: three acceptors
// (the acceptor rule of register-store.ts, in memory), three proposers each appending their own operations to one
// register, messages delivered in any order or lost. Whatever happens, the register's history is one chain: every
// operation answered as done is in the final value exactly once, no operation is ever in it twice (a proposer that
// finds its own earlier accept finishes it instead of applying again), and every answered value is a prefix of the
// final one (no answered change is lost or reordered later).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AcceptorPort,
  ballotOf,
  counterOf,
  propose,
  type Quorum,
  quorumRead,
} from "../src/controller/proposer.ts";
import type { AcceptAnswer, PeekAnswer, PrepareAnswer, Versioned } from "../src/controller/register-store.ts";

/** One acceptor's register (a single key is enough: registers are independent). */
class ModelAcceptor {
  promised = -1;
  accepted: number | null = null;
  value: Versioned = { value: null, changes: [] };

  prepare(ballot: number): PrepareAnswer {
    if (ballot <= this.promised) return { promised: false, ballot: this.promised };
    this.promised = ballot;
    return { promised: true, accepted: this.accepted, ...this.value };
  }

  accept(ballot: number, value: Versioned): AcceptAnswer {
    if (ballot < this.promised) return { accepted: false, ballot: this.promised };
    this.promised = ballot;
    this.accepted = ballot;
    this.value = { value: value.value, changes: [...value.changes] };
    return { accepted: true };
  }

  peek(): PeekAnswer {
    return { accepted: this.accepted, ...this.value };
  }
}

type Deliver = <T>(answer: () => T) => Promise<T>;

function quorumOf(acceptors: readonly ModelAcceptor[], index: number, deliver: Deliver): Quorum {
  let counter = 0;
  const ports = acceptors.map(
    (acceptor, i): AcceptorPort => ({
      region: `r${i}`,
      prepare: (_kind, _key, ballot) => deliver(() => acceptor.prepare(ballot)),
      accept: (_kind, _key, ballot, value) => deliver(() => acceptor.accept(ballot, value)),
      peek: () => deliver(() => acceptor.peek()),
      repair: async () => undefined,
    }),
  );
  return {
    acceptors: ports,
    nextBallot: (atLeast) => {
      counter = Math.max(counter, counterOf(atLeast)) + 1;
      return ballotOf(counter, index);
    },
    missed: () => undefined,
    backoff: async () => undefined,
  };
}

const ops = (value: string | null): string[] => (value === null ? [] : (JSON.parse(value) as string[]));

describe("CASPaxos proposer (model acceptors, scheduled messages)", () => {
  it("keeps one chain of changes: answered ones kept once and in order, none applied twice", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
        fc.integer({ min: 1, max: 3 }),
        async (s, drops, perProposer) => {
          const acceptors = [new ModelAcceptor(), new ModelAcceptor(), new ModelAcceptor()];
          let message = 0;
          // Each message (call and its answer together) is delivered when the scheduler says, or lost.
          const lossy: Deliver = (answer) =>
            s.schedule(Promise.resolve()).then(() => {
              if (drops[message++ % drops.length] === true && message % 3 === 0) throw new Error("lost");
              return answer();
            });
          const answered = new Map<string, string[]>();
          const run = async (proposer: number) => {
            const quorum = quorumOf(acceptors, proposer, lossy);
            for (let i = 0; i < perProposer; i++) {
              const op = `p${proposer}-${i}`;
              try {
                const value = await propose(quorum, "topic", "k", (current) =>
                  JSON.stringify([...ops(current), op]),
                );
                answered.set(op, ops(value));
              } catch {
                // Refused (no majority, or conflicts): may or may not have been chosen.
              }
            }
          };
          await s.waitFor(Promise.all([0, 1, 2].map(run)));
          // Read by a fourth proposer index: a ballot of its own, never one a proposer above used.
          const reliable: Deliver = async (answer) => answer();
          const final = ops(await quorumRead(quorumOf(acceptors, 3, reliable), "topic", "k"));
          expect(new Set(final).size).toBe(final.length);
          for (const [op, value] of answered) {
            expect(final.filter((o) => o === op)).toHaveLength(1);
            expect(final.slice(0, value.length)).toEqual(value);
            expect(value).toContain(op);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
