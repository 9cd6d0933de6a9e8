/**
 * @module
 * One share-partition (KIP-932) as a pure state machine over JSON: the records of a topic-partition a share group
 * has in flight, from its start offset (SPSO) to its end, each Available, Acquired (locked to one member until a
 * deadline), Acknowledged or Archived, with its delivery count. No I/O and no clock: callers pass `now`, the
 * group's config and the record offsets they read from the log, so every store applies the same transitions and
 * property tests drive them directly.
 *
 * The rules:
 * - A record is acquired by at most one member at a time; acquiring counts a delivery and locks it until
 *   `now + share.record.lock.duration.ms`.
 * - Accept → Acknowledged. Reject → Archived. Release, a lock that expires, or the member's session ending →
 *   Available again — unless the record has had `share.delivery.count.limit` deliveries: then Archived as failed.
 * - Only the member holding a record may acknowledge it, and only while it holds it (`INVALID_RECORD_STATE`).
 * - The start offset moves past Acknowledged and Archived records as soon as nothing before them is in flight; a
 *   record archived for the dead-letter topic holds it until its copy is written (`deadLetter: "pending"`).
 * - At most `share.partition.max.record.locks` records are in the window: acquisition of new records stops there.
 * - Records the log no longer has leave the window: below the log start (retention), or missing from a read that
 *   covered their offsets (compaction's gaps) once no member holds them.
 */
import { EdgeLogError } from "../errors.ts";
import type { ShareGroupConfig } from "./share-config.ts";

export type ShareRecordState = "Available" | "Acquired" | "Acknowledged" | "Archived";

/** How a record left the window: accepted, rejected, failed (too many deliveries) or removed by retention. */
export type ShareOutcome = "accepted" | "rejected" | "failed" | "removed";

/** What a consumer says about a record it holds (Kafka's AcknowledgeType without Gap: offsets are known). */
export type AcknowledgeType = "accept" | "release" | "reject";

/** The longest error text kept with a record (it goes into the dead-letter copy's headers). */
export const MAX_RECORD_ERROR_LENGTH = 512;

export interface InFlightRecord {
  readonly offset: number;
  state: ShareRecordState;
  /** Deliveries so far: acquisitions, including the current one. */
  deliveryCount: number;
  /** The member holding the record while it is Acquired. */
  memberId: string | null;
  /** When an Acquired record's lock expires (ms since the epoch). */
  lockedUntil: number | null;
  /** Why a record became Acknowledged or Archived. */
  outcome: ShareOutcome | null;
  /** The last error a consumer gave when releasing or rejecting it. */
  error: string | null;
  /** `"pending"` while a record archived as failed or rejected waits for its copy in the dead-letter topic. */
  deadLetter: "pending" | null;
}

export interface SharePartitionState {
  /** The topic's id when the state began: a deleted and re-created topic starts a new state. */
  readonly topicId: string;
  /**
   * The next offset the window takes from the log (KIP-932's SPEO + 1). Records below it that are not in
   * `records` are done (or never existed).
   */
  endOffset: number;
  /** The records in flight, by offset; the first one (if any) is the start offset. */
  records: InFlightRecord[];
}

/** A record archived as failed or rejected while a dead-letter topic is configured: it must be copied there. */
export interface DeadLetterCandidate {
  readonly offset: number;
  readonly deliveryCount: number;
  readonly outcome: "rejected" | "failed";
  readonly error: string | null;
}

/** One acknowledgement of one record. */
export interface RecordAcknowledgement {
  readonly offset: number;
  readonly type: AcknowledgeType;
  /** Why (for release and reject): kept with the record, copied to the dead-letter topic. */
  readonly error?: string | null | undefined;
}

/** A record the member now holds. */
export interface AcquiredRecord {
  readonly offset: number;
  readonly deliveryCount: number;
}

export function newSharePartition(topicId: string, startOffset: number): SharePartitionState {
  return { topicId, endOffset: startOffset, records: [] };
}

/** KIP-932's share-partition start offset: the first record still in the window, else the end. */
export function startOffsetOf(state: SharePartitionState): number {
  return state.records[0]?.offset ?? state.endOffset;
}

/** Whether a record's delivery is over (it holds the start offset only while its dead-letter copy is pending). */
export function isTerminal(record: InFlightRecord): boolean {
  return record.state === "Acknowledged" || record.state === "Archived";
}

/** Whether more records may enter the window. */
export function hasRoom(state: SharePartitionState, config: ShareGroupConfig): boolean {
  return state.records.length < config["share.partition.max.record.locks"];
}

