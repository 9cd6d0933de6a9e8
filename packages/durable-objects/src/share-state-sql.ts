/**
 * @module
 * A share group's state in its Durable Object's SQLite (`ShareStateStore`): the group's document in one row,
 * each share-partition's document in a row of its own, so a request reads and writes only the partitions it
 * touches. Writes are synchronous transactions: nothing else in the object runs between a version check and its
 * write. The group's identity (namespace prefix, id) sits beside its document, for the alarm, which has no caller.
 */
import {
  compareStrings,
  nextGroupStateVersion,
  type ShareStateStore,
  type ShareStateWrite,
  type VersionedShareState,
} from "@edgelog/core/store-kit";

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS share_group (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    prefix TEXT NOT NULL,
    group_id TEXT NOT NULL,
    meta TEXT NOT NULL,
    version INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS share_partitions (
    key TEXT PRIMARY KEY,
    state TEXT NOT NULL
  );
`;

/** Who the group is: the store's namespace prefix and its id. */
export interface ShareGroupRef {
  readonly prefix: string;
  readonly groupId: string;
}

type GroupRow = { prefix: string; group_id: string; meta: string; version: number };

export class SqlShareState implements ShareStateStore {
  readonly #storage: DurableObjectStorage;
  readonly #ref: () => ShareGroupRef;
  /** Runs before the first write of a group with no state (registering it), outside the write's transaction. */
  readonly #beforeCreate: () => Promise<void>;

  constructor(storage: DurableObjectStorage, ref: () => ShareGroupRef, beforeCreate: () => Promise<void>) {
    this.#storage = storage;
    this.#ref = ref;
    this.#beforeCreate = beforeCreate;
    storage.sql.exec(SCHEMA);
  }

  /** The group this object holds, as its last write recorded it (`null`: none). */
  storedRef(): ShareGroupRef | null {
    const row = this.#row();
    return row === undefined ? null : { prefix: row.prefix, groupId: row.group_id };
  }

  async getShareState(
    _groupId: string,
    select: (meta: unknown) => Iterable<string>,
  ): Promise<VersionedShareState | null> {
    const row = this.#row();
    if (row === undefined) return null;
    const meta = JSON.parse(row.meta) as unknown;
    const partitions = new Map<string, unknown>();
    for (const key of select(meta)) {
      const found = this.#storage.sql
        .exec<{ state: string }>("SELECT state FROM share_partitions WHERE key = ?", key)
        .toArray()[0];
      if (found !== undefined) partitions.set(key, JSON.parse(found.state) as unknown);
    }
    // The document handed to `select` is the caller's too: parse it again rather than share it.
    return { version: row.version, meta: JSON.parse(row.meta) as unknown, partitions };
  }

  async putShareState(
    groupId: string,
    write: ShareStateWrite,
    expectedVersion: number | null,
  ): Promise<number> {
    nextGroupStateVersion(groupId, this.#row()?.version ?? null, expectedVersion);
    if (expectedVersion === null) await this.#beforeCreate();
    // Checked again after the await: another request may have written meanwhile.
    const version = nextGroupStateVersion(groupId, this.#row()?.version ?? null, expectedVersion);
    const { prefix } = this.#ref();
    const sql = this.#storage.sql;
    this.#storage.transactionSync(() => {
      sql.exec(
        "INSERT OR REPLACE INTO share_group (id, prefix, group_id, meta, version) VALUES (0, ?, ?, ?, ?)",
        prefix,
        groupId,
        JSON.stringify(write.meta),
        version,
      );
      for (const [key, state] of write.partitions) {
        if (state === null) sql.exec("DELETE FROM share_partitions WHERE key = ?", key);
        else
          sql.exec(
            "INSERT OR REPLACE INTO share_partitions (key, state) VALUES (?, ?)",
            key,
            JSON.stringify(state),
          );
      }
    });
    return version;
  }

  async deleteShareState(groupId: string, expectedVersion: number): Promise<void> {
    nextGroupStateVersion(groupId, this.#row()?.version ?? null, expectedVersion);
    const sql = this.#storage.sql;
    this.#storage.transactionSync(() => {
      sql.exec("DELETE FROM share_group");
      sql.exec("DELETE FROM share_partitions");
    });
  }

  /** This object holds one group at most. */
  async listShareStates(): Promise<string[]> {
    const row = this.#row();
    return row === undefined ? [] : [row.group_id].sort(compareStrings);
  }

  #row(): GroupRow | undefined {
    return this.#storage.sql
      .exec<GroupRow>("SELECT prefix, group_id, meta, version FROM share_group WHERE id = 0")
      .toArray()[0];
  }
}
