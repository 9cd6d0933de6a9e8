/**
 * @module
 * `GroupObject`: one Durable Object per consumer group — its coordinator. It runs core's `GroupCoordinator`
 * (KIP-848 epochs, server-side assignment) over its own SQLite, so every heartbeat of the group is serialised
 * here, and its alarm removes members whose session expired even when no one else heartbeats. It keeps the
 * committed offsets too, and checks a member's epoch in the same object that knows it. A group registers itself
 * with `TopicsObject` before it first writes, so `listGroups` finds it and `deleteTopic` can drop the topic's
 * offsets here.
 */

import { DurableObject } from "cloudflare:workers";
import type {
  CommittedOffset,
  GroupDescription,
  GroupHeartbeatRequest,
  GroupHeartbeatResponse,
  GroupMemberRef,
  TopicMetadata,
} from "@edgelog/core";
import {
  compareStrings,
  GroupCoordinator,
  type GroupStatePort,
  nextGroupStateVersion,
  unknownGroup,
  type VersionedGroupState,
} from "@edgelog/core/store-kit";
import { askController, type ControllerRef, type ControllerStub } from "./controller/reach-controller.ts";
import { DEFAULT_METADATA_MAX_AGE_MS } from "./durable-object-log-store.ts";
import type { EdgeLogEnv } from "./env.ts";
import { type RpcResult, toResult } from "./rpc-result.ts";

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
  CREATE TABLE IF NOT EXISTS group_ref (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    prefix TEXT NOT NULL,
    group_id TEXT NOT NULL
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
  /**
   * Subscribed topics' metadata, kept as briefly as the Worker's store keeps it: every heartbeat of every group
   * reads it, and the namespace has one TopicsObject. A topic's growth or deletion reaches the group within that.
   */
  readonly #topicCache = new Map<string, { metadata: TopicMetadata | null; expiresAt: number }>();
  readonly #topicListCache = new Map<string, { topics: TopicMetadata[]; expiresAt: number }>();

  constructor(ctx: DurableObjectState, env: EdgeLogEnv) {
    super(ctx, env);
    ctx.storage.sql.exec(SCHEMA);
  }

  /** One member heartbeat, coordinated here; the alarm then watches the earliest session deadline. */
  async heartbeat(ref: GroupRef, request: GroupHeartbeatRequest): Promise<RpcResult<GroupHeartbeatResponse>> {
    return toResult(async () => {
      await this.#register(ref);
      let deadline: number | null = null;
      const coordinator = this.#coordinator(ref, (next) => {
        deadline = next;
      });
      const response = await coordinator.heartbeat(ref.groupId, request);
      await this.#armAlarm(deadline);
      return response;
    });
  }

  /** The group as of now; `GROUP_ID_NOT_FOUND` when it has neither state nor offsets. */
  async describe(ref: GroupRef): Promise<RpcResult<GroupDescription>> {
    return toResult(() =>
      this.#coordinator(ref).describeForStore(ref.groupId, async () => this.#offsetCount() > 0),
    );
  }

  /** Session expiry without traffic: remove silent members, re-target, and look again at the next deadline. */
  override async alarm(): Promise<void> {
    const row = this.ctx.storage.sql
      .exec<{ prefix: string; group_id: string }>("SELECT prefix, group_id FROM group_ref WHERE id = 0")
      .toArray()[0];
    if (row === undefined) return;
    const ref = { prefix: row.prefix, groupId: row.group_id };
    await this.#armAlarm(await this.#coordinator(ref).expire(ref.groupId));
  }

  /**
   * Stores offsets all at once (one transaction), after checking the committing member's epoch (or, for an
   * admin's commit, that the group has no members). The store checked the topics and partitions beforehand.
   */
  async commitOffsets(
    ref: GroupRef,
    offsets: readonly CommittedOffset[],
    member?: GroupMemberRef,
  ): Promise<RpcResult<null>> {
    return toResult(async () => {
      if (offsets.length === 0) return null;
      await this.#coordinator(ref).checkCommit(ref.groupId, member);
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
      return this.#writeState(ref.groupId, state, expectedVersion);
    });
  }

  /** Deletes state and offsets; `GROUP_ID_NOT_FOUND` when the group has neither. */
  async deleteGroup(ref: GroupRef): Promise<RpcResult<null>> {
    return toResult(async () => {
      if (this.#isEmpty()) throw unknownGroup(ref.groupId);
      await this.#coordinator(ref).assertDeletable(ref.groupId);
      this.#wipe();
      await this.#controller(ref.prefix, (topics, at) => topics.unregisterGroup(at, ref.groupId), "change");
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

  /**
   * The coordinator over this object's state; topic metadata comes from the namespace's TopicsObject.
   * `onDeadline` hears when the next member would expire after each state it writes.
   */
  #coordinator(ref: GroupRef, onDeadline?: (next: number | null) => void): GroupCoordinator {
    const port: GroupStatePort = {
      getGroupState: async () => this.#state(),
      putGroupState: async (_groupId, state, expectedVersion) =>
        this.#writeState(ref.groupId, state, expectedVersion),
      getTopic: (name) => this.#topicMetadata(ref.prefix, name),
      listTopics: () => this.#topicList(ref.prefix),
    };
    return new GroupCoordinator(
      port,
      onDeadline === undefined ? {} : { onWrite: (_id, next) => onDeadline(next) },
    );
  }

  async #topicMetadata(prefix: string, name: string): Promise<TopicMetadata | null> {
    const key = `${prefix}\u0000${name}`;
    const cached = this.#topicCache.get(key);
    if (cached !== undefined && cached.expiresAt > Date.now()) return cached.metadata;
    const metadata = await this.#controller(prefix, (topics, at) => topics.getTopic(at, name));
    this.#topicCache.set(key, { metadata, expiresAt: Date.now() + DEFAULT_METADATA_MAX_AGE_MS });
    return metadata;
  }

  /** Every topic, cached as single topics are: a subscription naming many topics costs one RPC, not one per name. */
  async #topicList(prefix: string): Promise<TopicMetadata[]> {
    const cached = this.#topicListCache.get(prefix);
    if (cached !== undefined && cached.expiresAt > Date.now()) return cached.topics;
    const topics = await this.#controller(prefix, (stub, at) => stub.listTopics(at));
    this.#topicListCache.set(prefix, { topics, expiresAt: Date.now() + DEFAULT_METADATA_MAX_AGE_MS });
    return topics;
  }

  #rememberRef(ref: GroupRef): void {
    this.ctx.storage.sql.exec(
      "INSERT OR REPLACE INTO group_ref (id, prefix, group_id) VALUES (0, ?, ?)",
      ref.prefix,
      ref.groupId,
    );
  }

  /** Wakes just after `deadline` (expiry is strictly after it); no deadline, no alarm. */
  async #armAlarm(deadline: number | null): Promise<void> {
    if (deadline === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(deadline + 1);
  }

  #offsetCount(): number {
    return this.ctx.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM offsets").one().n;
  }

  #state(): VersionedGroupState | null {
    const row = this.ctx.storage.sql
      .exec<{ state: string; version: number }>("SELECT state, version FROM group_state WHERE id = 0")
      .toArray()[0];
    return row === undefined ? null : { state: JSON.parse(row.state) as unknown, version: row.version };
  }

  /** Compare-and-set, synchronously (no other event can interleave): the new version or CONCURRENT_TRANSACTIONS. */
  #writeState(groupId: string, state: unknown, expectedVersion: number | null): number {
    const version = this.#checkVersion(groupId, expectedVersion);
    this.ctx.storage.sql.exec(
      "INSERT OR REPLACE INTO group_state (id, state, version) VALUES (0, ?, ?)",
      JSON.stringify(state ?? null),
      version,
    );
    return version;
  }

  /**
   * The version a write now would get, or CONCURRENT_TRANSACTIONS. Reads the version alone: parsing the whole
   * group (twice per write) only to compare its version cost as much as the heartbeat's own work.
   */
  #checkVersion(groupId: string, expectedVersion: number | null): number {
    const row = this.ctx.storage.sql
      .exec<{ version: number }>("SELECT version FROM group_state WHERE id = 0")
      .toArray()[0];
    return nextGroupStateVersion(groupId, row?.version ?? null, expectedVersion);
  }

  #isEmpty(): boolean {
    return (
      this.#offsetCount() === 0 &&
      this.ctx.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM group_state").one().n === 0
    );
  }

  #wipe(): void {
    const sql = this.ctx.storage.sql;
    this.ctx.storage.transactionSync(() => {
      sql.exec("DELETE FROM offsets");
      sql.exec("DELETE FROM group_state");
      sql.exec("DELETE FROM group_ref");
    });
    this.#registered = false;
  }

  async #register(ref: GroupRef): Promise<void> {
    if (this.#registered) return;
    await this.#controller(ref.prefix, (topics, at) => topics.registerGroup(at, ref.groupId), "change");
    // The alarm runs without a request: it needs to know which group, in which namespace, it is.
    this.#rememberRef(ref);
    this.#registered = true;
  }

  /** A call to the namespace's controller (`controller/reach-controller.ts`). */
  #controller<T>(
    prefix: string,
    call: (topics: ControllerStub, ref: ControllerRef) => Promise<RpcResult<T>>,
    kind: "read" | "change" = "read",
  ): Promise<T> {
    return askController(this.env, prefix, call, kind);
  }
}
