/**
 * @module
 * The Jepsen-style checker: pure functions from a recorded {@link History} to the violations of the properties
 * issue 14 asks of replication. Each check names its property, so a failing run says which promise broke:
 *
 * - `acked-on-every-replica`: every `acks=all` acknowledgement is on every replica at its acknowledged offset;
 * - `exactly-once`: no record sits at two offsets (a retry that was appended again), on any replica or for any
 *   reader;
 * - `one-record-per-offset`: no offset ever held two different records, across everything anyone saw;
 * - `key-order`: per key, sequence numbers rise with offset in every replica's log and in every reader's view;
 * - `one-leader-per-epoch`: across the replicas' leader-epoch tables and the elections' answers, each epoch of a
 *   partition has one leader and one start offset, and epochs rise with offset;
 * - `commits-monotonic`: the group's committed offset of a partition never moves back;
 * - `consumed-every-ack`: the consumer group saw every acknowledged record (at least once);
 * - `replicas-identical`: once healed, every replica of a partition holds the same records at the same offsets;
 * - `isr-restored`: once healed and caught up, every replica is back in its partition's in-sync set.
 */
import { type EpochEntry, type History, parseValue, type RecordAt } from "./history.ts";

export type Property =
  | "acked-on-every-replica"
  | "exactly-once"
  | "one-record-per-offset"
  | "key-order"
  | "one-leader-per-epoch"
  | "commits-monotonic"
  | "consumed-every-ack"
  | "replicas-identical"
  | "isr-restored";

export interface Violation {
  readonly property: Property;
  readonly message: string;
}

/** Violations listed per property are capped, so a broken run still prints readably. */
const MAX_PER_PROPERTY = 5;

/** All violations of every property, at most {@link MAX_PER_PROPERTY} of each. */
export function checkHistory(history: History): Violation[] {
  return [
    ...ackedOnEveryReplica(history),
    ...exactlyOnce(history),
    ...oneRecordPerOffset(history),
    ...keyOrder(history),
    ...oneLeaderPerEpoch(history),
    ...commitsMonotonic(history),
    ...consumedEveryAck(history),
    ...replicasIdentical(history),
    ...isrRestored(history),
  ];
}

const at = (r: { partition: number; offset: number }): string => `${r.partition}@${r.offset}`;

function capped(property: Property, messages: readonly string[]): Violation[] {
  const shown = messages.slice(0, MAX_PER_PROPERTY).map((message) => ({ property, message }));
  if (messages.length > MAX_PER_PROPERTY) {
    shown.push({ property, message: `… and ${messages.length - MAX_PER_PROPERTY} more` });
  }
  return shown;
}

export function ackedOnEveryReplica(history: History): Violation[] {
  const problems: string[] = [];
  for (let partition = 0; partition < history.partitions; partition++) {
    for (const region of history.replicas) {
      const replica = history.finalReplicas.find((r) => r.region === region && r.partition === partition);
      const acks = history.acks.filter((a) => a.partition === partition);
      if (replica === undefined) {
        if (acks.length > 0) problems.push(`partition ${partition}: no log was read from replica ${region}`);
        continue;
      }
      const byOffset = new Map(replica.records.map((r) => [r.offset, r.value]));
      const copies = countValues(replica.records);
      for (const ack of acks) {
        const held = byOffset.get(ack.offset);
        if (held !== ack.value) {
          problems.push(
            `${ack.value} acknowledged at ${at(ack)}, but replica ${region} holds ${held ?? "nothing"} there`,
          );
        } else if ((copies.get(ack.value) ?? 0) !== 1) {
          problems.push(`${ack.value} is ${copies.get(ack.value)} times on replica ${region}`);
        }
      }
    }
  }
  return capped("acked-on-every-replica", problems);
}

function countValues(records: readonly RecordAt[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.value, (counts.get(r.value) ?? 0) + 1);
  return counts;
}

/** Everything anyone saw, named by who saw it: acks, readers and the replicas' final logs. */
function sightings(history: History): { who: string; record: RecordAt }[] {
  return [
    ...history.acks.map((record) => ({ who: "ack", record })),
    ...history.observations.map((record) => ({ who: record.reader, record })),
    ...history.finalReplicas.flatMap((replica) =>
      replica.records.map((record) => ({ who: `replica ${replica.region}`, record })),
    ),
  ];
}

export function exactlyOnce(history: History): Violation[] {
  const problems: string[] = [];
  const offsetsOf = new Map<string, { where: string; who: string }>();
  for (const { who, record } of sightings(history)) {
    const where = at(record);
    const first = offsetsOf.get(record.value);
    if (first === undefined) offsetsOf.set(record.value, { where, who });
    else if (first.where !== where) {
      problems.push(`${record.value} at ${first.where} (${first.who}) and at ${where} (${who})`);
    }
  }
  return capped("exactly-once", problems);
}

export function oneRecordPerOffset(history: History): Violation[] {
  const problems: string[] = [];
  const held = new Map<string, { value: string; who: string }>();
  for (const { who, record } of sightings(history)) {
    const where = at(record);
    const first = held.get(where);
    if (first === undefined) held.set(where, { value: record.value, who });
    else if (first.value !== record.value) {
      problems.push(`${where} held ${first.value} (${first.who}) and ${record.value} (${who})`);
    }
  }
  return capped("one-record-per-offset", problems);
}

