/**
 * @module
 * The nemesis: runs a fault schedule's operations against a deployment through a narrow {@link FaultTarget}
 * (the store's fault switch and elections in workerd, the HTTP routes through `wrangler dev`), keeps what it
 * broke so it can heal everything at the end, and writes one trace line per operation — what it did, or why it
 * skipped it (an operation that does not apply in the state the earlier ones left is skipped, never forced).
 *
 * How a failover happens is pluggable ({@link Failover}): today an admin election of an in-sync replica after
 * the leader's region went down ({@link electInSyncReplica}); once the controller fails over by itself,
 * {@link awaitControllerFailover} waits for it instead.
 */
import type { Election } from "./history.ts";
import { describeOp, type FaultOp } from "./schedule.ts";

export interface PartitionLeadership {
  readonly leader: string;
  readonly replicas: readonly string[];
  readonly isr: readonly string[];
  readonly leaderEpoch: number;
}

/** What the nemesis may do to a deployment. */
export interface FaultTarget {
  leadership(partition: number): Promise<PartitionLeadership>;
  setRegionUnreachable(region: string, unreachable: boolean): Promise<void>;
  /** Drops replication pushes to `region`; absent where the switch is not reachable (then the region is cut off). */
  readonly setReplicationDropped?: (region: string, dropped: boolean) => Promise<void>;
  elect(partition: number, region: string): Promise<PartitionLeadership>;
  /** The region whose outage takes the controller down; needed only by `controllerRegionDown`. */
  readonly controllerRegion?: () => Promise<string>;
}

export interface FailoverContext {
  readonly target: FaultTarget;
  /** Regions currently unreachable. */
  readonly down: ReadonlySet<string>;
  /** Records what an election answered, for the one-leader-per-epoch check. */
  readonly recordElection: (election: Election) => void;
}

/** Moves leadership of `partition` away from `from` (whose region is down); answers a trace fragment. */
export type Failover = (context: FailoverContext, partition: number, from: string) => Promise<string>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const codeOf = (error: unknown): string =>
  typeof error === "object" && error !== null && "code" in error ? String(error.code) : String(error);

/** Codes an election may answer while the in-sync set or leadership is changing under it: look again, retry. */
const RETRY_ELECTION = new Set([
  "ELIGIBLE_LEADERS_NOT_AVAILABLE",
  "ELECTION_NOT_NEEDED",
  "REQUEST_TIMED_OUT",
]);

/**
 * Today's failover: the admin election (Kafka's ElectLeaders) of the first in-sync replica, in replica order,
 * whose region is up. With none, the partition stays unavailable until a region comes back — as in Kafka without
 * unclean election — and the trace says so.
 */
export const electInSyncReplica: Failover = async ({ target, down, recordElection }, partition, from) => {
  // The in-sync set read may be stale (over HTTP, while the leader is down): a candidate refused is skipped once.
  const refused = new Set<string>();
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await target.leadership(partition);
    if (current.leader !== from) return `already led by ${current.leader} (epoch ${current.leaderEpoch})`;
    const candidate = current.isr.find(
      (region) => region !== from && !down.has(region) && !refused.has(region),
    );
    if (candidate === undefined) {
      return `no reachable in-sync replica (isr ${current.isr.join(",")}): unavailable until a region returns`;
    }
    try {
      const elected = await target.elect(partition, candidate);
      recordElection({ partition, leader: elected.leader, leaderEpoch: elected.leaderEpoch });
      return `elected ${elected.leader} (epoch ${elected.leaderEpoch}, isr ${elected.isr.join(",")})`;
    } catch (error) {
      if (!RETRY_ELECTION.has(codeOf(error))) throw error;
      refused.add(candidate);
      await sleep(100 * (attempt + 1));
    }
  }
  return "election refused 5 times: leadership unchanged";
};

/**
 * The controller's own failover: it notices the unreachable leader by itself; wait (bounded) until it moved. Also a
 * liveness check: when an in-sync replica stayed reachable all along, the controller had to elect one — not doing so
 * within `timeoutMs` fails the run (with no reachable in-sync replica, staying leaderless is right and is traced).
 */
export function awaitControllerFailover(timeoutMs: number): Failover {
  return async ({ target, down, recordElection }, partition, from) => {
    const deadline = Date.now() + timeoutMs;
    let eligible: string[] = [];
    while (Date.now() < deadline) {
      const current = await target.leadership(partition);
      if (current.leader !== from) {
        recordElection({ partition, leader: current.leader, leaderEpoch: current.leaderEpoch });
        return `controller elected ${current.leader} (epoch ${current.leaderEpoch})`;
      }
      eligible = current.isr.filter((region) => region !== from && !down.has(region));
      await sleep(100);
    }
    if (eligible.length > 0) {
      throw new Error(
        `liveness: the controller did not fail p${partition} over from ${from} within ${timeoutMs} ms although ` +
          `${eligible.join(",")} stayed in sync and reachable`,
      );
    }
    return `controller did not fail over within ${timeoutMs} ms: no reachable in-sync replica`;
  };
}

