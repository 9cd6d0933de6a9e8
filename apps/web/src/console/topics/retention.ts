/**
 * @module
 * A topic's retention in words: how long records are kept (`retention.ms`) and, when set, how many bytes a
 * partition may hold (`retention.bytes`) — "7 d", "forever · 1 GiB per partition"; for a compacted topic, that
 * the latest record per key stays ("latest per key", with the age and size limits of `compact,delete`).
 */
import type { TopicConfig } from "@edgelog/core";
import { formatBytes, formatDuration } from "../ui/format.ts";

export function retentionText(config: TopicConfig): string {
  const policy = config["cleanup.policy"];
  if (policy === "compact") return "latest per key";
  const time = formatDuration(config["retention.ms"]);
  const bytes = config["retention.bytes"];
  const limits = bytes < 0 ? time : `${time} · ${formatBytes(bytes)} per partition`;
  return policy === "compact,delete" ? `latest per key · ${limits}` : limits;
}
