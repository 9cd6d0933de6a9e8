/**
 * @module
 * Topic configuration: Kafka's names and defaults for the settings edgelog honours, and their validation.
 * Unknown or unsupported settings are refused (`INVALID_CONFIG`) rather than silently ignored, so a user never
 * believes a topic is compacted or retained differently from how it is.
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
  /** Only `delete` for now; compaction is not implemented and is refused rather than pretended. */
  readonly "cleanup.policy": "delete";
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
  "min.insync.replicas",
  "replica.lag.time.max.ms",
  "unclean.leader.election.enable",
];

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
        if (value !== "delete") throw invalid(name, value, 'only "delete" is supported');
        config[name] = value;
        break;
    }
  }
  return config;
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
