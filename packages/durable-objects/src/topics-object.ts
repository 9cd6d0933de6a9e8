/**
 * @module
 * `TopicsObject`: the one metadata object of a deployment (named "topics"). It owns the topic table — name,
 * topic id, partition count, config, creation time and placement (the region leading each partition) — and the
 * registry of consumer groups. For a replicated topic it is the controller: it records each partition's replica
 * set, leader, in-sync set and leader epoch, and leaders ask it to change the in-sync set (`alterIsr`). It keeps the so `listGroups` and `deleteTopic` can find every group without a scan. Creating,
 * growing and deleting a topic reaches out to the partition objects (configure / destroy) and, on delete, to the
 * groups that committed offsets for it.
 */

import { DurableObject } from "cloudflare:workers";
import { EdgeLogError, type TopicConfig, type TopicMetadata, type TopicSpec } from "@edgelog/core";
import {
  assertNoTopicCollision,
  assertPartitionsGrow,
  assertTopicCapacity,
  compareStrings,
  newTopicMetadata,
  type PartitionReplication,
  planElection,
  topicAlreadyExists,
  unknownTopic,
} from "@edgelog/core/store-kit";
import type { EdgeLogEnv } from "./env.ts";
import { groupObjectName, parseRegions, partitionObjectName } from "./names.ts";
import { configurePartitions } from "./partition-setup.ts";
import { assertReachable, crossRegion } from "./replication/fault-switch.ts";
import { type RpcResult, toResult, unwrap } from "./rpc-result.ts";

/** A topic's metadata with the region that leads each partition (index = partition). */
export interface TopicDescription {
  readonly metadata: TopicMetadata;
  readonly placement: readonly string[];
  /** A replicated topic's replica sets (index = partition); `null` for a topic of single copies. */
  readonly replication: readonly PartitionReplication[] | null;
}