export function keyOrder(history: History): Violation[] {
  const problems: string[] = [];
  const views = new Map<string, RecordAt[]>();
  for (const replica of history.finalReplicas) {
    views.set(
      `replica ${replica.region}`,
      [...replica.records].sort((a, b) => a.partition - b.partition || a.offset - b.offset),
    );
  }
  // A reader's view in the order it was delivered.
  for (const o of history.observations) {
    const view = views.get(o.reader) ?? [];
    view.push(o);
    views.set(o.reader, view);
  }
  for (const [who, records] of views) {
    const lastSeq = new Map<string, { seq: number; where: string }>();
    for (const record of records) {
      const parsed = parseValue(record.value);
      if (parsed === null || parsed.key !== record.key) {
        problems.push(`${who}: ${at(record)} holds ${record.value} under key ${record.key}`);
        continue;
      }
      const last = lastSeq.get(record.key);
      if (last !== undefined && parsed.seq <= last.seq) {
        problems.push(
          `${who}: ${record.value} at ${at(record)} after ${record.key}#${last.seq} at ${last.where}`,
        );
      }
      lastSeq.set(record.key, { seq: parsed.seq, where: at(record) });
    }
  }
  return capped("key-order", problems);
}

export function oneLeaderPerEpoch(history: History): Violation[] {
  const problems: string[] = [];
  for (let partition = 0; partition < history.partitions; partition++) {
    const leaders = new Map<number, { leader: string; who: string }>();
    const starts = new Map<number, { startOffset: number; who: string }>();
    const sameLeader = (epoch: number, leader: string, who: string) => {
      const first = leaders.get(epoch);
      if (first === undefined) leaders.set(epoch, { leader, who });
      else if (first.leader !== leader) {
        problems.push(
          `partition ${partition} epoch ${epoch}: led by ${first.leader} (${first.who}) and ${leader} (${who})`,
        );
      }
    };
    for (const election of history.elections.filter((e) => e.partition === partition)) {
      sameLeader(election.leaderEpoch, election.leader, "election");
    }
    for (const replica of history.finalReplicas.filter((r) => r.partition === partition)) {
      const who = `replica ${replica.region}`;
      let previous: EpochEntry | undefined;
      for (const entry of replica.epochs) {
        sameLeader(entry.epoch, entry.leader, who);
        const first = starts.get(entry.epoch);
        if (first === undefined) starts.set(entry.epoch, { startOffset: entry.startOffset, who });
        else if (first.startOffset !== entry.startOffset) {
          problems.push(
            `partition ${partition} epoch ${entry.epoch}: starts at ${first.startOffset} (${first.who}) and at ${entry.startOffset} (${who})`,
          );
        }
        if (
          previous !== undefined &&
          !(entry.epoch > previous.epoch && entry.startOffset >= previous.startOffset)
        ) {
          problems.push(
            `partition ${partition} ${who}: epoch ${entry.epoch}@${entry.startOffset} follows epoch ${previous.epoch}@${previous.startOffset}`,
          );
        }
        previous = entry;
      }
    }
  }
  return capped("one-leader-per-epoch", problems);
}

export function commitsMonotonic(history: History): Violation[] {
  const problems: string[] = [];
  const last = new Map<number, number>();
  history.commits.forEach((commit, i) => {
    const before = last.get(commit.partition);
    if (before !== undefined && commit.offset < before) {
      problems.push(
        `partition ${commit.partition}: committed ${before}, then ${commit.offset} (snapshot ${i})`,
      );
    }
    last.set(commit.partition, Math.max(before ?? commit.offset, commit.offset));
  });
  return capped("commits-monotonic", problems);
}

export function consumedEveryAck(history: History): Violation[] {
  const consumed = new Set(history.observations.map((o) => o.value));
  const missing = history.acks.filter((ack) => !consumed.has(ack.value));
  return capped(
    "consumed-every-ack",
    missing.map((ack) => `${ack.value} acknowledged at ${at(ack)} was never consumed by the group`),
  );
}

export function replicasIdentical(history: History): Violation[] {
  const problems: string[] = [];
  for (let partition = 0; partition < history.partitions; partition++) {
    const [first, ...others] = history.finalReplicas.filter((r) => r.partition === partition);
    if (first === undefined) continue;
    const expected = first.records.map((r) => `${r.offset}:${r.value}`);
    for (const other of others) {
      const actual = other.records.map((r) => `${r.offset}:${r.value}`);
      const differs = Math.max(expected.length, actual.length);
      const i = Array.from({ length: differs }, (_, n) => n).find((n) => expected[n] !== actual[n]);
      if (i !== undefined) {
        problems.push(
          `partition ${partition}: replica ${first.region} has ${expected[i] ?? "nothing"} where ${other.region} has ${actual[i] ?? "nothing"} (record ${i}; ${expected.length} vs ${actual.length} records)`,
        );
      }
    }
  }
  return capped("replicas-identical", problems);
}

export function isrRestored(history: History): Violation[] {
  const problems: string[] = [];
  for (const { partition, isr } of history.finalIsr) {
    const missing = history.replicas.filter((region) => !isr.includes(region));
    if (missing.length > 0) {
      problems.push(
        `partition ${partition}: ${missing.join(", ")} never rejoined the in-sync set (${isr.join(", ")})`,
      );
    }
  }
  return capped("isr-restored", problems);
}
