/**
 * @module
 * What the groups and streams screens write beyond the console's own formats (ui/format.ts: counts, times):
 * partition lists as ranges (`0–3, 7`), and durations and moments relative to now.
 */

/** `[0, 1, 2, 3, 7]` → `0–3, 7`: assignments of hundreds of partitions stay one short line. */
export function formatPartitions(partitions: readonly number[]): string {
  const sorted = [...partitions].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const start = sorted[i] as number;
    let end = start;
    while (sorted[i + 1] === end + 1) end = sorted[++i] as number;
    parts.push(end === start ? String(start) : end === start + 1 ? `${start}, ${end}` : `${start}–${end}`);
  }
  return parts.join(", ");
}

/** `90_000` → `1 min 30 s`: the two largest units that are not zero. */
export function formatDuration(ms: number): string {
  const units: [string, number][] = [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["min", 60_000],
    ["s", 1_000],
  ];
  let rest = Math.max(0, Math.round(ms));
  const parts: string[] = [];
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0 || (parts.length === 0 && unit === "s")) parts.push(`${count} ${unit}`);
    if (parts.length === 2) break;
  }
  return parts.join(" ");
}

/** Past this distance a moment reads better as a date than as "in 26327 d". */
const RELATIVE_LIMIT_MS = 30 * 86_400_000;

/** A moment relative to `nowMs`: `in 5 min`, `3 s ago`; a date when it is more than 30 days away. */
export function formatRelative(atMs: number, nowMs: number): string {
  const delta = atMs - nowMs;
  if (Math.abs(delta) > RELATIVE_LIMIT_MS)
    return `on ${new Date(atMs).toLocaleDateString(undefined, { dateStyle: "medium" })}`;
  return delta >= 0 ? `in ${formatDuration(delta)}` : `${formatDuration(-delta)} ago`;
}
