/**
 * @module
 * The proposer's half of CASPaxos (Rystsov, "CASPaxos: Replicated State Machines without logs"): a change to one
 * register is phase 1 — `prepare(ballot)` to every controller replica, a majority promising and answering what
 * it accepted — then the change function applied to the value under the highest accepted ballot, then phase 2 —
 * `accept(ballot, value)`, answered once a majority accepted. Any majority that survives therefore holds every
 * answered change, and two proposers changing one register are ordered by their ballots: the lower one is
 * refused and runs again, against the value the higher one wrote (so an election never hands out one leader
 * epoch twice). Each change carries an id kept with the value (the last `MAX_RECENT_CHANGES`), so a change whose
 * earlier round already landed is never applied a second time.
 *
 * A ballot is `counter * MAX_CONTROLLER_REPLICAS + replica index`: unique per replica, ordered by counter first.
 */
import { EdgeLogError } from "@edgelog/core";
import { randomId, sleep } from "@edgelog/core/store-kit";
import type { AcceptAnswer, PeekAnswer, PrepareAnswer, RegisterKind, Versioned } from "./register-store.ts";

/** Controller replicas a deployment may have (one per region; Cloudflare has fewer location hints than this). */
export const MAX_CONTROLLER_REPLICAS = 64;

/**
 * Change ids a register remembers: a proposal looks for its own among them when it runs again, which it does
 * within a few rounds — far fewer than this many other changes of the same register can land meanwhile. Ids are
 * 12 hex digits (48 random bits: a collision among a register's recent changes is not a practical concern), so
 * the list costs under 500 bytes per register.
 */
export const MAX_RECENT_CHANGES = 32;

/** Rounds one change runs before it gives up on conflicting proposers (each round is two quorum trips). */
export const MAX_PROPOSAL_ROUNDS = 6;

/** One controller replica as a proposer reaches it; a method throws when the replica does not answer. */
export interface AcceptorPort {
  readonly region: string;
  prepare(kind: RegisterKind, key: string, ballot: number): Promise<PrepareAnswer>;
  accept(kind: RegisterKind, key: string, ballot: number, next: Versioned): Promise<AcceptAnswer>;
  peek(kind: RegisterKind, key: string): Promise<PeekAnswer>;
  /** Read repair: hands the replica a value it lacks, under its own acceptor rule (a late phase 2 message). */
  repair(kind: RegisterKind, key: string, accepted: number, value: Versioned): Promise<void>;
}

export interface Quorum {
  readonly acceptors: readonly AcceptorPort[];
  /** A ballot of this replica's, above `atLeast` and above every ballot it used before. */
  nextBallot(atLeast: number): number;
  /** `region` did not take a change this proposer made (unreachable, timed out): it is caught up later. */
  missed(region: string, kind: RegisterKind, key: string): void;
  /** The pause before round `round` (≥ 1); default: randomised, growing with the round. */
  backoff?(round: number): Promise<void>;
}

/**
 * A change function: the register's current value (JSON text, `null` when absent) to the next one. It may run
 * more than once (a conflicting proposer makes the round start again) and may throw to refuse the change.
 */
export type Change = (current: string | null) => string | null;

export function majorityOf(replicas: number): number {
  return Math.floor(replicas / 2) + 1;
}

export function ballotOf(counter: number, replicaIndex: number): number {
  return counter * MAX_CONTROLLER_REPLICAS + replicaIndex;
}

export function counterOf(ballot: number): number {
  return Math.floor(ballot / MAX_CONTROLLER_REPLICAS);
}

/** Runs `change` on register `kind`/`key` through a majority of `quorum`; answers the value it wrote. */
export function propose(
  quorum: Quorum,
  kind: RegisterKind,
  key: string,
  change: Change,
): Promise<string | null> {
  return run(quorum, kind, key, change, randomId().replaceAll("-", "").slice(0, 12));
}

/**
 * One proposal, `changeId` naming it in the register's recent changes (`null`: an unchanging proposal, which
 * records nothing). Finding its own id in the value a majority holds — its accept of an earlier round reached some
 * replicas, and maybe another proposer built on it — it finishes that value instead of applying `change` twice.
 */
