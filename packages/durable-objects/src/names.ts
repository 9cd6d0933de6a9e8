/**
 * @module
 * Deterministic Durable Object names. A name fixes an object's identity forever (`idFromName`), so it carries
 * everything that must never be confused: the deployment's namespace prefix (tests give each store its own),
 * the topic *id* rather than its name (a deleted and re-created topic never meets its predecessor's data) and
 * the region whose leader the object is.
 */

/** The region used when a deployment names none (the top-level wrangler.toml's default). */
export const DEFAULT_REGION = "wnam";

/** The metadata object of a namespace: the first controller replica (the only one of a single-region deployment). */
export function topicsObjectName(prefix: string): string {
  return `${prefix}topics`;
}

/**
 * The controller replica of `region`, the `index`-th of the deployment's `REGIONS`: the first keeps the name the
 * one metadata object always had (so a deployment's existing topics stay where they are), the others are
 * `${prefix}topics/${region}`.
 */
export function controllerObjectName(prefix: string, region: string, index: number): string {
  return index === 0 ? topicsObjectName(prefix) : `${prefix}topics/${region}`;
}

/** The object of one consumer group. */
export function groupObjectName(prefix: string, groupId: string): string {
  return `${prefix}group/${groupId}`;
}

/** The object of one share group (a namespace of its own: a share group and a consumer group may share an id). */
export function shareGroupObjectName(prefix: string, groupId: string): string {
  return `${prefix}share-group/${groupId}`;
}

/** The quota object of one subject (`sub:…`, `ip:…`; see `@edgelog/server`'s quota module). */
export function quotaObjectName(prefix: string, subject: string): string {
  return `${prefix}quota/${subject}`;
}

/** The leader object of one partition in one region: `${topicId}/${partition}/${region}`. */
export function partitionObjectName(
  prefix: string,
  topicId: string,
  partition: number,
  region: string,
): string {
  return `${prefix}${topicId}/${partition}/${region}`;
}

/** Regions of a deployment from its `REGIONS` variable (comma-separated location hints); the first is the default. */
export function parseRegions(value: string | undefined): string[] {
  const regions = (value ?? "")
    .split(",")
    .map((region) => region.trim())
    .filter((region) => region.length > 0);
  // A deployment that names no region still needs one name for its objects.
  return regions.length > 0 ? [...new Set(regions)] : [DEFAULT_REGION];
}
