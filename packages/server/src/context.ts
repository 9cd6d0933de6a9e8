/**
 * @module
 * The Hono environment every route shares: the variables the server reads from the env and the request's
 * `LogStore`, plus the optional extras a Durable Object store offers (partition placement by region), detected
 * rather than required so the same app runs over the memory store in tests.
 */
import type { LogStore, TopicMetadata, TopicPartition, TopicSpec } from "@edgelog/core";
import type { PartitionReplication } from "@edgelog/core/store-kit";
import type { Scopes } from "./auth/scopes.ts";
import type { ServerEnv } from "./env.ts";
import type { RequestQuota } from "./quota/charge.ts";
import type { RequestReadCache } from "./read-cache/option.ts";

export interface AppEnv {
  Bindings: ServerEnv;
  Variables: {
    store: LogStore;
    now: () => number;
    random: () => number;
    /** The path the app is mounted under, as sent: `""` when it serves the root (see `mount.ts`). */
    mountPath: string;
    /** What the request's token allows (every right when the deployment runs open). */
    rights: Scopes;
    /**
     * When the request's token stops verifying, on `now`'s clock (`Infinity` when open): long-polls and live
     * tails end by then, so a connection never outlives its token.
     */
    sessionEndsAt: number;
    /** The verified token's `sub` claim; unset without a token, when it has none, or when running open. */
    tokenSubject: string | undefined;
    /** The quota gate and limits for this request, or `null` when quotas are off. */
    quota: RequestQuota | null;
    /** Whether this request's catch-up reads may be cached, how long, and where (`read-cache/option.ts`). */
    readCache: RequestReadCache;
  };
}

/** Where a partition's Durable Object lives (a location hint such as `wnam`). */
export interface PartitionPlacement {
  readonly partition: number;
  /** The leader's region (the one copy's, unreplicated). */
  readonly region: string;
  /** A replicated partition's replica set as its controller records it. */
  readonly replication?: PartitionReplication;
}

/**
 * What `DurableObjectLogStore` adds to `LogStore`: placement per topic, topic creation spread over regions or
 * replicated in several. Declared structurally so this app (and its Node tests) need not import the Durable
 * Object package.
 */
export interface RegionAwareStore extends LogStore {
  placement(topic: string): Promise<readonly PartitionPlacement[]>;
  createTopicIn(
    spec: TopicSpec,
    regions?: readonly string[],
    replicas?: readonly string[],
  ): Promise<TopicMetadata>;
}

export function isRegionAware(store: LogStore): store is RegionAwareStore {
  const candidate = store as Partial<RegionAwareStore>;
  return typeof candidate.placement === "function" && typeof candidate.createTopicIn === "function";
}

/** A store that can move a replicated partition's leadership (the Durable Object store). */
export interface LeaderElectionStore extends LogStore {
  electLeader(tp: TopicPartition, region: string): Promise<PartitionReplication>;
}

export function canElectLeaders(store: LogStore): store is LeaderElectionStore {
  return typeof (store as Partial<LeaderElectionStore>).electLeader === "function";
}

/** The faults in force on one region, as the fault switch reports them. */
export interface RegionFaults {
  readonly unreachable: boolean;
  readonly latencyMs: number;
  readonly dropReplication: boolean;
}

/** A store with the development fault switch (the Durable Object store, when `EDGELOG_FAULTS=true`). */
export interface FaultSwitchStore extends LogStore {
  setRegionUnreachable(region: string, unreachable: boolean): void;
  /** Every call into `region` waits `ms` first (0 clears); the store refuses a value out of its bounds. */
  setRegionLatency(region: string, ms: number): void;
  setReplicationDropped(region: string, dropped: boolean): void;
  regionFaults(region: string): RegionFaults;
  unreachableRegions(): string[];
}

export function hasFaultSwitch(store: LogStore): store is FaultSwitchStore {
  const candidate = store as Partial<FaultSwitchStore>;
  return (
    typeof candidate.setRegionUnreachable === "function" &&
    typeof candidate.setRegionLatency === "function" &&
    typeof candidate.setReplicationDropped === "function" &&
    typeof candidate.regionFaults === "function" &&
    typeof candidate.unreachableRegions === "function"
  );
}

/** Cloudflare's Durable Object location hints, the only values `regions` may name. */
export const LOCATION_HINTS: readonly string[] = [
  "wnam",
  "enam",
  "sam",
  "weur",
  "eeur",
  "apac",
  "oc",
  "afr",
  "me",
];

/** The deployment's regions from `REGIONS` (comma-separated), or none when the variable is unset. */
export function deploymentRegions(env: { REGIONS?: string | undefined } | undefined): string[] {
  return [
    ...new Set(
      (env?.REGIONS ?? "")
        .split(",")
        .map((region) => region.trim())
        .filter((region) => region.length > 0),
    ),
  ];
}

/**
 * The regions a request may name (to lead, replicate to, elect or cut off): the deployment's `REGIONS` when set,
 * since nothing can live where the deployment does not run; otherwise any location hint.
 */
export function allowedRegions(env: { REGIONS?: string | undefined } | undefined): readonly string[] {
  const deployment = deploymentRegions(env);
  return deployment.length > 0 ? deployment : LOCATION_HINTS;
}