async function run(
  quorum: Quorum,
  kind: RegisterKind,
  key: string,
  change: Change,
  changeId: string | null,
): Promise<string | null> {
  const { acceptors } = quorum;
  const majority = majorityOf(acceptors.length);
  let atLeast = 0;
  for (let round = 0; round < MAX_PROPOSAL_ROUNDS; round++) {
    // Two proposers that keep refusing each other back off apart (randomised, as Paxos liveness needs).
    if (round > 0) await (quorum.backoff?.(round) ?? sleep(Math.random() * 20 * round));
    const ballot = quorum.nextBallot(atLeast);
    // A majority is enough: a replica that hangs (its region is out) does not hold the change up.
    const prepared = await settleUntil(
      acceptors.map((a) => a.prepare(kind, key, ballot)),
      (outcomes) => outcomes.filter((o) => o?.status === "fulfilled" && o.value.promised).length >= majority,
    );
    const promises: ({ accepted: number | null } & Versioned)[] = [];
    let higher = 0;
    for (const outcome of prepared) {
      if (outcome?.status !== "fulfilled") continue;
      if (outcome.value.promised) promises.push(outcome.value);
      else higher = Math.max(higher, outcome.value.ballot);
    }
    if (promises.length < majority) {
      if (higher > 0) {
        atLeast = higher;
        continue;
      }
      throw noQuorum(promises.length, acceptors.length, prepared);
    }
    const top = highest(promises);
    const current: Versioned = { value: top?.value ?? null, changes: top?.changes ?? [] };
    const settled = top === null || promises.filter((p) => p.accepted === top.accepted).length >= majority;
    const done = changeId === null || current.changes.includes(changeId);
    const value = done ? current.value : change(current.value);
    // Nothing to write: the change is in (or changes nothing) and a majority already holds the value.
    if (value === current.value && settled) return value;
    const next: Versioned =
      done || value === current.value
        ? current
        : { value, changes: [...current.changes, changeId].slice(-MAX_RECENT_CHANGES) };
    const accepted = await settleUntil(
      acceptors.map((a) =>
        a.accept(kind, key, ballot, next).catch((error: unknown) => {
          // Noted even when the answer comes after the majority's: that replica is caught up later.
          quorum.missed(a.region, kind, key);
          throw error;
        }),
      ),
      (outcomes) => outcomes.filter((o) => o?.status === "fulfilled" && o.value.accepted).length >= majority,
    );
    let acks = 0;
    higher = 0;
    for (const outcome of accepted) {
      if (outcome?.status !== "fulfilled") continue;
      if (outcome.value.accepted) acks++;
      else higher = Math.max(higher, outcome.value.ballot);
    }
    if (acks >= majority) return next.value;
    if (higher > 0) {
      atLeast = higher;
      continue;
    }
    throw noQuorum(acks, acceptors.length, accepted);
  }
  throw new EdgeLogError("NOT_CONTROLLER", `conflicting controller proposals for ${kind} ${key}; retry`, {
    context: { rounds: MAX_PROPOSAL_ROUNDS },
  });
}

/**
 * The register's value as a majority holds it. One round of peeks when a majority agrees on the accepted ballot
 * (the value is chosen); otherwise the value under the highest ballot is finished by an unchanging proposal, so a
 * read never answers a value that a later majority could lose.
 */
export async function quorumRead(quorum: Quorum, kind: RegisterKind, key: string): Promise<string | null> {
  const majority = majorityOf(quorum.acceptors.length);
  const agreeing = (answers: readonly PeekAnswer[]) => {
    const top = highest(answers);
    return answers.filter((a) => a.accepted === (top?.accepted ?? null)).length;
  };
  const peeked = await settleUntil(
    quorum.acceptors.map((a) => a.peek(kind, key)),
    (outcomes) => agreeing(outcomes.flatMap((o) => (o?.status === "fulfilled" ? [o.value] : []))) >= majority,
  );
  const answers = peeked.flatMap((outcome) => (outcome?.status === "fulfilled" ? [outcome.value] : []));
  if (agreeing(answers) < majority) return run(quorum, kind, key, (current) => current, null);
  const top = highest(answers);
  if (top === null) return null;
  // Chosen. A replica that answered an older value missed the change (it was cut off): hand it over now rather
  // than at the proposer's next catch-up, since reads are answered from the first replica reached.
  await Promise.allSettled(
    peeked.map((outcome, i) =>
      outcome?.status === "fulfilled" && (outcome.value.accepted ?? -1) < top.accepted
        ? (quorum.acceptors[i] as AcceptorPort).repair(kind, key, top.accepted, top)
        : undefined,
    ),
  );
  return top.value;
}

/**
 * Waits for the calls until `enough` says so (or all settled); calls still out are `undefined` and left to
 * finish on their own.
 */
function settleUntil<T>(
  calls: readonly Promise<T>[],
  enough: (outcomes: readonly (PromiseSettledResult<T> | undefined)[]) => boolean,
): Promise<(PromiseSettledResult<T> | undefined)[]> {
  return new Promise((resolve) => {
    const outcomes: (PromiseSettledResult<T> | undefined)[] = calls.map(() => undefined);
    let pending = calls.length;
    if (pending === 0) resolve(outcomes);
    calls.forEach((call, i) => {
      call
        .then(
          (value): PromiseSettledResult<T> => ({ status: "fulfilled", value }),
          (reason: unknown): PromiseSettledResult<T> => ({ status: "rejected", reason }),
        )
        .then((outcome) => {
          outcomes[i] = outcome;
          pending--;
          if (pending === 0 || enough(outcomes)) resolve([...outcomes]);
        });
    });
  });
}

function highest<T extends { accepted: number | null } & Versioned>(
  answers: readonly T[],
): ({ accepted: number } & Versioned) | null {
  let top: ({ accepted: number } & Versioned) | null = null;
  for (const answer of answers) {
    if (answer.accepted !== null && (top === null || answer.accepted > top.accepted)) {
      top = { accepted: answer.accepted, value: answer.value, changes: answer.changes };
    }
  }
  return top;
}

function noQuorum(
  reached: number,
  replicas: number,
  outcomes: readonly (PromiseSettledResult<unknown> | undefined)[],
) {
  const reasons = outcomes.flatMap((o) =>
    o?.status === "rejected" ? [o.reason instanceof Error ? o.reason.message : String(o.reason)] : [],
  );
  return new EdgeLogError(
    "NOT_CONTROLLER",
    `the controller reached ${reached} of ${replicas} replicas, not a majority (${majorityOf(replicas)})` +
      (reasons.length > 0 ? `: ${reasons.join("; ")}` : ""),
    { context: { reached, replicas, majority: majorityOf(replicas) } },
  );
}
