/**
 * @module
 * A topic's cleanup policy as the topics screens show it. A compacted topic (`compact`, `compact,delete`) keeps
 * at least the latest record per key and never renumbers, so its partitions have gaps: high watermark − log start
 * counts offsets, not records. Counting the records would mean reading the whole log, so the screens say
 * "offsets" (or "at most") instead of pretending.
 */
import type { TopicConfig } from "@edgelog/core";

export function isCompacted(config: TopicConfig): boolean {
  return config["cleanup.policy"] !== "delete";
}

const POLICY_TITLES: Readonly<Record<TopicConfig["cleanup.policy"], string>> = {
  delete: "Records are deleted by age and size",
  compact: "Compacted: at least the latest record of each key is kept, nothing is deleted by age or size",
  "compact,delete":
    "Compacted and retained: the latest record of each key is kept, and records also go by age and size",
};

/** The marker next to a compacted topic's name; nothing for a `delete` topic. */
export function CompactedBadge({ config }: { config: TopicConfig }) {
  if (!isCompacted(config)) return null;
  const policy = config["cleanup.policy"];
  return (
    <span class="badge badge-accent compacted-badge" title={POLICY_TITLES[policy]} data-policy={policy}>
      {policy === "compact" ? "compacted" : "compacted + delete"}
    </span>
  );
}

/** Why the offsets figure is not a record count, for the places that show it. */
export const OFFSETS_NOTE =
  "Compaction removes superseded records but never renumbers them, so a compacted partition holds fewer records than the offsets between its log start and high watermark.";
