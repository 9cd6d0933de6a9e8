/**
 * @module
 * Share-group state in memory (`ShareStateStore`): each group's document and its partitions' documents, versioned
 * for compare-and-set. What the memory store keeps for its share groups, and what tests give a coordinator.
 */
import type { ShareStateStore, ShareStateWrite, VersionedShareState } from "../store.ts";
import { nextGroupStateVersion } from "../store-kit/group-state.ts";
import { compareStrings } from "../validation.ts";

interface StoredShareGroup {
  version: number;
  meta: unknown;
  readonly partitions: Map<string, unknown>;
}

export class MemoryShareState implements ShareStateStore {
  readonly #groups = new Map<string, StoredShareGroup>();
  readonly #assertOpen: () => void;

  constructor(assertOpen: () => void = () => {}) {
    this.#assertOpen = assertOpen;
  }

  async getShareState(
    groupId: string,
    select: (meta: unknown) => Iterable<string>,
  ): Promise<VersionedShareState | null> {
    this.#assertOpen();
    const group = this.#groups.get(groupId);
    if (group === undefined) return null;
    // Copies: what is stored changes only through putShareState.
    const meta = structuredClone(group.meta);
    const partitions = new Map<string, unknown>();
    for (const key of select(group.meta)) {
      const state = group.partitions.get(key);
      if (state !== undefined) partitions.set(key, structuredClone(state));
    }
    return { version: group.version, meta, partitions };
  }

  async putShareState(
    groupId: string,
    write: ShareStateWrite,
    expectedVersion: number | null,
  ): Promise<number> {
    this.#assertOpen();
    const group = this.#groups.get(groupId);
    const version = nextGroupStateVersion(groupId, group?.version ?? null, expectedVersion);
    const stored = group ?? { version, meta: null, partitions: new Map<string, unknown>() };
    stored.version = version;
    stored.meta = structuredClone(write.meta);
    for (const [key, state] of write.partitions) {
      if (state === null) stored.partitions.delete(key);
      else stored.partitions.set(key, structuredClone(state));
    }
    this.#groups.set(groupId, stored);
    return version;
  }

  async deleteShareState(groupId: string, expectedVersion: number): Promise<void> {
    this.#assertOpen();
    nextGroupStateVersion(groupId, this.#groups.get(groupId)?.version ?? null, expectedVersion);
    this.#groups.delete(groupId);
  }

  async listShareStates(): Promise<string[]> {
    this.#assertOpen();
    return [...this.#groups.keys()].sort(compareStrings);
  }
}
