/**
 * @module
 * The bindings edgelog's Durable Objects and their store need, as the Worker's `env` provides them
 * (see the top-level wrangler.toml).
 */
import type { GroupObject } from "./group-object.ts";
import type { BroadcastObject } from "./live/broadcast-object.ts";
import type { PartitionObject } from "./partition-object.ts";
import type { ShareGroupObject } from "./share-group-object.ts";
import type { TopicsObject } from "./topics-object.ts";

export interface EdgeLogEnv {
  readonly PARTITIONS: DurableObjectNamespace<PartitionObject>;
  readonly TOPICS: DurableObjectNamespace<TopicsObject>;
  readonly GROUPS: DurableObjectNamespace<GroupObject>;
  /**
   * One object per share group (KIP-932). Optional so a deployment from before share groups still type-checks;
   * without it, share-group calls answer `UNSUPPORTED_VERSION`.
   */
  readonly SHARE_GROUPS?: DurableObjectNamespace<ShareGroupObject>;
  /**
   * Broadcast shards of partitions' live readers (`live/broadcast-object.ts`). Optional: without it a partition
   * holds all its live sockets itself (up to `MAX_LIVE_SOCKETS`).
   */
  readonly LIVE_SHARDS?: DurableObjectNamespace<BroadcastObject>;
  /** Live sockets a partition (and each of its shards) holds before the next goes to a shard; default 400. */
  readonly EDGELOG_LIVE_SOCKETS_PER_OBJECT?: string;
  /** Comma-separated location hints (`wnam,weur`); the first is where partitions go unless a topic says otherwise. */
  readonly REGIONS: string;
  /** `"true"` only in development: enables the fault switch (`replication/fault-switch.ts`). */
  readonly EDGELOG_FAULTS?: string;
  /**
   * How long a partition leader may fail calls before the controller elects another (ms; Kafka's
   * `broker.session.timeout.ms`). Default 9000; see `replication/failover-controller.ts`.
   */
  readonly EDGELOG_LEADER_SESSION_TIMEOUT_MS?: string;
}