/** The earliest lock deadline in the partition, or `null` when nothing is acquired. */
export function nextLockDeadline(state: SharePartitionState): number | null {
  let next: number | null = null;
  for (const record of state.records) {
    if (
      record.state === "Acquired" &&
      record.lockedUntil !== null &&
      (next === null || record.lockedUntil < next)
    ) {
      next = record.lockedUntil;
    }
  }
  return next;
}

/** Counts per state, for descriptions and the group's index. */
export function countStates(
  state: SharePartitionState,
): Record<ShareRecordState, number> & { pending: number } {
  const counts = { Available: 0, Acquired: 0, Acknowledged: 0, Archived: 0, pending: 0 };
  for (const record of state.records) {
    counts[record.state]++;
    if (record.deadLetter === "pending") counts.pending++;
  }
  return counts;
}

/**
 * Locks that ran out by `now` end: each such record is released (or archived as failed at the delivery limit).
 * Returns the records that now wait for the dead-letter topic.
 */
export function expireLocks(
  state: SharePartitionState,
  now: number,
  config: ShareGroupConfig,
  deadLetters: boolean,
): DeadLetterCandidate[] {
  const failed: DeadLetterCandidate[] = [];
  for (const record of state.records) {
    if (record.state === "Acquired" && record.lockedUntil !== null && record.lockedUntil <= now) {
      release(record, config, deadLetters, failed);
    }
  }
  advance(state);
  return failed;
}

/**
 * Acquires up to `max` records for `memberId`: first records that came back (Available, in offset order) among
 * `readable`, then new ones from the log — `readable` lists the offsets of the records the caller read (in order,
 * any that exist from some offset on), and those at or past the end enter the window while it has room.
 */
export function acquire(
  state: SharePartitionState,
  memberId: string,
  now: number,
  config: ShareGroupConfig,
  max: number,
  readable: readonly number[],
): AcquiredRecord[] {
  const acquired: AcquiredRecord[] = [];
  if (max <= 0 || readable.length === 0) return acquired;
  const lockedUntil = now + config["share.record.lock.duration.ms"];
  const take = (record: InFlightRecord): void => {
    record.state = "Acquired";
    record.deliveryCount++;
    record.memberId = memberId;
    record.lockedUntil = lockedUntil;
    acquired.push({ offset: record.offset, deliveryCount: record.deliveryCount });
  };
  const first = readable[0] as number;
  const last = readable[readable.length - 1] as number;
  const have = new Set(readable);
  for (const record of state.records) {
    if (acquired.length >= max) return acquired;
    if (record.offset > last) break;
    if (record.state === "Available" && record.offset >= first && have.has(record.offset)) take(record);
  }
  for (const offset of readable) {
    if (acquired.length >= max || !hasRoom(state, config)) break;
    if (offset < state.endOffset) continue;
    const record: InFlightRecord = {
      offset,
      state: "Available",
      deliveryCount: 0,
      memberId: null,
      lockedUntil: null,
      outcome: null,
      error: null,
      deadLetter: null,
    };
    state.records.push(record);
    state.endOffset = offset + 1;
    take(record);
  }
  return acquired;
}

/**
 * Applies one member's acknowledgements, all or none: every offset must be a record this member holds now (an
 * expired lock has already released it), else `INVALID_RECORD_STATE` and nothing changes. Returns the records
 * that now wait for the dead-letter topic.
 */
export function acknowledge(
  state: SharePartitionState,
  memberId: string,
  acknowledgements: readonly RecordAcknowledgement[],
  config: ShareGroupConfig,
  deadLetters: boolean,
  where: { topic: string; partition: number },
): DeadLetterCandidate[] {
  const byOffset = new Map<number, InFlightRecord>();
  for (const record of state.records) byOffset.set(record.offset, record);
  const seen = new Set<number>();
  for (const { offset } of acknowledgements) {
    const record = byOffset.get(offset);
    if (
      record === undefined ||
      record.state !== "Acquired" ||
      record.memberId !== memberId ||
      seen.has(offset)
    ) {
      throw new EdgeLogError(
        "INVALID_RECORD_STATE",
        record === undefined
          ? `offset ${offset} is not in flight for this share group`
          : seen.has(offset)
            ? `offset ${offset} is acknowledged twice in one request`
            : `offset ${offset} is ${record.state === "Acquired" ? "held by another member" : record.state}, not acquired by "${memberId}"`,
        { context: { ...where, offset, memberId } },
      );
    }
    seen.add(offset);
  }
  const archived: DeadLetterCandidate[] = [];
  for (const ack of acknowledgements) {
    const record = byOffset.get(ack.offset) as InFlightRecord;
    if (ack.error !== undefined && ack.error !== null)
      record.error = ack.error.slice(0, MAX_RECORD_ERROR_LENGTH);
    if (ack.type === "accept") finish(record, "Acknowledged", "accepted");
    else if (ack.type === "reject") archive(record, "rejected", deadLetters, archived);
    else release(record, config, deadLetters, archived);
  }
  advance(state);
  return archived;
}

