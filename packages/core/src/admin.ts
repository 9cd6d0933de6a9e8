/**
 * @module
 * `Admin`: KafkaJS's admin surface over a `LogStore` — create, describe, grow and delete topics, describe and
 * change their configs, read partition offsets (latest, by timestamp), delete records, and inspect and manage
 * consumer groups (describe, list, committed offsets with lag, set and reset offsets, delete) and share groups
 * (describe, list, configure, delete). All user input is validated here, once, before the store.
 */
import { EdgeLogError, isEdgeLogError } from "./errors.ts";
import type { GroupDescription } from "./groups/group-types.ts";
import { consumerLag, NOT_COMMITTED } from "./groups/lag.ts";
import type { MetadataCache } from "./metadata-cache.ts";
import type { ShareGroupConfig } from "./share/share-config.ts";
import { shareGroupsOf } from "./share/share-request.ts";
import type { ShareGroupDescription } from "./share/share-types.ts";
import type { LogStore, PartitionOffsets, TopicMetadata } from "./store.ts";
import {
  alterTopicConfig,
  type ConfigEntryView,
  configEntriesToRecord,
  describeTopicConfig,
  resolveTopicConfig,
  type TopicConfig,
} from "./topic-config.ts";
import {
  assertPartitionExists,
  assertPartitionsGrow,
  assertValidGroupId,
  assertValidOffset,
  assertValidPartitionCount,
  assertValidTopicName,
  requireTopic,
  topicNamesCollide,
} from "./validation.ts";

/** One topic to create. `configEntries` is KafkaJS's form; `config` the plain-object form of the HTTP API. */
export interface TopicToCreate {
  readonly topic: string;
  /** Default 1. */
  readonly numPartitions?: number;
  /**
   * Accepted for KafkaJS compatibility and ignored: `Admin` creates topics through `LogStore.createTopic`, one
   * copy per partition. Replicated topics are created over HTTP (`replicas`, `replicationFactor`) or with
   * `DurableObjectLogStore.createTopicIn` (docs/architecture.md "Replication").
   */
  readonly replicationFactor?: number;
  readonly configEntries?: readonly { name: string; value: string }[];
  readonly config?: Readonly<Record<string, string | number>>;
}

/** A partition's offsets in KafkaJS's `fetchTopicOffsets` shape (numbers rather than strings). */
export interface PartitionOffsetsView {
  readonly partition: number;
  /** The high watermark (KafkaJS's `offset`). */
  readonly offset: number;
  readonly high: number;
  readonly low: number;
}

/** A topic with its configuration and every partition's bounds. */
export interface TopicDescription {
  readonly name: string;
  readonly topicId: string;
  readonly config: TopicConfig;
  readonly partitions: readonly ({ readonly partition: number } & PartitionOffsets)[];
}

/** KafkaJS's `fetchTopicMetadata` shape: one broker (id 0) leads every partition of an edgelog store. */
export interface TopicMetadataView {
  readonly name: string;
  readonly partitions: readonly {
    readonly partitionErrorCode: 0;
    readonly partitionId: number;
    readonly leader: 0;
    readonly replicas: readonly number[];
    readonly isr: readonly number[];
    readonly offlineReplicas: readonly number[];
  }[];
}

/** A group's committed offset for one partition, with where the partition ends and how far behind it is. */
export interface GroupPartitionOffset {
  readonly partition: number;
  /** The next offset the group reads; `-1` when it never committed. */
  readonly offset: number;
  readonly metadata: string | null;
  /** The partition's high watermark. */
  readonly high: number;
  /** `high − offset` (from the log start when retention passed the commit); `-1` when never committed. */
  readonly lag: number;
}

/** One topic whose configs change (KafkaJS's `alterConfigs` resource). */
export interface ConfigResourceChange {
  /** KafkaJS's `ConfigResourceTypes.TOPIC` (2), the only kind edgelog has; may be left out. */
  readonly type?: number;
  readonly name: string;
  /** A `null` value returns the setting to its default. */
  readonly configEntries: readonly { name: string; value: string | number | null }[];
}

