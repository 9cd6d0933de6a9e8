/**
 * @module
 * One controller replica's place in the quorum: who it is (namespace, region, index in `REGIONS`), its registers
 * (`register-store.ts`), the other replicas as acceptors a proposal reaches (through the fault switch, with a
 * timeout each), its ballots, and bringing peers up to date (`peer-sync.ts`). `TopicsObject` asks it to change or
 * read a register and answers the acceptor calls of other replicas through it.
 *
 * With one region the quorum is this replica alone: a change is two local SQL steps and no call.
 */
import { EdgeLogError } from "@edgelog/core";
import type { EdgeLogEnv } from "../env.ts";
import { assertReachable } from "../replication/fault-switch.ts";
import { type RpcResult, unwrap } from "../rpc-result.ts";
import { PeerSync } from "./peer-sync.ts";
import {
  type AcceptorPort,
  ballotOf,
  type Change,
  counterOf,
  propose,
  type Quorum,
  quorumRead,
} from "./proposer.ts";
import { type ControllerRef, controllerRegions, controllerStub, withTimeout } from "./reach-controller.ts";
import {
  type AcceptAnswer,
  type AcceptedRegister,
  type PeekAnswer,
  type PrepareAnswer,
  type RegisterKind,
  RegisterStore,
  type Versioned,
} from "./register-store.ts";

/** How long a proposer waits for one other replica's answer: a hung region must not hold a change up. */
export const PEER_TIMEOUT_MS = 2_000;

type ControllerQuorumEnv = Pick<EdgeLogEnv, "TOPICS" | "REGIONS" | "EDGELOG_FAULTS">;

export class ControllerQuorum {
  readonly store: RegisterStore;
  readonly #env: ControllerQuorumEnv;
  readonly #storage: DurableObjectStorage;
  readonly #members: readonly string[];
  #self: ControllerRef | null;
  #index = -1;
  /** The ballot counter: above every ballot this replica promised or proposed. */
  #counter: number;
  #sync: PeerSync | null = null;
  /** Whether this replica holds the state of the current membership (the first always does). */
  #joined = false;
  /** Peers the first replica tried to let join inline already (afterwards its alarm keeps trying). */
  readonly #joinTried = new Set<string>();

