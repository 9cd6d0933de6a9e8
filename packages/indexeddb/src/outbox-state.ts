/**
 * @module
 * The offline outbox's layout on its local store: the local topics it writes, and its one state document (producer
 * id, epoch, sequences, committed positions, in-flight sync plan) kept in the store's private key space
 * (`PrivateStateStore`), where no group call can list, describe or delete it; what is pending against it. Also
 * `restamp`, the one rule that gives a plan's batches their producer stamps.
 */
import {
  type ErrorCode,
  type LogStore,
  type PrivateStateStore,
  randomId,
  type TopicPartition,
} from "@edgelog/core";

/** Private-state key of the outbox's state document (version 1 of the IndexedDB schema kept it as a group). */
export const OUTBOX_STATE_ID = "__edgelog_outbox";
/** Local topic holding records not yet acknowledged upstream for `topic`. */
export const OUTBOX_PREFIX = "__outbox.";
/** Local topic holding records the server permanently refused, with `edgelog-error-*` headers. */
export const REFUSED_PREFIX = "__refused.";
/** Kafka's sequences wrap at 2^31. */
export const SEQUENCE_MODULUS = 2 ** 31;

/** What the outbox needs of its local store: the log, and a private key space for its state. */
export type OutboxStore = LogStore & PrivateStateStore;

/** One upstream batch of a plan. */
export interface PlannedBatch {
  partition: number;
  epoch: number;
  baseSequence: number;
  /** Local offsets of its records, in local order. */
  offsets: number[];
  status: "pending" | "acked" | "refused";
  error?: { code: ErrorCode; message: string };
}

/** The records of one local range `[localFrom, localTo)` of one topic, cut into upstream batches. */
export interface SyncPlan {
  topic: string;
  localFrom: number;
  localTo: number;
  batches: PlannedBatch[];
}

/**
 * A map from user-chosen names (topics) to numbers. Always a null-prototype object: `__proto__` and `constructor`
 * are valid topic names, and on a plain object the one would set the prototype and the other read `Object`.
 */
export type NameCounters = Record<string, number>;

/**
 * Persisted under `OUTBOX_STATE_ID` with compare-and-set, so two syncers (a lock lost, a service worker) can
 * never both act on one plan: the loser's write fails and it reloads.
 */
export interface OutboxState {
  producerId: string;
  epoch: number;
  /** Next sequence per `topic/partition` in `epoch` (`sequenceKey`); absent means 0. */
  sequences: NameCounters;
  /** Per upstream topic: the next local offset not yet acknowledged; absent means 0. */
  committed: NameCounters;
  plan: SyncPlan | null;
}

/** The local outbox partition of upstream `topic`. */
export const localTp = (topic: string): TopicPartition => ({
  topic: `${OUTBOX_PREFIX}${topic}`,
  partition: 0,
});

/** Key of a partition's next sequence in `OutboxState.sequences`. */
export const sequenceKey = (topic: string, partition: number): string => `${topic}/${partition}`;

/** An empty null-prototype `NameCounters`, or a copy of `from`'s own numeric entries. */
export function nameCounters(from?: unknown): NameCounters {
  const out = Object.create(null) as NameCounters;
  if (typeof from !== "object" || from === null) return out;
  // Own entries only (a stored own `__proto__` key included), each defined rather than assigned.
  for (const [name, value] of Object.entries(from))
    if (typeof value === "number") setCounter(out, name, value);
  return out;
}

/** A counter's value, 0 when absent (never an inherited property, whatever the object). */
export function counterOf(counters: NameCounters, name: string): number {
  return Object.hasOwn(counters, name) ? (counters[name] as number) : 0;
}

/** Sets a counter; a defined property, so a `__proto__` name is stored as a key on any object. */
export function setCounter(counters: NameCounters, name: string, value: number): void {
  Object.defineProperty(counters, name, { value, enumerable: true, writable: true, configurable: true });
}

/** The state of an outbox that has never synced: a fresh producer id. */
export function newOutboxState(producerId: string = randomId()): OutboxState {
  return { producerId, epoch: 0, sequences: nameCounters(), committed: nameCounters(), plan: null };
}

/**
 * The state as stored (a structured clone, or any earlier version of this code's plain objects) made safe again:
 * the name-keyed maps become null-prototype objects.
 */
export function restoreOutboxState(stored: unknown): OutboxState {
  const state = structuredClone(stored) as OutboxState;
  return { ...state, sequences: nameCounters(state.sequences), committed: nameCounters(state.committed) };
}

/** The outbox's state and its version (`null`: never saved). */
export async function loadOutboxState(
  store: PrivateStateStore,
): Promise<{ state: OutboxState; version: number | null }> {
  const stored = await store.getPrivateState(OUTBOX_STATE_ID);
  if (stored === null) return { state: newOutboxState(), version: null };
  return { state: restoreOutboxState(stored.state), version: stored.version };
}

/** Saves the state if it is still at `version`; the new version. `CONCURRENT_TRANSACTIONS` when it is not. */
export function saveOutboxState(
  store: PrivateStateStore,
  state: OutboxState,
  version: number | null,
): Promise<number> {
  return store.putPrivateState(OUTBOX_STATE_ID, state, version);
}

/**
 * Gives each pending batch of the plan its stamp: the current epoch and consecutive sequences per partition, after
 * the last batch acknowledged in this epoch. Only ever applied to batches the server provably does not hold.
 */
export function restamp(state: OutboxState, plan: SyncPlan): void {
  const next = new Map<number, number>();
  for (const batch of plan.batches) {
    if (batch.status === "refused") continue;
    if (batch.status === "acked") {
      if (batch.epoch === state.epoch)
        next.set(batch.partition, (batch.baseSequence + batch.offsets.length) % SEQUENCE_MODULUS);
      continue;
    }
    const base =
      next.get(batch.partition) ?? counterOf(state.sequences, sequenceKey(plan.topic, batch.partition));
    batch.epoch = state.epoch;
    batch.baseSequence = base;
    next.set(batch.partition, (base + batch.offsets.length) % SEQUENCE_MODULUS);
  }
}

/** Upstream topics with a local outbox topic. */
export async function outboxTopics(store: LogStore): Promise<string[]> {
  return (await store.listTopics())
    .map((t) => t.name)
    .filter((n) => n.startsWith(OUTBOX_PREFIX))
    .map((n) => n.slice(OUTBOX_PREFIX.length));
}

/** Per upstream topic, the local high watermark: everything appended so far ends there. */
export async function outboxTargets(store: LogStore): Promise<Map<string, number>> {
  const targets = new Map<string, number>();
  for (const topic of await outboxTopics(store))
    targets.set(topic, (await store.offsets(localTp(topic))).highWatermark);
  return targets;
}

/** Whether every topic's committed position has reached its target: all of it is acknowledged upstream. */
export async function allCommitted(
  store: OutboxStore,
  targets: ReadonlyMap<string, number>,
): Promise<boolean> {
  const { state } = await loadOutboxState(store);
  for (const [topic, target] of targets) if (counterOf(state.committed, topic) < target) return false;
  return true;
}

/** Records appended and not yet acknowledged upstream, over every topic. */
export async function countPending(store: OutboxStore): Promise<number> {
  const { state } = await loadOutboxState(store);
  let pending = 0;
  for (const [topic, target] of await outboxTargets(store))
    pending += Math.max(0, target - counterOf(state.committed, topic));
  return pending;
}
