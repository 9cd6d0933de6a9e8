/**
 * @module
 * The development fault switch: makes every object of a region unreachable to the others, as a region outage
 * would, so replication and failover can be tested where Miniflare ignores location hints. It exists only when
 * the deployment sets `EDGELOG_FAULTS=true` (never in a deployed Worker by default): without the variable every
 * check passes and setting a fault is refused.
 *
 * A second switch drops the replication messages (leader → follower pushes) sent to a region while everything
 * else — clients, the controller, its own pushes — still gets through: one direction of a link down.
 *
 * The switch is per isolate. That is enough where it is meant to run — workerd under vitest and `wrangler dev`
 * run the Worker and all its objects in one isolate — and it costs no call: a check is a set lookup.
 */
import { EdgeLogError } from "@edgelog/core";

/** Unreachable regions by namespace prefix, so independent logs in one isolate (tests) do not see each other's faults. */
const unreachable = new Map<string, Set<string>>();
/** Regions whose replication messages are dropped, by namespace prefix. */
const dropping = new Map<string, Set<string>>();

export interface FaultEnv {
  readonly EDGELOG_FAULTS?: string | undefined;
}

export function faultsEnabled(env: FaultEnv): boolean {
  return env.EDGELOG_FAULTS === "true";
}

/** Marks `region` reachable or not for the log under `prefix`; `NOT_FOUND` when faults are disabled. */
export function setRegionUnreachable(env: FaultEnv, prefix: string, region: string, value: boolean): void {
  toggle(env, unreachable, prefix, region, value);
}

/** Drops the replication pushes sent to `region` (or delivers them again); `NOT_FOUND` when faults are disabled. */
export function setReplicationDropped(env: FaultEnv, prefix: string, region: string, value: boolean): void {
  toggle(env, dropping, prefix, region, value);
}

function toggle(
  env: FaultEnv,
  faults: Map<string, Set<string>>,
  prefix: string,
  region: string,
  value: boolean,
): void {
  if (!faultsEnabled(env)) throw new EdgeLogError("NOT_FOUND", "fault injection is disabled");
  let regions = faults.get(prefix);
  if (regions === undefined) {
    regions = new Set();
    faults.set(prefix, regions);
  }
  if (value) regions.add(region);
  else regions.delete(region);
}

/** The regions currently unreachable under `prefix` (empty when faults are disabled). */
export function unreachableRegions(env: FaultEnv, prefix: string): string[] {
  return faultsEnabled(env) ? [...(unreachable.get(prefix) ?? [])] : [];
}

/** Whether calls into `region` get through (always, when faults are disabled). */
export function regionReachable(env: FaultEnv, prefix: string, region: string): boolean {
  return !(faultsEnabled(env) && unreachable.get(prefix)?.has(region) === true);
}

/** Throws what a call into an unreachable region ends with (a timeout), when the switch says so. */
export function assertReachable(env: FaultEnv, prefix: string, region: string): void {
  if (!regionReachable(env, prefix, region)) {
    throw new EdgeLogError("REQUEST_TIMED_OUT", `region ${region} is unreachable (fault injection)`, {
      context: { region },
    });
  }
}

/** Throws what a dropped replication message ends with (a timeout), when pushes to `to` are dropped. */
export function assertReplicationDelivered(env: FaultEnv, prefix: string, from: string, to: string): void {
  if (!faultsEnabled(env)) return;
  if (dropping.get(prefix)?.has(to) === true) {
    throw new EdgeLogError("REQUEST_TIMED_OUT", `replication ${from} → ${to} is dropped (fault injection)`, {
      context: { from, to },
    });
  }
}