export interface PartitionPlacement {
  readonly partition: number;
  /** The region of the partition's leader (its only copy when unreplicated). */
  readonly region: string;
  readonly replication?: PartitionReplication;
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS topics (
    name TEXT PRIMARY KEY,
    topic_id TEXT NOT NULL,
    partitions INTEGER NOT NULL,
    config TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    placement TEXT NOT NULL,
    regions TEXT NOT NULL,
    replication TEXT
  );
  CREATE TABLE IF NOT EXISTS groups (group_id TEXT PRIMARY KEY);
`;

type TopicRow = {
  name: string;
  topic_id: string;
  partitions: number;
  config: string;
  created_at: number;
  placement: string;
  regions: string;
  /** JSON `PartitionReplication[]`, or null for a topic of single copies. */
  replication: string | null;
};

export class TopicsObject extends DurableObject<EdgeLogEnv> {
  /** Names being created right now: the partition objects are configured before the row becomes visible. */
  readonly #creating = new Set<string>();
  /** Rows of `topics`: counted once per instance, then kept by every insert and delete (no scan per create). */
  #topicCount: number | null = null;

  constructor(ctx: DurableObjectState, env: EdgeLogEnv) {
    super(ctx, env);
    ctx.storage.sql.exec(SCHEMA);
    // A topics table made before replication existed lacks the column (null: single copies, as they are).
    const columns = ctx.storage.sql.exec<{ name: string }>("PRAGMA table_info(topics)").toArray();
    if (!columns.some((column) => column.name === "replication")) {
      ctx.storage.sql.exec("ALTER TABLE topics ADD COLUMN replication TEXT");
    }
  }

  /**
   * Creates a topic, its partitions spread round-robin over `regions` (default: the deployment's first region),
   * or, with two or more `replicas`, every partition replicated in each of them and led by the first.
   * `prefix` is the namespace prefix the partition objects are named with.
   */
  async createTopic(
    prefix: string,
    spec: TopicSpec,
    regions?: readonly string[],
    replicas?: readonly string[],
  ): Promise<RpcResult<TopicMetadata>> {
    return toResult(async () => {
      const replicated = replicas !== undefined && replicas.length > 1;
      // One replica is placement of the one copy: exactly today's topic.
      const chosen = this.#chooseRegions(replicas ?? regions);
      if (this.#row(spec.name) !== null || this.#creating.has(spec.name)) throw topicAlreadyExists(spec.name);
      // Checked in the same synchronous step that reserves the name below (no await in between), against
      // published rows and names still being configured: two colliding creates cannot both get past here.
      assertNoTopicCollision(spec.name, this.#creating);
      assertNoTopicCollision(
        spec.name,
        this.ctx.storage.sql
          .exec<{ name: string }>(
            "SELECT name FROM topics WHERE replace(name, '.', '_') = ?",
            spec.name.replaceAll(".", "_"),
          )
          .toArray()
          .map((row) => row.name),
      );
      // Names still being configured count: they are reserved, and each may become a row.
      assertTopicCapacity(spec.name, this.#countTopics() + this.#creating.size);
      const metadata = newTopicMetadata(spec, Date.now(), replicated ? chosen.length : 1);
      const replication = replicated
        ? Array.from({ length: spec.partitions }, () => newReplication(chosen))
        : null;
      const placement = Array.from({ length: spec.partitions }, (_, p) =>
        replicated ? (chosen[0] as string) : regionFor(chosen, p),
      );
      this.#creating.add(spec.name);
      try {
        // Configure first, publish after: a topic that getTopic returns always has live partition objects.
        await this.#configure(prefix, metadata, placement, replication, 0, true);
        this.ctx.storage.sql.exec(
          "INSERT INTO topics (name, topic_id, partitions, config, created_at, placement, regions, replication) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          metadata.name,
          metadata.topicId,
          metadata.partitions,
          JSON.stringify(metadata.config),
          metadata.createdAt,
          JSON.stringify(placement),
          JSON.stringify(chosen),
          replication === null ? null : JSON.stringify(replication),
        );
        if (this.#topicCount !== null) this.#topicCount++;
      } finally {
        this.#creating.delete(spec.name);
      }
      return metadata;
    });
  }

  #countTopics(): number {
    this.#topicCount ??= this.ctx.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM topics").one().n;
    return this.#topicCount;
  }

  async getTopic(name: string): Promise<RpcResult<TopicMetadata | null>> {
    return toResult(() => {
      const row = this.#row(name);
      return row === null ? null : toMetadata(row);
    });
  }

  /** Metadata plus placement: what the store needs to name a partition's object. */
  async describeTopic(name: string): Promise<RpcResult<TopicDescription | null>> {
    return toResult(() => {
      const row = this.#row(name);
      return row === null
        ? null
        : {
            metadata: toMetadata(row),
            placement: JSON.parse(row.placement) as string[],
            replication: replicationOf(row),
          };
    });
  }

  async listTopics(): Promise<RpcResult<TopicMetadata[]>> {
    return toResult(() =>
      this.ctx.storage.sql
        .exec<TopicRow>("SELECT * FROM topics")
        .toArray()
        .map(toMetadata)
        .sort((a, b) => compareStrings(a.name, b.name)),
    );
  }

  async placement(name: string): Promise<RpcResult<PartitionPlacement[]>> {
    return toResult(() => {
      const row = this.#require(name);
      const replication = replicationOf(row);
      return (JSON.parse(row.placement) as string[]).map((region, partition) => {
        const replicas = replication?.[partition];
        return replicas === undefined ? { partition, region } : { partition, region, replication: replicas };
      });
    });
  }

  /**
   * Deletes a topic: the row first (so nobody finds it again), then every partition object's data, then the
   * group offsets committed for it.
   */
  async deleteTopic(prefix: string, name: string): Promise<RpcResult<null>> {
    return toResult(async () => {
      const row = this.#require(name);
      this.ctx.storage.sql.exec("DELETE FROM topics WHERE name = ?", name);
      if (this.#topicCount !== null) this.#topicCount--;
      const placement = JSON.parse(row.placement) as string[];
      const replication = replicationOf(row);
      await Promise.all(
        placement.flatMap((region, partition) =>
          (replication?.[partition]?.replicas ?? [region]).map(async (replica) => {
            const stub = this.#partitionStub(prefix, row.topic_id, partition, replica);
            unwrap(await stub.destroy());
          }),
        ),
      );
      const groups = this.ctx.storage.sql.exec<{ group_id: string }>("SELECT group_id FROM groups").toArray();
      await Promise.all(
        groups.map(async ({ group_id: groupId }) => {
          const stub = this.env.GROUPS.getByName(groupObjectName(prefix, groupId));
          const { empty } = unwrap(await stub.dropTopic(name));
          // A group left with neither state nor offsets no longer exists (as in the memory store).
          if (empty) this.ctx.storage.sql.exec("DELETE FROM groups WHERE group_id = ?", groupId);
        }),
      );
      return null;
    });
  }

  /** Grows a topic to `count` partitions; new partitions follow the topic's round-robin over its regions. */
  async createPartitions(prefix: string, name: string, count: number): Promise<RpcResult<TopicMetadata>> {
    return toResult(async () => {
      const row = this.#require(name);
      assertPartitionsGrow(name, row.partitions, count);
      const regions = JSON.parse(row.regions) as string[];
      const placement = JSON.parse(row.placement) as string[];
      const replication = replicationOf(row);
      for (let p = placement.length; p < count; p++) {
        // A replicated topic's new partitions get the same replica set, led by its preferred leader.
        placement.push(replication === null ? regionFor(regions, p) : (regions[0] as string));
        replication?.push(newReplication(regions));
      }
      const metadata: TopicMetadata = { ...toMetadata(row), partitions: count };
      await this.#configure(prefix, metadata, placement, replication, row.partitions, false);
      // Re-check after the await: the topic may have been deleted (or grown) meanwhile.
      const current = this.#row(name);
      if (current === null || current.topic_id !== row.topic_id) throw unknownTopic(name);
      if (current.partitions >= count) return toMetadata(current);
      // Only the new partitions come from before the await: an election or in-sync-set change recorded meanwhile
      // for an existing partition must not be overwritten by the copy read before it.
      const currentReplication = replicationOf(current);
      const nextPlacement = [
        ...(JSON.parse(current.placement) as string[]),
        ...placement.slice(current.partitions),
      ];
      const nextReplication =
        replication === null || currentReplication === null
          ? null
          : [...currentReplication, ...replication.slice(current.partitions)];
      this.ctx.storage.sql.exec(
        "UPDATE topics SET partitions = ?, placement = ?, replication = ? WHERE name = ?",
        count,
        JSON.stringify(nextPlacement),
        nextReplication === null ? null : JSON.stringify(nextReplication),
        name,
      );
      return metadata;
    });
  }

  /**
   * A leader asks to record a new in-sync set (Kafka's AlterPartition). Refused unless it leads the partition of
   * that topic id at that epoch (`FENCED_LEADER_EPOCH`), and unless the set is of the partition's replicas and
   * holds the leader (`INVALID_REQUEST`). Answers the recorded state.
   */
  async alterIsr(
    name: string,
    topicId: string,
    partition: number,
    leaderEpoch: number,
    isr: readonly string[],
  ): Promise<RpcResult<PartitionReplication>> {
    return toResult(() => {
      const row = this.#require(name);
      const replication = replicationOf(row);
      const current = replication?.[partition];
      if (row.topic_id !== topicId || replication === null || current === undefined) throw unknownTopic(name);
      if (leaderEpoch !== current.leaderEpoch) {
        throw new EdgeLogError(
          "FENCED_LEADER_EPOCH",
          `leader epoch ${leaderEpoch} is not the partition's (${current.leaderEpoch})`,
          { context: { topic: name, partition, leaderEpoch: current.leaderEpoch } },
        );
      }
      const unique = new Set(isr);
      if (!unique.has(current.leader) || ![...unique].every((region) => current.replicas.includes(region))) {
        throw new EdgeLogError("INVALID_REQUEST", "an in-sync set holds the leader and only replicas", {
          context: { topic: name, partition },
        });
      }
      const next: PartitionReplication = {
        ...current,
        isr: current.replicas.filter((region) => unique.has(region)),
      };
      replication[partition] = next;
      this.ctx.storage.sql.exec(
        "UPDATE topics SET replication = ? WHERE name = ?",
        JSON.stringify(replication),
        name,
      );
      return next;
    });
  }

  /**
   * Moves the leadership of `partition` to `region`'s in-sync replica under `leaderEpoch + 1` (Kafka's
   * ElectLeaders; core's `planElection` decides). The controller records it first — it is the truth clients and
   * replicas follow — then tells the new leader, then every other replica: the old leader stops taking appends
   * and truncates what only it wrote. A replica that cannot be told now learns the epoch from the new leader's
   * next push. Answers the recorded state.
   */
  async electLeader(
    prefix: string,
    name: string,
    partition: number,
    region: string,
  ): Promise<RpcResult<PartitionReplication>> {
    return toResult(async () => {
      const row = this.#require(name);
      const replication = replicationOf(row);
      const current = replication?.[partition];
      if (replication === null || current === undefined) {
        throw new EdgeLogError(
          replication === null ? "INVALID_REQUEST" : "UNKNOWN_TOPIC_OR_PARTITION",
          replication === null
            ? `topic ${name} is not replicated: it has no other replica to elect`
            : `topic ${name} has no partition ${partition}`,
          { context: { topic: name, partition } },
        );
      }
      const next = planElection({ topic: name, partition }, current, region);
      // An unreachable region cannot be told it leads: refuse before recording anything.
      assertReachable(this.env, prefix, region);
      replication[partition] = next;
      const placement = JSON.parse(row.placement) as string[];
      placement[partition] = region;
      this.ctx.storage.sql.exec(
        "UPDATE topics SET replication = ?, placement = ? WHERE name = ?",
        JSON.stringify(replication),
        JSON.stringify(placement),
        name,
      );
      const plain = plainReplication(next);
      await crossRegion(this.env, prefix, { to: region });
      unwrap(
        await this.#partitionStub(prefix, row.topic_id, partition, region).becomeLeader(row.topic_id, plain),
      );
      await Promise.all(
        next.replicas
          .filter((replica) => replica !== region)
          .map(async (replica) => {
            try {
              await crossRegion(this.env, prefix, { to: replica });
              const stub = this.#partitionStub(prefix, row.topic_id, partition, replica);
              unwrap(await stub.becomeFollower(row.topic_id, plain));
            } catch (error) {
              console.error(
                `edgelog: ${replica} not told of epoch ${next.leaderEpoch}; the leader's push will`,
                error,
              );
            }
          }),
      );
      return next;
    });
  }

  // ── group registry ──────────────────────────────────────────────────────────────────────────────────────────

  async registerGroup(groupId: string): Promise<RpcResult<null>> {
    return toResult(() => {
      this.ctx.storage.sql.exec("INSERT OR IGNORE INTO groups (group_id) VALUES (?)", groupId);
      return null;
    });
  }

  async unregisterGroup(groupId: string): Promise<RpcResult<null>> {
    return toResult(() => {
      this.ctx.storage.sql.exec("DELETE FROM groups WHERE group_id = ?", groupId);
      return null;
    });
  }

  async listGroups(): Promise<RpcResult<string[]>> {
    return toResult(() =>
      this.ctx.storage.sql
        .exec<{ group_id: string }>("SELECT group_id FROM groups")
        .toArray()
        .map((row) => row.group_id)
        .sort(compareStrings),
    );
  }

  // ── helpers ─────────────────────────────────────────────────────────────────────────────────────────────────

  /** The regions a topic spreads over: a non-empty subset of the deployment's REGIONS (`INVALID_REQUEST` else). */
  #chooseRegions(requested: readonly string[] | undefined): string[] {
    const configured = parseRegions(this.env.REGIONS);
    if (requested === undefined) return configured.slice(0, 1);
    const unique = [...new Set(requested)];
    const unknown = unique.filter((region) => !configured.includes(region));
    if (unique.length === 0 || unknown.length > 0) {
      throw new EdgeLogError(
        "INVALID_REQUEST",
        `regions must be a non-empty subset of the configured regions (${configured.join(",")})`,
        { context: { regions: unique.join(","), configured: configured.join(",") } },
      );
    }
    return unique;
  }

  /**
   * Configures the partition objects from `fromPartition` on, a bounded step at a time. A create
   * (`undoOnFailure`) destroys what it reached when one fails, so a failed create leaves no orphans under its
   * topic id. A grow does not: a destroyed object refuses to be configured again while it stays in memory, so
   * undoing would break the retry, which reconfigures the same objects.
   */
  async #configure(
    prefix: string,
    metadata: TopicMetadata,
    placement: readonly string[],
    replication: readonly PartitionReplication[] | null,
    fromPartition: number,
    undoOnFailure: boolean,
  ): Promise<void> {
    const regionsOf = (partition: number): readonly string[] =>
      replication?.[partition]?.replicas ?? [placement[partition] as string];
    const stubOf = (partition: number, region: string) =>
      this.#partitionStub(prefix, metadata.topicId, partition, region);
    const partitions = Array.from({ length: placement.length - fromPartition }, (_, i) => fromPartition + i);
    await configurePartitions(partitions, {
      configure: async (partition) => {
        const { name: topic, topicId, config } = metadata;
        const replicas = replication?.[partition];
        await Promise.all(
          regionsOf(partition).map(async (region) => {
            const base = { topic, partition, topicId, config };
            const configuration =
              replicas === undefined
                ? base
                : { ...base, replication: { ...plainReplication(replicas), region, prefix } };
            unwrap(await stubOf(partition, region).configure(configuration));
          }),
        );
      },
      destroy: async (partition) => {
        if (!undoOnFailure) return;
        await Promise.all(
          regionsOf(partition).map(async (region) => unwrap(await stubOf(partition, region).destroy())),
        );
      },
    });
  }

  #partitionStub(prefix: string, topicId: string, partition: number, region: string) {
    const name = partitionObjectName(prefix, topicId, partition, region);
    // The location hint is honoured on first creation only, which is exactly when configure() reaches it.
    return this.env.PARTITIONS.get(this.env.PARTITIONS.idFromName(name), {
      locationHint: region as DurableObjectLocationHint,
    });
  }

  #row(name: string): TopicRow | null {
    return (
      this.ctx.storage.sql.exec<TopicRow>("SELECT * FROM topics WHERE name = ?", name).toArray()[0] ?? null
    );
  }

  #require(name: string): TopicRow {
    const row = this.#row(name);
    if (row === null) throw unknownTopic(name);
    return row;
  }
}

/** A new partition's replica set: led by the preferred (first) replica, all in sync, epoch 0. */
function newReplication(replicas: readonly string[]): PartitionReplication {
  return { leader: replicas[0] as string, replicas: [...replicas], isr: [...replicas], leaderEpoch: 0 };
}

function plainReplication(r: PartitionReplication): PartitionReplication {
  return { leader: r.leader, replicas: [...r.replicas], isr: [...r.isr], leaderEpoch: r.leaderEpoch };
}

function replicationOf(row: TopicRow): PartitionReplication[] | null {
  return row.replication === null ? null : (JSON.parse(row.replication) as PartitionReplication[]);
}

function regionFor(regions: readonly string[], partition: number): string {
  return regions[partition % regions.length] as string;
}

function toMetadata(row: TopicRow): TopicMetadata {
  return {
    name: row.name,
    topicId: row.topic_id,
    partitions: row.partitions,
    config: JSON.parse(row.config) as TopicConfig,
    createdAt: row.created_at,
  };
}