/** Every record `memberId` holds goes back (its session ended): as a release, delivery limit included. */
export function releaseMember(
  state: SharePartitionState,
  memberId: string,
  config: ShareGroupConfig,
  deadLetters: boolean,
): DeadLetterCandidate[] {
  const failed: DeadLetterCandidate[] = [];
  for (const record of state.records) {
    if (record.state === "Acquired" && record.memberId === memberId)
      release(record, config, deadLetters, failed);
  }
  advance(state);
  return failed;
}

/**
 * Retention moved the log start to `logStartOffset`: records below it are gone, delivered or not (as in Kafka,
 * they leave the window — a pending dead-letter copy cannot be made any more). The window continues there.
 */
export function truncateBefore(state: SharePartitionState, logStartOffset: number): number {
  const before = state.records.length;
  state.records = state.records.filter((record) => record.offset >= logStartOffset);
  if (state.endOffset < logStartOffset) state.endOffset = logStartOffset;
  const removed = before - state.records.length;
  advance(state);
  return removed;
}

/**
 * A read of the log from `from` found records at `readable` only (ascending), up to `coveredTo` (its last offset):
 * a record waiting to be given again (Available) in that range that the read did not find was removed by
 * compaction, and offsets never come back. It leaves the window as retention's removals do — nothing is left to
 * deliver or to copy to a dead-letter topic — so the start offset never waits for an offset that no longer exists.
 * A record a member holds stays: the member has it and may still acknowledge it; once it comes back, the next read
 * finds it gone. Returns how many left.
 */
export function dropRemoved(
  state: SharePartitionState,
  from: number,
  coveredTo: number,
  readable: readonly number[],
): number {
  const have = new Set(readable);
  const before = state.records.length;
  state.records = state.records.filter(
    (record) =>
      record.state !== "Available" ||
      record.offset < from ||
      record.offset > coveredTo ||
      have.has(record.offset),
  );
  const removed = before - state.records.length;
  if (removed > 0) advance(state);
  return removed;
}

/** The dead-letter copies of these offsets are written (or could never be): the records are done. */
export function deadLettersWritten(state: SharePartitionState, offsets: readonly number[]): void {
  const done = new Set(offsets);
  for (const record of state.records) if (done.has(record.offset)) record.deadLetter = null;
  advance(state);
}

/** Records archived for the dead-letter topic whose copy is still to be written. */
export function pendingDeadLetters(state: SharePartitionState): DeadLetterCandidate[] {
  return state.records
    .filter((record) => record.deadLetter === "pending")
    .map((record) => ({
      offset: record.offset,
      deliveryCount: record.deliveryCount,
      outcome: record.outcome === "rejected" ? "rejected" : "failed",
      error: record.error,
    }));
}

/** Moves the start offset past finished records at the front of the window. */
export function advance(state: SharePartitionState): void {
  let drop = 0;
  for (const record of state.records) {
    if (!isTerminal(record) || record.deadLetter === "pending") break;
    drop++;
  }
  if (drop > 0) state.records.splice(0, drop);
}

function release(
  record: InFlightRecord,
  config: ShareGroupConfig,
  deadLetters: boolean,
  archived: DeadLetterCandidate[],
): void {
  if (record.deliveryCount >= config["share.delivery.count.limit"]) {
    archive(record, "failed", deadLetters, archived);
    return;
  }
  record.state = "Available";
  record.memberId = null;
  record.lockedUntil = null;
}

function archive(
  record: InFlightRecord,
  outcome: "rejected" | "failed",
  deadLetters: boolean,
  archived: DeadLetterCandidate[],
): void {
  finish(record, "Archived", outcome);
  if (!deadLetters) return;
  record.deadLetter = "pending";
  archived.push({ offset: record.offset, deliveryCount: record.deliveryCount, outcome, error: record.error });
}

function finish(record: InFlightRecord, state: "Acknowledged" | "Archived", outcome: ShareOutcome): void {
  record.state = state;
  record.outcome = outcome;
  record.memberId = null;
  record.lockedUntil = null;
}
