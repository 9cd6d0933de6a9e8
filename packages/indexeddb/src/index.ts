/**
 * @module
 * `@edgelog/indexeddb`: edgelog in the browser — a `LogStore` on IndexedDB and the offline log built on it.
 */
export { QUOTA_EXCEEDED } from "./idb-errors.ts";
export {
  IndexedDbLogStore,
  type IndexedDbLogStoreOptions,
  type IndexedDbLogStoreStats,
} from "./indexeddb-log-store.ts";
export {
  type OfflineLog,
  type OfflineLogOptions,
  type OfflineRecord,
  type OfflineValue,
  OUTBOX_PREFIX,
  OUTBOX_STATE_ID,
  openOfflineLog,
  REFUSED_PREFIX,
  type SyncEvent,
  type UpstreamOptions,
} from "./offline-log.ts";
export {
  type BackgroundSyncEvent,
  DEFAULT_SYNC_TAG,
  handleSyncEvent,
  registerOfflineLogSync,
  type SyncRegistration,
} from "./service-worker.ts";
export {
  type FollowOptions,
  REPLICA_PREFIX,
  UPSTREAM_OFFSET_HEADER,
  UpstreamFollower,
  upstreamOffsetOf,
} from "./upstream-follower.ts";
