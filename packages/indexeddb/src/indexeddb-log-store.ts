/**
 * @module
 * `IndexedDbLogStore`: the `LogStore` of the browser, on IndexedDB through `idb`. One database per store name;
 * one entry per record batch, like the Durable Object store. Offsets are assigned inside one readwrite
 * transaction that reads the partition row, checks the producer's sequence and writes the batch, the partition
 * and the producer — IndexedDB runs overlapping readwrite transactions one at a time, so any number of tabs can
 * append to the same database. Appends issued in the same tick share one transaction (group commit), since a
 * transaction, not a record, is what costs (docs/benchmarks/results.md: raw idb in Chromium adds ~3,080
 * records/s one transaction each, ~18,000 with 1,000 per transaction). Readers long-poll on core's
 * `AppendWaiters` and are woken from other tabs through a `BroadcastChannel`. A compacted topic's partitions are
 * compacted in a transaction of their own after the appends that made a pass due (`store-compaction.ts`).
 */
import {
  type AppendOptions,
  type AppendResult,
  type BatchInfo,
  type CommittedOffset,
  type EdgeLogError,
  type GroupDescription,
  type GroupHeartbeatRequest,
  type GroupHeartbeatResponse,
  type GroupMemberRef,
  isEdgeLogError,
  MAX_TOPICS,
  type OffsetsOptions,
  type PartitionOffsets,
  type PartitionOffsetsWithSize,
  type ReadOptions,
  type ReadResult,
  type ShareFetchRequest,
  type ShareFetchResponse,
  type ShareGroupConfig,
  type ShareGroupDescription,
  type ShareGroupStore,
  type StoredBatch,
  type TopicMetadata,
  type TopicPartition,
  type TopicSpec,
} from "@edgelog/core";
import {
  AppendWaiters,
  alteredTopicMetadata,
  assertNoTopicCollision,
  assertOffsetInRange,
  assertPartitionExists,
  assertPartitionsGrow,
  assertTopicCapacity,
  type BatchHeader,
  type CheckedBatch,
  type CompactionPassStats,
  checkBatch,
  compareStrings,
  DEFAULT_READ_MAX_BYTES,
  GroupCoordinator,
  type GroupCoordinatorOptions,
  inspectBatchForAppend,
  newTopicMetadata,
  nextGroupStateVersion,
  nextPrivateStateVersion,
  offsetForTimestampInBatch,
  type ProducerState,
  planAppend,
  RECORD_CAPS,
  ReadBudget,
  type RejectedBatch,
  resultOf,
  runStreamCommand,
  ShareCoordinator,
  type ShareCoordinatorOptions,
  type StorageEngine,
  type StreamCommand,
  type StreamOutcome,
  storeClosedError,
  topicAlreadyExists,
  unknownGroup,
  unknownTopic,
  type VersionedGroupState,
} from "@edgelog/core/store-kit";
import type { IDBPTransaction, StoreNames } from "idb";
import { toEdgeLogError } from "./idb-errors.ts";
import {
  batchRange,
  groupRange,
  type LogDatabase,
  type LogSchema,
  openLogDatabase,
  type PartitionRow,
  partitionRange,
  topicRange,
} from "./idb-schema.ts";
import { IdbShareState } from "./share-state-idb.ts";
import {
  type CompactionCheck,
  compactionAfterAppend,
  compactionDue,
  compactPartition,
} from "./store-compaction.ts";
import {
  applyRetention,
  baseOffsetHolding,
  batchInfoOf,
  deleteBelow,
  offsetsOf,
  partitionIn,
  partitionOf,
  type ReadTx,
  settle,
  topicIn,
  type WriteTx,
  writePlan,
} from "./store-partition.ts";
import { openChannel, postQuietly } from "./tabs.ts";

export interface IndexedDbLogStoreOptions {
  /** The IndexedDB database name: one database per store. */
  readonly name: string;
  /** The factory to open it with (default: the global `indexedDB`); tests pass fake-indexeddb's. */
  readonly indexedDB?: IDBFactory;
  /** The clock for append times and retention; tests inject one. */
  readonly now?: () => number;
  /**
   * Durability of the write transactions (default `"strict"`). `"strict"` resolves an append only once the
   * browser has flushed it to disk, so it survives an OS crash or power loss, which an outbox of user events
   * must. `"relaxed"` (Chromium's default since 121) resolves once the OS has the data: it survives a reload and
   * a browser crash, and is about twice as fast per transaction; group commit already amortises most of that.
   */
  readonly durability?: IDBTransactionDurability;
  /** Session timeouts, heartbeat interval and member limit of the group coordinator (its clock is `now`). */
  readonly groups?: Omit<GroupCoordinatorOptions, "now">;
  /** Topics the database holds at most; default `MAX_TOPICS`. Tests lower it. */
  readonly maxTopics?: number;
  /** The share-group coordinator's member limit and failure reporting (its clock is `now`). */
  readonly shareGroups?: Omit<ShareCoordinatorOptions, "now" | "onWrite">;
}

