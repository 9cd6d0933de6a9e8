/**
 * @module
 * The development fault switch: makes a region's objects unreachable to the others (a region outage), slow to
 * reach (a distant or congested region), or deaf to replication (one direction of a link down), so replication
 * and failover can be tested and measured where Miniflare ignores location hints. It exists only when the
 * deployment sets `EDGELOG_FAULTS=true` (never in a deployed Worker by default): without the variable every
 * check passes at no cost and setting a fault is refused.
 *
 * Every call that crosses into a region goes through {@link crossRegion} — the store's calls to a partition, a
 * leader's pushes to its followers, a replica's calls to the controller, the controller's election messages — so
 * a new call site that uses it gets all three faults at once.
 *
 * The latency model (what the benchmark's "simulated round trip" means): a region's `latencyMs` is the round trip
 * between it and anywhere else, paid once, before a call into the region is delivered. So the client's Worker →
 * leader in R costs R's latency, leader → follower in F costs F's, and a call within one region (or to the
 * controller, which has no region yet) costs nothing. With every region at 30 ms, an `acks: 1` produce pays one
 * 30 ms round trip and an `acks: "all"` produce two (the pushes to the followers run in parallel).
 *
 * The switch is per isolate. That is enough where it is meant to run — workerd under vitest and `wrangler dev`
 * run the Worker and all its objects in one isolate.
 */
import { EdgeLogError } from "@edgelog/core";
import { sleep } from "@edgelog/core/store-kit";

/** Longest simulated latency: a minute, past every timeout a slow region is meant to trip. */
export const MAX_REGION_LATENCY_MS = 60_000;

/** Unreachable regions by namespace prefix, so independent logs in one isolate (tests) do not see each other's faults. */
const unreachable = new Map<string, Set<string>>();
/** Regions whose replication messages are dropped, by namespace prefix. */
const dropping = new Map<string, Set<string>>();
/** Added round trip of calls into a region (ms, > 0), by namespace prefix and region. */
const latencies = new Map<string, Map<string, number>>();

export interface FaultEnv {
  readonly EDGELOG_FAULTS?: string | undefined;
}

/** The faults in force on one region. */
export interface RegionFaults {
  readonly unreachable: boolean;
  readonly latencyMs: number;
  readonly dropReplication: boolean;
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

function assertEnabled(env: FaultEnv): void {
  if (!faultsEnabled(env)) throw new EdgeLogError("NOT_FOUND", "fault injection is disabled");
}

function toggle(
  env: FaultEnv,
  faults: Map<string, Set<string>>,
  prefix: string,
  region: string,
  value: boolean,
): void {
  assertEnabled(env);
  let regions = faults.get(prefix);
  if (regions === undefined) {
    regions = new Set();
    faults.set(prefix, regions);
  }
  if (value) regions.add(region);
  else regions.delete(region);
}

/**
 * Makes every call into `region` wait `ms` first (0 clears): an integer in 0..{@link MAX_REGION_LATENCY_MS}, else
 * `INVALID_REQUEST`; `NOT_FOUND` when faults are disabled.
 */
export function setRegionLatency(env: FaultEnv, prefix: string, region: string, ms: number): void {
  assertEnabled(env);
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > MAX_REGION_LATENCY_MS) {
    throw new EdgeLogError(
      "INVALID_REQUEST",
      `latencyMs must be an integer from 0 to ${MAX_REGION_LATENCY_MS} (ms), got ${String(ms)}`,
      { context: { region } },
    );
  }
  let regions = latencies.get(prefix);
  if (regions === undefined) {
    regions = new Map();
    latencies.set(prefix, regions);
  }
  if (ms > 0) regions.set(region, ms);
  else regions.delete(region);
}

/** The faults in force on `region` under `prefix` (none when faults are disabled). */
export function regionFaults(env: FaultEnv, prefix: string, region: string): RegionFaults {
  if (!faultsEnabled(env)) return { unreachable: false, latencyMs: 0, dropReplication: false };
  return {
    unreachable: unreachable.get(prefix)?.has(region) === true,
    latencyMs: latencies.get(prefix)?.get(region) ?? 0,
    dropReplication: dropping.get(prefix)?.has(region) === true,
  };
}

/** The regions currently unreachable under `prefix` (empty when faults are disabled). */
export function unreachableRegions(env: FaultEnv, prefix: string): string[] {
  return faultsEnabled(env) ? [...(unreachable.get(prefix) ?? [])] : [];
}

/** Whether calls into `region` get through (always, when faults are disabled). */
export function regionReachable(env: FaultEnv, prefix: string, region: string): boolean {
  return !(faultsEnabled(env) && unreachable.get(prefix)?.has(region) === true);
}

/**
 * What every call from one place to another goes through before it is sent: fails as a timeout when either end's
 * region is unreachable, else waits the latency of the region it goes `to` (not within one region). `from` is the
 * caller's region, absent for the Worker; `to` the callee's, absent for the controller. Reachability is checked
 * again after the wait: a region that went down while the call was on its way does not receive it.
 */
export async function crossRegion(
  env: FaultEnv,
  prefix: string,
  route: { readonly from?: string | undefined; readonly to?: string | undefined },
): Promise<void> {
  if (!faultsEnabled(env)) return;
  const check = (): void => {
    if (route.from !== undefined) assertReachable(env, prefix, route.from);
    if (route.to !== undefined) assertReachable(env, prefix, route.to);
  };
  check();
  if (route.to === undefined || route.to === route.from) return;
  const ms = latencies.get(prefix)?.get(route.to) ?? 0;
  if (ms === 0) return;
  await sleep(ms);
  check();
}

/**
 * Throws what a call into an unreachable region ends with (a timeout), when the switch says so. Synchronous, for
 * the one place that must refuse before it awaits anything (the controller, before it records an election);
 * calls themselves go through {@link crossRegion}.
 */
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

/**
 * Controller messages (election announcements) to a region lost after they were sent: the region stays reachable
 * before the election is recorded, so only the announcement fails — a new leader that timed out after the record
 * was written, the case the controller re-sends for.
 */
const controlDropped = new Map<string, Set<string>>();

/** Drops the controller's election messages to `region` (or delivers them again); `NOT_FOUND` when faults are disabled. */
export function setControlDropped(env: FaultEnv, prefix: string, region: string, value: boolean): void {
  toggle(env, controlDropped, prefix, region, value);
}

/** Throws what a lost controller message ends with (a timeout), when messages to `region` are dropped. */
export function assertControlDelivered(env: FaultEnv, prefix: string, region: string): void {
  if (faultsEnabled(env) && controlDropped.get(prefix)?.has(region) === true) {
    throw new EdgeLogError(
      "REQUEST_TIMED_OUT",
      `controller message to ${region} is dropped (fault injection)`,
      {
        context: { region },
      },
    );
  }
}
