/**
 * @module
 * Topic configuration: Kafka's names and defaults for the settings edgelog honours, their validation at creation
 * (`resolveTopicConfig`) and when changed afterwards (`alterTopicConfig`). Unknown or unsupported settings are
 * refused (`INVALID_CONFIG`) rather than silently ignored, so a user never believes a topic is compacted or
 * retained differently from how it is.
 */
import { dict } from "./dict.ts";
import { EdgeLogError } from "./errors.ts";

/** One mebibyte; Kafka's `max.message.bytes` default (1048588) rounded to the unit people think in. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
/** Durable Object SQLite caps a row at 2 MB; a batch is one row, so no topic may allow more than this. */
export const MAX_MESSAGE_BYTES_LIMIT = 2_000_000 - 64 * 1024;
/** Kafka's `retention.ms` default: seven days. */
export const DEFAULT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
/**
 * Upper bound on a topic's partition count: each partition is a storage object of its own, configured when the
 * topic is created. 10,000 failed on the local runtime (SQLite files could not be opened, requests starved);
 * 1,000 and 2,000 succeed there, so 1,000 leaves headroom.
 */
export const MAX_PARTITIONS = 1_000;
/**
 * Topics one deployment (one store) holds at most. Every topic list (`listTopics`, a group's metadata snapshot,
 * the console) is proportional to it, and the metadata lives in one place (the Durable Object store's
 * TopicsObject, one IndexedDB object store): 10,000 keeps a full listing to a few megabytes.
 */
export const MAX_TOPICS = 10_000;

export interface TopicConfig {
  /** Delete batches whose newest record is older than this; `-1` keeps them forever. */
  readonly "retention.ms": number;
  /** Per partition: delete the oldest batches while the partition holds more bytes; `-1` = unlimited. */
  readonly "retention.bytes": number;
  /** Largest encoded record batch the topic accepts (`MESSAGE_TOO_LARGE` above it). */
  readonly "max.message.bytes": number;
  /**
   * Kafka's cleanup policies: `delete` (retention by age and size), `compact` (the latest record of each key is
   * kept, older ones removed; no retention), or both (`compact,delete`). docs/semantics.md §A6, §A10.
   */
  readonly "cleanup.policy": CleanupPolicy;
  /**
   * Compacted topics: how long a tombstone (a record with a `null` value) stays readable before compaction may
   * remove it, so a consumer reading from the start still sees the delete. Absent: Kafka's default, one day.
   */
  readonly "delete.retention.ms"?: number;
  /** Compacted topics: how old a batch must be before compaction may touch its records. Absent: 0. */
  readonly "min.compaction.lag.ms"?: number;
  /**
   * Compacted topics: the longest a superseded record stays before a compaction pass runs whatever the dirty
   * ratio. Absent: no bound (Kafka's default, `Long.MAX_VALUE`).
   */
  readonly "max.compaction.lag.ms"?: number;
  /**
   * Compacted topics: a pass runs once the bytes written since the last pass (cleanable ones) make up this share
   * of the partition. Absent: Kafka's default, 0.5.
   */
  readonly "min.cleanable.dirty.ratio"?: number;
  /**
   * Replicated topics: the fewest in-sync replicas an `acks: "all"` produce needs (`NOT_ENOUGH_REPLICAS` below
   * it); 1..replicas. Absent on a topic that never set it (Kafka's default, 1, applies), so an unreplicated
   * topic's config reads as it always did.
   */
  readonly "min.insync.replicas"?: number;
  /** Replicated topics: how long a follower may lag before it leaves the in-sync set (Kafka's default: 30 s). */
  readonly "replica.lag.time.max.ms"?: number;
  /**
   * Replicated topics: when no in-sync replica can lead, let the most caught-up out-of-sync one lead rather than
   * leave the partition unavailable — at the price of losing what only the lost replicas held (Kafka's default:
   * false). Absent on a topic that never set it.
   */
  readonly "unclean.leader.election.enable"?: boolean;
}