/** Counters for tests and metrics. */
export interface IndexedDbLogStoreStats {
  /** Readwrite transactions that appended: fewer than appends when group commit coalesced them. */
  readonly appendTransactions: number;
  readonly appendedBatches: number;
  /** Readers parked in this instance. */
  readonly waiters: number;
}

/** What one tab tells the others of the same origin and database name. */
type ChannelMessage =
  | { readonly type: "appended"; readonly partitions: readonly (readonly [string, number])[] }
  | { readonly type: "topic-deleted"; readonly topic: string };

interface PendingAppend {
  readonly tp: TopicPartition;
  readonly batch: Uint8Array;
  /** `false` for a copy of records accepted before (see `AppendOptions`). */
  readonly checkRecordCaps: boolean;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
}

/** An append that passed inspection, with the topic it was checked against. */
interface CheckedAppend extends PendingAppend {
  readonly topic: TopicMetadata;
  readonly header: BatchHeader;
}

type Outcome = { readonly ok: AppendResult } | { readonly error: EdgeLogError };

/** What one partition's share of an append transaction loaded, for core's planner. */
interface PartitionAppends {
  readonly tp: TopicPartition;
  readonly topic: TopicMetadata;
  readonly row: PartitionRow;
  readonly producers: Map<string, ProducerState | undefined>;
  readonly batches: (CheckedBatch | RejectedBatch)[];
  /** Where each of `batches` stands in the group. */
  readonly indexes: number[];
}

type AnyStores = StoreNames<LogSchema>[];

const DEFAULT_LIST_BATCHES_LIMIT = 1000;

