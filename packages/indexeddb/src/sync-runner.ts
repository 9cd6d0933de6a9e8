/**
 * @module
 * Executing sync plans: `OutboxSync.drain` builds, persists and sends plans until the outbox is empty.
 *
 * Exactly once, in short: the in-flight plan — local range, and per upstream batch its partition, epoch, base
 * sequence and exact local offsets — is persisted with compare-and-set BEFORE anything is sent; batches are sent
 * one at a time in plan order and each ack is persisted before the next is sent. So at any moment at most one
 * batch (the first unacknowledged one) may sit on the server without us knowing; resending it is bit-identical
 * (same records re-read from the local log, same stamp) and, being the producer's latest batch on that partition,
 * is inside the server's dedupe window. A batch is re-stamped (split, renumbered, new epoch) only after the server
 * answered for exactly that batch with an error it raises before writing. Nothing is deleted locally before every
 * batch of the plan is acknowledged (or set aside as refused).
 */
import {
  decodeBatch,
  EdgeLogError,
  type ErrorCode,
  encodeBatch,
  isEdgeLogError,
  type LogRecord,
  type LogStore,
  type TopicMetadata,
  type TopicPartition,
  toBytes,
} from "@edgelog/core";
import { dict } from "@edgelog/core/store-kit";
import {
  counterOf,
  loadOutboxState,
  localTp,
  type OutboxState,
  type OutboxStore,
  outboxTopics,
  type PlannedBatch,
  REFUSED_PREFIX,
  restamp,
  SEQUENCE_MODULUS,
  type SyncPlan,
  saveOutboxState,
  sequenceKey,
} from "./outbox-state.ts";
import { toSyncError } from "./sync-error.ts";
import { buildPlan, MAX_BATCH_BYTES, MAX_PLAN_RECORDS } from "./sync-plan.ts";

/** How long upstream topic metadata is reused between plans; a refusal always re-checks it fresh. */
const UPSTREAM_METADATA_MAX_AGE_MS = 2_000;

/** Errors the server raises before writing anything, about the batch itself: set the record(s) aside. */
const REFUSAL_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "MESSAGE_TOO_LARGE",
  "INVALID_RECORD",
  "CORRUPT_MESSAGE",
  "INVALID_TIMESTAMP",
  "UNKNOWN_TOPIC_OR_PARTITION",
  "INVALID_TOPIC",
]);
/** The partition does not hold this batch and wants a new epoch (Kafka's producer-epoch bump, KIP-360). */
const SEQUENCE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "OUT_OF_ORDER_SEQUENCE_NUMBER",
  "UNKNOWN_PRODUCER_ID",
  "INVALID_PRODUCER_EPOCH",
]);

/** The upstream calls a sync makes (an `HttpLogStore` in the offline log). */
export type SyncUpstream = Pick<LogStore, "append" | "getTopic">;

/** What one completed plan did, for the offline log's progress report. */
export interface PlanOutcome {
  readonly topic: string;
  /** Records acknowledged upstream by this plan. */
  readonly sent: number;
  /** Set when records were refused and set aside in `__refused.<topic>` (non-retriable). */
  readonly refusal: EdgeLogError | null;
}

export interface OutboxSyncOptions {
  readonly store: OutboxStore;
  readonly upstream: SyncUpstream;
  /** Creates a local topic if it does not exist yet (the offline log caches which ones do). */
  readonly ensureLocalTopic: (name: string) => Promise<void>;
  /** Once true, a failure is not acted on: the sync stops where it is. */
  readonly isClosed: () => boolean;
  /** Called after each completed plan, once its local records are deleted. */
  readonly onPlanDone: (outcome: PlanOutcome) => void;
  readonly now?: () => number;
  /** Picks the sticky partition of keyless records, in [0, 1) (tests fix it). */
  readonly random?: () => number;
}

export class OutboxSync {
  readonly #options: OutboxSyncOptions;
  readonly #store: OutboxStore;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #upstreamMetadata = new Map<string, { meta: TopicMetadata; at: number }>();

  constructor(options: OutboxSyncOptions) {
    this.#options = options;
    this.#store = options.store;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
  }

