/**
 * @module
 * Version-1 IndexedDB databases made by hand (no `private` store; the outbox's state as the group
 * `__edgelog_outbox`), to test the upgrade to version 2 as a browser with an older database meets it.
 */
import { OUTBOX_STATE_ID } from "../../src/index.ts";

const V1_STORES = ["topics", "partitions", "batches", "producers", "groups", "offsets"] as const;

/** Resolves with a raw IndexedDB request's result. */
function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Creates database `name` in the version-1 layout, holding `rows` per object store. */
export async function createV1Database(
  factory: IDBFactory,
  name: string,
  rows: Partial<Record<(typeof V1_STORES)[number], readonly unknown[]>>,
): Promise<void> {
  const open = factory.open(name, 1);
  open.onupgradeneeded = () => {
    const db = open.result;
    db.createObjectStore("topics", { keyPath: "name" });
    db.createObjectStore("partitions", { keyPath: ["topicId", "partition"] });
    db.createObjectStore("batches", { keyPath: ["topicId", "partition", "baseOffset"] });
    db.createObjectStore("producers", { keyPath: ["topicId", "partition", "producerId"] });
    db.createObjectStore("groups", { keyPath: "groupId" });
    db.createObjectStore("offsets", { keyPath: ["groupId", "topic", "partition"] }).createIndex(
      "byTopic",
      "topic",
    );
    const tx = open.transaction as IDBTransaction;
    for (const store of V1_STORES) for (const row of rows[store] ?? []) tx.objectStore(store).put(row);
  };
  (await done(open)).close();
}

/**
 * Writes a version-1 copy of version-2 database `from` as `to`: every row as it is, and the outbox's private
 * state as the group row version 1 kept it in. `from` must be closed by every other holder.
 */
export async function copyAsV1Database(factory: IDBFactory, from: string, to: string): Promise<void> {
  const source = await done(factory.open(from));
  const tx = source.transaction([...V1_STORES, "private"], "readonly");
  const rows: Partial<Record<(typeof V1_STORES)[number], unknown[]>> = {};
  for (const store of V1_STORES) rows[store] = await done(tx.objectStore(store).getAll());
  const outbox = (await done(tx.objectStore("private").get(OUTBOX_STATE_ID))) as
    | { state: unknown; version: number }
    | undefined;
  source.close();
  if (outbox !== undefined)
    rows.groups = [
      ...(rows.groups ?? []),
      { groupId: OUTBOX_STATE_ID, state: outbox.state, version: outbox.version },
    ];
  await createV1Database(factory, to, rows);
}
