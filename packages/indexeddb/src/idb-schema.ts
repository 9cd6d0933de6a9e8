/**
 * @module
 * The IndexedDB schema of `IndexedDbLogStore`, typed with idb's `DBSchema` so the compiler knows every key and
 * value. The layout mirrors the Durable Object's SQLite tables: one entry per record batch (never per record),
 * one row per partition, per producer and per group. Data keys start with the topic's `topicId`, not its name,
 * so a deleted and re-created topic can never see the old one's rows, and a whole topic or partition is one
 * key range. Private documents (`PrivateStateStore`: the offline outbox's state) have a store of their own, apart
 * from `groups`, so no group call can list, describe or delete them.
 *
 * Versions: 1 had no `private` store, and the outbox kept its state as the group `__edgelog_outbox`; 2 adds
 * `private` and moves that row into it (`upgrade`).
 */
import type { BatchInfo, CommittedOffset, TopicMetadata } from "@edgelog/core";
import type { CompactionCheckpoint, ProducerState, StreamState } from "@edgelog/core/store-kit";
import { type DBSchema, type IDBPDatabase, wrap } from "idb";

/** Bump with a migration in `upgrade` when the layout changes. */
export const SCHEMA_VERSION = 2;

/**
 * The group id under which version 1 kept the offline outbox's state. A fact of that layout, so it is spelled
 * out here rather than imported: the outbox's key may change, the rows version 1 wrote will not.
 */
const V1_OUTBOX_GROUP_ID = "__edgelog_outbox";

export type PartitionKey = [topicId: string, partition: number];
export type BatchKey = [topicId: string, partition: number, baseOffset: number];
export type ProducerKey = [topicId: string, partition: number, producerId: string];
export type OffsetKey = [groupId: string, topic: string, partition: number];

/** The bounds of a partition; absent until its first write (an absent row is an empty partition). */
export interface PartitionRow {
  readonly topicId: string;
  readonly partition: number;
  readonly logStartOffset: number;
  readonly highWatermark: number;
  /** Retained bytes, kept here so retention by size needs no scan. */
  readonly sizeBytes: number;
  /** Durable Streams state (`LogStore.stream`), when the partition is a stream. */
  readonly streamState?: StreamState;
  /** A compacted topic's checkpoint (core's `CompactionCheckpoint`), once a pass ran; absent: never compacted. */
  readonly compaction?: CompactionCheckpoint;
}

export interface BatchRow extends BatchInfo {
  readonly topicId: string;
  readonly partition: number;
  readonly payload: Uint8Array;
}

export interface ProducerRow {
  readonly topicId: string;
  readonly partition: number;
  readonly producerId: string;
  readonly state: ProducerState;
}

export interface GroupRow {
  readonly groupId: string;
  readonly state: unknown;
  readonly version: number;
}

/** A private document (`PrivateStateStore`), versioned for compare-and-set like a group's state. */
export interface PrivateRow {
  readonly key: string;
  readonly state: unknown;
  readonly version: number;
}

export interface OffsetRow extends CommittedOffset {
  readonly groupId: string;
}

export interface LogSchema extends DBSchema {
  topics: { key: string; value: TopicMetadata };
  partitions: { key: PartitionKey; value: PartitionRow };
  batches: { key: BatchKey; value: BatchRow };
  producers: { key: ProducerKey; value: ProducerRow };
  groups: { key: string; value: GroupRow };
  offsets: { key: OffsetKey; value: OffsetRow; indexes: { byTopic: string } };
  private: { key: string; value: PrivateRow };
}

export type LogDatabase = IDBPDatabase<LogSchema>;

/**
 * Opens (and on first use creates) the database. idb's `openDB` always uses the global `indexedDB`; the store
 * takes a factory so tests can give each case a fresh fake-indexeddb, so the open request is wrapped here.
 */
export async function openLogDatabase(factory: IDBFactory, name: string): Promise<LogDatabase> {
  const request = factory.open(name, SCHEMA_VERSION);
  request.addEventListener("upgradeneeded", (event) => {
    const db = request.result;
    if (event.oldVersion < 1) {
      db.createObjectStore("topics", { keyPath: "name" });
      db.createObjectStore("partitions", { keyPath: ["topicId", "partition"] });
      db.createObjectStore("batches", { keyPath: ["topicId", "partition", "baseOffset"] });
      db.createObjectStore("producers", { keyPath: ["topicId", "partition", "producerId"] });
      db.createObjectStore("groups", { keyPath: "groupId" });
      db.createObjectStore("offsets", { keyPath: ["groupId", "topic", "partition"] }).createIndex(
        "byTopic",
        "topic",
      );
    }
    if (event.oldVersion < 2) {
      const privateStore = db.createObjectStore("private", { keyPath: "key" });
      // In the same upgrade transaction: a browser that upgrades mid-sync keeps the outbox's producer id, epoch
      // and in-flight plan (and their version), or, if the upgrade fails, keeps version 1 untouched.
      if (event.oldVersion >= 1) moveOutboxGroupRow(request.transaction, privateStore);
    }
  });
  const db = (await wrap(request)) as LogDatabase | undefined;
  if (db === undefined) throw new Error(`IndexedDB did not open database "${name}"`);
  // Another tab wants a newer schema: let it, instead of blocking it forever. This instance then fails its
  // calls (InvalidStateError as the cause), which is right: its code is older than the data.
  db.addEventListener("versionchange", () => db.close());
  return db;
}

/** Version 1 → 2: the outbox's state row leaves `groups` for `private`, under the same key and version. */
function moveOutboxGroupRow(tx: IDBTransaction | null, privateStore: IDBObjectStore): void {
  if (tx === null) return;
  const groups = tx.objectStore("groups");
  const read = groups.get(V1_OUTBOX_GROUP_ID);
  read.addEventListener("success", () => {
    const row = read.result as GroupRow | undefined;
    if (row === undefined) return;
    const moved: PrivateRow = { key: row.groupId, state: row.state, version: row.version };
    privateStore.put(moved);
    groups.delete(V1_OUTBOX_GROUP_ID);
  });
}

// Key ranges. IndexedDB orders a shorter array before any longer one it prefixes, and any array after every
// number or string, so [k] .. [k, []] covers exactly the keys that start with k.

/** Every key of one topic (`partitions`, `batches`, `producers`). */
export function topicRange(topicId: string): IDBKeyRange {
  return IDBKeyRange.bound([topicId], [topicId, []]);
}

/** Every key of one partition (`batches`, `producers`). */
export function partitionRange(topicId: string, partition: number): IDBKeyRange {
  return IDBKeyRange.bound([topicId, partition], [topicId, partition, []]);
}

/** Batches of a partition whose base offset lies in [from, to) (`to` exclusive; `null`: to the end). */
export function batchRange(topicId: string, partition: number, from: number, to: number | null): IDBKeyRange {
  return to === null
    ? IDBKeyRange.bound([topicId, partition, from], [topicId, partition, []])
    : IDBKeyRange.bound([topicId, partition, from], [topicId, partition, to], false, true);
}

/** Every committed offset of one group. */
export function groupRange(groupId: string): IDBKeyRange {
  return IDBKeyRange.bound([groupId], [groupId, []]);
}
