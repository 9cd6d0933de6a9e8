/**
 * @module
 * Checks of a share fetch, shared by every transport (a store's own call, HTTP, a Durable Object's RPC) so a bad
 * request is `INVALID_REQUEST` before any state is read, and every user-supplied list is bounded. Also the seam
 * check: `shareGroupsOf` turns a store without share groups into a clear refusal.
 */
import { EdgeLogError } from "../errors.ts";
import type { LogStore, ShareGroupStore } from "../store.ts";
import { assertValidTopicName } from "../validation.ts";
import { MAX_RECORD_ERROR_LENGTH } from "./share-partition.ts";
import type { ShareAcknowledgementBatch, ShareFetchRequest } from "./share-types.ts";

/** Records one fetch acquires by default (KafkaShareConsumer's `max.poll.records`). */
export const DEFAULT_SHARE_MAX_RECORDS = 500;
export const MAX_SHARE_FETCH_RECORDS = 10_000;
/** The longest a share fetch waits for records (the fetch routes' wait bound). */
export const MAX_SHARE_FETCH_WAIT_MS = 30_000;
/**
 * Topics one share fetch reads at most: every fetch resolves each topic's partitions, so the list is bounded
 * tighter than a consumer group's subscription.
 */
export const MAX_SHARE_TOPICS = 100;
/** Offsets one request acknowledges at most, over all its ranges: more than two full fetches. */
export const MAX_ACKNOWLEDGED_OFFSETS = 2 * MAX_SHARE_FETCH_RECORDS;
const MAX_MEMBER_ID_LENGTH = 255;
const ACKNOWLEDGE_TYPES = new Set(["accept", "release", "reject"]);

/** Throws `INVALID_REQUEST` for a malformed share fetch. */
export function validateShareFetch(request: ShareFetchRequest): void {
  const { memberId, sessionEpoch } = request ?? {};
  if (typeof memberId !== "string" || memberId.length === 0 || memberId.length > MAX_MEMBER_ID_LENGTH) {
    throw invalid(`\`memberId\` must be a string of 1..${MAX_MEMBER_ID_LENGTH} characters`);
  }
  if (typeof sessionEpoch !== "number" || !Number.isSafeInteger(sessionEpoch) || sessionEpoch < -1) {
    throw invalid("`sessionEpoch` must be an integer ≥ -1 (0 opens a share session, -1 closes it)");
  }
  integerField(request.maxRecords, "maxRecords", 0, MAX_SHARE_FETCH_RECORDS);
  integerField(request.maxWaitMs, "maxWaitMs", 0, Number.MAX_SAFE_INTEGER);
  if (request.clientId !== undefined && typeof request.clientId !== "string") {
    throw invalid("`clientId` must be a string");
  }
  if (request.topics !== undefined) {
    if (!Array.isArray(request.topics) || !request.topics.every((t) => typeof t === "string")) {
      throw invalid("`topics` must be an array of topic names");
    }
    if (request.topics.length > MAX_SHARE_TOPICS) {
      throw invalid(`a share fetch names at most ${MAX_SHARE_TOPICS} topics`);
    }
    for (const topic of request.topics) assertValidTopicName(topic);
  }
  const acquiring = (request.maxRecords ?? DEFAULT_SHARE_MAX_RECORDS) > 0 && sessionEpoch !== -1;
  if (acquiring && (request.topics === undefined || request.topics.length === 0)) {
    throw invalid("a share fetch that acquires records needs `topics`");
  }
  if (request.acknowledgements !== undefined) validateAcknowledgements(request.acknowledgements);
}

function validateAcknowledgements(list: readonly ShareAcknowledgementBatch[]): void {
  if (!Array.isArray(list)) throw invalid("`acknowledgements` must be an array");
  let offsets = 0;
  for (const ack of list) {
    if (typeof ack !== "object" || ack === null) throw invalid("each acknowledgement must be an object");
    if (typeof ack.topic !== "string") throw invalid("an acknowledgement needs `topic`");
    assertValidTopicName(ack.topic);
    integerField(ack.partition, "partition", 0, Number.MAX_SAFE_INTEGER, true);
    integerField(ack.firstOffset, "firstOffset", 0, Number.MAX_SAFE_INTEGER, true);
    integerField(ack.lastOffset, "lastOffset", 0, Number.MAX_SAFE_INTEGER, true);
    if (ack.lastOffset < ack.firstOffset) throw invalid("`lastOffset` must not be below `firstOffset`");
    if (!ACKNOWLEDGE_TYPES.has(ack.type)) throw invalid('`type` must be "accept", "release" or "reject"');
    if (ack.error !== undefined && ack.error !== null) {
      if (typeof ack.error !== "string") throw invalid("`error` must be a string");
      if (ack.error.length > MAX_RECORD_ERROR_LENGTH) {
        throw invalid(`\`error\` is at most ${MAX_RECORD_ERROR_LENGTH} characters`);
      }
    }
    // Counted before any range is expanded: a range of 2^53 offsets must not be walked to be refused.
    offsets += ack.lastOffset - ack.firstOffset + 1;
    if (offsets > MAX_ACKNOWLEDGED_OFFSETS) {
      throw invalid(`a request acknowledges at most ${MAX_ACKNOWLEDGED_OFFSETS} offsets`);
    }
  }
}

function integerField(value: unknown, field: string, min: number, max: number, required = false): void {
  if (value === undefined && !required) return;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(`\`${field}\` must be an integer in ${min}..${max}`);
  }
}

function invalid(message: string): EdgeLogError {
  return new EdgeLogError("INVALID_REQUEST", message);
}

/** Whether a store has share groups (the `ShareGroupStore` seam). */
export function isShareGroupStore(store: LogStore): store is LogStore & ShareGroupStore {
  const candidate = store as Partial<ShareGroupStore>;
  return typeof candidate.shareFetch === "function" && typeof candidate.describeShareGroup === "function";
}

/** The store's share groups, or `UNSUPPORTED_VERSION` saying this store has none (Kafka's answer to an API a broker lacks). */
export function shareGroupsOf(store: LogStore): LogStore & ShareGroupStore {
  if (isShareGroupStore(store)) return store;
  throw new EdgeLogError(
    "UNSUPPORTED_VERSION",
    `this store (${store.constructor?.name ?? "unknown"}) has no share groups: it does not implement ShareGroupStore`,
  );
}
