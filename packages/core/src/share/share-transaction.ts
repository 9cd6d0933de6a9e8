/**
 * @module
 * What one share-group transaction does to the group's document and the partitions it loaded, beyond a single
 * partition's rules: sessions and locks that ran out, a request's acknowledgements (each partition all or none), a
 * later pass of a waiting fetch checking its session, and which partitions a request must load to do all that.
 */
import { EdgeLogError, isEdgeLogError } from "../errors.ts";
import { effectiveShareConfig, type ShareGroupConfig } from "./share-config.ts";
import { expiredMembers, type ShareGroupMeta, sharePartitionKey } from "./share-group-state.ts";
import {
  acknowledge,
  expireLocks,
  type RecordAcknowledgement,
  releaseMember,
  type SharePartitionState,
} from "./share-partition.ts";
import type { ShareAcknowledgeError, ShareAcknowledgementBatch } from "./share-types.ts";

/** A share group's state as one transaction has it: read, changed in place, written back. */
export interface Transaction {
  readonly meta: ShareGroupMeta;
  readonly partitions: Map<string, SharePartitionState>;
  /** Keys of the partitions this transaction changed: they are written back, with their index entries. */
  readonly touched: Set<string>;
  /** Whether the group's document changed (a partition change always changes its index entry). */
  dirty: boolean;
}

/** Sessions that ran out end (their records released), and so do locks: true when records came back. */
export function expireAll(tx: Transaction, now: number): boolean {
  const config = effectiveShareConfig(tx.meta.config);
  const deadLetters = config["errors.deadletterqueue.topic.name"] !== "";
  let released = false;
  for (const gone of expiredMembers(tx.meta, now, config)) {
    delete tx.meta.members[gone];
    tx.dirty = true;
    for (const [key, state] of tx.partitions) {
      releaseMember(state, gone, config, deadLetters);
      tx.touched.add(key);
    }
    released = true;
  }
  for (const [key, state] of tx.partitions) {
    const index = tx.meta.partitions[key];
    if (index?.nextDeadline !== null && index?.nextDeadline !== undefined && index.nextDeadline <= now) {
      expireLocks(state, now, config, deadLetters);
      tx.touched.add(key);
      released = true;
    }
  }
  return released;
}

/** Applies acknowledgements per partition, each partition all or nothing; refusals are answered, not thrown. */
export function applyAcknowledgements(
  tx: Transaction,
  groupId: string,
  memberId: string,
  acknowledgements: readonly ShareAcknowledgementBatch[],
  config: ShareGroupConfig,
  deadLetters: boolean,
): ShareAcknowledgeError[] {
  const byPartition = new Map<string, { topic: string; partition: number; acks: RecordAcknowledgement[] }>();
  for (const ack of acknowledgements) {
    const key = sharePartitionKey(ack.topic, ack.partition);
    let entry = byPartition.get(key);
    if (entry === undefined) {
      entry = { topic: ack.topic, partition: ack.partition, acks: [] };
      byPartition.set(key, entry);
    }
    for (let offset = ack.firstOffset; offset <= ack.lastOffset; offset++) {
      entry.acks.push({ offset, type: ack.type, error: ack.error ?? null });
    }
  }
  const errors: ShareAcknowledgeError[] = [];
  for (const [key, { topic, partition, acks }] of byPartition) {
    const state = tx.partitions.get(key);
    try {
      if (state === undefined) {
        throw new EdgeLogError(
          "INVALID_RECORD_STATE",
          `share group "${groupId}" holds nothing of ${topic}/${partition}`,
          {
            context: { topic, partition, memberId },
          },
        );
      }
      acknowledge(state, memberId, acks, config, deadLetters, { topic, partition });
      tx.touched.add(key);
    } catch (error) {
      if (!isEdgeLogError(error)) throw error;
      errors.push({ topic, partition, code: error.code, message: error.message });
    }
  }
  return errors;
}

/** A later pass of a fetch: the session must still be the one the first pass left. */
export function continueSession(
  meta: ShareGroupMeta,
  groupId: string,
  memberId: string,
  epoch: number,
  now: number,
): void {
  const member = meta.members[memberId];
  if (member === undefined) {
    throw new EdgeLogError(
      "SHARE_SESSION_NOT_FOUND",
      `member "${memberId}"'s share session ended while it waited`,
      {
        context: { groupId, memberId },
      },
    );
  }
  if (member.sessionEpoch !== epoch) {
    throw new EdgeLogError(
      "INVALID_SHARE_SESSION_EPOCH",
      `member "${memberId}"'s share session was replaced while it waited`,
      { context: { groupId, memberId, expectedEpoch: member.sessionEpoch } },
    );
  }
  member.lastSeenMs = now;
}

/** Partitions with a lock due by `now`, and — when records of ended sessions go back — every one holding records. */
export function dueKeys(
  meta: ShareGroupMeta,
  now: number,
  config: ShareGroupConfig,
  releasing: boolean,
): Set<string> {
  const keys = new Set<string>();
  const anyExpired = expiredMembers(meta, now, config).length > 0;
  for (const [key, index] of Object.entries(meta.partitions)) {
    const due = index.nextDeadline !== null && index.nextDeadline <= now;
    if (due || ((releasing || anyExpired) && index.acquired > 0)) keys.add(key);
  }
  return keys;
}
