/**
 * @module
 * `@edgelog/server`: edgelog's HTTP server — the v1 API and the Durable Streams protocol at `/ds` — as a Hono app
 * over any `LogStore`. Serve it as a Worker's default export, or mount it under a path of your own Hono app
 * (packages/server/README.md "Mounting"). `createBinding` gives the same operations as typed methods, for the
 * Workers binding (`EdgeLogService` in `@edgelog/durable-objects`).
 */
export { type AppOptions, createApp, type QuotaOption, type ReadCache, type ReadCacheOption } from "./app.ts";
export type { AuthOption, HostRights } from "./auth/config.ts";
export { ALL_RIGHTS, intersectScopes, parseScopes, type Scopes } from "./auth/scopes.ts";
export { signToken, type TokenOptions } from "./auth/sign.ts";
export {
  type BindingOptions,
  bindingRights,
  createBinding,
  type ExecutionContextLike,
} from "./binding/in-process.ts";
export type {
  BindingValueFormat,
  CommitOptions,
  CommittedOffsetView,
  CreatedTopic,
  EdgeLogBinding,
  FetchedRecord,
  FetchOptions,
  FetchResult,
  GroupView,
  HeartbeatRequest,
  OffsetForTime,
  OffsetToCommit,
  PartitionBounds,
  PartitionPlacementView,
  ProducerStampView,
  RecordToSend,
  SendOptions,
  SendResult,
  TopicSummary,
  TopicToCreate,
  TopicView,
} from "./binding/types.ts";
export { type AppEnv, LOCATION_HINTS, type PartitionPlacement, type RegionAwareStore } from "./context.ts";
export { DEFAULT_DS_LONG_POLL_TIMEOUT_MS, DEFAULT_DS_SSE_MAX_CONNECTION_MS } from "./ds/http.ts";
export type { ServerEnv } from "./env.ts";
export {
  DEFAULT_FETCH_LIMIT,
  DEFAULT_FETCH_MAX_BYTES,
  MAX_BODY_BYTES,
  MAX_FETCH_LIMIT,
  MAX_FETCH_MAX_BYTES,
  MAX_RECORDS_PER_REQUEST,
  MAX_WAIT_MS,
  SSE_KEEP_ALIVE_MS,
} from "./limits.ts";
export {
  DEFAULT_LEASE_MS,
  type LeasedQuotaGateOptions,
  leasedQuotaGate,
  type QuotaCharge,
  type QuotaGate,
  type QuotaLeaser,
  type QuotaVerdict,
} from "./quota/gate.ts";
export {
  DEFAULT_QUOTA_PRODUCE_BYTES_PER_SEC,
  DEFAULT_QUOTA_REQUESTS_PER_SEC,
  QUOTA_BURST_SECONDS,
  type QuotaRate,
  type QuotaRates,
} from "./quota/limits.ts";
export { type MemoryQuotaGateOptions, memoryQuotaGate } from "./quota/memory-gate.ts";
export {
  type LiveSocketRequest,
  type LiveSocketStore,
  offersLiveSockets,
} from "./routes/live-socket.ts";
