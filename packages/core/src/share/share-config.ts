/**
 * @module
 * Share-group configuration (KIP-932's group configs, KIP-1191's dead-letter topic): Kafka's names and defaults,
 * and their validation. A group stores only what was set; everything else reads as the default, so a default
 * changed here reaches every group that never overrode it. Unknown names are refused (`INVALID_CONFIG`), as for
 * topics, so nobody believes a setting took effect that edgelog ignores.
 */
import { type Dict, dict } from "../dict.ts";
import { EdgeLogError } from "../errors.ts";
import { assertValidTopicName } from "../validation.ts";

export interface ShareGroupConfig {
  /** How long an acquired record stays locked to its member before it comes back (Kafka's default 30 s). */
  readonly "share.record.lock.duration.ms": number;
  /** Deliveries after which a record that is still not accepted is archived as failed (Kafka's default 5). */
  readonly "share.delivery.count.limit": number;
  /**
   * Records one share-partition holds in flight at most (from its start offset to its end): acquisition stops
   * there until the start offset moves (KIP-932's `group.share.partition.max.record.locks`, default 200).
   */
  readonly "share.partition.max.record.locks": number;
  /** Where a partition the group never read starts: the log end (`latest`, Kafka's default) or its start. */
  readonly "share.auto.offset.reset": "latest" | "earliest";
  /** How long a member may stay silent before its session ends and its records are released (Kafka: 45 s). */
  readonly "share.session.timeout.ms": number;
  /**
   * The dead-letter topic (KIP-1191): records rejected or archived after too many deliveries are copied there with
   * their error in headers. `""`: none (the default).
   */
  readonly "errors.deadletterqueue.topic.name": string;
}

export type ShareGroupConfigName = keyof ShareGroupConfig;

export const DEFAULT_SHARE_GROUP_CONFIG: ShareGroupConfig = Object.freeze({
  "share.record.lock.duration.ms": 30_000,
  "share.delivery.count.limit": 5,
  "share.partition.max.record.locks": 200,
  "share.auto.offset.reset": "latest",
  "share.session.timeout.ms": 45_000,
  "errors.deadletterqueue.topic.name": "",
});

/**
 * Integer bounds. The lock floor is below Kafka's (15 s by default, configurable) because nothing breaks with a
 * short lock but churn; the record-lock ceiling bounds the state one partition keeps (each in-flight record is
 * one entry of the partition's stored document).
 */
const INTEGER_BOUNDS: Readonly<Record<string, readonly [number, number]>> = {
  "share.record.lock.duration.ms": [100, 3_600_000],
  "share.delivery.count.limit": [2, 10],
  "share.partition.max.record.locks": [1, 2_000],
  "share.session.timeout.ms": [1_000, 1_800_000],
};

const NAMES: readonly ShareGroupConfigName[] = Object.keys(
  DEFAULT_SHARE_GROUP_CONFIG,
) as ShareGroupConfigName[];

function isName(name: string): name is ShareGroupConfigName {
  return (NAMES as readonly string[]).includes(name);
}

/** The settings a group overrides, by name (a dict: the names come from users). */
export type ShareGroupConfigOverrides = Dict<string | number>;

/** The effective configuration: the group's overrides over the defaults. */
export function effectiveShareConfig(overrides: Readonly<Record<string, unknown>> = {}): ShareGroupConfig {
  const config: Record<string, unknown> = { ...DEFAULT_SHARE_GROUP_CONFIG };
  for (const name of NAMES) if (Object.hasOwn(overrides, name)) config[name] = overrides[name];
  return config as unknown as ShareGroupConfig;
}

/**
 * Applies changes to a group's overrides: each name is validated, a `null` value removes the override (back to
 * the default). Returns the new overrides; the input is not changed. All or nothing: one bad entry refuses all.
 * @example
 * alterShareConfig({}, { "share.delivery.count.limit": "3" }) // → { "share.delivery.count.limit": 3 }
 */
export function alterShareConfig(
  overrides: Readonly<Record<string, string | number>>,
  changes: unknown,
): ShareGroupConfigOverrides {
  if (typeof changes !== "object" || changes === null || Array.isArray(changes)) {
    throw new EdgeLogError("INVALID_CONFIG", "share-group config changes must be an object of name → value");
  }
  const next = dict<string | number>(overrides);
  for (const [name, value] of Object.entries(changes)) {
    if (!isName(name)) {
      throw new EdgeLogError("INVALID_CONFIG", `unknown or unsupported share-group config "${name}"`, {
        context: { config: name, supported: NAMES.join(",") },
      });
    }
    if (value === null) {
      delete next[name];
      continue;
    }
    next[name] = validValue(name, value);
  }
  return next;
}

function validValue(name: ShareGroupConfigName, value: unknown): string | number {
  const bounds = INTEGER_BOUNDS[name];
  if (bounds !== undefined) {
    const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
    const [min, max] = bounds;
    if (typeof number !== "number" || !Number.isSafeInteger(number) || number < min || number > max) {
      throw invalid(name, value, `expected an integer in ${min}..${max}`);
    }
    return number;
  }
  if (name === "share.auto.offset.reset") {
    if (value !== "latest" && value !== "earliest")
      throw invalid(name, value, 'expected "latest" or "earliest"');
    return value;
  }
  // The dead-letter topic: a topic name, or "" for none. It need not exist yet (it must when a record goes there).
  if (typeof value !== "string") throw invalid(name, value, "expected a topic name");
  if (value !== "") {
    try {
      assertValidTopicName(value);
    } catch (cause) {
      throw new EdgeLogError("INVALID_CONFIG", `invalid ${name}: ${(cause as Error).message}`, {
        context: { config: name },
        cause,
      });
    }
  }
  return value;
}

function invalid(name: string, value: unknown, why: string): EdgeLogError {
  return new EdgeLogError("INVALID_CONFIG", `invalid ${name}=${JSON.stringify(value)}: ${why}`, {
    context: { config: name },
  });
}