  /** Runs plans until nothing is pending; throws on a failure that needs a backoff. */
  async drain(): Promise<void> {
    for (;;) {
      if (this.#options.isClosed()) return;
      const { state, version } = await loadOutboxState(this.#store);
      if (state.plan !== null) {
        await this.runPlan(state, version);
        continue;
      }
      const plan = await this.nextPlan(state);
      if (plan === null) return;
      state.plan = plan;
      restamp(state, plan);
      await saveOutboxState(this.#store, state, version);
    }
  }

  /** The next plan (unstamped) of the first outbox topic with unacknowledged records, or `null` when none has. */
  async nextPlan(state: OutboxState): Promise<SyncPlan | null> {
    for (const topic of await outboxTopics(this.#store)) {
      const localFrom = counterOf(state.committed, topic);
      const { highWatermark } = await this.#store.offsets(localTp(topic));
      if (localFrom >= highWatermark) continue;
      const to = Math.min(highWatermark, localFrom + MAX_PLAN_RECORDS);
      const records = await readLocal(this.#store, topic, localFrom, to);
      const upstream = await this.#upstreamTopic(topic);
      const stickyPartition = upstream === null ? 0 : Math.floor(this.#random() * upstream.partitions);
      return buildPlan({
        topic,
        localFrom,
        records,
        upstream,
        producerId: state.producerId,
        stickyPartition,
      });
    }
    return null;
  }

  /**
   * Sends the plan's pending batches one by one in plan order, persisting each outcome before the next send.
   * Invariant: every batch before the first pending one is acked or refused, and no batch after it was ever sent.
   */
  async runPlan(state: OutboxState, startVersion: number | null): Promise<void> {
    const plan = state.plan as SyncPlan;
    let version = startVersion;
    const save = async (): Promise<void> => {
      version = await saveOutboxState(this.#store, state, version);
    };
    const records = await readLocal(this.#store, plan.topic, plan.localFrom, plan.localTo);
    let sent = 0;
    /** One epoch bump per pass: a server that refuses a fresh epoch at sequence 0 gets a backoff, not a spin. */
    let bumped = false;
    for (let i = 0; i < plan.batches.length; i++) {
      const batch = plan.batches[i] as PlannedBatch;
      if (batch.status !== "pending") continue;
      const tp = { topic: plan.topic, partition: batch.partition };
      // Re-read from the local log and re-encoded: same records, same stamp → the identical bytes as any earlier try.
      const bytes = encodeBatch(
        batch.offsets.map((o) => records.get(o) as LogRecord),
        { producerId: state.producerId, producerEpoch: batch.epoch, baseSequence: batch.baseSequence },
      );
      let error: EdgeLogError | null = null;
      try {
        await this.#options.upstream.append(tp, bytes);
      } catch (failure) {
        if (this.#options.isClosed()) throw failure;
        // Only the server's answer about this batch may re-stamp it; no answer (the network) ends the pass.
        if (!isEdgeLogError(failure)) throw toSyncError(failure, "upstream");
        error = failure;
      }
      if (error === null) {
        // Outside the try: a failure to persist the ack is the local store's, never the server's answer.
        batch.status = "acked";
        sent += batch.offsets.length;
        await save();
        continue;
      }
      const code = error.code;
      if (code === "UNKNOWN_TOPIC_OR_PARTITION" && (await this.#stillExists(tp))) throw error;
      if (SEQUENCE_CODES.has(code)) {
        if (bumped) throw error;
        bumped = true;
        // The partition answered for exactly this batch without storing it: were it stored, it would be this
        // producer's latest batch there (nothing later was sent) and come back as a duplicate. A new epoch
        // also fences any stale copy of it still travelling. Sequences restart at 0 on every partition.
        state.epoch += 1;
        state.sequences = dict();
        restamp(state, plan);
        await save();
        i--;
        continue;
      }
      if (!REFUSAL_CODES.has(code)) throw error;
      if (batch.offsets.length > 1) {
        // Isolate the offending record(s): same first sequence, one record per batch, resent in order.
        const singles = batch.offsets.map((o, k) => ({
          partition: batch.partition,
          epoch: batch.epoch,
          baseSequence: (batch.baseSequence + k) % SEQUENCE_MODULUS,
          offsets: [o],
          status: "pending" as const,
        }));
        plan.batches.splice(i, 1, ...singles);
      } else {
        batch.status = "refused";
        batch.error = { code, message: error.message };
        // It took no sequence: the batches after it on that partition move down by one.
        restamp(state, plan);
      }
      await save();
      i--;
    }
    // Every batch is acked or refused: set refused records aside, then commit and only then delete.
    const refusal = await this.#setAside(plan, records);
    for (const b of plan.batches)
      if (b.status === "acked" && b.epoch === state.epoch)
        state.sequences[sequenceKey(plan.topic, b.partition)] =
          (b.baseSequence + b.offsets.length) % SEQUENCE_MODULUS;
    state.committed[plan.topic] = plan.localTo;
    state.plan = null;
    await save();
    await this.#store.deleteRecords(localTp(plan.topic), plan.localTo);
    this.#options.onPlanDone({ topic: plan.topic, sent, refusal });
  }

  /** Re-checks a refusal for an unknown topic or partition: only one that is really gone refuses the records. */
  async #stillExists(tp: TopicPartition): Promise<boolean> {
    this.#upstreamMetadata.delete(tp.topic);
    const meta = await this.#callUpstream(() => this.#options.upstream.getTopic(tp.topic));
    return meta !== null && tp.partition < meta.partitions;
  }

  /** Appends the plan's refused records to `__refused.<topic>` with their errors; the error to report, if any. */
  async #setAside(plan: SyncPlan, records: ReadonlyMap<number, LogRecord>): Promise<EdgeLogError | null> {
    const refused = plan.batches.filter((b) => b.status === "refused");
    if (refused.length === 0) return null;
    const name = `${REFUSED_PREFIX}${plan.topic}`;
    await this.#options.ensureLocalTopic(name);
    const aside = refused.flatMap((b) =>
      b.offsets.map((o) => {
        const r = records.get(o) as LogRecord;
        const headers = [
          ...r.headers,
          { key: "edgelog-error-code", value: toBytes(b.error?.code ?? "") },
          { key: "edgelog-error-message", value: toBytes(b.error?.message ?? "") },
          { key: "edgelog-local-offset", value: toBytes(String(o)) },
        ];
        return { ...r, headers };
      }),
    );
    // Records the local log accepted, with three headers more: kept whatever caps they are now over.
    await this.#store.append({ topic: name, partition: 0 }, encodeBatch(aside), { checkRecordCaps: false });
    const first = refused[0]?.error;
    return new EdgeLogError(
      first?.code ?? "INVALID_RECORD",
      `${aside.length} record(s) refused upstream and kept in ${name}: ${first?.message}`,
      { retriable: false },
    );
  }

  /** Upstream metadata for planning, reused briefly so a backlog drains without a metadata request per plan. */
  async #upstreamTopic(topic: string): Promise<TopicMetadata | null> {
    const cached = this.#upstreamMetadata.get(topic);
    if (cached !== undefined && this.#now() - cached.at < UPSTREAM_METADATA_MAX_AGE_MS) return cached.meta;
    const meta = await this.#callUpstream(() => this.#options.upstream.getTopic(topic));
    // An unknown topic is never cached: records for it are refused, so the answer must be current.
    if (meta === null) this.#upstreamMetadata.delete(topic);
    else this.#upstreamMetadata.set(topic, { meta, at: this.#now() });
    return meta;
  }

  async #callUpstream<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw toSyncError(error, "upstream");
    }
  }
}

/** The local records of `topic` at offsets `[from, to)`, by offset. */
export async function readLocal(
  store: LogStore,
  topic: string,
  from: number,
  to: number,
): Promise<Map<number, LogRecord>> {
  const out = new Map<number, LogRecord>();
  let offset = from;
  while (offset < to) {
    const { batches } = await store.read(localTp(topic), { offset, maxBytes: MAX_BATCH_BYTES });
    if (batches.length === 0) break;
    for (const batch of batches) {
      decodeBatch(batch.payload).records.forEach((record, i) => {
        const at = batch.baseOffset + i;
        if (at >= offset && at < to) out.set(at, record);
      });
      offset = Math.max(offset, batch.lastOffset + 1);
    }
  }
  return out;
}
