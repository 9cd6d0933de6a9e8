/**
 * @module
 * Streams over the `LogStore`: each stream is a single-partition topic whose partition holds the stream's state
 * document (core's `store-kit/stream-state.ts`) beside its batches. This module finds a stream (expiring it when
 * its TTL or Expires-At has passed), creates, appends, reads and deletes, with fork bookkeeping. The protocol's
 * decisions over these live in the service modules (`create-stream.ts`, `fork.ts`, `append-stream.ts`,
 * `read-stream.ts`); the HTTP shapes in the route modules (`routes.ts`, `create.ts`, `append.ts`, `read.ts`).
 */
import {
  DEFAULT_TOPIC_CONFIG,
  decodeBatch,
  EdgeLogError,
  isEdgeLogError,
  type LogRecord,
  type LogStore,
  type PartitionOffsets,
  type TopicMetadata,
  type TopicPartition,
} from "@edgelog/core";
import {
  openJsonStreamState,
  type StreamCommand,
  type StreamStore as StreamCommands,
  type StreamOutcome,
  type StreamState,
  splitIntoBatches,
  streamExpired,
} from "@edgelog/core/store-kit";
import { topicForForkSource } from "./names.ts";

/** Appends are cut into batches of about this many bytes, well under a topic's `max.message.bytes`. */
const BATCH_TARGET_BYTES = 256 * 1024;
/** A stream lives until deleted or expired (its TTL), so its topic keeps every record: no time retention. */
const STREAM_TOPIC_CONFIG = { ...DEFAULT_TOPIC_CONFIG, "retention.ms": -1 };

export type StreamStore = LogStore & StreamCommands;

/** The Durable Object and memory stores run stream commands; a store without them answers /ds with 501. */
export function supportsStreams(store: LogStore & Partial<StreamCommands>): store is StreamStore {
  return typeof store.stream === "function";
}

/** What the stream operations work on: the store, and where `/ds` is served, to resolve fork sources. */
export interface StreamScope {
  readonly store: StreamStore;
  /** The `/ds/` prefix of this app's URLs (after its mount path): `Stream-Forked-From` paths start with it. */
  readonly dsPrefix: string;
}

/** The topic of a fork's source, from its `Stream-Forked-From` value; null when it names no stream path. */
export function forkSourceTopic(scope: StreamScope, forkedFrom: string): string | null {
  return topicForForkSource(forkedFrom, scope.dsPrefix);
}

export function partitionOf(topic: string): TopicPartition {
  return { topic, partition: 0 };
}

export interface FoundStream extends PartitionOffsets {
  readonly topic: TopicMetadata;
  readonly state: StreamState;
  /** False for a `/v1` topic that `/ds` has not written yet (its state is the default). */
  readonly initialised: boolean;
}

export type Lookup =
  | { readonly kind: "found"; readonly stream: FoundStream }
  | { readonly kind: "missing" }
  | { readonly kind: "gone"; readonly stream: FoundStream };

async function command(store: StreamStore, topic: string, cmd: StreamCommand): Promise<StreamOutcome | null> {
  try {
    return await store.stream(partitionOf(topic), cmd);
  } catch (error) {
    if (isEdgeLogError(error) && error.code === "UNKNOWN_TOPIC_OR_PARTITION") return null;
    throw error;
  }
}

/**
 * Finds the stream held by `topic`; `touch` renews a sliding TTL (reads and writes do, HEAD does not). An
 * expired stream is deleted on the spot (soft-deleted while forks still read it) and reported missing.
 */
export async function findStream(
  scope: StreamScope,
  topic: string,
  nowMs: number,
  touch: boolean,
): Promise<Lookup> {
  const { store } = scope;
  const metadata = await store.getTopic(topic);
  if (metadata === null || metadata.partitions !== 1) return { kind: "missing" };
  const outcome = await command(store, topic, { kind: "get", touch });
  if (outcome === null) return { kind: "missing" };
  const stream = foundStream(metadata, outcome);
  const { state } = stream;
  if (state.softDeleted) return { kind: "gone", stream };
  if (streamExpired(state, nowMs)) {
    await deleteStream(scope, stream);
    return state.forks > 0 ? { kind: "gone", stream } : { kind: "missing" };
  }
  return { kind: "found", stream };
}

/**
 * `/v1` topic DELETE of a one-partition topic: it always deletes (expired or not), and a fork lets go of its
 * source as it would through `/ds`.
 */
export async function deleteStreamTopic(scope: StreamScope, metadata: TopicMetadata): Promise<void> {
  const outcome = await command(scope.store, metadata.name, { kind: "get", touch: false });
  if (outcome !== null) await dropStream(scope, foundStream(metadata, outcome));
}

/** Whether `/ds` made the one-partition topic a stream (wrote its state), so it is more than a `/v1` topic. */
export async function isStreamTopic(store: StreamStore, metadata: TopicMetadata): Promise<boolean> {
  if (metadata.partitions !== 1) return false;
  const outcome = await command(store, metadata.name, { kind: "get", touch: false });
  return outcome !== null && outcome.state !== null;
}

/** The stream a topic holds; a `/v1` topic `/ds` never wrote is an open JSON stream. */
function foundStream(metadata: TopicMetadata, outcome: StreamOutcome): FoundStream {
  return {
    topic: metadata,
    state: outcome.state ?? openJsonStreamState(metadata.createdAt),
    initialised: outcome.state !== null,
    logStartOffset: outcome.logStartOffset,
    highWatermark: outcome.highWatermark,
  };
}

/**
 * Deletes a stream: soft-deletes it while forks remain (they read its data), else deletes its topic and lets
 * go of its source, which is deleted too once it was soft-deleted and this was its last fork.
 */
