/**
 * @module
 * The offline outbox's layout on its local store: the local topics it writes, and its one state document (producer
 * id, epoch, sequences, committed positions, in-flight sync plan) kept in the store's private key space
 * (`PrivateStateStore`), where no group call can list, describe or delete it; what is pending against it. Also
 * `restamp`, the one rule that gives a plan's batches their producer stamps.
 */
import type { ErrorCode, LogStore, TopicPartition } from "@edgelog/core";
import { type Dict, dict, type PrivateStateStore, randomId } from "@edgelog/core/store-kit";

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
 * Persisted under `OUTBOX_STATE_ID` with compare-and-set, so two syncers (a lock lost, a service worker) can
 * never both act on one plan: the loser's write fails and it reloads.
 */
export interface OutboxState {
  producerId: string;
  epoch: number;
  /**
   * Next sequence per `topic/partition` in `epoch` (`sequenceKey`); absent means 0. Keyed by user-chosen topic
   * names, so a null-prototype `dict` (`__proto__` and `constructor` are valid topic names).
   */
  sequences: Dict<number>;
  /** Per upstream topic: the next local offset not yet acknowledged; absent means 0. A `dict` too. */
  committed: Dict<number>;
  plan: SyncPlan | null;
}

/** The local outbox partition of upstream `topic`. */
export const localTp = (topic: string): TopicPartition => ({
  topic: `${OUTBOX_PREFIX}${topic}`,
  partition: 0,
});

/** Key of a partition's next sequence in `OutboxState.sequences`. */
export const sequenceKey = (topic: string, partition: number): string => `${topic}/${partition}`;

/** A counter's value, 0 when absent: only ever an own entry, whatever object it is given. */
export function counterOf(counters: Dict<number>, name: string): number {
  return Object.hasOwn(counters, name) ? (counters[name] as number) : 0;
}

/** The state of an outbox that has never synced: a fresh producer id. */
export function newOutboxState(producerId: string = randomId()): OutboxState {
  return { producerId, epoch: 0, sequences: dict(), committed: dict(), plan: null };
}

/**
 * The state as stored made safe again: structured clone (and the plain objects earlier versions of this code
 * wrote) hand out ordinary objects, so the name-keyed maps become `dict`s again.
 */
export function restoreOutboxState(stored: unknown): OutboxState {
  const state = structuredClone(stored) as OutboxState;
  return { ...state, sequences: dict(state.sequences), committed: dict(state.committed) };
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
