/**
 * @module
 * Fault schedules: the operations a Jepsen-style run may inject, a fast-check generator of sequences of them
 * (which shrinks a failing schedule towards a short one), and a readable rendering for the failure report.
 *
 * The operation table is fixed; what each entry does is the nemesis's (nemesis.ts). Operations a deployment
 * cannot run yet stay in the table behind a flag, so the generator never pretends to exercise them.
 */
import fc from "fast-check";

export type FaultOp =
  /** The region leading `partition` becomes unreachable (the fault switch), as in a region outage. */
  | { readonly op: "leaderDown"; readonly partition: number }
  /** Every region that went down comes back: an old leader returns, to be fenced and truncated. */
  | { readonly op: "leaderBack" }
  /** Replication to `region` is dropped (or, where that switch is missing, the region is cut off). */
  | { readonly op: "followerPartitioned"; readonly region: string }
  /** Replication to every partitioned follower gets through again. */
  | { readonly op: "healFollower" }
  /** The leader's region goes down (if it is not yet) and leadership moves to an in-sync replica. */
  | { readonly op: "failover"; readonly partition: number }
  /** Two failovers back to back: the first leader comes back between them, the second stays down. */
  | { readonly op: "doubleFailover"; readonly partition: number }
  /** The region holding the controller goes down (needs the controller quorum; off until it exists). */
  | { readonly op: "controllerRegionDown" }
  /** Wait until `acks` more records are acknowledged (or the pause budget runs out). */
  | { readonly op: "pause"; readonly acks: number };

export type FaultOpName = FaultOp["op"];

export interface ScheduleOptions {
  readonly partitions: number;
  readonly regions: readonly string[];
  /** Operations left out of the generator: not buildable on this deployment yet (each with the reason). */
  readonly disabled?: ReadonlyMap<FaultOpName, string>;
  /** At most this many operations (default 8). */
  readonly maxOps?: number;
}

/** Generates fault schedules of 1..maxOps operations; shrinking drops operations and simplifies their arguments. */
export function scheduleArbitrary(options: ScheduleOptions): fc.Arbitrary<FaultOp[]> {
  const partition = fc.integer({ min: 0, max: options.partitions - 1 });
  const region = fc.constantFrom(...options.regions);
  const table: Record<FaultOpName, fc.Arbitrary<FaultOp>> = {
    leaderDown: partition.map((p) => ({ op: "leaderDown", partition: p })),
    leaderBack: fc.constant({ op: "leaderBack" }),
    followerPartitioned: region.map((r) => ({ op: "followerPartitioned", region: r })),
    healFollower: fc.constant({ op: "healFollower" }),
    failover: partition.map((p) => ({ op: "failover", partition: p })),
    doubleFailover: partition.map((p) => ({ op: "doubleFailover", partition: p })),
    controllerRegionDown: fc.constant({ op: "controllerRegionDown" }),
    pause: fc.integer({ min: 1, max: 8 }).map((acks) => ({ op: "pause", acks })),
  };
  // Weights: failovers and returns most, so most schedules move leadership and bring old leaders back.
  const weights: Record<FaultOpName, number> = {
    leaderDown: 2,
    leaderBack: 3,
    followerPartitioned: 2,
    healFollower: 2,
    failover: 3,
    doubleFailover: 2,
    controllerRegionDown: 1,
    pause: 2,
  };
  const enabled = (Object.keys(table) as FaultOpName[])
    .filter((name) => !options.disabled?.has(name))
    .map((name) => ({ arbitrary: table[name], weight: weights[name] }));
  return fc.array(fc.oneof(...enabled), { minLength: 1, maxLength: options.maxOps ?? 8 });
}

export function describeOp(op: FaultOp): string {
  switch (op.op) {
    case "leaderDown":
    case "failover":
    case "doubleFailover":
      return `${op.op}(p${op.partition})`;
    case "followerPartitioned":
      return `${op.op}(${op.region})`;
    case "pause":
      return `pause(${op.acks} acks)`;
    default:
      return op.op;
  }
}

/** One line per operation, numbered, e.g. `1. failover(p0)`. */
export function describeSchedule(schedule: readonly FaultOp[]): string {
  return schedule.map((op, i) => `  ${i + 1}. ${describeOp(op)}`).join("\n");
}