export async function deleteStream(scope: StreamScope, stream: FoundStream): Promise<void> {
  if (stream.state.forks > 0) {
    await command(scope.store, stream.topic.name, { kind: "update", softDeleted: true });
    return;
  }
  await dropStream(scope, stream);
}

/**
 * Deletes a stream's topic outright and lets go of its fork source (deleted too once it was soft-deleted and
 * this was its last fork). `/ds` DELETE comes here once no fork reads the stream; `/v1` topic DELETE always does,
 * so deleting a fork through either view keeps its source's fork count right. (Forks hold copies of their data,
 * so a source deleted through `/v1` leaves them readable.)
 */
export async function dropStream(scope: StreamScope, stream: FoundStream): Promise<void> {
  const { store } = scope;
  const topic = stream.topic.name;
  try {
    await store.deleteTopic(topic);
  } catch (error) {
    if (!(isEdgeLogError(error) && error.code === "UNKNOWN_TOPIC_OR_PARTITION")) throw error;
    return;
  }
  const source = stream.state.forkedFrom === null ? null : forkSourceTopic(scope, stream.state.forkedFrom);
  if (source === null) return;
  const released = await command(store, source, { kind: "update", forksDelta: -1 });
  if (released === null) return;
  const parent = released.state;
  if (parent?.softDeleted && parent.forks === 0) {
    const metadata = await store.getTopic(source);
    if (metadata !== null) {
      await deleteStream(scope, {
        topic: metadata,
        state: parent,
        initialised: true,
        logStartOffset: released.logStartOffset,
        highWatermark: released.highWatermark,
      });
    }
  }
}

/**
 * Records cut into encoded batches of at most `BATCH_TARGET_BYTES`, measured exactly; a larger record goes alone
 * and the store judges it against the topic's `max.message.bytes`.
 */
export function toBatches(records: readonly LogRecord[]): Uint8Array[] {
  const budget = {
    producerId: null,
    maxBatchBytes: BATCH_TARGET_BYTES,
    maxMessageBytes: Number.POSITIVE_INFINITY,
  };
  return splitIntoBatches(records, budget).map((batch) => batch.encode());
}

/** Creates the topic and the stream in it; `exists` when the topic was there (or appeared meanwhile). */
export async function createStream(
  store: StreamStore,
  topic: string,
  state: StreamState,
  batches: readonly Uint8Array[],
): Promise<{ readonly kind: "created"; readonly outcome: StreamOutcome } | { readonly kind: "exists" }> {
  try {
    await store.createTopic({ name: topic, partitions: 1, config: STREAM_TOPIC_CONFIG });
  } catch (error) {
    if (isEdgeLogError(error) && error.code === "TOPIC_ALREADY_EXISTS") return { kind: "exists" };
    throw error;
  }
  try {
    const outcome = await store.stream(partitionOf(topic), { kind: "create", state, batches });
    return outcome.verdict.kind === "exists" ? { kind: "exists" } : { kind: "created", outcome };
  } catch (error) {
    // The initial data was refused (too large, say): no half-made stream stays behind.
    await store.deleteTopic(topic).catch(() => undefined);
    throw error;
  }
}

export async function runCommand(
  store: StreamStore,
  topic: string,
  cmd: StreamCommand,
): Promise<StreamOutcome> {
  const outcome = await command(store, topic, cmd);
  if (outcome === null) throw new EdgeLogError("UNKNOWN_TOPIC_OR_PARTITION", `no stream in topic "${topic}"`);
  return outcome;
}

export interface Chunk extends PartitionOffsets {
  /** Record values from the start offset on, in order. */
  readonly values: (Uint8Array | null)[];
  /** The position after the last value returned (the start when none). */
  readonly nextOffset: number;
  /** Until when caches may keep this chunk (`ReadResult.cacheUntil`); absent: not cacheable. */
  readonly cacheUntil?: number;
}

/** Reads whole batches from `offset` within `maxBytes`, optionally waiting, and returns the values from `offset`. */
export async function readChunk(
  store: LogStore,
  topic: string,
  offset: number,
  options: {
    maxBytes: number;
    maxWaitMs: number;
    signal?: AbortSignal;
    until?: number;
    /** Ask for an answer caches may keep this long (a catch-up read's). */
    cacheMaxAgeMs?: number;
  },
): Promise<Chunk> {
  const result = await store.read(partitionOf(topic), {
    offset,
    maxBytes: options.maxBytes,
    maxWaitMs: options.maxWaitMs,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.cacheMaxAgeMs === undefined || options.cacheMaxAgeMs <= 0
      ? {}
      : { cache: { maxAgeMs: options.cacheMaxAgeMs } }),
  });
  const from = Math.max(offset, result.logStartOffset);
  const until = options.until ?? Number.POSITIVE_INFINITY;
  const values: (Uint8Array | null)[] = [];
  let next = from;
  for (const batch of result.batches) {
    if (batch.lastOffset < from) continue;
    const { records } = decodeBatch(batch.payload);
    for (let i = 0; i < records.length; i++) {
      const at = batch.baseOffset + i;
      if (at < from || at >= until) continue;
      values.push((records[i] as LogRecord).value);
      next = at + 1;
    }
  }
  return {
    values,
    nextOffset: next,
    logStartOffset: result.logStartOffset,
    highWatermark: result.highWatermark,
    // A chunk cut short by `until` (a fork's copy) is not the answer a read gives: never cached.
    ...(result.cacheUntil === undefined || options.until !== undefined
      ? {}
      : { cacheUntil: result.cacheUntil }),
  };
}