/** `cleanup.policy`: Kafka's list of `delete` and `compact`, kept in one spelling. */
export type CleanupPolicy = "delete" | "compact" | "compact,delete";

/** Kafka's `delete.retention.ms` default: one day. */
export const DEFAULT_DELETE_RETENTION_MS = 24 * 60 * 60 * 1000;
/** Kafka's `min.cleanable.dirty.ratio` default. */
export const DEFAULT_MIN_CLEANABLE_DIRTY_RATIO = 0.5;

/** Kafka's `min.insync.replicas` default. */
export const DEFAULT_MIN_INSYNC_REPLICAS = 1;
/** Kafka's `replica.lag.time.max.ms` default. */
export const DEFAULT_REPLICA_LAG_TIME_MAX_MS = 30_000;

export const DEFAULT_TOPIC_CONFIG: TopicConfig = Object.freeze({
  "retention.ms": DEFAULT_RETENTION_MS,
  "retention.bytes": -1,
  "max.message.bytes": DEFAULT_MAX_MESSAGE_BYTES,
  "cleanup.policy": "delete",
});

type ConfigName = keyof TopicConfig;

const CONFIG_NAMES: readonly ConfigName[] = [
  "retention.ms",
  "retention.bytes",
  "max.message.bytes",
  "cleanup.policy",
  "delete.retention.ms",
  "min.compaction.lag.ms",
  "max.compaction.lag.ms",
  "min.cleanable.dirty.ratio",
  "min.insync.replicas",
  "replica.lag.time.max.ms",
  "unclean.leader.election.enable",
];

/** Settings every topic has; the others are absent until set, and reset to absent. */
const BASE_NAMES: ReadonlySet<string> = new Set(Object.keys(DEFAULT_TOPIC_CONFIG));

/**
 * Names a user may reasonably send as configs that describe a topic but are not changed that way: Kafka answers
 * them with INVALID_CONFIG too. Why, for each, so the error says what to do instead.
 */
const READ_ONLY_NAMES: ReadonlyMap<string, string> = new Map([
  [
    "partitions",
    "the partition count only grows, with createPartitions (POST /v1/topics/{topic}/partitions)",
  ],
  [
    "num.partitions",
    "the partition count only grows, with createPartitions (POST /v1/topics/{topic}/partitions)",
  ],
  ["replicas", "a topic's replicas are chosen when it is created"],
  ["replication.factor", "a topic's replicas are chosen when it is created"],
]);

function isConfigName(name: string): name is ConfigName {
  return (CONFIG_NAMES as readonly string[]).includes(name);
}

function invalid(name: string, value: unknown, why: string): EdgeLogError {
  return new EdgeLogError("INVALID_CONFIG", `invalid ${name}=${JSON.stringify(value)}: ${why}`, {
    context: { config: name },
  });
}

/** Kafka configs arrive as strings (KafkaJS `configEntries`) or as numbers (the HTTP API); accept both. */
function toInteger(name: string, value: unknown): number {
  const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof number !== "number" || !Number.isSafeInteger(number))
    throw invalid(name, value, "expected an integer");
  return number;
}

/** Kafka's double configs (`min.cleanable.dirty.ratio`): a finite number, or a string of one. */
function toNumber(name: string, value: unknown): number {
  const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof number !== "number" || !Number.isFinite(number)) throw invalid(name, value, "expected a number");
  return number;
}

/** Kafka's list `cleanup.policy`: `delete`, `compact`, or both in either order, as a string. */
function toCleanupPolicy(name: string, value: unknown): CleanupPolicy {
  const words = typeof value === "string" ? value.split(",").map((word) => word.trim()) : [];
  const known =
    words.length > 0 && words.length <= 2 && words.every((w) => w === "delete" || w === "compact");
  if (!known) throw invalid(name, value, 'expected "delete", "compact" or "compact,delete"');
  const compact = words.includes("compact");
  const deletes = words.includes("delete");
  return compact && deletes ? "compact,delete" : compact ? "compact" : "delete";
}

