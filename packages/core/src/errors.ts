/**
 * @module
 * The one error type of edgelog. Every failure a user can act on is an `EdgeLogError` whose `code` comes from
 * Kafka's vocabulary (`UNKNOWN_TOPIC_OR_PARTITION`, `OFFSET_OUT_OF_RANGE`, …), says whether a retry can help,
 * and carries the topic / partition / offset it concerns. One table (`http-status.ts`) maps codes to statuses.
 */

/** Every error code edgelog raises. Kafka's names where Kafka has one (see `K: Errors.java`). */
export type ErrorCode =
  | "INVALID_REQUEST"
  | "INVALID_TOPIC"
  | "INVALID_PARTITIONS"
  | "INVALID_RECORD"
  | "INVALID_CONFIG"
  | "POLICY_VIOLATION"
  | "INVALID_TIMESTAMP"
  | "CORRUPT_MESSAGE"
  | "UNSUPPORTED_VERSION"
  | "MESSAGE_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "UNKNOWN_TOPIC_OR_PARTITION"
  | "OFFSET_OUT_OF_RANGE"
  | "TOPIC_ALREADY_EXISTS"
  | "OUT_OF_ORDER_SEQUENCE_NUMBER"
  | "INVALID_PRODUCER_EPOCH"
  | "UNKNOWN_PRODUCER_ID"
  | "FENCED_MEMBER_EPOCH"
  | "STALE_MEMBER_EPOCH"
  | "UNKNOWN_MEMBER_ID"
  | "GROUP_ID_NOT_FOUND"
  | "INVALID_GROUP_ID"
  | "NON_EMPTY_GROUP"
  | "GROUP_MAX_SIZE_REACHED"
  | "CONCURRENT_TRANSACTIONS"
  | "INVALID_RECORD_STATE"
  | "INVALID_SHARE_SESSION_EPOCH"
  | "SHARE_SESSION_NOT_FOUND"
  | "AUTHENTICATION_FAILED"
  | "TOPIC_AUTHORIZATION_FAILED"
  | "GROUP_AUTHORIZATION_FAILED"
  | "CLUSTER_AUTHORIZATION_FAILED"
  | "THROTTLING_QUOTA_EXCEEDED"
  | "NOT_LEADER_OR_FOLLOWER"
  | "LEADER_NOT_AVAILABLE"
  | "ELECTION_NOT_NEEDED"
  | "ELIGIBLE_LEADERS_NOT_AVAILABLE"
  | "NOT_ENOUGH_REPLICAS"
  | "NOT_ENOUGH_REPLICAS_AFTER_APPEND"
  | "FENCED_LEADER_EPOCH"
  | "INVALID_REPLICATION_FACTOR"
  | "NOT_CONTROLLER"
  | "REQUEST_TIMED_OUT"
  | "NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "STORE_CLOSED"
  | "STORAGE_QUOTA_EXCEEDED"
  | "UNKNOWN_SERVER_ERROR";

/**
 * Whether a retry of the same request can succeed. Kafka's protocol table, with one deliberate change:
 * `UNKNOWN_TOPIC_OR_PARTITION` is final here, because edgelog creates topics explicitly and its metadata is read
 * from the store, not from an eventually consistent broker cache — retrying would only delay the error.
 */
