/**
 * @module
 * Following upstream: copies an upstream topic's partitions into a local replica (`__replica.<topic>`) so a page
 * can read them offline. Each replicated record carries its upstream offset in a header, and the follower resumes
 * from the last replicated record + 1 — after a reload, a crash or hours offline — so the replica never has a gap
 * or a repeat while the upstream still holds the records. Reads at the upstream's end wait with the upstream
 * store's `live` mode — the offline log's is the WebSocket live tail, which pushes each commit — so new records
 * arrive live.
 * The replica of a compacted topic is itself compacted (docs/semantics.md §A10): the browser keeps the latest record
 * per key, and the local store's compaction never removes the last record, which is where following resumes.
 */
import {
  type ConsumedRecord,
  DEFAULT_TOPIC_CONFIG,
  decodeBatch,
  EdgeLogError,
  encodeBatch,
  isEdgeLogError,
  isRetriable,
  type LogRecord,
  type LogStore,
  type TopicConfig,
  type TopicMetadata,
  type TopicPartition,
} from "@edgelog/core";
import { compacts, retryDelayMs, sleep } from "@edgelog/core/store-kit";

export const REPLICA_PREFIX = "__replica.";
/** Header holding a replicated record's offset in the upstream partition (decimal). */
export const UPSTREAM_OFFSET_HEADER = "edgelog-upstream-offset";
const DEFAULT_MAX_WAIT_MS = 20_000;
const FETCH_MAX_BYTES = 1024 * 1024;
/** Backoff stops growing after this many failures (≈ 10–20 s with core's defaults). */
const MAX_BACKOFF_STEP = 7;

export interface FollowOptions {
  /** Upstream partitions to follow. Default: all of them at the time `follow` starts. */
  readonly partitions?: readonly number[];
  /** Stops following. */
  readonly signal?: AbortSignal;
  /** Long-poll wait per upstream fetch, in ms. Default 20 000. */
  readonly maxWaitMs?: number;
  /** Called after records were stored locally. */
  readonly onRecords?: (partition: number, count: number) => void;
  /**
   * Keep a compacted replica — the latest record per key, tombstones removed after their `delete.retention.ms` —
   * rather than every record. Default: as the upstream topic is (`cleanup.policy` `compact` or `compact,delete`).
   * A compacted replica does not copy keyless records (a compacted topic refuses them).
   */
  readonly compact?: boolean;
}

/** Compaction settings a compacted replica takes over from its upstream topic. */
const COMPACTION_SETTINGS = [
  "delete.retention.ms",
  "min.compaction.lag.ms",
  "max.compaction.lag.ms",
  "min.cleanable.dirty.ratio",
] as const;

/**
 * The replica's config: every record kept as long as the page wants it (no time retention), compacted — with
 * upstream's compaction settings — when `compact`.
 */
function replicaConfig(upstream: TopicConfig, compact: boolean): TopicConfig {
  const base: TopicConfig = { ...DEFAULT_TOPIC_CONFIG, "retention.ms": -1 };
  if (!compact) return base;
  const settings = Object.fromEntries(
    COMPACTION_SETTINGS.filter((name) => upstream[name] !== undefined).map((name) => [name, upstream[name]]),
  );
  return { ...base, ...settings, "cleanup.policy": "compact" };
}

/** What to change in an existing replica's config to make it `wanted` (`null`: back to the default). */
function configChanges(current: TopicConfig, wanted: TopicConfig): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  for (const name of ["cleanup.policy", ...COMPACTION_SETTINGS] as const) {
    if (current[name] !== wanted[name]) changes[name] = wanted[name] ?? null;
  }
  return changes;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** The upstream offset stored on a replicated record. */
export function upstreamOffsetOf(record: LogRecord): number {
  const header = record.headers.find((h) => h.key === UPSTREAM_OFFSET_HEADER);
  if (header?.value == null)
    throw new EdgeLogError("CORRUPT_MESSAGE", "replicated record without its upstream offset");
  return Number(decoder.decode(header.value));
}

export class UpstreamFollower {
  readonly #local: LogStore;
  readonly #upstream: LogStore;

  constructor(local: LogStore, upstream: LogStore) {
    this.#local = local;
    this.#upstream = upstream;
  }

