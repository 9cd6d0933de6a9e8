/**
 * @module
 * `@edgelog/durable-objects`: edgelog on Cloudflare Durable Objects — the object classes a Worker exports and
 * binds (see wrangler.toml), the `LogStore` that routes to them, and `EdgeLogService`, the Workers binding other
 * Workers call over RPC.
 */
export {
  DEFAULT_METADATA_MAX_AGE_MS,
  DurableObjectLogStore,
  type DurableObjectLogStoreOptions,
  type RegionalTopicSpec,
} from "./durable-object-log-store.ts";
export { EdgeLogService, type EdgeLogServiceEnv } from "./edgelog-service.ts";
export type { EdgeLogEnv } from "./env.ts";
export { GroupObject, type GroupRef } from "./group-object.ts";
export { BroadcastObject, type BroadcastStats } from "./live/broadcast-object.ts";
export {
  groupObjectName,
  parseRegions,
  partitionObjectName,
  quotaObjectName,
  shareGroupObjectName,
  topicsObjectName,
} from "./names.ts";
export {
  type PartitionConfiguration,
  PartitionObject,
  type PartitionReadRequest,
  type PartitionStats,
} from "./partition-object.ts";
export { QuotaObject, quotaObjectLeaser } from "./quota-object.ts";
export { faultsEnabled } from "./replication/fault-switch.ts";
export type {
  ReplicaRole,
  ReplicatedBatch,
  ReplicateRequest,
  ReplicateResponse,
} from "./replication/replica-role.ts";
export { errorFromRpc, type RpcError, type RpcResult, unwrap } from "./rpc-result.ts";
export { ShareGroupObject, type ShareGroupRef } from "./share-group-object.ts";
export { type PartitionPlacement, type TopicDescription, TopicsObject } from "./topics-object.ts";
