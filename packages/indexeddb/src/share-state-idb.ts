/**
 * @module
 * Share-group state in IndexedDB (`ShareStateStore`), in the database's `private` object store — documents of
 * components running on the store, which no admin call lists — so share groups need no schema change: the group's
 * document under `share-group NUL <id>` (its version is the row's), each share-partition's under a key that starts
 * with the group's length-prefixed id. Reads and writes are one transaction each; tabs take turns through the
 * version (compare-and-set), as they do for consumer groups.
 */
import {
  compareStrings,
  nextGroupStateVersion,
  type ShareStateStore,
  type ShareStateWrite,
  type VersionedShareState,
} from "@edgelog/core/store-kit";
import type { ReadTx, WriteTx } from "./store-partition.ts";

const GROUP_PREFIX = "share-group\u0000";

/** The key of a group's document. */
function groupKey(groupId: string): string {
  return `${GROUP_PREFIX}${groupId}`;
}

/** The prefix of a group's partition documents: the id's length first, so no id is a prefix of another's keys. */
function partitionPrefix(groupId: string): string {
  return `share-partition\u0000${groupId.length}\u0000${groupId}\u0000`;
}

/** Every key that starts with `prefix` (which ends in NUL): up to the same text ending in U+0001. */
function prefixRange(prefix: string): IDBKeyRange {
  return IDBKeyRange.bound(prefix, `${prefix.slice(0, -1)}\u0001`, false, true);
}

export class IdbShareState implements ShareStateStore {
  readonly #read: <T>(body: (tx: ReadTx) => Promise<T>) => Promise<T>;
  readonly #write: <T>(body: (tx: WriteTx) => Promise<T>) => Promise<T>;

  constructor(
    read: <T>(body: (tx: ReadTx) => Promise<T>) => Promise<T>,
    write: <T>(body: (tx: WriteTx) => Promise<T>) => Promise<T>,
  ) {
    this.#read = read;
    this.#write = write;
  }

  getShareState(
    groupId: string,
    select: (meta: unknown) => Iterable<string>,
  ): Promise<VersionedShareState | null> {
    return this.#read(async (tx) => {
      const store = tx.objectStore("private");
      const row = await store.get(groupKey(groupId));
      if (row === undefined) return null;
      const keys = [...select(row.state)];
      const rows = await Promise.all(keys.map((key) => store.get(`${partitionPrefix(groupId)}${key}`)));
      const partitions = new Map<string, unknown>();
      keys.forEach((key, i) => {
        const found = rows[i];
        if (found !== undefined) partitions.set(key, found.state);
      });
      // Structured clone handed out copies already.
      return { version: row.version, meta: row.state, partitions };
    });
  }

  putShareState(groupId: string, write: ShareStateWrite, expectedVersion: number | null): Promise<number> {
    return this.#write(async (tx) => {
      const store = tx.objectStore("private");
      const current = await store.get(groupKey(groupId));
      const version = nextGroupStateVersion(groupId, current?.version ?? null, expectedVersion);
      const writes: Promise<unknown>[] = [store.put({ key: groupKey(groupId), state: write.meta, version })];
      for (const [key, state] of write.partitions) {
        const stored = `${partitionPrefix(groupId)}${key}`;
        writes.push(state === null ? store.delete(stored) : store.put({ key: stored, state, version: 0 }));
      }
      await Promise.all(writes);
      return version;
    });
  }

  deleteShareState(groupId: string, expectedVersion: number): Promise<void> {
    return this.#write(async (tx) => {
      const store = tx.objectStore("private");
      const current = await store.get(groupKey(groupId));
      nextGroupStateVersion(groupId, current?.version ?? null, expectedVersion);
      await Promise.all([
        store.delete(groupKey(groupId)),
        store.delete(prefixRange(partitionPrefix(groupId))),
      ]);
    });
  }

  async listShareStates(): Promise<string[]> {
    const keys = await this.#read((tx) => tx.objectStore("private").getAllKeys(prefixRange(GROUP_PREFIX)));
    return keys.map((key) => key.slice(GROUP_PREFIX.length)).sort(compareStrings);
  }
}
