/**
 * @module
 * The Worker's bindings (see wrangler.toml). The namespaces are typed opaquely here so the app compiles and tests
 * in Node without Cloudflare's global types; only the store factory in `index.ts` looks inside them.
 */

/** A Durable Object namespace binding; `@edgelog/durable-objects` knows its real type. */
export type DurableObjectNamespaceBinding = object;

export interface Env {
  /** One `PartitionObject` per topic partition. */
  readonly PARTITIONS: DurableObjectNamespaceBinding;
  /** The topic registry (`TopicsObject`). */
  readonly TOPICS: DurableObjectNamespaceBinding;
  /** One `GroupObject` per consumer group. */
  readonly GROUPS: DurableObjectNamespaceBinding;
  /** Comma-separated location hints that lead partitions, e.g. `"wnam,weur"`. */
  readonly REGIONS?: string;
  /** Comma-separated origins allowed by CORS; `"*"` allows any. */
  readonly ALLOWED_ORIGINS?: string;
  /** How long a `/ds` long-poll waits for data, in ms (default 20000). */
  readonly DS_LONG_POLL_TIMEOUT_MS?: string;
}