/** A partition's key in this instance's maps (NUL cannot occur in a topic name). */
function partitionKeyOf(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`;
}
const APPEND_STORES: AnyStores = ["topics", "partitions", "batches", "producers"];

/**
 * @example
 * const store = await IndexedDbLogStore.open({ name: "my-app" });
 * const log = new EdgeLog({ store });
 */
export class IndexedDbLogStore implements StorageEngine, ShareGroupStore {
  readonly #name: string;
  readonly #now: () => number;
  readonly #maxTopics: number;
  readonly #durability: IDBTransactionDurability;
  readonly #db: Promise<LogDatabase>;
  readonly #channel: BroadcastChannel | null;
  /** Parked readers by `topic` NUL `partition` (NUL cannot occur in a topic name). */
  readonly #waiters = new Map<string, AppendWaiters>();
  /** Topics as last seen, to inspect batches before the append transaction; the transaction re-checks. */
  readonly #topicCache = new Map<string, TopicMetadata>();
  #queue: PendingAppend[] = [];
  /** A flush is running: appends queue up for the next transaction, which starts when it ends. */
  #flushing = false;
  readonly #coordinator: GroupCoordinator;
  /**
   * Share groups run in process, their state in this database (tabs take turns through its version); locks run
   * out when the group is next used, by any tab.
   */
  readonly #shares: ShareCoordinator;
  #closed = false;
  #appendTransactions = 0;
  #appendedBatches = 0;
  /** Partitions whose last append transaction found a compaction pass due (or needing a check), to run after it. */
  readonly #compactionChecks = new Map<string, { tp: TopicPartition; check: CompactionCheck }>();
  /** Passes running in the background, one per partition at most. */
  readonly #compacting = new Map<string, Promise<void>>();
  /**
   * When a check found the next pass due (by a lag setting): appends before then need no check transaction. Per
   * instance: a tab that missed another's pass checks once more than needed, which finds nothing due.
   */
  readonly #compactionDueAt = new Map<string, number>();

  /** Opens the store; the database opens in the background and the first call waits for it. */
  constructor(options: IndexedDbLogStoreOptions) {
    this.#name = options.name;
    this.#now = options.now ?? Date.now;
    this.#maxTopics = options.maxTopics ?? MAX_TOPICS;
    // Tabs coordinate through the versioned group state (compare-and-set in one transaction), like isolates.
    this.#coordinator = new GroupCoordinator(this, { ...options.groups, now: this.#now });
    const shareState = new IdbShareState(
      (body) => this.#read(["private"], body),
      (body) => this.#write(["private"], body),
    );
    this.#shares = new ShareCoordinator(shareState, this, { ...options.shareGroups, now: this.#now });
    this.#durability = options.durability ?? "strict";
    this.#db = openLogDatabase(options.indexedDB ?? indexedDB, options.name);
    // An open failure is reported by every call that waits for the database, not as an unhandled rejection.
    this.#db.catch(() => undefined);
    // Without BroadcastChannel (some workers, old engines) waiters are woken by appends of this instance only.
    this.#channel = openChannel(`edgelog:${options.name}`);
    this.#channel?.addEventListener("message", (event: MessageEvent<ChannelMessage>) =>
      this.#onMessage(event.data),
    );
  }

  /** Opens the store and waits until its database is open, so an open failure surfaces here. */
  static async open(options: IndexedDbLogStoreOptions): Promise<IndexedDbLogStore> {
    const store = new IndexedDbLogStore(options);
    try {
      await store.#db;
    } catch (error) {
      await store.close();
      throw toEdgeLogError(error);
    }
    return store;
  }

  /** The database name. */
  get name(): string {
    return this.#name;
  }

  stats(): IndexedDbLogStoreStats {
    let waiters = 0;
    for (const w of this.#waiters.values()) waiters += w.size;
    return {
      appendTransactions: this.#appendTransactions,
      appendedBatches: this.#appendedBatches,
      waiters,
    };
  }

  // ── topics ──────────────────────────────────────────────────────────────────────────────────────────────────

  async createTopic(spec: TopicSpec): Promise<TopicMetadata> {
    const metadata = newTopicMetadata(spec, this.#now());
    await this.#write(["topics"], async (tx) => {
      const topics = tx.objectStore("topics");
      if ((await topics.getKey(spec.name)) !== undefined) throw topicAlreadyExists(spec.name);
      // In the same transaction as the add, so a concurrent create of a colliding name (any tab) waits for it.
      // Names that collide share everything before their first '.' or '_': only those keys are read.
      const stem = spec.name.split(/[._]/, 1)[0] ?? "";
      const similar = await topics.getAllKeys(IDBKeyRange.bound(stem, `${stem}\uffff`));
      assertNoTopicCollision(spec.name, similar as string[]);
      // Counted in the same transaction as the add: creates in other tabs wait for it, so none overshoots.
      assertTopicCapacity(spec.name, await topics.count(), this.#maxTopics);
      await topics.add(metadata);
    });
    this.#topicCache.set(metadata.name, metadata);
    return metadata;
  }

  async getTopic(name: string): Promise<TopicMetadata | null> {
    return (await this.#read(["topics"], (tx) => tx.objectStore("topics").get(name))) ?? null;
  }

  async listTopics(): Promise<TopicMetadata[]> {
    const topics = await this.#read(["topics"], (tx) => tx.objectStore("topics").getAll());
    return topics.sort((a, b) => compareStrings(a.name, b.name));
  }

  async deleteTopic(name: string): Promise<void> {
    await this.#write(["topics", "partitions", "batches", "producers", "offsets"], async (tx) => {
      const topic = await topicIn(tx, name);
      const range = topicRange(topic.topicId);
      await Promise.all([
        tx.objectStore("topics").delete(name),
        tx.objectStore("partitions").delete(range),
        tx.objectStore("batches").delete(range),
        tx.objectStore("producers").delete(range),
        (async () => {
          const offsets = tx.objectStore("offsets");
          for (const key of await offsets.index("byTopic").getAllKeys(name)) await offsets.delete(key);
        })(),
      ]);
    });
    this.#topicDeleted(name);
    this.#post({ type: "topic-deleted", topic: name });
  }

  async createPartitions(name: string, count: number): Promise<TopicMetadata> {
    const metadata = await this.#write(["topics"], async (tx) => {
      const topic = await topicIn(tx, name);
      assertPartitionsGrow(name, topic.partitions, count);
      // New partitions need no rows: an absent partition row is an empty partition.
      const grown: TopicMetadata = { ...topic, partitions: count };
      await tx.objectStore("topics").put(grown);
      return grown;
    });
    this.#topicCache.set(name, metadata);
    return metadata;
  }

  async alterTopicConfig(name: string, changes: Readonly<Record<string, unknown>>): Promise<TopicMetadata> {
    this.#forgetCompactionDue(name);
    const metadata = await this.#write(["topics"], async (tx) => {
      // Read and written in one transaction: a change made meanwhile (another tab) is kept, not overwritten.
      const altered = alteredTopicMetadata(await topicIn(tx, name), changes);
      await tx.objectStore("topics").put(altered);
      return altered;
    });
    this.#topicCache.set(name, metadata);
    return metadata;
  }

  /**
   * Runs a compaction pass of a compacted topic's partition now, whether or not one is due (passes otherwise run
   * after the appends that make them due): for tests, and after changing a topic's compaction settings. `nowMs`
   * defaults to the store's clock; `indexBudgetBytes` lowers the key index's budget.
   */
  async compact(
    tp: TopicPartition,
    options: { readonly nowMs?: number; readonly indexBudgetBytes?: number } = {},
  ): Promise<CompactionPassStats> {
    await this.#compacting.get(partitionKeyOf(tp));
    this.#compactionDueAt.delete(partitionKeyOf(tp));
    const now = options.nowMs ?? this.#now();
    return this.#write(["topics", "partitions", "batches"], async (tx) => {
      const { topic, row } = await partitionOf(tx, tp);
      const { row: next, stats } = await compactPartition(tx, topic, row, now, options.indexBudgetBytes);
      await tx.objectStore("partitions").put(next);
      return stats;
    });
  }

  /** The schedule of a topic's partitions changes with its config (or the topic): ask again. */
  #forgetCompactionDue(topic: string): void {
    for (const key of this.#compactionDueAt.keys()) {
      if (key.startsWith(`${topic}\u0000`)) this.#compactionDueAt.delete(key);
    }
  }

  /** Runs the passes the last append transactions found due, each in a transaction of its own, one at a time. */
  #runCompactionChecks(): void {
    for (const [key, { tp, check }] of this.#compactionChecks) {
      this.#compactionChecks.delete(key);
      if (this.#compacting.has(key) || this.#closed) continue;
      if (check === "check" && this.#now() < (this.#compactionDueAt.get(key) ?? 0)) continue;
      const running = this.#write(["topics", "partitions", "batches"], async (tx) => {
        const { topic, row } = await partitionOf(tx, tp);
        const now = this.#now();
        // Checked again in this transaction: another tab may have compacted since.
        const due = await compactionDue(tx, topic, row, now);
        if (due === null || due > now) {
          if (due === null) this.#compactionDueAt.delete(key);
          else this.#compactionDueAt.set(key, due);
          return;
        }
        this.#compactionDueAt.delete(key);
        const { row: next } = await compactPartition(tx, topic, row, now);
        await tx.objectStore("partitions").put(next);
      })
        .catch((error: unknown) => {
          // Housekeeping: the log is intact (the transaction rolled back) and the next append tries again.
          if (!this.#closed && !(isEdgeLogError(error) && error.code === "UNKNOWN_TOPIC_OR_PARTITION")) {
            console.error("edgelog: a compaction pass failed", error);
          }
        })
        .finally(() => this.#compacting.delete(key));
      this.#compacting.set(key, running);
    }
  }

  // ── appends ─────────────────────────────────────────────────────────────────────────────────────────────────

  append(tp: TopicPartition, batch: Uint8Array, options?: AppendOptions): Promise<AppendResult> {
    if (this.#closed) return Promise.reject(storeClosedError());
    const checkRecordCaps = options?.checkRecordCaps ?? true;
    return new Promise<AppendResult>((resolve, reject) => {
      // Copy now: the batch is checked and stored in a later microtask, and the caller may reuse its buffer at
      // once. The copy is also exact, so structured clone stores only these bytes, not a larger buffer behind.
      this.#queue.push({ tp, batch: batch.slice(), checkRecordCaps, resolve, reject });
      // Group commit: everything appended before this microtask runs shares one transaction; what arrives
      // while a transaction runs shares the next one.
      if (this.#queue.length === 1 && !this.#flushing) queueMicrotask(() => void this.#drain());
    });
  }

  /**
   * One flush at a time, so transactions are created in append order: a later flush must not overtake an
   * earlier one (an idempotent producer's pipelined batches would arrive out of sequence).
   */
  async #drain(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      while (this.#queue.length > 0) await this.#flush();
    } finally {
      this.#flushing = false;
    }
  }

  async #flush(): Promise<void> {
    const group = this.#queue;
    this.#queue = [];
    const checked: CheckedAppend[] = [];
    try {
      const db = await this.#db;
      // Inspect outside the transaction: the checksum is the costly part, and a bad batch fails only itself.
      for (const pending of group) {
        try {
          const topic = await this.#cachedTopic(db, pending.tp.topic);
          const caps = pending.checkRecordCaps ? RECORD_CAPS : null;
          const header = inspectBatchForAppend(topic, pending.tp, pending.batch, caps);
          checked.push({ ...pending, topic, header });
        } catch (error) {
          pending.reject(toEdgeLogError(error));
        }
      }
      await this.#commit(db, checked);
    } catch (error) {
      // Not a verdict on one batch (the database is gone or closing): answer everyone still waiting.
      // Settling a promise twice is a no-op, so the ones already answered keep their answer.
      for (const pending of group) pending.reject(toEdgeLogError(error));
    }
  }

  /** Commits `group` in one transaction; when storage fails it, each batch is retried alone, in order. */
  async #commit(db: LogDatabase, group: CheckedAppend[]): Promise<void> {
    if (group.length === 0) return;
    if (this.#closed) {
      for (const pending of group) pending.reject(storeClosedError());
      return;
    }
    let outcomes: Outcome[];
    try {
      outcomes = await this.#appendTransaction(db, group);
    } catch (error) {
      // The transaction rolled back whole (quota, I/O): nothing of it was stored. One batch that does not fit
      // must not fail smaller ones that came with it, so retry each alone, in order (sequences depend on it).
      if (group.length > 1 && !this.#closed) {
        for (const pending of group) await this.#commit(db, [pending]);
      } else {
        for (const pending of group) pending.reject(toEdgeLogError(error));
      }
      return;
    }
    const appended: [string, number][] = [];
    for (const [i, pending] of group.entries()) {
      const outcome = outcomes[i];
      if (outcome === undefined) pending.reject(new Error("append lost its result"));
      else if ("error" in outcome) pending.reject(outcome.error);
      else {
        pending.resolve(outcome.ok);
        if (!outcome.ok.duplicate) appended.push([pending.tp.topic, pending.tp.partition]);
      }
    }
    if (appended.length > 0) {
      this.#appendTransactions++;
      this.#appendedBatches += appended.length;
      for (const [topic, partition] of appended) this.#waitersOf(topic, partition, false)?.notify();
      this.#post({ type: "appended", partitions: appended });
    }
    this.#runCompactionChecks();
  }

  /**
   * The append transaction, load–plan–apply: load the topics, partition rows and producer states the group
   * touches (each once), let core's planner decide each partition's batches in arrival order (so a later batch
   * of a producer is checked against the earlier one), write the plans' rows, then apply retention. Rejects only
   * when storage fails (rolled back).
   */
  async #appendTransaction(db: LogDatabase, group: CheckedAppend[]): Promise<Outcome[]> {
    const now = this.#now();
    return this.#inTransaction(db, APPEND_STORES, "readwrite", async (tx) => {
      const topics = new Map<string, TopicMetadata | undefined>();
      const partitions = new Map<string, PartitionAppends>();
      const outcomes: Outcome[] = [];
      for (const [i, pending] of group.entries()) {
        const { tp, batch } = pending;
        try {
          if (!topics.has(tp.topic)) topics.set(tp.topic, await tx.objectStore("topics").get(tp.topic));
          const topic = topics.get(tp.topic);
          if (topic === undefined) {
            this.#topicCache.delete(tp.topic);
            throw unknownTopic(tp.topic);
          }
          // The cache may be behind another tab (grown, or deleted and re-created): the row here is the truth.
          this.#topicCache.set(tp.topic, topic);
          assertPartitionExists(tp.topic, tp.partition, topic.partitions);
          const key = `${topic.topicId}\u0000${tp.partition}`;
          let partition = partitions.get(key);
          if (partition === undefined) {
            const row = await partitionIn(tx, topic.topicId, tp.partition);
            partition = { tp, topic, row, producers: new Map(), batches: [], indexes: [] };
            partitions.set(key, partition);
          }
          // Deleted and re-created (maybe in another tab) since inspection: inspect against the topic of now.
          const checked =
            topic.topicId === pending.topic.topicId
              ? { payload: batch, header: pending.header }
              : checkBatch(topic, tp, batch, { checkRecordCaps: pending.checkRecordCaps });
          const producerId = "header" in checked ? checked.header.producerId : null;
          if (producerId !== null && !partition.producers.has(producerId)) {
            const stored = await tx.objectStore("producers").get([topic.topicId, tp.partition, producerId]);
            partition.producers.set(producerId, stored?.state);
          }
          partition.batches.push(checked);
          partition.indexes.push(i);
        } catch (error) {
          // A verdict on this batch only (unknown topic or partition): the others go on.
          if (!isEdgeLogError(error)) throw error;
          outcomes[i] = { error };
        }
      }
      for (const { tp, topic, row, producers, batches, indexes } of partitions.values()) {
        const plan = planAppend({ tp, partition: row, producers, batches, nowMs: now });
        writePlan(tx, plan);
        for (const [j, outcome] of plan.outcomes.entries()) {
          outcomes[indexes[j] as number] =
            outcome.kind === "error" ? { error: outcome.error } : { ok: outcome.result };
        }
        // Retention after appends, as the memory store does: there is no alarm in a tab.
        const retained = await applyRetention(tx, topic, plan.partition, now);
        settle(tx.objectStore("partitions").put(retained));
        const check = compactionAfterAppend(topic, retained, now);
        if (check !== "none") this.#compactionChecks.set(partitionKeyOf(tp), { tp, check });
      }
      return outcomes;
    });
  }

  /**
   * Durable Streams state, kept on the partition row and changed in the same transaction as the batches it
   * admits (core's `runStreamCommand` decides, core's append planner places the batches; this transaction
   * applies).
   */
  async stream(tp: TopicPartition, command: StreamCommand): Promise<StreamOutcome> {
    const now = this.#now();
    let woke = false;
    const outcome = await this.#write(APPEND_STORES, async (tx) => {
      const { topic, row: before } = await partitionOf(tx, tp);
      let row = before;
      const result = runStreamCommand(
        {
          readState: () => row.streamState ?? null,
          writeState: (streamState) => {
            row = { ...row, streamState };
          },
          append: (batch) => {
            // Stream batches carry no producer stamp (runStreamCommand refuses them): no producer to load.
            const batches = [checkBatch(topic, tp, batch)];
            const plan = planAppend({ tp, partition: row, producers: new Map(), batches, nowMs: now });
            const appended = resultOf(plan.outcomes[0]);
            writePlan(tx, plan);
            row = plan.partition;
            return appended;
          },
          offsets: () => offsetsOf(row),
          notify: () => {
            woke = true;
          },
        },
        command,
        now,
      );
      if (row !== before) settle(tx.objectStore("partitions").put(await applyRetention(tx, topic, row, now)));
      return result;
    });
    if (woke) {
      this.#waitersOf(tp.topic, tp.partition, false)?.notify();
      this.#post({ type: "appended", partitions: [[tp.topic, tp.partition]] });
    }
    return outcome;
  }

  // ── reads ───────────────────────────────────────────────────────────────────────────────────────────────────

  async read(tp: TopicPartition, options: ReadOptions): Promise<ReadResult> {
    const maxBytes = options.maxBytes ?? DEFAULT_READ_MAX_BYTES;
    const result = await this.#readNow(tp, options.offset, maxBytes);
    const maxWaitMs = options.maxWaitMs ?? 0;
    if (result.batches.length > 0 || maxWaitMs <= 0 || options.offset < result.highWatermark) return result;
    // Closed while the first read ran: close() has already failed the parked readers, so this one must not park.
    if (this.#closed) throw storeClosedError();
    // Long-poll (Kafka's fetch.max.wait.ms): woken by an append in this tab or, through the channel, another.
    const waiters = this.#waitersOf(tp.topic, tp.partition, true);
    await waiters.wait(maxWaitMs, options.signal);
    return this.#readNow(tp, options.offset, maxBytes);
  }

  #readNow(tp: TopicPartition, offset: number, maxBytes: number): Promise<ReadResult> {
    return this.#read(["topics", "partitions", "batches"], async (tx) => {
      const { topic, row } = await partitionOf(tx, tp);
      assertOffsetInRange(tp, offset, row);
      const batches: StoredBatch[] = [];
      const budget = new ReadBudget(maxBytes);
      const start = await baseOffsetHolding(tx, topic.topicId, tp.partition, offset);
      let cursor = await tx
        .objectStore("batches")
        .openCursor(batchRange(topic.topicId, tp.partition, start, null));
      while (cursor !== null) {
        const { topicId: _t, partition: _p, ...batch } = cursor.value;
        if (!budget.admits(batch.sizeBytes)) break;
        batches.push(batch);
        cursor = await cursor.continue();
      }
      return { batches, ...offsetsOf(row) };
    });
  }

  async offsets(tp: TopicPartition, options: OffsetsOptions = {}): Promise<PartitionOffsetsWithSize> {
    return this.#read(["topics", "partitions"], async (tx) => {
      const { row } = await partitionOf(tx, tp);
      return options.includeSize === true ? { ...offsetsOf(row), sizeBytes: row.sizeBytes } : offsetsOf(row);
    });
  }

  async offsetForTimestamp(tp: TopicPartition, timestamp: number): Promise<number | null> {
    return this.#read(["topics", "partitions", "batches"], async (tx) => {
      const { topic, row } = await partitionOf(tx, tp);
      let cursor = await tx.objectStore("batches").openCursor(partitionRange(topic.topicId, tp.partition));
      while (cursor !== null) {
        const found = offsetForTimestampInBatch(cursor.value, timestamp, row.logStartOffset);
        if (found !== null) return found;
        cursor = await cursor.continue();
      }
      return null;
    });
  }

  async listBatches(
    tp: TopicPartition,
    options: { fromOffset?: number; limit?: number } = {},
  ): Promise<BatchInfo[]> {
    return this.#read(["topics", "partitions", "batches"], async (tx) => {
      const { topic, row } = await partitionOf(tx, tp);
      const from = Math.max(options.fromOffset ?? row.logStartOffset, row.logStartOffset);
      const start = await baseOffsetHolding(tx, topic.topicId, tp.partition, from);
      const rows = await tx
        .objectStore("batches")
        .getAll(
          batchRange(topic.topicId, tp.partition, start, null),
          options.limit ?? DEFAULT_LIST_BATCHES_LIMIT,
        );
      return rows.map(batchInfoOf);
    });
  }

  async deleteRecords(tp: TopicPartition, beforeOffset: number): Promise<PartitionOffsets> {
    return this.#write(APPEND_STORES, async (tx) => {
      const { topic, row } = await partitionOf(tx, tp);
      assertOffsetInRange(tp, beforeOffset, row);
      const next = await deleteBelow(tx, topic.topicId, tp.partition, row, beforeOffset);
      await tx.objectStore("partitions").put(next);
      return offsetsOf(next);
    });
  }

  // ── consumer groups ─────────────────────────────────────────────────────────────────────────────────────────

  async groupHeartbeat(groupId: string, request: GroupHeartbeatRequest): Promise<GroupHeartbeatResponse> {
    return this.#coordinator.heartbeat(groupId, request);
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    return this.#coordinator.describeForStore(
      groupId,
      async () =>
        (await this.#read(["offsets"], (tx) => tx.objectStore("offsets").count(groupRange(groupId)))) > 0,
    );
  }

  async commitOffsets(
    groupId: string,
    offsets: readonly CommittedOffset[],
    member?: GroupMemberRef,
  ): Promise<void> {
    await this.#coordinator.checkCommit(groupId, member);
    await this.#write(["topics", "offsets"], async (tx) => {
      // Validate everything before writing anything: a commit is all or nothing.
      const topics = new Map<string, TopicMetadata>();
      for (const { topic, partition } of offsets) {
        let metadata = topics.get(topic);
        if (metadata === undefined) {
          metadata = await topicIn(tx, topic);
          topics.set(topic, metadata);
        }
        assertPartitionExists(topic, partition, metadata.partitions);
      }
      const store = tx.objectStore("offsets");
      await Promise.all(
        offsets.map(({ topic, partition, offset, metadata }) =>
          store.put({ groupId, topic, partition, offset, metadata }),
        ),
      );
    });
  }

  async fetchOffsets(groupId: string, topics?: readonly string[]): Promise<CommittedOffset[]> {
    const rows = await this.#read(["offsets"], (tx) => tx.objectStore("offsets").getAll(groupRange(groupId)));
    const wanted = topics === undefined ? null : new Set(topics);
    return rows
      .filter((row) => wanted === null || wanted.has(row.topic))
      .map(({ topic, partition, offset, metadata }) => ({ topic, partition, offset, metadata }))
      .sort((a, b) => compareStrings(a.topic, b.topic) || a.partition - b.partition);
  }

  async getGroupState(groupId: string): Promise<VersionedGroupState | null> {
    const row = await this.#read(["groups"], (tx) => tx.objectStore("groups").get(groupId));
    // Structured clone already handed out a copy: the stored state changes only through putGroupState.
    return row === undefined ? null : { state: row.state, version: row.version };
  }

  async putGroupState(groupId: string, state: unknown, expectedVersion: number | null): Promise<number> {
    return this.#write(["groups"], async (tx) => {
      const groups = tx.objectStore("groups");
      const currentVersion = (await groups.get(groupId))?.version ?? null;
      const version = nextGroupStateVersion(groupId, currentVersion, expectedVersion);
      await groups.put({ groupId, state, version });
      return version;
    });
  }

  async listGroups(): Promise<string[]> {
    const ids = await this.#read(["groups", "offsets"], async (tx) => {
      const [withState, offsetKeys] = await Promise.all([
        tx.objectStore("groups").getAllKeys(),
        tx.objectStore("offsets").getAllKeys(),
      ]);
      return new Set([...withState, ...offsetKeys.map(([groupId]) => groupId)]);
    });
    return [...ids].sort(compareStrings);
  }

  async deleteGroup(groupId: string): Promise<void> {
    await this.#coordinator.assertDeletable(groupId);
    await this.#write(["groups", "offsets"], async (tx) => {
      const groups = tx.objectStore("groups");
      const offsets = tx.objectStore("offsets");
      const [state, offsetCount] = await Promise.all([
        groups.getKey(groupId),
        offsets.count(groupRange(groupId)),
      ]);
      if (state === undefined && offsetCount === 0) throw unknownGroup(groupId);
      await Promise.all([groups.delete(groupId), offsets.delete(groupRange(groupId))]);
    });
  }

  // ── share groups (`ShareGroupStore`) ─────────────────────────────────────────────────────────────────────────

  shareFetch(groupId: string, request: ShareFetchRequest, signal?: AbortSignal): Promise<ShareFetchResponse> {
    return this.#shares.fetch(groupId, request, signal);
  }

  describeShareGroup(groupId: string): Promise<ShareGroupDescription> {
    return this.#shares.describe(groupId);
  }

  alterShareGroupConfig(
    groupId: string,
    changes: Readonly<Record<string, unknown>>,
  ): Promise<ShareGroupConfig> {
    return this.#shares.alterConfig(groupId, changes);
  }

  listShareGroups(): Promise<string[]> {
    return this.#shares.list();
  }

  deleteShareGroup(groupId: string): Promise<void> {
    return this.#shares.delete(groupId);
  }

  // ── lifecycle ───────────────────────────────────────────────────────────────────────────────────────────────

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const error = storeClosedError();
    for (const pending of this.#queue.splice(0)) pending.reject(error);
    for (const waiters of this.#waiters.values()) waiters.fail(error);
    this.#waiters.clear();
    this.#channel?.close();
    // A pass already in its transaction finishes (or rolls back) before the database closes under it.
    await Promise.all(this.#compacting.values());
    // close() lets running transactions finish: appends already in one still resolve.
    const db = await this.#db.catch(() => null);
    db?.close();
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────────────────────

  #read<T>(stores: AnyStores, body: (tx: ReadTx) => Promise<T>): Promise<T> {
    return this.#run(stores, "readonly", body);
  }

  #write<T>(stores: AnyStores, body: (tx: WriteTx) => Promise<T>): Promise<T> {
    return this.#run(stores, "readwrite", body);
  }

  async #run<M extends "readonly" | "readwrite", T>(
    stores: AnyStores,
    mode: M,
    body: (tx: IDBPTransaction<LogSchema, AnyStores, M>) => Promise<T>,
  ): Promise<T> {
    if (this.#closed) throw storeClosedError();
    const db = await this.#db.catch((error: unknown) => {
      throw toEdgeLogError(error);
    });
    if (this.#closed) throw storeClosedError();
    return this.#inTransaction(db, stores, mode, body);
  }

  /**
   * Runs `body` in a new transaction and resolves once the transaction committed. An `EdgeLogError` from `body`
   * aborts the transaction (nothing it wrote stays); a native failure becomes an `EdgeLogError` with the native
   * error as `cause`, looking through an `AbortError` to the transaction's own error (quota).
   */
  async #inTransaction<M extends "readonly" | "readwrite", T>(
    db: LogDatabase,
    stores: AnyStores,
    mode: M,
    body: (tx: IDBPTransaction<LogSchema, AnyStores, M>) => Promise<T>,
  ): Promise<T> {
    let tx: IDBPTransaction<LogSchema, AnyStores, M>;
    try {
      tx = db.transaction(stores, mode, { durability: this.#durability });
    } catch (error) {
      throw toEdgeLogError(error);
    }
    // idb's `tx.done` rejects on the request's bubbling `error` event, before the abort has set
    // `transaction.error`; the cause (a quota error, say) is only known once the transaction has ended.
    const ended = new Promise<void>((resolve) => {
      tx.addEventListener("complete", () => resolve(), { once: true });
      tx.addEventListener("abort", () => resolve(), { once: true });
    });
    try {
      const result = await body(tx);
      await tx.done;
      return result;
    } catch (error) {
      settle(tx.done);
      try {
        tx.abort();
      } catch {
        // Already committed or aborting: there is nothing left to undo.
      }
      await ended;
      throw toEdgeLogError(error, tx.error);
    }
  }

  async #cachedTopic(db: LogDatabase, name: string): Promise<TopicMetadata> {
    const cached = this.#topicCache.get(name);
    if (cached !== undefined) return cached;
    const topic = await this.#inTransaction(db, ["topics"], "readonly", (tx) => topicIn(tx, name));
    this.#topicCache.set(name, topic);
    return topic;
  }

  #waitersOf(topic: string, partition: number, create: true): AppendWaiters;
  #waitersOf(topic: string, partition: number, create: false): AppendWaiters | undefined;
  #waitersOf(topic: string, partition: number, create: boolean): AppendWaiters | undefined {
    const key = `${topic}\u0000${partition}`;
    let waiters = this.#waiters.get(key);
    if (waiters === undefined && create) {
      waiters = new AppendWaiters();
      this.#waiters.set(key, waiters);
    }
    return waiters;
  }

  #topicDeleted(topic: string): void {
    this.#topicCache.delete(topic);
    this.#forgetCompactionDue(topic);
    const error = unknownTopic(topic);
    for (const [key, waiters] of this.#waiters) {
      if (key.startsWith(`${topic}\u0000`)) waiters.fail(error);
    }
  }

  #post(message: ChannelMessage): void {
    postQuietly(this.#channel, message);
  }

  #onMessage(message: ChannelMessage): void {
    if (this.#closed) return;
    if (message.type === "appended") {
      for (const [topic, partition] of message.partitions) this.#waitersOf(topic, partition, false)?.notify();
    } else if (message.type === "topic-deleted") {
      this.#topicDeleted(message.topic);
    }
  }

  // ── private state (`PrivateStateStore`) ─────────────────────────────────────────────────────────────────────

  /** A private document (the offline outbox's state): its own object store, never seen by a group call. */
  async getPrivateState(key: string): Promise<VersionedGroupState | null> {
    const row = await this.#read(["private"], (tx) => tx.objectStore("private").get(key));
    // Structured clone already handed out a copy: the stored document changes only through putPrivateState.
    return row === undefined ? null : { state: row.state, version: row.version };
  }

  async putPrivateState(key: string, state: unknown, expectedVersion: number | null): Promise<number> {
    return this.#write(["private"], async (tx) => {
      const store = tx.objectStore("private");
      const version = nextPrivateStateVersion(key, (await store.get(key))?.version ?? null, expectedVersion);
      await store.put({ key, state, version });
      return version;
    });
  }
}