  constructor(storage: DurableObjectStorage, env: ControllerQuorumEnv) {
    this.#storage = storage;
    this.#env = env;
    this.#members = controllerRegions(env);
    this.store = new RegisterStore(storage);
    this.#counter = counterOf(this.store.highestPromise());
    this.#self = null;
    const identity = this.store.identity();
    // A region since removed from REGIONS is no replica any more: it waits to be told who it is (and refuses).
    if (identity !== null && this.#members.includes(identity.region)) this.#become(identity);
  }

  /** Every call names the replica it is for: the first one teaches the object who it is. */
  enter(ref: ControllerRef): void {
    if (this.#self?.prefix === ref.prefix && this.#self.region === ref.region) return;
    if (!this.#members.includes(ref.region)) {
      throw new EdgeLogError("NOT_CONTROLLER", `${ref.region} is not one of the controller's regions`, {
        context: { region: ref.region },
      });
    }
    this.store.remember(ref);
    this.#become(ref);
  }

  /** Refuses to answer from a table that may lack the deployment's state (a replica still joining). */
  assertJoined(): void {
    if (this.#joined) return;
    throw new EdgeLogError(
      "NOT_CONTROLLER",
      `controller replica ${this.#self?.region ?? "?"} has not joined the quorum (${this.#membership()}) yet`,
      { context: { region: this.#self?.region ?? null } },
    );
  }

  /** Runs `change` on a register through a majority; answers the value written. */
  async change(kind: RegisterKind, key: string, change: Change): Promise<string | null> {
    await this.#prepareQuorum();
    return propose(this.#quorum(), kind, key, change);
  }

  /** The register's value as a majority holds it (`proposer.quorumRead`). */
  async read(kind: RegisterKind, key: string): Promise<string | null> {
    await this.#prepareQuorum();
    return quorumRead(this.#quorum(), kind, key);
  }

  // ── the acceptor calls of other replicas ────────────────────────────────────────────────────────────────────

  prepare(kind: RegisterKind, key: string, ballot: number): PrepareAnswer {
    this.assertJoined();
    this.#counter = Math.max(this.#counter, counterOf(ballot));
    return this.store.prepare(kind, key, ballot);
  }

  accept(kind: RegisterKind, key: string, ballot: number, next: Versioned): AcceptAnswer {
    this.assertJoined();
    return this.store.accept(kind, key, ballot, next);
  }

  peek(kind: RegisterKind, key: string): PeekAnswer {
    this.assertJoined();
    return this.store.peek(kind, key);
  }

  /** Catch-up from another replica; with `joined`, this replica now holds the state of that membership. */
  install(registers: readonly AcceptedRegister[], joined?: string): void {
    for (const register of registers) this.store.install(register);
    if (joined !== undefined && joined === this.#membership()) {
      this.store.join(joined);
      this.#joined = true;
    }
  }

  /** The alarm: peers that missed changes or have not joined are brought up to date. */
  async alarm(): Promise<void> {
    await this.#peerSync()?.syncAll();
  }

  // ── helpers ─────────────────────────────────────────────────────────────────────────────────────────────────

  #become(self: ControllerRef): void {
    this.#self = self;
    this.#index = this.#members.indexOf(self.region);
    this.#sync = null;
    this.#joined = this.#index === 0 || this.store.joined() === this.#membership();
    // First contact of the first replica with a membership whose peers have not joined: start at once.
    if ((this.#peerSync()?.unjoined().length ?? 0) > 0) this.#schedule(0);
  }

  #membership(): string {
    return this.#members.join(",");
  }

  /** The first replica lets peers join before it proposes (once inline; its alarm retries); others must have. */
  async #prepareQuorum(): Promise<void> {
    this.assertJoined();
    const sync = this.#peerSync();
    if (sync === null) return;
    const pending = sync.unjoined().filter((region) => !this.#joinTried.has(region));
    for (const region of pending) this.#joinTried.add(region);
    await Promise.all(pending.map((region) => sync.sync(region)));
  }

  #peerSync(): PeerSync | null {
    const self = this.#self;
    if (self === null || this.#members.length === 1) return null;
    this.#sync ??= new PeerSync(this.store, {
      membership: this.#membership(),
      peers: this.#members.filter((region) => region !== self.region),
      first: this.#index === 0,
      port: (region) => async (registers, joined) => {
        await this.#call(region, (stub, ref) => stub.controllerInstall(ref, [...registers], joined));
      },
      schedule: (delayMs) => this.#schedule(delayMs),
    });
    return this.#sync;
  }

  #quorum(): Quorum {
    const self = this.#self as ControllerRef;
    const store = this.store;
    const acceptors = this.#members.map(
      (region): AcceptorPort =>
        region === self.region
          ? {
              region,
              prepare: async (kind, key, ballot) => store.prepare(kind, key, ballot),
              accept: async (kind, key, ballot, next) => store.accept(kind, key, ballot, next),
              peek: async (kind, key) => store.peek(kind, key),
              repair: async (kind, key, accepted, { value, changes }) =>
                void store.install({ kind, key, accepted, value, changes }),
            }
          : {
              region,
              prepare: (kind, key, ballot) =>
                this.#call(region, (stub, ref) => stub.controllerPrepare(ref, kind, key, ballot)),
              accept: (kind, key, ballot, { value, changes }) =>
                this.#call(region, (stub, ref) =>
                  stub.controllerAccept(ref, kind, key, ballot, { value, changes: [...changes] }),
                ),
              peek: (kind, key) => this.#call(region, (stub, ref) => stub.controllerPeek(ref, kind, key)),
              repair: (kind, key, accepted, { value, changes }) =>
                this.#call(region, (stub, ref) =>
                  stub.controllerInstall(ref, [{ kind, key, accepted, value, changes: [...changes] }]),
                ).then(() => undefined),
            },
    );
    return {
      acceptors,
      nextBallot: (atLeast) => {
        this.#counter = Math.max(this.#counter, counterOf(atLeast)) + 1;
        return ballotOf(this.#counter, this.#index);
      },
      missed: (region, kind, key) => this.#peerSync()?.missed(region, this.store.seqOf(kind, key)),
    };
  }

  /** One call to another replica: refused when either region is cut off, and bounded in time. */
  async #call<T>(
    region: string,
    call: (stub: ReturnType<typeof controllerStub>, ref: ControllerRef) => Promise<RpcResult<T>>,
  ): Promise<T> {
    const self = this.#self as ControllerRef;
    // A region cut off reaches nobody, and nobody reaches it.
    assertReachable(this.#env, self.prefix, self.region);
    assertReachable(this.#env, self.prefix, region);
    const ref = { prefix: self.prefix, region };
    const stub = controllerStub(this.#env, ref, this.#members.indexOf(region));
    return unwrap(await withTimeout(call(stub, ref), PEER_TIMEOUT_MS, region));
  }

  /** Arms the alarm `delayMs` from now unless it rings sooner already (misses keep coming while a peer is out). */
  #schedule(delayMs: number): void {
    this.wakeAt(Date.now() + delayMs);
  }

  /**
   * Makes the replica's alarm ring no later than `at`: the one alarm of the object, shared by the catch-up here and
   * the controller's failover and election re-sending.
   */
  wakeAt(at: number): void {
    const arm = async () => {
      const current = await this.#storage.getAlarm();
      if (current === null || current > at) await this.#storage.setAlarm(at);
    };
    arm().catch((error: unknown) => console.error("edgelog: could not arm the controller's alarm", error));
  }
}
