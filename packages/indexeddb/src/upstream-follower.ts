/**
 * @module
 * Following upstream: copies an upstream topic's partitions into a local replica (`__replica.<topic>`) so a page
 * can read them offline. Each replicated record carries its upstream offset in a header, and the follower resumes
 * from the last replicated record + 1 — after a reload, a crash or hours offline — so the replica never has a gap
 * or a repeat while the upstream still holds the records. Reads at the upstream's end wait with the upstream
 * store's `live` mode — the offline log's is the WebSocket live tail, which pushes each commit — so new records
 * arrive live.
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
  type TopicPartition,
} from "@edgelog/core";
import { retryDelayMs, sleep } from "@edgelog/core/store-kit";

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
    await this.#ensureReplica(topic, metadata.partitions);
    const partitions = options.partitions ?? Array.from({ length: metadata.partitions }, (_, p) => p);
    await Promise.all(partitions.map((partition) => this.#followPartition(topic, partition, options)));
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

  async #ensureReplica(topic: string, partitions: number): Promise<void> {
    const name = REPLICA_PREFIX + topic;
    const existing = await this.#local.getTopic(name);
    if (existing === null) {
      try {
        await this.#local.createTopic({
          name,
          partitions,
          config: { ...DEFAULT_TOPIC_CONFIG, "retention.ms": -1 },
        });
      } catch (error) {
        if (!isEdgeLogError(error) || error.code !== "TOPIC_ALREADY_EXISTS") throw error;
      }
    } else if (existing.partitions < partitions) {
      await this.#local.createPartitions(name, partitions);
    }
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
        for (const batch of result.batches) {
          decodeBatch(batch.payload).records.forEach((record, i) => {
            const offset = batch.baseOffset + i;
            if (offset < (position as number) || offset < result.logStartOffset) return;
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
        if (records.length === 0) continue;
        // One local batch per upstream fetch: the copy and the resume point move together, atomically.
        // A copy of upstream's history, one header longer: not capped, so a record accepted upstream before a
        // cap existed (or holding every header it allows) still copies.
        await this.#local.append(localTp, encodeBatch(records), { checkRecordCaps: false });
        position = upstreamOffsetOf(records.at(-1) as LogRecord) + 1;
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
