/**
 * @module
 * `TopicsObject`: a controller replica. A deployment has one per region of its `REGIONS` (the first named
 * `${prefix}topics`, as the one metadata object always was; `controller/reach-controller.ts` finds them). Together
 * they hold the topic table — name, topic id, partition count, config, creation time and placement (the region
 * leading each partition) — and the registry of consumer groups, one CASPaxos register per topic row and per
 * group (`controller/`): every change is accepted by a majority of the replicas before it is answered, so the
 * controller survives the loss of any minority of regions. For a replicated topic it records each partition's
 * replica set, leader, in-sync set and leader epoch, leaders ask it to change the in-sync set (`alterIsr`), and it
 * elects leaders — on demand (`electLeader`) and when a leader is lost (`reportLeaderFailure`,
 * `replication/failover-controller.ts`, run from the alarm of the replica the reports reach); every election goes
 * through the quorum, and its messages to the partition's replicas are re-sent until they arrive
 * (`replication/election-delivery.ts`). Reads are answered from the replica reached. Creating, growing,
 * reconfiguring and deleting a topic reaches out to the partition objects (configure / destroy) and, on delete, to
 * the groups that committed offsets for it.
 */

import { DurableObject } from "cloudflare:workers";
import { EdgeLogError, type TopicConfig, type TopicMetadata, type TopicSpec } from "@edgelog/core";
import {
  alteredTopicMetadata,
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
import { ControllerQuorum } from "./controller/controller-quorum.ts";
import { type ControllerRef, controllerRegions } from "./controller/reach-controller.ts";
import type {
  AcceptAnswer,
  AcceptedRegister,
  PeekAnswer,
  PrepareAnswer,
  RegisterKind,
  Versioned,
} from "./controller/register-store.ts";
import type { EdgeLogEnv } from "./env.ts";
import { groupObjectName, parseRegions, partitionObjectName } from "./names.ts";
import { configurePartitions } from "./partition-setup.ts";
import { ElectionDelivery, plainReplication } from "./replication/election-delivery.ts";
import { FailoverController, type FailoverState } from "./replication/failover-controller.ts";
import { assertReachable } from "./replication/fault-switch.ts";
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

/** A topic register's value (JSON), in the shape the topics table of a single metadata object had. */
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
  /** Names being created through this replica right now: the partition objects are configured before the row is. */
  readonly #creating = new Set<string>();
  readonly #quorum: ControllerQuorum;
  readonly #delivery: ElectionDelivery;
  readonly #failover: FailoverController;

  constructor(ctx: DurableObjectState, env: EdgeLogEnv) {
    super(ctx, env);
    this.#quorum = new ControllerQuorum(ctx.storage, env);
    const replica = (prefix: string, topicId: string, partition: number, region: string) =>
      this.#partitionStub(prefix, topicId, partition, region);
    // This replica's copy: failover decides on it, then records through the quorum only if it still holds there.
    const partitionState = (topic: string, partition: number) => {
      const row = this.#row(topic);
      const replication = row === null ? undefined : replicationOf(row)?.[partition];
      if (row === null || replication === undefined) return null;
      return { topicId: row.topic_id, config: JSON.parse(row.config) as TopicConfig, replication };
    };
    const wakeAt = (at: number) => this.#quorum.wakeAt(at);
    const now = () => Date.now();
    this.#delivery = new ElectionDelivery({
      env,
      sql: ctx.storage.sql,
      replica,
      record: partitionState,
      wakeAt,
      now,
    });
    this.#failover = new FailoverController({
      env,
      sql: ctx.storage.sql,
      replica,
      partition: partitionState,
      elect: (prefix, topic, partition, expected, next) =>
        this.#electIf(prefix, topic, partition, expected, next),
      wakeAt,
      now,
    });
  }

  /**
   * Creates a topic, its partitions spread round-robin over `regions` (default: the deployment's first region),
   * or, with two or more `replicas`, every partition replicated in each of them and led by the first.
   */
  async createTopic(
    ref: ControllerRef,
    spec: TopicSpec,
    regions?: readonly string[],
    replicas?: readonly string[],
  ): Promise<RpcResult<TopicMetadata>> {
    return toResult(async () => {
      this.#enter(ref);
      const replicated = replicas !== undefined && replicas.length > 1;
      // One replica is placement of the one copy: exactly today's topic.
      const chosen = this.#chooseRegions(replicas ?? regions);
      if (this.#row(spec.name) !== null || this.#creating.has(spec.name)) throw topicAlreadyExists(spec.name);
      // Checked in the same synchronous step that reserves the name below (no await in between), against the
      // rows this replica holds and names still being configured through it: two colliding creates through one
      // replica cannot both get past here. (Through two replicas at once they can: see docs/architecture.md.)
      assertNoTopicCollision(spec.name, this.#creating);
      assertNoTopicCollision(spec.name, this.#quorum.store.collidingTopics(spec.name));
      // Names still being configured count: they are reserved, and each may become a row.
      assertTopicCapacity(spec.name, this.#quorum.store.topicCount() + this.#creating.size);
      const metadata = newTopicMetadata(spec, Date.now(), replicated ? chosen.length : 1);
      const replication = replicated
        ? Array.from({ length: spec.partitions }, () => newReplication(chosen))
        : null;
      const placement = Array.from({ length: spec.partitions }, (_, p) =>
        replicated ? (chosen[0] as string) : regionFor(chosen, p),
      );
      const row: TopicRow = {
        name: metadata.name,
        topic_id: metadata.topicId,
        partitions: metadata.partitions,
        config: JSON.stringify(metadata.config),
        created_at: metadata.createdAt,
        placement: JSON.stringify(placement),
        regions: JSON.stringify(chosen),
        replication: replication === null ? null : JSON.stringify(replication),
      };
      this.#creating.add(spec.name);
      try {
        // Configure first, publish after: a topic that getTopic returns always has live partition objects.
        await this.#configure(ref.prefix, metadata, placement, replication, 0, true);
        let refused = false;
        try {
          await this.#changeTopic(spec.name, (current) => {
            refused = current !== null;
            if (refused) throw topicAlreadyExists(spec.name);
            return row;
          });
        } catch (error) {
          // Another replica created the name meanwhile: nothing names these objects, so they go. (After a
          // failed quorum they stay: the row may still be chosen by a later proposal.)
          if (refused) await this.#destroyPartitions(ref.prefix, row);
          throw error;
        }
      } finally {
        this.#creating.delete(spec.name);
      }
      return metadata;
    });
  }

  async getTopic(ref: ControllerRef, name: string): Promise<RpcResult<TopicMetadata | null>> {
    return toResult(() => {
      this.#enterRead(ref);
      const row = this.#row(name);
      return row === null ? null : toMetadata(row);
    });
  }

  /**
   * Metadata plus placement: what the store needs to name a partition's object. From this replica's table, or,
   * with `quorum`, as a majority of the replicas holds it — what a caller that was just told leadership moved
   * asks for, so a replica that missed the election cannot send it back to the old leader.
   */
  async describeTopic(
    ref: ControllerRef,
    name: string,
    options: { readonly quorum?: boolean } = {},
  ): Promise<RpcResult<TopicDescription | null>> {
    return toResult(async () => {
      this.#enterRead(ref);
      const row =
        options.quorum === true && this.#replicaCount() > 1
          ? parseRow(await this.#quorum.read("topic", name))
          : this.#row(name);
      return row === null
        ? null
        : {
            metadata: toMetadata(row),
            placement: JSON.parse(row.placement) as string[],
            replication: replicationOf(row),
          };
    });
  }

  async listTopics(ref: ControllerRef): Promise<RpcResult<TopicMetadata[]>> {
    return toResult(() => {
      this.#enterRead(ref);
      return this.#quorum.store
        .values("topic")
        .map((value) => toMetadata(JSON.parse(value) as TopicRow))
        .sort((a, b) => compareStrings(a.name, b.name));
    });
  }

  /**
   * Deletes a topic: the row first (so nobody finds it again), then every partition object's data, then the
   * group offsets committed for it.
   */
  async deleteTopic(ref: ControllerRef, name: string): Promise<RpcResult<null>> {
    return toResult(async () => {
      this.#enter(ref);
      await this.#requireFresh(name);
      let deleted: TopicRow | null = null;
      await this.#changeTopic(name, (current) => {
        if (current === null) throw unknownTopic(name);
        deleted = current;
        return null;
      });
      const row = deleted as TopicRow | null;
      if (row === null) return null;
      await this.#destroyPartitions(ref.prefix, row);
      await Promise.all(
        this.#quorum.store.keys("group").map(async (groupId) => {
          const stub = this.env.GROUPS.getByName(groupObjectName(ref.prefix, groupId));
          const { empty } = unwrap(await stub.dropTopic(name));
          // A group left with neither state nor offsets no longer exists (as in the memory store).
          if (empty) await this.#quorum.change("group", groupId, () => null);
        }),
      );
      return null;
    });
  }

  /** Grows a topic to `count` partitions; new partitions follow the topic's round-robin over its regions. */
  async createPartitions(ref: ControllerRef, name: string, count: number): Promise<RpcResult<TopicMetadata>> {
    return toResult(async () => {
      this.#enter(ref);
      const row = await this.#requireFresh(name);
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
      await this.#configure(ref.prefix, metadata, placement, replication, row.partitions, false);
      let answer = metadata;
      await this.#changeTopic(name, (current) => {
        // Checked against the value a majority holds now: the topic may have been deleted (or grown) meanwhile.
        if (current === null || current.topic_id !== row.topic_id) throw unknownTopic(name);
        if (current.partitions >= count) {
          answer = toMetadata(current);
          return current;
        }
        answer = metadata;
        // Only the new partitions come from before the await: an election or in-sync-set change recorded
        // meanwhile for an existing partition must not be overwritten by the copy read before it.
        const currentReplication = replicationOf(current);
        const nextPlacement = [
          ...(JSON.parse(current.placement) as string[]),
          ...placement.slice(current.partitions),
        ];
        const nextReplication =
          replication === null || currentReplication === null
            ? null
            : [...currentReplication, ...replication.slice(current.partitions)];
        return {
          ...current,
          partitions: count,
          placement: JSON.stringify(nextPlacement),
          replication: nextReplication === null ? null : JSON.stringify(nextReplication),
        };
      });
      return answer;
    });
  }

  /**
   * Changes a topic's config (Kafka's IncrementalAlterConfigs): the change is applied to the config a majority of
   * the replicas holds (core's `alteredTopicMetadata`, with the topic's replica count), recorded through the
   * quorum, then pushed to every partition object — which reads its config from its own meta row, so compaction,
   * retention and the keyless-record check follow at once. A push that fails leaves the row changed and fails the
   * call; the same change again (it is idempotent) pushes again.
   */
  async alterTopicConfig(
    ref: ControllerRef,
    name: string,
    changes: Readonly<Record<string, unknown>>,
  ): Promise<RpcResult<TopicMetadata>> {
    return toResult(async () => {
      this.#enter(ref);
      await this.#requireFresh(name);
      let altered: TopicRow | null = null;
      await this.#changeTopic(name, (current) => {
        if (current === null) throw unknownTopic(name);
        const replicas = replicationOf(current)?.[0]?.replicas.length ?? 1;
        const { config } = alteredTopicMetadata(toMetadata(current), changes, replicas);
        altered = { ...current, config: JSON.stringify(config) };
        return altered;
      });
      const row = altered as TopicRow | null;
      if (row === null) throw unknownTopic(name);
      const metadata = toMetadata(row);
      const placement = JSON.parse(row.placement) as string[];
      await this.#configure(ref.prefix, metadata, placement, replicationOf(row), 0, false);
      return metadata;
    });
  }

  /**
   * A leader asks to record a new in-sync set (Kafka's AlterPartition). Refused unless it leads the partition of
   * that topic id at that epoch (`FENCED_LEADER_EPOCH`), and unless the set is of the partition's replicas and
   * holds the leader (`INVALID_REQUEST`). Answers the recorded state.
   */
  async alterIsr(
    ref: ControllerRef,
    name: string,
    topicId: string,
    partition: number,
    leaderEpoch: number,
    isr: readonly string[],
  ): Promise<RpcResult<PartitionReplication>> {
    return toResult(async () => {
      this.#enter(ref);
      let next: PartitionReplication | null = null;
      await this.#changeTopic(name, (row) => {
        const replication = row === null ? null : replicationOf(row);
        const current = replication?.[partition];
        if (row === null || row.topic_id !== topicId || replication === null || current === undefined) {
          throw unknownTopic(name);
        }
        if (leaderEpoch !== current.leaderEpoch) {
          throw new EdgeLogError(
            "FENCED_LEADER_EPOCH",
            `leader epoch ${leaderEpoch} is not the partition's (${current.leaderEpoch})`,
            { context: { topic: name, partition, leaderEpoch: current.leaderEpoch } },
          );
        }
        const unique = new Set(isr);
        if (
          !unique.has(current.leader) ||
          ![...unique].every((region) => current.replicas.includes(region))
        ) {
          throw new EdgeLogError("INVALID_REQUEST", "an in-sync set holds the leader and only replicas", {
            context: { topic: name, partition },
          });
        }
        next = { ...current, isr: current.replicas.filter((region) => unique.has(region)) };
        replication[partition] = next;
        return { ...row, replication: JSON.stringify(replication) };
      });
      return next as unknown as PartitionReplication;
    });
  }

  /**
   * Moves the leadership of `partition` to `region`'s in-sync replica under `leaderEpoch + 1` (Kafka's
   * ElectLeaders; core's `planElection` decides, against the partition's state as a majority of the controller
   * replicas holds it, so two elections through two replicas cannot both hand out the same epoch). The controller
   * records it first — it is the truth clients and replicas follow — then tells the new leader, then every other
   * replica: the old leader stops taking appends and truncates what only it wrote. A replica that cannot be told
   * now is told again from the alarm (`replication/election-delivery.ts`); followers also learn the epoch from the
   * new leader's pushes. Answers the recorded state.
   */
  async electLeader(
    ref: ControllerRef,
    name: string,
    partition: number,
    region: string,
  ): Promise<RpcResult<PartitionReplication>> {
    return toResult(async () => {
      this.#enter(ref);
      const { prefix } = ref;
      // Refused on this replica's copy first, with the answer the quorum would give in the normal case …
      const plan = (row: TopicRow | null) => {
        if (row === null) throw unknownTopic(name);
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
        replication[partition] = next;
        const placement = JSON.parse(row.placement) as string[];
        placement[partition] = region;
        return {
          next,
          row: { ...row, replication: JSON.stringify(replication), placement: JSON.stringify(placement) },
        };
      };
      plan(await this.#requireFresh(name));
      // … and an unreachable region cannot be told it leads: refuse before recording anything.
      assertReachable(this.env, prefix, region);
      // … then decided against the partition's state as a majority holds it.
      let elected: { next: PartitionReplication; topicId: string } | null = null;
      await this.#changeTopic(name, (current) => {
        const planned = plan(current);
        elected = { next: planned.next, topicId: planned.row.topic_id };
        return planned.row;
      });
      const { next, topicId } = elected as unknown as { next: PartitionReplication; topicId: string };
      await this.#delivery.announce({ prefix, topic: name, topicId, partition, replication: next });
      return next;
    });
  }

  /**
   * A store's call into a partition's leader failed or timed out (see `replication/failover-controller.ts`): this
   * replica probes that leader from its alarm and, once it has failed for the leader session timeout, elects
   * another through the quorum. Answers the recorded replication (`null`: unknown partition or unreplicated topic).
   */
  async reportLeaderFailure(
    ref: ControllerRef,
    name: string,
    partition: number,
    leaderEpoch: number,
  ): Promise<RpcResult<PartitionReplication | null>> {
    return toResult(() => {
      this.#enterRead(ref);
      return this.#failover.report(ref.prefix, name, partition, leaderEpoch);
    });
  }

  /**
   * Partitions whose leader this replica suspects lost, replicas still to be told of an election, and the
   * counters of both, for tests and operators.
   */
  async failoverState(): Promise<RpcResult<FailoverState & ReturnType<ElectionDelivery["state"]>>> {
    return toResult(() => ({ ...this.#failover.state(), ...this.#delivery.state() }));
  }

  // ── group registry ──────────────────────────────────────────────────────────────────────────────────────────

  async registerGroup(ref: ControllerRef, groupId: string): Promise<RpcResult<null>> {
    return toResult(async () => {
      this.#enter(ref);
      await this.#quorum.change("group", groupId, () => "true");
      return null;
    });
  }

  async unregisterGroup(ref: ControllerRef, groupId: string): Promise<RpcResult<null>> {
    return toResult(async () => {
      this.#enter(ref);
      await this.#quorum.change("group", groupId, () => null);
      return null;
    });
  }

  async listGroups(ref: ControllerRef): Promise<RpcResult<string[]>> {
    return toResult(() => {
      this.#enterRead(ref);
      return this.#quorum.store.keys("group").sort(compareStrings);
    });
  }

  // ── share-group registry ────────────────────────────────────────────────────────────────────────────────────
  // Share groups (KIP-932) are registered as consumer groups are, under a kind of their own: the two are separate
  // namespaces, and `listGroups` never names a share group.

  async registerShareGroup(ref: ControllerRef, groupId: string): Promise<RpcResult<null>> {
    return toResult(async () => {
      this.#enter(ref);
      await this.#quorum.change("share-group", groupId, () => "true");
      return null;
    });
  }

  async unregisterShareGroup(ref: ControllerRef, groupId: string): Promise<RpcResult<null>> {
    return toResult(async () => {
      this.#enter(ref);
      await this.#quorum.change("share-group", groupId, () => null);
      return null;
    });
  }

  async listShareGroups(ref: ControllerRef): Promise<RpcResult<string[]>> {
    return toResult(() => {
      this.#enterRead(ref);
      return this.#quorum.store.keys("share-group").sort(compareStrings);
    });
  }

  // ── the quorum: calls between controller replicas ───────────────────────────────────────────────────────────

  async controllerPrepare(
    ref: ControllerRef,
    kind: RegisterKind,
    key: string,
    ballot: number,
  ): Promise<RpcResult<PrepareAnswer>> {
    return toResult(() => {
      this.#quorum.enter(ref);
      return this.#quorum.prepare(kind, key, ballot);
    });
  }

  async controllerAccept(
    ref: ControllerRef,
    kind: RegisterKind,
    key: string,
    ballot: number,
    next: Versioned,
  ): Promise<RpcResult<AcceptAnswer>> {
    return toResult(() => {
      this.#quorum.enter(ref);
      return this.#quorum.accept(kind, key, ballot, next);
    });
  }

  async controllerPeek(ref: ControllerRef, kind: RegisterKind, key: string): Promise<RpcResult<PeekAnswer>> {
    return toResult(() => {
      this.#quorum.enter(ref);
      return this.#quorum.peek(kind, key);
    });
  }

  async controllerInstall(
    ref: ControllerRef,
    registers: AcceptedRegister[],
    joined?: string,
  ): Promise<RpcResult<null>> {
    return toResult(() => {
      this.#quorum.enter(ref);
      this.#quorum.install(registers, joined);
      return null;
    });
  }

  /**
   * Catches up the replicas that missed changes and lets new ones join (the first replica); probes suspected
   * leaders and fails over (`replication/failover-controller.ts`); re-sends elections a replica missed.
   */
  override async alarm(): Promise<void> {
    await Promise.all([this.#quorum.alarm(), this.#failover.onAlarm(), this.#delivery.onAlarm()]);
  }

  /**
   * Failover's election: recorded through the quorum, and announced, only if the partition still has the topic
   * id and leader epoch the decision was made on (a majority's copy, not this replica's, decides).
   */
  async #electIf(
    prefix: string,
    name: string,
    partition: number,
    expected: { readonly topicId: string; readonly leaderEpoch: number },
    next: PartitionReplication,
  ): Promise<boolean> {
    let elected = false;
    await this.#changeTopic(name, (row) => {
      elected = false;
      const replication = row === null ? null : replicationOf(row);
      const current = replication?.[partition];
      if (
        row === null ||
        replication === null ||
        row.topic_id !== expected.topicId ||
        current?.leaderEpoch !== expected.leaderEpoch
      ) {
        return row;
      }
      elected = true;
      replication[partition] = next;
      const placement = JSON.parse(row.placement) as string[];
      placement[partition] = next.leader;
      return { ...row, replication: JSON.stringify(replication), placement: JSON.stringify(placement) };
    });
    if (!elected) return false;
    await this.#delivery.announce({
      prefix,
      topic: name,
      topicId: expected.topicId,
      partition,
      replication: next,
    });
    return true;
  }

  // ── helpers ─────────────────────────────────────────────────────────────────────────────────────────────────

  #enter(ref: ControllerRef): void {
    this.#quorum.enter(ref);
  }

  /** A read is answered from this replica's table, which must hold the deployment's state. */
  #enterRead(ref: ControllerRef): void {
    this.#quorum.enter(ref);
    this.#quorum.assertJoined();
  }

  #replicaCount(): number {
    return controllerRegions(this.env).length;
  }

  /** Changes a topic's register through the quorum; `change` sees and returns rows (`null`: no topic). */
  async #changeTopic(name: string, change: (current: TopicRow | null) => TopicRow | null): Promise<void> {
    await this.#quorum.change("topic", name, (current) => {
      const next = change(parseRow(current));
      return next === null ? null : JSON.stringify(next);
    });
  }

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

  /** Wipes every replica of every partition of `row`'s topic. */
  async #destroyPartitions(prefix: string, row: TopicRow): Promise<void> {
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
  }

  #partitionStub(prefix: string, topicId: string, partition: number, region: string) {
    const name = partitionObjectName(prefix, topicId, partition, region);
    // The location hint is honoured on first creation only, which is exactly when configure() reaches it.
    return this.env.PARTITIONS.get(this.env.PARTITIONS.idFromName(name), {
      locationHint: region as DurableObjectLocationHint,
    });
  }

  #row(name: string): TopicRow | null {
    return parseRow(this.#quorum.store.value("topic", name));
  }

  /**
   * This replica's row, or — when it has none — the row a majority holds: a replica back from being cut off may
   * lack a topic created meanwhile until it is caught up, and must not answer UNKNOWN_TOPIC_OR_PARTITION for it.
   */
  async #requireFresh(name: string): Promise<TopicRow> {
    const row =
      this.#row(name) ?? (this.#replicaCount() > 1 ? parseRow(await this.#quorum.read("topic", name)) : null);
    if (row === null) throw unknownTopic(name);
    return row;
  }
}

function parseRow(value: string | null): TopicRow | null {
  return value === null ? null : (JSON.parse(value) as TopicRow);
}

/** A new partition's replica set: led by the preferred (first) replica, all in sync, epoch 0. */
function newReplication(replicas: readonly string[]): PartitionReplication {
  return { leader: replicas[0] as string, replicas: [...replicas], isr: [...replicas], leaderEpoch: 0 };
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
