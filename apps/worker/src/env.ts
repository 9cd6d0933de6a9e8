/**
 * @module
 * The Worker's bindings (see wrangler.toml): the Durable Object namespaces the store uses, and the variables
 * `@edgelog/server` reads. The namespaces are typed opaquely here; only the store factory in `index.ts` looks
 * inside them.
 */
import type { ServerEnv } from "@edgelog/server";

/** A Durable Object namespace binding; `@edgelog/durable-objects` knows its real type. */
export type DurableObjectNamespaceBinding = object;

export interface Env extends ServerEnv {
  /** One `PartitionObject` per topic partition. */
  readonly PARTITIONS: DurableObjectNamespaceBinding;
  /** The topic registry (`TopicsObject`). */
  readonly TOPICS: DurableObjectNamespaceBinding;
  /** One `GroupObject` per consumer group. */
  readonly GROUPS: DurableObjectNamespaceBinding;
  /** One `ShareGroupObject` per share group. */
  readonly SHARE_GROUPS: DurableObjectNamespaceBinding;
  /** One `QuotaObject` per quota subject (a token's `sub` or a client address). */
  readonly QUOTAS: DurableObjectNamespaceBinding;
  /** Broadcast shards of partitions' live readers (`BroadcastObject`), fed by the partition once per commit. */
  readonly LIVE_SHARDS: DurableObjectNamespaceBinding;
}
