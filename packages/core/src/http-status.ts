/**
 * @module
 * The one table from error code to HTTP status, shared by the Worker (to answer) and the HTTP client (to read
 * answers back). The fixed part is docs/http-api.md's "Errors" section; the rest follows the same reasoning.
 */
import type { ErrorCode } from "./errors.ts";

export const HTTP_STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  INVALID_REQUEST: 400,
  INVALID_TOPIC: 400,
  INVALID_PARTITIONS: 400,
  INVALID_RECORD: 400,
  INVALID_CONFIG: 400,
  POLICY_VIOLATION: 400,
  INVALID_TIMESTAMP: 400,
  CORRUPT_MESSAGE: 400,
  UNSUPPORTED_VERSION: 400,
  MESSAGE_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNKNOWN_TOPIC_OR_PARTITION: 404,
  OFFSET_OUT_OF_RANGE: 416,
  TOPIC_ALREADY_EXISTS: 409,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 409,
  INVALID_PRODUCER_EPOCH: 403,
  // A producer the partition no longer remembers must start a new epoch: a conflict, not a missing resource.
  UNKNOWN_PRODUCER_ID: 409,
  FENCED_MEMBER_EPOCH: 409,
  STALE_MEMBER_EPOCH: 409,
  UNKNOWN_MEMBER_ID: 404,
  GROUP_ID_NOT_FOUND: 404,
  INVALID_GROUP_ID: 400,
  NON_EMPTY_GROUP: 409,
  // The request is well-formed; the group's current state (full) refuses it, as NON_EMPTY_GROUP's does.
  GROUP_MAX_SIZE_REACHED: 409,
  CONCURRENT_TRANSACTIONS: 409,
  // The record's state (acquired by someone else, lock expired, already acknowledged) refuses the acknowledgement.
  INVALID_RECORD_STATE: 409,
  INVALID_SHARE_SESSION_EPOCH: 409,
  // Like UNKNOWN_MEMBER_ID: the session the request names does not exist (any more).
  SHARE_SESSION_NOT_FOUND: 404,
  AUTHENTICATION_FAILED: 401,
  TOPIC_AUTHORIZATION_FAILED: 403,
  GROUP_AUTHORIZATION_FAILED: 403,
  CLUSTER_AUTHORIZATION_FAILED: 403,
  THROTTLING_QUOTA_EXCEEDED: 429,
  NOT_LEADER_OR_FOLLOWER: 503,
  // The partition has no reachable leader for now: unavailable, retry later.
  LEADER_NOT_AVAILABLE: 503,
  // An election that conflicts with the partition's state: it already leads, or it is not in sync.
  ELECTION_NOT_NEEDED: 409,
  ELIGIBLE_LEADERS_NOT_AVAILABLE: 409,
  // The partition cannot take acks=all writes for now (its in-sync set is too small): unavailable, retry later.
  NOT_ENOUGH_REPLICAS: 503,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 503,
  FENCED_LEADER_EPOCH: 409,
  INVALID_REPLICATION_FACTOR: 400,
  // No majority of the controller replicas answered: the deployment's metadata is unavailable for now.
  NOT_CONTROLLER: 503,
  REQUEST_TIMED_OUT: 504,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  STORE_CLOSED: 503,
  STORAGE_QUOTA_EXCEEDED: 507,
  UNKNOWN_SERVER_ERROR: 500,
};

export function httpStatusFor(code: ErrorCode): number {
  return HTTP_STATUS_BY_CODE[code];
}
