/**
 * @module
 * Bringing controller replicas up to date. Paxos needs only a majority to hold each change, but a replica that
 * missed changes (its region was cut off) answers reads a change behind, and a replica that never held the
 * deployment's state (a region newly added to `REGIONS`) must not count towards a majority before it does: its
 * empty table would outvote the replica that holds every topic. So:
 *
 * - **catch-up**: a proposer notes each replica that missed one of its changes and, from its alarm, sends it the
 *   registers it accepted since (a late phase 2 message each: the receiver's own acceptor rule decides);
 * - **join**: the first replica sends a replica that has not joined the current membership everything it holds,
 *   then marks it joined. Until then that replica refuses to promise, accept or answer reads (`NOT_CONTROLLER`).
 */
import type { AcceptedRegister, RegisterStore } from "./register-store.ts";

/** Bytes of register values one catch-up call carries at most (a Workers RPC message is capped at 32 MiB). */
export const CATCH_UP_PAGE_BYTES = 4 * 1024 * 1024;
/** Registers one catch-up call carries at most. */
export const CATCH_UP_PAGE_REGISTERS = 512;
/** How soon a replica tries again to catch up a peer it could not reach. */
export const CATCH_UP_RETRY_MS = 1_000;

/** A peer as catch-up reaches it: installs registers (and joins `membership` when given); throws if unreachable. */
export type InstallPort = (registers: AcceptedRegister[], joined?: string) => Promise<void>;

export interface PeerSyncOptions {
  /** The deployment's controller regions, comma-joined: what a replica joins. */
  readonly membership: string;
  /** The other replicas' regions. */
  readonly peers: readonly string[];
  /** Whether this replica is the first, the one that holds the deployment's state and lets others join. */
  readonly first: boolean;
  readonly port: (region: string) => InstallPort;
  /** Arms the alarm that calls `syncAll` again. */
  readonly schedule: (delayMs: number) => void;
}

export class PeerSync {
  readonly #store: RegisterStore;
  readonly #options: PeerSyncOptions;
  /** Peers with a catch-up in flight: one at a time each. */
  readonly #running = new Map<string, Promise<boolean>>();
  /** Misses noted per peer, so a catch-up that raced a new miss does not clear it. */
  readonly #misses = new Map<string, number>();
  /** Peers a catch-up could not reach last time (reported once). */
  readonly #unreachable = new Set<string>();

  constructor(store: RegisterStore, options: PeerSyncOptions) {
    this.#store = store;
    this.#options = options;
  }

  /** A peer missed the change of `kind`/`key`: it may lack everything this replica accepted from there on. */
  missed(region: string, seq: number): void {
    this.#store.markBehind(region, seq);
    this.#misses.set(region, (this.#misses.get(region) ?? 0) + 1);
    this.#options.schedule(CATCH_UP_RETRY_MS);
  }

  /** Peers the first replica still has to let join the current membership (none elsewhere). */
  unjoined(): string[] {
    if (!this.#options.first) return [];
    const joined = new Map(this.#store.peers().map((p) => [p.region, p.joined]));
    return this.#options.peers.filter((region) => joined.get(region) !== this.#options.membership);
  }

  /** Catches up every peer that needs it; true when none is left behind. */
  async syncAll(): Promise<boolean> {
    const unjoined = new Set(this.unjoined());
    const behind = this.#store
      .peers()
      .filter((p) => p.behindFrom !== null && this.#options.peers.includes(p.region))
      .map((p) => p.region);
    const regions = [...new Set([...unjoined, ...behind])];
    const results = await Promise.all(regions.map((region) => this.sync(region)));
    const done = results.every(Boolean);
    if (!done) this.#options.schedule(CATCH_UP_RETRY_MS);
    return done;
  }

  /** Catches `region` up (and lets it join, from the first replica); false when it could not be reached. */
  sync(region: string): Promise<boolean> {
    let running = this.#running.get(region);
    if (running === undefined) {
      running = this.#sync(region).finally(() => this.#running.delete(region));
      this.#running.set(region, running);
    }
    return running;
  }

  async #sync(region: string): Promise<boolean> {
    const join = this.unjoined().includes(region) ? this.#options.membership : undefined;
    const state = this.#store.peers().find((p) => p.region === region);
    let from = join !== undefined ? 0 : (state?.behindFrom ?? null);
    if (from === null) return true;
    const missesBefore = this.#misses.get(region) ?? 0;
    const install = this.#options.port(region);
    try {
      for (;;) {
        const { page, more } = this.#page(from);
        const last = !more;
        await install(
          page.map(({ kind, key, accepted, value, changes }) => ({ kind, key, accepted, value, changes })),
          last ? join : undefined,
        );
        if (page.length > 0) from = (page.at(-1)?.seq ?? from) + 1;
        if (last) break;
      }
    } catch (error) {
      // Once per outage: the alarm retries every second while the region stays out.
      if (!this.#unreachable.has(region))
        console.error(`edgelog: controller replica ${region} not caught up yet`, error);
      this.#unreachable.add(region);
      return false;
    }
    this.#unreachable.delete(region);
    // A miss noted while this ran may concern a change sent before it was accepted here: keep where it starts.
    const raced = (this.#misses.get(region) ?? 0) !== missesBefore;
    this.#store.caughtUp(region, raced ? from : null, join);
    if (raced) this.#options.schedule(CATCH_UP_RETRY_MS);
    return !raced;
  }

  /** The registers changed from `from` on that fit one call, and whether more are left. */
  #page(from: number) {
    const registers = this.#store.changedSince(from, CATCH_UP_PAGE_REGISTERS);
    let bytes = 0;
    const page = [];
    for (const register of registers) {
      bytes += (register.value?.length ?? 0) + register.key.length;
      // Always at least one register, however large (a topic row is far below the RPC cap).
      if (page.length > 0 && bytes > CATCH_UP_PAGE_BYTES) break;
      page.push(register);
    }
    return { page, more: page.length < registers.length || registers.length === CATCH_UP_PAGE_REGISTERS };
  }
}
