/**
 * @module
 * The listing of Durable Streams (`GET /v1/streams`, an extension; docs/http-api.md "Listing streams"): which
 * topics hold a `/ds` stream, with what the protocol keeps beside their batches (content type, TTL and expiry,
 * closed state, forks). The Kafka view cannot tell these — a stream is an ordinary one-partition topic there — so
 * an operator's console asks here. A listing only reads: it neither renews a sliding TTL nor deletes an expired
 * stream (the protocol does that when the stream itself is next touched); it reports `expired` instead.
 */
import { isEdgeLogError, type LogStore, type TopicMetadata } from "@edgelog/core";
import { type StreamState, streamExpired } from "@edgelog/core/store-kit";
import { streamForTopic } from "./names.ts";
import { encodeStreamOffset } from "./offsets.ts";
import { partitionOf, type StreamStore, supportsStreams } from "./streams.ts";

/** Topics examined per page when the caller names no `limit`. */
export const DEFAULT_STREAMS_PAGE = 50;
/**
 * Most topics one page examines: each costs a read of its partition's state (a Durable Object call in the
 * Worker), so a page stays well inside a request's subrequest budget.
 */
export const MAX_STREAMS_PAGE = 200;
/** State reads in flight at once while a page is examined. */
const STATE_READS_IN_FLIGHT = 8;

/** One stream as listed. Times are ms since the epoch. */
export interface ListedStream {
  /** The stream's path under `/ds/`. */
  readonly path: string;
  /** The topic holding it (what `/v1` calls it). */
  readonly topic: string;
  readonly contentType: string;
  readonly closed: boolean;
  /** `Stream-TTL` in seconds (a sliding window renewed by reads and writes), or null. */
  readonly ttlSeconds: number | null;
  /** `Stream-Expires-At` as given (RFC 3339), or null. */
  readonly expiresAt: string | null;
  /** When the stream expires unless touched again (the earlier of its TTL and Expires-At); null when never. */
  readonly expiresAtMs: number | null;
  /** True when that time has passed: the next request to the stream deletes it. */
  readonly expired: boolean;
  readonly createdAt: number;
  readonly lastAccessedAt: number;
  /** The source's path when this stream is a fork. */
  readonly forkedFrom: string | null;
  /** Live forks of this stream. */
  readonly forks: number;
  /** Deleted over `/ds` while forks still read it (answers 410 until its last fork is deleted). */
  readonly softDeleted: boolean;
  /** Messages held: `highWatermark − logStartOffset`. */
  readonly logStartOffset: number;
  readonly highWatermark: number;
  /** `Stream-Next-Offset` of the tail. */
  readonly nextOffset: string;
}

export interface StreamsPage {
  readonly streams: readonly ListedStream[];
  /** The `after` of the next page, or null when no topic is left to examine. */
  readonly next: string | null;
}

/**
 * Up to `limit` one-partition topics named after `after` (in name order), and the streams among them: topics
 * `/ds` created or wrote to. A one-partition `/v1` topic `/ds` never wrote reads as an open JSON stream, but it
 * is not listed — it is a topic, shown as one. A page may hold fewer streams than `limit` (even none) while
 * `next` says there is more to examine.
 */
export async function listStreams(
  store: LogStore,
  page: { readonly after: string | null; readonly limit: number; readonly nowMs: number },
): Promise<StreamsPage> {
  if (!supportsStreams(store)) return { streams: [], next: null };
  const candidates = (await store.listTopics())
    .filter((topic) => topic.partitions === 1 && (page.after === null || topic.name > page.after))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const examined = candidates.slice(0, page.limit);
  const listed = await mapInBatches(examined, STATE_READS_IN_FLIGHT, (topic) =>
    describe(store, topic, page.nowMs),
  );
  const last = examined.at(-1);
  return {
    streams: listed.filter((stream): stream is ListedStream => stream !== null),
    next: candidates.length > page.limit && last !== undefined ? last.name : null,
  };
}

async function describe(
  store: StreamStore,
  metadata: TopicMetadata,
  nowMs: number,
): Promise<ListedStream | null> {
  const path = streamForTopic(metadata.name);
  if (path === null) return null;
  let outcome: Awaited<ReturnType<StreamStore["stream"]>>;
  try {
    outcome = await store.stream(partitionOf(metadata.name), { kind: "get", touch: false });
  } catch (error) {
    // Deleted since the topics were listed: not a stream any more. Any other failure (a region down) fails the
    // page with its own retriable code rather than hiding a stream.
    if (isEdgeLogError(error) && error.code === "UNKNOWN_TOPIC_OR_PARTITION") return null;
    throw error;
  }
  const { state } = outcome;
  if (state === null) return null;
  const expiresAtMs = expiryOf(state);
  return {
    path,
    topic: metadata.name,
    contentType: state.contentType,
    closed: state.closed,
    ttlSeconds: state.ttlSeconds,
    expiresAt: state.expiresAt,
    expiresAtMs,
    expired: expiresAtMs !== null && streamExpired(state, nowMs),
    createdAt: state.createdAt,
    lastAccessedAt: state.lastAccessedAt,
    forkedFrom: state.forkedFrom,
    forks: state.forks,
    softDeleted: state.softDeleted,
    logStartOffset: outcome.logStartOffset,
    highWatermark: outcome.highWatermark,
    nextOffset: encodeStreamOffset(outcome.highWatermark),
  };
}

/** When `streamExpired` turns true for this state with no further access; null when it never does. */
export function expiryOf(state: StreamState): number | null {
  const times: number[] = [];
  if (state.ttlSeconds !== null) times.push(state.lastAccessedAt + state.ttlSeconds * 1000);
  if (state.expiresAt !== null) {
    const at = Date.parse(state.expiresAt);
    // An unparseable date counts as expired, as `streamExpired` fails closed.
    times.push(Number.isFinite(at) ? at : 0);
  }
  return times.length === 0 ? null : Math.min(...times);
}

async function mapInBatches<T, R>(
  items: readonly T[],
  width: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += width) {
    results.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  }
  return results;
}