const RETRIABLE: Readonly<Record<ErrorCode, boolean>> = {
  INVALID_REQUEST: false,
  INVALID_TOPIC: false,
  INVALID_PARTITIONS: false,
  INVALID_RECORD: false,
  INVALID_CONFIG: false,
  // A deployment limit (topics per deployment): only an operator's change, or a deletion, helps.
  POLICY_VIOLATION: false,
  INVALID_TIMESTAMP: false,
  CORRUPT_MESSAGE: true,
  UNSUPPORTED_VERSION: false,
  MESSAGE_TOO_LARGE: false,
  // The same request with the same type is refused again: the sender must change how it sends.
  UNSUPPORTED_MEDIA_TYPE: false,
  UNKNOWN_TOPIC_OR_PARTITION: false,
  OFFSET_OUT_OF_RANGE: false,
  TOPIC_ALREADY_EXISTS: false,
  OUT_OF_ORDER_SEQUENCE_NUMBER: false,
  INVALID_PRODUCER_EPOCH: false,
  UNKNOWN_PRODUCER_ID: false,
  FENCED_MEMBER_EPOCH: false,
  STALE_MEMBER_EPOCH: false,
  UNKNOWN_MEMBER_ID: false,
  GROUP_ID_NOT_FOUND: false,
  INVALID_GROUP_ID: false,
  NON_EMPTY_GROUP: false,
  // Kafka's verdict too: a full group takes the member only after another leaves, which a blind retry cannot know.
  GROUP_MAX_SIZE_REACHED: false,
  CONCURRENT_TRANSACTIONS: true,
  // Share groups (KIP-932): an acknowledgement of a record this member does not hold (its lock expired, it was
  // never acquired, another member holds it). Sending it again changes nothing.
  INVALID_RECORD_STATE: false,
  // A share session's epoch is not the one the group expects (a retried or concurrent request): the member opens
  // a new session (epoch 0) rather than repeating this one.
  INVALID_SHARE_SESSION_EPOCH: false,
  // The member has no share session (it expired, or was never opened): open one with epoch 0.
  SHARE_SESSION_NOT_FOUND: false,
  // A fresh token may succeed, but the same request cannot: the caller refreshes first (the client does once).
  AUTHENTICATION_FAILED: false,
  TOPIC_AUTHORIZATION_FAILED: false,
  GROUP_AUTHORIZATION_FAILED: false,
  CLUSTER_AUTHORIZATION_FAILED: false,
  THROTTLING_QUOTA_EXCEEDED: true,
  // The replica asked no longer leads (an election moved it): refresh the leader, retry there.
  NOT_LEADER_OR_FOLLOWER: true,
  // Kafka: retriable — the partition's leader cannot be reached (a failover is under way, or no replica may lead
  // until one comes back); nothing was written.
  LEADER_NOT_AVAILABLE: true,
  // The region asked for already leads: nothing to do, and asking again changes nothing.
  ELECTION_NOT_NEEDED: false,
  // Kafka: retriable — the replica can be elected once it is back in sync.
  ELIGIBLE_LEADERS_NOT_AVAILABLE: true,
  // Kafka: retriable — the in-sync set grows back when a lagging replica catches up.
  NOT_ENOUGH_REPLICAS: true,
  // Written on the leader, but the in-sync set shrank below the minimum before it was replicated: an idempotent
  // retry is answered `duplicate` once replication recovers.
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: true,
  // The caller's view of the partition's leadership is older than the replica's: refresh metadata, retry.
  FENCED_LEADER_EPOCH: true,
  INVALID_REPLICATION_FACTOR: false,
  // Kafka: retriable — the controller replica asked could not reach a majority of its quorum (or is still joining
  // it); another replica, or the same one once regions are back, can answer.
  NOT_CONTROLLER: true,
  REQUEST_TIMED_OUT: true,
  NOT_FOUND: false,
  METHOD_NOT_ALLOWED: false,
  STORE_CLOSED: false,
  // Only freeing space helps, which the caller must decide: not something to retry blindly.
  STORAGE_QUOTA_EXCEEDED: false,
  UNKNOWN_SERVER_ERROR: false,
};

/** Facts about where an error happened; all optional, all serialisable to JSON. */
export interface ErrorContext {
  topic?: string | undefined;
  partition?: number | undefined;
  offset?: number | undefined;
  logStartOffset?: number | undefined;
  highWatermark?: number | undefined;
  groupId?: string | undefined;
  memberId?: string | undefined;
  producerId?: string | undefined;
  expectedSequence?: number | undefined;
  receivedSequence?: number | undefined;
  maxBytes?: number | undefined;
  sizeBytes?: number | undefined;
  [key: string]: string | number | boolean | null | undefined;
}

export interface EdgeLogErrorOptions {
  /** Overrides the code's default retriability (e.g. a server that knows better). */
  retriable?: boolean;
  context?: ErrorContext;
  cause?: unknown;
}

/**
 * The single error class. Match on `code`, not on the class or the message.
 * @example
 * try { await producer.send({ topic: "orders", messages }) }
 * catch (e) { if (isEdgeLogError(e) && e.code === "MESSAGE_TOO_LARGE") shrink(messages) }
 */
export class EdgeLogError extends Error {
  override readonly name = "EdgeLogError";
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, options: EdgeLogErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable ?? RETRIABLE[code];
    this.context = options.context ?? {};
  }

  /** The wire shape of docs/http-api.md: `{ code, message, ...context }`. */
  toJSON(): { code: ErrorCode; message: string } & ErrorContext {
    return { ...this.context, code: this.code, message: this.message };
  }

  /** Rebuilds an error from its wire shape (an HTTP error body's `error` member). */
  static fromJSON(body: unknown): EdgeLogError {
    if (typeof body === "object" && body !== null && "code" in body && isErrorCode(body.code)) {
      const { code, message, ...context } = body as { code: ErrorCode; message?: unknown } & ErrorContext;
      return new EdgeLogError(code, typeof message === "string" ? message : code, { context });
    }
    return new EdgeLogError("UNKNOWN_SERVER_ERROR", "malformed error body", { cause: body });
  }
}

export function isEdgeLogError(value: unknown): value is EdgeLogError {
  return value instanceof EdgeLogError;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(RETRIABLE, value);
}

/** Whether a failure is worth retrying: retriable `EdgeLogError`s; anything else is treated as final. */
export function isRetriable(error: unknown): boolean {
  return isEdgeLogError(error) && error.retriable;
}