/** Kafka's boolean configs: `true`/`false`, or the strings `"true"`/`"false"` (any case, as Kafka parses them). */
function toBoolean(name: string, value: unknown): boolean {
  if (typeof value === "boolean") return value;
  const text = typeof value === "string" ? value.trim().toLowerCase() : undefined;
  if (text === "true") return true;
  if (text === "false") return false;
  throw invalid(name, value, "expected true or false");
}

/**
 * Merges user-supplied settings over the defaults, validating each.
 * @example
 * resolveTopicConfig({ "retention.ms": "3600000" }) // → { ..., "retention.ms": 3600000 }
 */
export function resolveTopicConfig(
  entries: Readonly<Record<string, unknown>> = {},
  base: TopicConfig = DEFAULT_TOPIC_CONFIG,
): TopicConfig {
  const config: { -readonly [K in keyof TopicConfig]: TopicConfig[K] } = { ...base };
  for (const [name, value] of Object.entries(entries)) {
    if (!isConfigName(name)) {
      throw new EdgeLogError("INVALID_CONFIG", `unknown or unsupported topic config "${name}"`, {
        context: { config: name, supported: CONFIG_NAMES.join(",") },
      });
    }
    switch (name) {
      case "retention.ms":
      case "retention.bytes": {
        const number = toInteger(name, value);
        if (number < -1) throw invalid(name, value, "expected -1 (unlimited) or a non-negative integer");
        config[name] = number;
        break;
      }
      case "max.message.bytes": {
        const number = toInteger(name, value);
        if (number < 1 || number > MAX_MESSAGE_BYTES_LIMIT) {
          throw invalid(name, value, `expected 1..${MAX_MESSAGE_BYTES_LIMIT} (a batch is one storage row)`);
        }
        config[name] = number;
        break;
      }
      case "min.insync.replicas":
      case "replica.lag.time.max.ms": {
        // The bound by the replica count is checked where the replicas are known (store-kit `replication.ts`).
        const number = toInteger(name, value);
        if (number < 1) throw invalid(name, value, "expected a positive integer");
        config[name] = number;
        break;
      }
      case "unclean.leader.election.enable":
        config[name] = toBoolean(name, value);
        break;
      case "cleanup.policy":
        config[name] = toCleanupPolicy(name, value);
        break;
      case "delete.retention.ms":
      case "min.compaction.lag.ms": {
        const number = toInteger(name, value);
        if (number < 0) throw invalid(name, value, "expected a non-negative integer of ms");
        config[name] = number;
        break;
      }
      case "max.compaction.lag.ms": {
        const number = toInteger(name, value);
        if (number < 1) throw invalid(name, value, "expected a positive integer of ms");
        config[name] = number;
        break;
      }
      case "min.cleanable.dirty.ratio": {
        const number = toNumber(name, value);
        if (number < 0 || number > 1) throw invalid(name, value, "expected a number from 0 to 1");
        config[name] = number;
        break;
      }
    }
  }
  assertConsistent(config);
  return config;
}

/** Checks between settings, as Kafka's `LogConfig.validateValues` does. */
function assertConsistent(config: TopicConfig): void {
  const min = config["min.compaction.lag.ms"];
  const max = config["max.compaction.lag.ms"];
  if (min !== undefined && max !== undefined && min > max) {
    throw new EdgeLogError(
      "INVALID_CONFIG",
      `min.compaction.lag.ms=${min} is above max.compaction.lag.ms=${max}`,
      { context: { config: "min.compaction.lag.ms" } },
    );
  }
}

