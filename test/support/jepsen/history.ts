/**
 * @module
 * What a Jepsen-style run records, as plain data the checker judges after the run: every `acks=all`
 * acknowledgement, every record any reader saw, the consumer group's committed offsets over time, the leaders the
 * elections answered, and at the end each replica's whole stored log and leader-epoch table.
 *
 * Records are keyed `p{producer}-k{n}` and carry `{key}#{seq}` as value, `seq` counting that key's sends: a key
 * is written by one producer, one send at a time, so its sequence numbers are the order the log must keep.
 */

/** One record as the history names it: where it sits and what it is. */
export interface RecordAt {
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
  readonly value: string;
}

/** An `acks=all` produce answered with success: the record is at `offset` of `partition`. */
export type Ack = RecordAt;

/**
 * A record a reader saw. `reader` names one continuous read (a consumer under one member epoch, or a final read
 * of one replica): within it the reader's position only moves forward, so per-key order must hold.
 */
export interface Observation extends RecordAt {
  readonly reader: string;
}

/** The group's committed offset of a partition, as one poller read it; snapshots are in the order read. */
export interface CommitSnapshot {
  readonly partition: number;
  readonly offset: number;
}

/** One row of a replica's leader-epoch table (KIP-101): epoch `epoch`, led by `leader`, began at `startOffset`. */
export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
  readonly leader: string;
}

/** A replica's whole stored log (not capped by the high watermark) and its leader-epoch table, at the end. */
export interface ReplicaState {
  readonly region: string;
  readonly partition: number;
  readonly records: readonly RecordAt[];
  /** Empty where the table cannot be read (over HTTP): the one-leader check then rests on `elections`. */
  readonly epochs: readonly EpochEntry[];
}

/** What an election answered: `leader` leads `partition` from `leaderEpoch`. */
export interface Election {
  readonly partition: number;
  readonly leader: string;
  readonly leaderEpoch: number;
}

export interface History {
  readonly partitions: number;
  /** Every replica's region, for each partition. */
  readonly replicas: readonly string[];
  readonly acks: readonly Ack[];
  readonly observations: readonly Observation[];
  readonly commits: readonly CommitSnapshot[];
  readonly elections: readonly Election[];
  readonly finalReplicas: readonly ReplicaState[];
  /** Each partition's in-sync set as the controller showed it once healed and settled. */
  readonly finalIsr: readonly { readonly partition: number; readonly isr: readonly string[] }[];
}

export function keyOf(producer: number, key: number): string {
  return `p${producer}-k${key}`;
}

export function recordValue(key: string, seq: number): string {
  return `${key}#${seq}`;
}

/** The key and sequence number a value carries, or `null` for a value this workload did not write. */
export function parseValue(value: string): { key: string; seq: number } | null {
  const at = value.lastIndexOf("#");
  const seq = Number(value.slice(at + 1));
  if (at <= 0 || !Number.isSafeInteger(seq) || seq < 0) return null;
  return { key: value.slice(0, at), seq };
}
