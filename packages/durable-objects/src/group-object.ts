/**
 * @module
 * `GroupObject`: one Durable Object per consumer group. It keeps the group's opaque state under a
 * compare-and-set version (the KIP-848 coordinator state lives above, in core) and its committed offsets.
 * A group registers itself with `TopicsObject` before it first writes, so `listGroups` finds it and
 * `deleteTopic` can drop the topic's offsets here.
 */

import { DurableObject } from "cloudflare:workers";
import {
  type CommittedOffset,
  compareStrings,
  EdgeLogError,
  nextGroupStateVersion,
  type VersionedGroupState,
} from "@edgelog/core";
import type { EdgeLogEnv } from "./env.ts";
import { topicsObjectName } from "./names.ts";
import { type RpcResult, toResult, unwrap } from "./rpc-result.ts";

/** Who a group is: its id and the namespace prefix its `TopicsObject` is named with. */
export interface GroupRef {
  readonly prefix: string;
  readonly groupId: string;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS group_state (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    state TEXT NOT NULL,
    version INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS offsets (
    topic TEXT NOT NULL,
    partition_id INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    metadata TEXT,
    PRIMARY KEY (topic, partition_id)
  );
`;

type OffsetRow = { topic: string; partition_id: number; next_offset: number; metadata: string | null };

export class GroupObject extends DurableObject<EdgeLogEnv> {
  /** Whether this instance already told TopicsObject about the group (registration is idempotent anyway). */
  #registered = false;

  constructor(ctx: DurableObjectState, env: EdgeLogEnv) {
    super(ctx, env);
    ctx.storage.sql.exec(SCHEMA);
  }

  /** Stores offsets all at once (one transaction). The store checked the topics and partitions beforehand. */
  async commitOffsets(ref: GroupRef, offsets: readonly CommittedOffset[]): Promise<RpcResult<null>> {
    return toResult(async () => {
      if (offsets.length === 0) return null;
      await this.#register(ref);
      const sql = this.ctx.storage.sql;
      this.ctx.storage.transactionSync(() => {
        for (const o of offsets) {
          sql.exec(
            "INSERT OR REPLACE INTO offsets (topic, partition_id, next_offset, metadata) VALUES (?, ?, ?, ?)",
            o.topic,
            o.partition,
            o.offset,
            o.metadata,
          );
        }
      });
      return null;
    });
  }

  async fetchOffsets(topics?: readonly string[]): Promise<RpcResult<CommittedOffset[]>> {
    return toResult(() => {
      const wanted = topics === undefined ? null : new Set(topics);
      return this.ctx.storage.sql
        .exec<OffsetRow>("SELECT topic, partition_id, next_offset, metadata FROM offsets")
        .toArray()
        .filter((row) => wanted === null || wanted.has(row.topic))
        .map((row) => ({
          topic: row.topic,
          partition: row.partition_id,
          offset: row.next_offset,
          metadata: row.metadata,
        }))
        .sort((a, b) => compareStrings(a.topic, b.topic) || a.partition - b.partition);
    });
  }

  async getState(): Promise<RpcResult<VersionedGroupState | null>> {
    return toResult(() => this.#state());
  }

  /** Compare-and-set: `CONCURRENT_TRANSACTIONS` (retriable) unless the version is still `expectedVersion`. */
  async putState(ref: GroupRef, state: unknown, expectedVersion: number | null): Promise<RpcResult<number>> {
    return toResult(async () => {
      // Check before registering, so a losing writer does not make an empty group appear in listGroups …
      this.#checkVersion(ref.groupId, expectedVersion);
      await this.#register(ref);
      // … and again after the await, because another writer may have won meanwhile.
      const version = this.#checkVersion(ref.groupId, expectedVersion);
      this.ctx.storage.sql.exec(
        "INSERT OR REPLACE INTO group_state (id, state, version) VALUES (0, ?, ?)",
        JSON.stringify(state ?? null),
        version,
      );
      return version;
    });
  }

  /** Deletes state and offsets; `GROUP_ID_NOT_FOUND` when the group has neither. */
  async deleteGroup(ref: GroupRef): Promise<RpcResult<null>> {
    return toResult(async () => {
      if (this.#isEmpty()) {
        throw new EdgeLogError("GROUP_ID_NOT_FOUND", `unknown group "${ref.groupId}"`, {
          context: { groupId: ref.groupId },
        });
      }
      this.#wipe();
      unwrap(await this.#topics(ref.prefix).unregisterGroup(ref.groupId));
      return null;
    });
  }

  /** Forgets the offsets of a deleted topic; says whether the group is now empty (TopicsObject then forgets it). */
  async dropTopic(topic: string): Promise<RpcResult<{ empty: boolean }>> {
    return toResult(() => {
      this.ctx.storage.sql.exec("DELETE FROM offsets WHERE topic = ?", topic);
      const empty = this.#isEmpty();
      if (empty) this.#registered = false;
      return { empty };
    });
  }

  #state(): VersionedGroupState | null {
    const row = this.ctx.storage.sql
      .exec<{ state: string; version: number }>("SELECT state, version FROM group_state WHERE id = 0")
      .toArray()[0];
    return row === undefined ? null : { state: JSON.parse(row.state) as unknown, version: row.version };
  }

  /** The version a write now would get, or CONCURRENT_TRANSACTIONS. */
  #checkVersion(groupId: string, expectedVersion: number | null): number {
    return nextGroupStateVersion(groupId, this.#state()?.version ?? null, expectedVersion);
  }

  #isEmpty(): boolean {
    const sql = this.ctx.storage.sql;
    const offsets = sql.exec<{ n: number }>("SELECT count(*) AS n FROM offsets").one().n;
    return offsets === 0 && this.#state() === null;
  }

  #wipe(): void {
    const sql = this.ctx.storage.sql;
    this.ctx.storage.transactionSync(() => {
      sql.exec("DELETE FROM offsets");
      sql.exec("DELETE FROM group_state");
    });
    this.#registered = false;
  }

  async #register(ref: GroupRef): Promise<void> {
    if (this.#registered) return;
    unwrap(await this.#topics(ref.prefix).registerGroup(ref.groupId));
    this.#registered = true;
  }

  #topics(prefix: string) {
    return this.env.TOPICS.getByName(topicsObjectName(prefix));
  }
}