export interface NemesisOptions {
  readonly failover: Failover;
  /** Regions that may be down at once (replicas − min.insync.replicas keeps acks=all available). */
  readonly maxDown: number;
  /** Resolves once `acks` more records were acknowledged, or its budget ran out. */
  readonly waitForAcks: (acks: number) => Promise<void>;
}

export class Nemesis {
  readonly trace: string[] = [];
  readonly elections: Election[] = [];
  readonly #target: FaultTarget;
  readonly #options: NemesisOptions;
  readonly #down = new Set<string>();
  readonly #dropped = new Set<string>();
  /** Followers cut off in place of a replication drop (no drop switch): they count as down. */
  readonly #cutOff = new Set<string>();

  constructor(target: FaultTarget, options: NemesisOptions) {
    this.#target = target;
    this.#options = options;
  }

  async run(op: FaultOp): Promise<void> {
    const line = await this.#apply(op);
    this.trace.push(`${describeOp(op)}: ${line}`);
  }

  /** Every region reachable and every link delivering again. */
  async healAll(): Promise<void> {
    const healed = [...this.#down, ...this.#dropped];
    await this.#back();
    await this.#healFollowers();
    this.trace.push(`heal: ${healed.length === 0 ? "nothing broken" : healed.join(", ")}`);
  }

  async #apply(op: FaultOp): Promise<string> {
    switch (op.op) {
      case "leaderDown": {
        const { leader } = await this.#target.leadership(op.partition);
        return (
          this.#takeDown(leader) ?? (await this.#setDown(leader, `${leader} (leads p${op.partition}) down`))
        );
      }
      case "leaderBack": {
        if (this.#down.size === this.#cutOff.size) return "skipped: no region down";
        return `${await this.#back()} back`;
      }
      case "followerPartitioned":
        return this.#partition(op.region);
      case "healFollower": {
        if (this.#dropped.size === 0 && this.#cutOff.size === 0) return "skipped: no follower partitioned";
        return `${await this.#healFollowers()} delivered again`;
      }
      case "failover":
        return this.#failover(op.partition);
      case "doubleFailover": {
        const first = await this.#failover(op.partition);
        const returned = await this.#back();
        const second = await this.#failover(op.partition);
        return `${first}; ${returned || "nobody"} back; then ${second}`;
      }
      case "controllerRegionDown": {
        const controllerRegion = this.#target.controllerRegion;
        if (controllerRegion === undefined)
          throw new Error("controllerRegionDown needs target.controllerRegion");
        const region = await controllerRegion();
        return this.#takeDown(region) ?? (await this.#setDown(region, `${region} (controller) down`));
      }
      case "pause":
        await this.#options.waitForAcks(op.acks);
        return "waited";
    }
  }

  /** Why `region` cannot go down now, or `undefined` when it can. */
  #takeDown(region: string): string | undefined {
    if (this.#down.has(region)) return `skipped: ${region} is already down`;
    if (this.#down.size >= this.#options.maxDown) {
      return `skipped: ${[...this.#down].join(",")} already down (at most ${this.#options.maxDown})`;
    }
    return undefined;
  }

  async #setDown(region: string, line: string): Promise<string> {
    await this.#target.setRegionUnreachable(region, true);
    this.#down.add(region);
    return line;
  }

  async #failover(partition: number): Promise<string> {
    const { leader } = await this.#target.leadership(partition);
    let line = "";
    if (!this.#down.has(leader)) {
      const refused = this.#takeDown(leader);
      if (refused !== undefined) return refused;
      line = await this.#setDown(leader, `${leader} down, `);
    }
    const context = {
      target: this.#target,
      down: this.#down,
      recordElection: (election: (typeof this.elections)[number]) => this.elections.push(election),
    };
    return line + (await this.#options.failover(context, partition, leader));
  }

  async #partition(region: string): Promise<string> {
    const drop = this.#target.setReplicationDropped;
    if (drop !== undefined) {
      if (this.#dropped.has(region)) return `skipped: replication to ${region} is already dropped`;
      await drop(region, true);
      this.#dropped.add(region);
      return `replication to ${region} dropped`;
    }
    const refused = this.#takeDown(region);
    if (refused !== undefined) return refused;
    this.#cutOff.add(region);
    return this.#setDown(region, `${region} cut off (no replication-drop switch here)`);
  }

  /** Brings back every region that went down (not the followers cut off in place of a drop); answers them. */
  async #back(): Promise<string> {
    const back = [...this.#down].filter((region) => !this.#cutOff.has(region));
    for (const region of back) {
      await this.#target.setRegionUnreachable(region, false);
      this.#down.delete(region);
    }
    return back.join(",");
  }

  async #healFollowers(): Promise<string> {
    const healed = [...this.#dropped, ...this.#cutOff];
    for (const region of this.#dropped) await this.#target.setReplicationDropped?.(region, false);
    this.#dropped.clear();
    for (const region of this.#cutOff) {
      await this.#target.setRegionUnreachable(region, false);
      this.#down.delete(region);
    }
    this.#cutOff.clear();
    return healed.join(",");
  }
}
