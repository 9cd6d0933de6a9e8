/**
 * @module
 * The Hono environment every route shares: the variables the server reads from the env and the request's
 * `LogStore`, plus the optional extras a Durable Object store offers (partition placement by region), detected
 * rather than required so the same app runs over the memory store in tests.
 */
import type { LogStore, TopicMetadata, TopicSpec } from "@edgelog/core";
import type { Scopes } from "./auth/scopes.ts";
import type { ServerEnv } from "./env.ts";
import type { RequestQuota } from "./quota/charge.ts";

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
    /** The verified token's `sub` claim; unset without a token, when it has none, or when running open. */
    tokenSubject: string | undefined;
    /** The quota gate and limits for this request, or `null` when quotas are off. */
    quota: RequestQuota | null;
  };
}

/** Where a partition's Durable Object lives (a location hint such as `wnam`). */
export interface PartitionPlacement {
  readonly partition: number;
  readonly region: string;
}

/**
 * What `DurableObjectLogStore` adds to `LogStore`: placement per topic, and topic creation spread over regions.
 * Declared structurally so this app (and its Node tests) need not import the Durable Object package.
 */
export interface RegionAwareStore extends LogStore {
  placement(topic: string): Promise<readonly PartitionPlacement[]>;
  createTopicIn(spec: TopicSpec, regions?: readonly string[]): Promise<TopicMetadata>;
}

export function isRegionAware(store: LogStore): store is RegionAwareStore {
  const candidate = store as Partial<RegionAwareStore>;
  return typeof candidate.placement === "function" && typeof candidate.createTopicIn === "function";
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
