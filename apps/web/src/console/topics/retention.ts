/**
 * @module
 * A topic's retention in words: how long records are kept (`retention.ms`) and, when set, how many bytes a
 * partition may hold (`retention.bytes`) — "7 d", "forever · 1 GiB per partition".
 */
import type { TopicConfig } from "@edgelog/core";
import { formatBytes, formatDuration } from "../ui/format.ts";

export function retentionText(config: TopicConfig): string {
  const time = formatDuration(config["retention.ms"]);
  const bytes = config["retention.bytes"];
  return bytes < 0 ? time : `${time} · ${formatBytes(bytes)} per partition`;
}