  /** Replicates until `signal` aborts (resolves then) or a non-retriable error (rejects). */
  async follow(topic: string, options: FollowOptions = {}): Promise<void> {
    const metadata = await this.#untilReachable(() => this.#upstream.getTopic(topic), options.signal);
    if (metadata === undefined) return;
    if (metadata === null)
      throw new EdgeLogError("UNKNOWN_TOPIC_OR_PARTITION", `unknown upstream topic "${topic}"`);
    const compact = options.compact ?? compacts(metadata.config);
    await this.#ensureReplica(metadata, compact);
    const partitions = options.partitions ?? Array.from({ length: metadata.partitions }, (_, p) => p);
    await Promise.all(
      partitions.map((partition) => this.#followPartition(topic, partition, { ...options, compact })),
    );
  }

  /** Replicated records of a partition, with their upstream offsets, from `fromOffset` (default: all). */
  async read(topic: string, partition: number, fromOffset = 0, limit = 1_000): Promise<ConsumedRecord[]> {
    const tp = { topic: REPLICA_PREFIX + topic, partition };
    if ((await this.#local.getTopic(tp.topic)) === null) return [];
    const { logStartOffset, highWatermark } = await this.#local.offsets(tp);
    const records: ConsumedRecord[] = [];
    let offset = logStartOffset;
    while (offset < highWatermark && records.length < limit) {
      const { batches } = await this.#local.read(tp, { offset, maxBytes: FETCH_MAX_BYTES });
      for (const batch of batches) {
        for (const record of decodeBatch(batch.payload).records) {
          const upstreamOffset = upstreamOffsetOf(record);
          if (upstreamOffset >= fromOffset && records.length < limit) {
            const headers = record.headers.filter((h) => h.key !== UPSTREAM_OFFSET_HEADER);
            records.push({ ...record, headers, offset: upstreamOffset });
          }
        }
        offset = batch.lastOffset + 1;
      }
      if (batches.length === 0) break;
    }
    return records;
  }

  /** Runs `call` until it answers, backing off over retriable failures (offline); `undefined` once stopped. */
  async #untilReachable<T>(call: () => Promise<T>, signal: AbortSignal | undefined): Promise<T | undefined> {
    const stopped = (): boolean => signal?.aborted === true;
    for (let failures = 0; !stopped(); failures++) {
      try {
        return await call();
      } catch (error) {
        if (stopped()) return undefined;
        if (!isRetriable(error)) throw error;
        await sleep(retryDelayMs(error, Math.min(failures, MAX_BACKOFF_STEP)), signal).catch(() => undefined);
      }
    }
    return undefined;
  }

  /** Creates the replica, or brings an existing one up to upstream's partitions and the wanted compaction. */
  async #ensureReplica(upstream: TopicMetadata, compact: boolean): Promise<void> {
    const name = REPLICA_PREFIX + upstream.name;
    const config = replicaConfig(upstream.config, compact);
    const existing = await this.#local.getTopic(name);
    if (existing === null) {
      try {
        await this.#local.createTopic({ name, partitions: upstream.partitions, config });
      } catch (error) {
        if (!isEdgeLogError(error) || error.code !== "TOPIC_ALREADY_EXISTS") throw error;
      }
      return;
    }
    if (existing.partitions < upstream.partitions)
      await this.#local.createPartitions(name, upstream.partitions);
    const changes = configChanges(existing.config, config);
    if (Object.keys(changes).length > 0) await this.#local.alterTopicConfig(name, changes);
  }

  /** The next upstream offset to copy: one past the last replicated record, or `null` when nothing is local. */
  async #resumeOffset(local: TopicPartition): Promise<number | null> {
    const { logStartOffset, highWatermark } = await this.#local.offsets(local);
    if (highWatermark === logStartOffset) return null;
    const { batches } = await this.#local.read(local, { offset: highWatermark - 1 });
    const last = batches.at(-1);
    const record = last === undefined ? undefined : decodeBatch(last.payload).records.at(-1);
    return record === undefined ? null : upstreamOffsetOf(record) + 1;
  }

  async #followPartition(topic: string, partition: number, options: FollowOptions): Promise<void> {
    const upstreamTp = { topic, partition };
    const localTp = { topic: REPLICA_PREFIX + topic, partition };
    const stopped = (): boolean => options.signal?.aborted === true;
    let failures = 0;
    let position = await this.#resumeOffset(localTp);
    while (!stopped()) {
      try {
        position ??= (await this.#upstream.offsets(upstreamTp)).logStartOffset;
        const result = await this.#upstream.read(upstreamTp, {
          offset: position,
          maxBytes: FETCH_MAX_BYTES,
          maxWaitMs: options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        });
        const records: LogRecord[] = [];
        let seen = position;
        for (const batch of result.batches) {
          decodeBatch(batch.payload).records.forEach((record, i) => {
            const offset = batch.baseOffset + i;
            if (offset < (position as number) || offset < result.logStartOffset) return;
            seen = offset + 1;
            // A compacted replica refuses a keyless record: it is passed over (upstream compaction drops it too).
            if (options.compact === true && record.key === null) return;
            records.push({
              ...record,
              headers: [
                ...record.headers,
                { key: UPSTREAM_OFFSET_HEADER, value: encoder.encode(String(offset)) },
              ],
            });
          });
        }
        failures = 0;
        if (records.length === 0) {
          // Only passed-over records: move past them (a restart reads them again, and passes them over again).
          position = seen;
          continue;
        }
        // One local batch per upstream fetch: the copy and the resume point move together, atomically.
        // A copy of upstream's history, one header longer: not capped, so a record accepted upstream before a
        // cap existed (or holding every header it allows) still copies.
        await this.#local.append(localTp, encodeBatch(records), { checkRecordCaps: false });
        position = Math.max(upstreamOffsetOf(records.at(-1) as LogRecord) + 1, seen ?? 0);
        options.onRecords?.(partition, records.length);
      } catch (error) {
        if (stopped()) return;
        if (behindUs(error, position)) {
          // Upstream's log ends before our position: the replica that answered is behind the one we read from
          // before (a leader change). Starting over from its log start would copy everything a second time: we
          // wait here, backing off, until it has caught up.
        } else if (isEdgeLogError(error) && error.code === "OFFSET_OUT_OF_RANGE") {
          // Upstream retention passed us while we were away: continue from what it still has (the gap is theirs).
          position = null;
          continue;
        } else if (!isRetriable(error)) {
          // Offline spells are normal for a page: keep trying (capped backoff) until stopped; only a final error
          // ends it.
          throw error;
        }
        await sleep(retryDelayMs(error, Math.min(failures++, MAX_BACKOFF_STEP)), options.signal).catch(
          () => undefined,
        );
      }
    }
  }
}

/**
 * Whether an `OFFSET_OUT_OF_RANGE` says upstream's log ends before `position` (rather than starting after it). An
 * answer without the bounds is taken as retention passing us, as before the server sent them.
 */
function behindUs(error: unknown, position: number | null): boolean {
  if (!isEdgeLogError(error) || error.code !== "OFFSET_OUT_OF_RANGE" || position === null) return false;
  const { highWatermark } = error.context;
  return typeof highWatermark === "number" && position > highWatermark;
}
