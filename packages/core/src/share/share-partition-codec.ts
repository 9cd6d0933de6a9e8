/**
 * @module
 * How a share-partition is stored: its in-flight records as runs — consecutive offsets whose state, delivery count,
 * holder, lock deadline, outcome, error and dead-letter mark are all the same — rather than one object per record.
 * A fetch acquires hundreds of consecutive records for one member with one deadline, and they are mostly accepted
 * together, so a window of 2,000 records is a few runs: what every request copies, stores and parses (structured
 * clone in memory and IndexedDB, JSON in SQLite) shrinks with it. The state machine works on the unpacked form.
 */
import type {
  InFlightRecord,
  ShareOutcome,
  SharePartitionState,
  ShareRecordState,
} from "./share-partition.ts";

/** `[firstOffset, count, state, deliveryCount, memberId, lockedUntil, outcome, error, deadLetter]`. */
type Run = [
  number,
  number,
  ShareRecordState,
  number,
  string | null,
  number | null,
  ShareOutcome | null,
  string | null,
  "pending" | null,
];

export interface StoredSharePartition {
  readonly topicId: string;
  readonly endOffset: number;
  readonly runs: Run[];
}

export function packSharePartition(state: SharePartitionState): StoredSharePartition {
  const runs: Run[] = [];
  let open: Run | undefined;
  for (const r of state.records) {
    if (
      open !== undefined &&
      open[0] + open[1] === r.offset &&
      open[2] === r.state &&
      open[3] === r.deliveryCount &&
      open[4] === r.memberId &&
      open[5] === r.lockedUntil &&
      open[6] === r.outcome &&
      open[7] === r.error &&
      open[8] === r.deadLetter
    ) {
      open[1]++;
      continue;
    }
    open = [
      r.offset,
      1,
      r.state,
      r.deliveryCount,
      r.memberId,
      r.lockedUntil,
      r.outcome,
      r.error,
      r.deadLetter,
    ];
    runs.push(open);
  }
  return { topicId: state.topicId, endOffset: state.endOffset, runs };
}

export function unpackSharePartition(stored: StoredSharePartition): SharePartitionState {
  const records: InFlightRecord[] = [];
  for (const [
    first,
    count,
    state,
    deliveryCount,
    memberId,
    lockedUntil,
    outcome,
    error,
    deadLetter,
  ] of stored.runs) {
    for (let offset = first; offset < first + count; offset++) {
      records.push({ offset, state, deliveryCount, memberId, lockedUntil, outcome, error, deadLetter });
    }
  }
  return { topicId: stored.topicId, endOffset: stored.endOffset, records };
}