/** One topic's configs (KafkaJS's `describeConfigs` resource). */
export interface ConfigResourceView {
  readonly resourceType: typeof TOPIC_RESOURCE;
  readonly resourceName: string;
  readonly errorCode: 0;
  readonly errorMessage: null;
  readonly configEntries: readonly {
    readonly configName: string;
    readonly configValue: string;
    readonly isDefault: boolean;
    readonly readOnly: false;
    readonly isSensitive: false;
  }[];
}

const DEFAULT_PARTITIONS = 1;
/** KafkaJS's `ConfigResourceTypes.TOPIC`. */
const TOPIC_RESOURCE = 2;
/** Resources one `alterConfigs` / `describeConfigs` call names at most (a bound on user input, as elsewhere). */
const MAX_CONFIG_RESOURCES = 1_000;
/** Kafka's ListOffsets sentinels. */
const LATEST_TIMESTAMP = -1;
const EARLIEST_TIMESTAMP = -2;

/**
 * @example
 * const admin = log.admin();
 * await admin.createTopics({ topics: [{ topic: "orders", numPartitions: 3 }] });
 * await admin.fetchTopicOffsets("orders"); // [{ partition: 0, offset: 0, high: 0, low: 0 }, …]
 */
export class Admin {
  readonly #store: LogStore;
  readonly #metadata: MetadataCache;

  constructor(store: LogStore, metadata: MetadataCache) {
    this.#store = store;
    this.#metadata = metadata;
  }

  /** Nothing to connect to in core; present so KafkaJS-shaped code runs unchanged. */
  async connect(): Promise<void> {}
  async disconnect(): Promise<void> {}