/**
 * A topic's config after an incremental change (Kafka's IncrementalAlterConfigs: `SET` for a value, `DELETE` for
 * `null`, which returns the setting to its default). Validated as at creation — unknown names, values out of
 * range, settings that contradict each other — and names that are not configs (the partition count, the replicas)
 * are refused saying how they change, all with INVALID_CONFIG; nothing of a refused change applies.
 * @example
 * alterTopicConfig(topic.config, { "cleanup.policy": "compact", "retention.ms": null })
 */
export function alterTopicConfig(
  current: TopicConfig,
  changes: Readonly<Record<string, unknown>>,
): TopicConfig {
  const reset: { -readonly [K in keyof TopicConfig]: TopicConfig[K] } = { ...current };
  const sets = dict<unknown>();
  for (const [name, value] of Object.entries(changes)) {
    const readOnly = READ_ONLY_NAMES.get(name);
    if (readOnly !== undefined) {
      throw new EdgeLogError("INVALID_CONFIG", `"${name}" cannot be changed as a config: ${readOnly}`, {
        context: { config: name },
      });
    }
    if (value !== null && value !== undefined) {
      sets[name] = value;
      continue;
    }
    if (!isConfigName(name)) {
      // Refused like any other unknown name (by the resolve below), with its list of supported names.
      sets[name] = value;
    } else if (BASE_NAMES.has(name)) {
      // A base setting always has a value: its default.
      sets[name] = DEFAULT_TOPIC_CONFIG[name as keyof typeof DEFAULT_TOPIC_CONFIG];
    } else {
      delete reset[name];
    }
  }
  return resolveTopicConfig(sets, reset);
}

/** One setting of a topic as `describeTopicConfig` lists it: its value as text (as Kafka lists values). */
export interface ConfigEntryView {
  readonly name: string;
  readonly value: string;
  /** The topic never set it (or set it to the default value of a setting every topic has). */
  readonly isDefault: boolean;
}

/** Kafka's `Long.MAX_VALUE`: `max.compaction.lag.ms` when no bound is set. */
const NO_MAX_COMPACTION_LAG = "9223372036854775807";

/** What an absent setting means, as text. */
const DEFAULT_VALUES: Readonly<Record<ConfigName, string>> = {
  "retention.ms": String(DEFAULT_RETENTION_MS),
  "retention.bytes": "-1",
  "max.message.bytes": String(DEFAULT_MAX_MESSAGE_BYTES),
  "cleanup.policy": "delete",
  "delete.retention.ms": String(DEFAULT_DELETE_RETENTION_MS),
  "min.compaction.lag.ms": "0",
  "max.compaction.lag.ms": NO_MAX_COMPACTION_LAG,
  "min.cleanable.dirty.ratio": String(DEFAULT_MIN_CLEANABLE_DIRTY_RATIO),
  "min.insync.replicas": String(DEFAULT_MIN_INSYNC_REPLICAS),
  "replica.lag.time.max.ms": String(DEFAULT_REPLICA_LAG_TIME_MAX_MS),
  "unclean.leader.election.enable": "false",
};

/**
 * Every setting edgelog honours with the value in force for `config`, defaults included (Kafka's DescribeConfigs),
 * in a fixed order.
 */
export function describeTopicConfig(config: TopicConfig): ConfigEntryView[] {
  return CONFIG_NAMES.map((name) => {
    const value = config[name];
    const fallback = DEFAULT_VALUES[name];
    if (value === undefined) return { name, value: fallback, isDefault: true };
    return { name, value: String(value), isDefault: String(value) === fallback };
  });
}

/** KafkaJS's `configEntries: [{ name, value }]` as a plain record. */
export function configEntriesToRecord(
  entries: readonly { name: string; value: string | number | null }[] | undefined,
): Record<string, unknown> {
  // Names are the user's: on `{}` an entry named "__proto__" would set the prototype and vanish, so an unknown
  // config would be dropped instead of refused.
  const record = dict<unknown>();
  for (const entry of entries ?? []) record[entry.name] = entry.value;
  return record;
}
