/**
 * @module
 * The topic configs the console shows and edits, as text: which settings a topic lists (every one edgelog
 * honours, with whether it is the default — core's `describeTopicConfig`, the same as `describeConfigs`; the
 * replication ones only on a replicated topic), how a value reads, and the incremental change an edit form
 * amounts to. A form field holds the value the topic set, or nothing for a default; emptying a set field resets it
 * (`null`, Kafka's IncrementalAlterConfigs DELETE). Values go to the server as typed: it validates them as Kafka
 * does, and its INVALID_CONFIG is what the user sees.
 */
import { type ConfigEntryView, describeTopicConfig, type TopicConfig } from "@edgelog/core";
import { formatBytes, formatDuration, formatLimitBytes } from "../ui/format.ts";

const REPLICATION = new Set([
  "min.insync.replicas",
  "replica.lag.time.max.ms",
  "unclean.leader.election.enable",
]);
const COMPACTION = new Set([
  "delete.retention.ms",
  "min.compaction.lag.ms",
  "max.compaction.lag.ms",
  "min.cleanable.dirty.ratio",
]);
/** Kafka's `Long.MAX_VALUE`, how `max.compaction.lag.ms` reads when no bound is set. */
const NO_BOUND = "9223372036854775807";

/** The settings a topic lists, in core's order. */
export function topicConfigEntries(config: TopicConfig, replicated: boolean): ConfigEntryView[] {
  return describeTopicConfig(config).filter((entry) => replicated || !REPLICATION.has(entry.name));
}

/** Whether a setting matters only on a compacted topic. */
export function isCompactionSetting(name: string): boolean {
  return COMPACTION.has(name);
}

/** Whether a setting is retention by age or size, which `cleanup.policy=compact` alone does not apply. */
export function isRetentionSetting(name: string): boolean {
  return name === "retention.ms" || name === "retention.bytes";
}

/** A setting's value for people: "7 d", "1 MiB", "unlimited"; `undefined` when the raw value says it best. */
export function readableValue(name: string, value: string): string | undefined {
  const number = Number(value);
  if (value === NO_BOUND) return "no bound";
  if (!Number.isSafeInteger(number)) return undefined;
  if (name === "retention.ms") return formatDuration(number);
  if (name.endsWith(".ms")) return number === 0 ? "none" : formatDuration(number);
  if (name === "retention.bytes") return `${formatLimitBytes(number)} per partition`;
  if (name === "max.message.bytes") return formatBytes(number);
  return undefined;
}

/** A field's starting text: the value the topic set, empty for a default (the placeholder shows it). */
export function initialText(entry: ConfigEntryView): string {
  return entry.isDefault ? "" : entry.value;
}

/**
 * The change a form amounts to (`PATCH /v1/topics/{t}`'s `config`): a field whose text differs from its start is
 * set to the text, or reset (`null`) when emptied; untouched fields are left out. Empty when nothing changed.
 */
export function configChanges(
  entries: readonly ConfigEntryView[],
  texts: ReadonlyMap<string, string>,
): Map<string, string | null> {
  const changes = new Map<string, string | null>();
  for (const entry of entries) {
    const text = (texts.get(entry.name) ?? initialText(entry)).trim();
    if (text === initialText(entry)) continue;
    changes.set(entry.name, text === "" ? null : text);
  }
  return changes;
}