  /**
   * Creates topics. Resolves `true` when every topic was created and `false` when some already existed (as
   * KafkaJS does); invalid names, partition counts or configs reject before anything is created.
   */
  async createTopics(options: {
    topics: readonly TopicToCreate[];
    validateOnly?: boolean;
  }): Promise<boolean> {
    if (!Array.isArray(options?.topics) || options.topics.length === 0) {
      throw new EdgeLogError("INVALID_REQUEST", "createTopics needs a non-empty `topics` array");
    }
    const specs = options.topics.map((t) => {
      assertValidTopicName(t?.topic);
      const partitions = t.numPartitions ?? DEFAULT_PARTITIONS;
      assertValidPartitionCount(partitions, t.topic);
      const config = resolveTopicConfig({ ...configEntriesToRecord(t.configEntries), ...t.config });
      return { name: t.topic, partitions, config };
    });
    const names = specs.map((s) => s.name);
    if (new Set(names).size !== names.length) {
      throw new EdgeLogError("INVALID_REQUEST", "createTopics names the same topic twice");
    }
    const existing = (await this.#store.listTopics()).map((t) => t.name);
    for (const name of names) {
      const clash = [...existing, ...names].find((other) => topicNamesCollide(name, other));
      if (clash !== undefined) {
        throw new EdgeLogError(
          "INVALID_TOPIC",
          `topic "${name}" collides with "${clash}" ('.' and '_' are alike)`,
          {
            context: { topic: name },
          },
        );
      }
    }
    if (options.validateOnly === true) return specs.every((s) => !existing.includes(s.name));
    let allCreated = true;
    for (const spec of specs) {
      try {
        await this.#store.createTopic(spec);
      } catch (error) {
        if (!isEdgeLogError(error) || error.code !== "TOPIC_ALREADY_EXISTS") throw error;
        allCreated = false;
      }
      this.#metadata.invalidate(spec.name);
    }
    return allCreated;
  }

  async listTopics(): Promise<string[]> {
    return (await this.#store.listTopics()).map((t) => t.name);
  }

  /** A topic's configuration and the bounds of each of its partitions. */
  async describeTopic(topic: string): Promise<TopicDescription> {
    const metadata = await this.#requireTopic(topic);
    const partitions = await Promise.all(
      range(metadata.partitions).map(async (partition) => ({
        partition,
        ...(await this.#store.offsets({ topic, partition })),
      })),
    );
    return { name: metadata.name, topicId: metadata.topicId, config: metadata.config, partitions };
  }

  /** KafkaJS's metadata view, for the given topics or all of them. */
  async fetchTopicMetadata(
    options: { topics?: readonly string[] } = {},
  ): Promise<{ topics: TopicMetadataView[] }> {
    const metadata =
      options.topics === undefined
        ? await this.#store.listTopics()
        : await Promise.all(options.topics.map((topic) => this.#requireTopic(topic)));
    return {
      topics: metadata.map((m) => ({
        name: m.name,
        partitions: range(m.partitions).map((partitionId) => ({
          partitionErrorCode: 0,
          partitionId,
          leader: 0,
          replicas: [0],
          isr: [0],
          offlineReplicas: [],
        })),
      })),
    };
  }

  /** Deletes topics with their data; an unknown topic rejects with `UNKNOWN_TOPIC_OR_PARTITION`. */
  async deleteTopics(options: { topics: readonly string[] }): Promise<void> {
    // Check every name first, so a typo does not leave the other topics half deleted.
    for (const topic of options.topics) await this.#requireTopic(topic);
    for (const topic of options.topics) {
      try {
        await this.#store.deleteTopic(topic);
      } finally {
        this.#metadata.invalidate(topic);
      }
    }
  }

  /** Grows topics to `count` partitions in total (never shrinks: `INVALID_PARTITIONS`). */
  async createPartitions(options: {
    topicPartitions: readonly { topic: string; count: number }[];
    validateOnly?: boolean;
  }): Promise<boolean> {
    for (const { topic, count } of options.topicPartitions) {
      assertValidPartitionCount(count, topic);
      const metadata = await this.#requireTopic(topic);
      assertPartitionsGrow(topic, metadata.partitions, count);
    }
    if (options.validateOnly === true) return true;
    for (const { topic, count } of options.topicPartitions) {
      try {
        await this.#store.createPartitions(topic, count);
      } finally {
        this.#metadata.invalidate(topic);
      }
    }
    return true;
  }

  /**
   * Changes topic configs (Kafka's IncrementalAlterConfigs, in KafkaJS's `alterConfigs` shape): each entry sets its
   * setting, a `null` value returns it to its default, settings not named keep their values — unlike KafkaJS's
   * `alterConfigs`, whose legacy request resets every setting it does not name. Every resource is validated
   * before any changes (unknown or read-only names, values, their consistency: `INVALID_CONFIG`; a missing topic:
   * `UNKNOWN_TOPIC_OR_PARTITION`); `validateOnly` stops there. Checks that depend on the topic's replicas
   * (`min.insync.replicas`, compaction of a replicated topic) are the store's, when the change applies.
   * @example
   * await admin.alterConfigs({ resources: [{ name: "settings", configEntries: [{ name: "cleanup.policy", value: "compact" }] }] });
   */
  async alterConfigs(options: {
    resources: readonly ConfigResourceChange[];
    validateOnly?: boolean;
  }): Promise<{
    resources: { resourceType: number; resourceName: string; errorCode: 0; errorMessage: null }[];
  }> {
    const resources = checkResources(options?.resources, "alterConfigs");
    const changes = await Promise.all(
      resources.map(async (resource) => {
        if (!Array.isArray(resource.configEntries)) {
          throw new EdgeLogError("INVALID_REQUEST", "alterConfigs needs `configEntries` for every resource", {
            context: { topic: resource.name },
          });
        }
        const entries = configEntriesToRecord(resource.configEntries);
        alterTopicConfig((await this.#requireTopic(resource.name)).config, entries);
        return { name: resource.name, entries };
      }),
    );
    if (options.validateOnly !== true) {
      for (const { name, entries } of changes) {
        try {
          await this.#store.alterTopicConfig(name, entries);
        } finally {
          this.#metadata.invalidate(name);
        }
      }
    }
    return {
      resources: changes.map(({ name }) => ({
        resourceType: TOPIC_RESOURCE,
        resourceName: name,
        errorCode: 0 as const,
        errorMessage: null,
      })),
    };
  }

  /**
   * Every setting of each topic with the value in force, defaults included (KafkaJS's `describeConfigs`);
   * `configNames` keeps only those named.
   */
  async describeConfigs(options: {
    resources: readonly { type?: number; name: string; configNames?: readonly string[] }[];
    includeSynonyms?: boolean;
  }): Promise<{ resources: ConfigResourceView[]; throttleTime: 0 }> {
    const resources = checkResources(options?.resources, "describeConfigs");
    const views = await Promise.all(
      resources.map(async (resource) => {
        const { config } = await this.#requireTopic(resource.name);
        const wanted = resource.configNames === undefined ? null : new Set(resource.configNames);
        return {
          resourceType: TOPIC_RESOURCE as typeof TOPIC_RESOURCE,
          resourceName: resource.name,
          errorCode: 0 as const,
          errorMessage: null,
          configEntries: describeTopicConfig(config)
            .filter((entry: ConfigEntryView) => wanted === null || wanted.has(entry.name))
            .map((entry) => ({
              configName: entry.name,
              configValue: entry.value,
              isDefault: entry.isDefault,
              readOnly: false as const,
              isSensitive: false as const,
            })),
        };
      }),
    );
    return { resources: views, throttleTime: 0 };
  }

  /** Each partition's high watermark (`offset`, `high`) and log start (`low`). */
  async fetchTopicOffsets(topic: string): Promise<PartitionOffsetsView[]> {
    const { partitions } = await this.describeTopic(topic);
    return partitions.map((p) => ({
      partition: p.partition,
      offset: p.highWatermark,
      high: p.highWatermark,
      low: p.logStartOffset,
    }));
  }

  /**
   * Per partition, the earliest offset whose timestamp is ≥ `timestamp`, or the high watermark when there is
   * none (KafkaJS's substitution for Kafka's `-1`). Without a timestamp, or with Kafka's `-1` (latest): the
   * high watermark; `-2` (earliest): the log start.
   */
  async fetchTopicOffsetsByTimestamp(
    topic: string,
    timestamp?: number,
  ): Promise<{ partition: number; offset: number }[]> {
    if (timestamp !== undefined && (!Number.isSafeInteger(timestamp) || timestamp < EARLIEST_TIMESTAMP)) {
      throw new EdgeLogError("INVALID_TIMESTAMP", `invalid timestamp ${String(timestamp)}`, {
        context: { topic },
      });
    }
    const metadata = await this.#requireTopic(topic);
    return Promise.all(
      range(metadata.partitions).map(async (partition) => {
        const tp = { topic, partition };
        if (timestamp === EARLIEST_TIMESTAMP)
          return { partition, offset: (await this.#store.offsets(tp)).logStartOffset };
        const found =
          timestamp === undefined || timestamp === LATEST_TIMESTAMP
            ? null
            : await this.#store.offsetForTimestamp(tp, timestamp);
        return { partition, offset: found ?? (await this.#store.offsets(tp)).highWatermark };
      }),
    );
  }

  /**
   * Deletes records below `offset` in each listed partition (Kafka's DeleteRecords); `-1` means the high
   * watermark, i.e. everything.
   */
  async deleteTopicRecords(options: {
    topic: string;
    partitions: readonly { partition: number; offset: number | string }[];
  }): Promise<void> {
    const metadata = await this.#requireTopic(options.topic);
    for (const { partition, offset } of options.partitions) {
      assertPartitionExists(options.topic, partition, metadata.partitions);
      const tp = { topic: options.topic, partition };
      const requested = Number(offset);
      const target = requested === -1 ? (await this.#store.offsets(tp)).highWatermark : requested;
      await this.#store.deleteRecords(tp, assertValidOffset(target, tp));
    }
  }

  // ── consumer groups ─────────────────────────────────────────────────────────────────────────────────────────

  /** Members, epochs and current / target assignments of each group (`GROUP_ID_NOT_FOUND` for an unknown one). */
  async describeGroups(groupIds: readonly string[]): Promise<{ groups: GroupDescription[] }> {
    for (const groupId of groupIds) assertValidGroupId(groupId);
    return { groups: await Promise.all(groupIds.map((groupId) => this.#store.describeGroup(groupId))) };
  }

  /** Every group with members, state or committed offsets (KafkaJS's shape). */
  async listGroups(): Promise<{ groups: { groupId: string; protocolType: "consumer" }[] }> {
    const ids = await this.#store.listGroups();
    return { groups: ids.map((groupId) => ({ groupId, protocolType: "consumer" as const })) };
  }

  /**
   * The group's committed offsets per topic, every partition listed (`-1` when never committed), with the high
   * watermark and the lag. Without `topics`: the topics the group committed to.
   */
  async fetchOffsets(options: {
    groupId: string;
    topics?: readonly string[];
  }): Promise<{ topic: string; partitions: GroupPartitionOffset[] }[]> {
    assertValidGroupId(options.groupId);
    const committed = await this.#store.fetchOffsets(options.groupId, options.topics);
    const topics = options.topics ?? [...new Set(committed.map((o) => o.topic))];
    return Promise.all(
      topics.map(async (topic) => {
        const metadata = await this.#requireTopic(topic);
        const partitions = await Promise.all(
          range(metadata.partitions).map(async (partition) => {
            const found = committed.find((o) => o.topic === topic && o.partition === partition);
            const bounds = await this.#store.offsets({ topic, partition });
            const offset = found?.offset ?? NOT_COMMITTED;
            const lag = consumerLag(offset, bounds);
            return { partition, offset, metadata: found?.metadata ?? null, high: bounds.highWatermark, lag };
          }),
        );
        return { topic, partitions };
      }),
    );
  }

  /**
   * Sets a group's committed offsets for some partitions of a topic (KafkaJS's `setOffsets`): the group must
   * have no members (`NON_EMPTY_GROUP`), as in Kafka, so no running consumer is surprised.
   */
  async setOffsets(options: {
    groupId: string;
    topic: string;
    partitions: readonly { partition: number; offset: number | string }[];
  }): Promise<void> {
    assertValidGroupId(options.groupId);
    const metadata = await this.#requireTopic(options.topic);
    const offsets = options.partitions.map(({ partition, offset }) => {
      assertPartitionExists(options.topic, partition, metadata.partitions);
      const tp = { topic: options.topic, partition };
      return { ...tp, offset: assertValidOffset(Number(offset), tp), metadata: null };
    });
    await this.#store.commitOffsets(options.groupId, offsets);
  }

  /** Moves every partition of `topic` to its log start (`earliest`) or high watermark (default); group must be empty. */
  async resetOffsets(options: { groupId: string; topic: string; earliest?: boolean }): Promise<void> {
    const { partitions } = await this.describeTopic(options.topic);
    await this.setOffsets({
      groupId: options.groupId,
      topic: options.topic,
      partitions: partitions.map((p) => ({
        partition: p.partition,
        offset: options.earliest === true ? p.logStartOffset : p.highWatermark,
      })),
    });
  }

  /** Deletes groups with their offsets; each must exist (`GROUP_ID_NOT_FOUND`) and have no members (`NON_EMPTY_GROUP`). */
  async deleteGroups(groupIds: readonly string[]): Promise<{ groupId: string; errorCode: string }[]> {
    for (const groupId of groupIds) assertValidGroupId(groupId);
    const results: { groupId: string; errorCode: string }[] = [];
    for (const groupId of groupIds) {
      await this.#store.deleteGroup(groupId);
      results.push({ groupId, errorCode: "NONE" });
    }
    return results;
  }

  // ── share groups ───────────────────────────────────────────────────────────────────────────────────────────
  // `UNSUPPORTED_VERSION` on a store without share groups (`ShareGroupStore`).

  /** Config, members and share-partitions of each share group (`GROUP_ID_NOT_FOUND` for an unknown one). */
  async describeShareGroups(groupIds: readonly string[]): Promise<{ groups: ShareGroupDescription[] }> {
    for (const groupId of groupIds) assertValidGroupId(groupId);
    const store = shareGroupsOf(this.#store);
    return { groups: await Promise.all(groupIds.map((groupId) => store.describeShareGroup(groupId))) };
  }

  /** Every share group with state. */
  async listShareGroups(): Promise<{ groups: { groupId: string; protocolType: "share" }[] }> {
    const ids = await shareGroupsOf(this.#store).listShareGroups();
    return { groups: ids.map((groupId) => ({ groupId, protocolType: "share" as const })) };
  }

  /**
   * Changes a share group's config (Kafka's group configs: `share.record.lock.duration.ms`,
   * `share.delivery.count.limit`, `share.partition.max.record.locks`, `share.auto.offset.reset`,
   * `share.session.timeout.ms`, `errors.deadletterqueue.topic.name`); `null` restores a default. Creates the group
   * when it has no state yet, so it can be configured before its first member arrives.
   */
  async alterShareGroupConfig(
    groupId: string,
    config: Readonly<Record<string, string | number | null>>,
  ): Promise<ShareGroupConfig> {
    assertValidGroupId(groupId);
    return shareGroupsOf(this.#store).alterShareGroupConfig(groupId, config);
  }

  /** Deletes share groups; each must exist and have no member with a session (`NON_EMPTY_GROUP`). */
  async deleteShareGroups(groupIds: readonly string[]): Promise<{ groupId: string; errorCode: string }[]> {
    for (const groupId of groupIds) assertValidGroupId(groupId);
    const store = shareGroupsOf(this.#store);
    const results: { groupId: string; errorCode: string }[] = [];
    for (const groupId of groupIds) {
      await store.deleteShareGroup(groupId);
      results.push({ groupId, errorCode: "NONE" });
    }
    return results;
  }

  #requireTopic(topic: string): Promise<TopicMetadata> {
    return requireTopic(this.#store, topic);
  }
}

/** A non-empty, bounded list of topic resources named once each (another `type` than a topic's is refused). */
function checkResources<R extends { type?: number; name: string }>(
  resources: readonly R[] | undefined,
  call: string,
): readonly R[] {
  if (!Array.isArray(resources) || resources.length === 0 || resources.length > MAX_CONFIG_RESOURCES) {
    throw new EdgeLogError(
      "INVALID_REQUEST",
      `${call} needs a \`resources\` array of 1 to ${MAX_CONFIG_RESOURCES} topics`,
    );
  }
  const names = new Set<string>();
  for (const resource of resources) {
    if (resource?.type !== undefined && resource.type !== TOPIC_RESOURCE) {
      throw new EdgeLogError(
        "INVALID_REQUEST",
        `${call}: only topic resources (type ${TOPIC_RESOURCE}) exist here`,
        {
          context: { type: String(resource.type) },
        },
      );
    }
    assertValidTopicName(resource?.name);
    if (names.has(resource.name)) {
      throw new EdgeLogError("INVALID_REQUEST", `${call} names topic "${resource.name}" twice`, {
        context: { topic: resource.name },
      });
    }
    names.add(resource.name);
  }
  return resources;
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}
