/**
 * @module
 * How the console writes numbers people read: counts with thousands separators, bytes in binary units, Kafka's
 * millisecond durations (`retention.ms`) in the largest whole unit, and `-1` (Kafka's "unlimited") as a word.
 * One place, so every screen says "7 d" and "1.5 MiB" the same way.
 */

const COUNT = new Intl.NumberFormat("en-US");

/** `1234567` → `1,234,567`; a negative number (`-1`: unknown) → `—`. */
export function formatCount(value: number): string {
  return value < 0 || !Number.isFinite(value) ? "—" : COUNT.format(value);
}

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"] as const;

/** `1536` → `1.5 KiB`; below 0 (unknown) → `—`. */
export function formatBytes(value: number): string {
  if (value < 0 || !Number.isFinite(value)) return "—";
  let unit = 0;
  let scaled = value;
  while (scaled >= 1024 && unit < BYTE_UNITS.length - 1) {
    scaled /= 1024;
    unit++;
  }
  const digits = unit === 0 || scaled >= 100 ? 0 : 1;
  return `${scaled.toFixed(digits).replace(/\.0$/, "")} ${BYTE_UNITS[unit]}`;
}

const DURATION_UNITS: readonly (readonly [string, number])[] = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["min", 60_000],
  ["s", 1_000],
];

/** A duration in ms: `604800000` → `7 d`, `90000` → `90 s`; `-1` → `forever`. */
export function formatDuration(ms: number): string {
  if (ms < 0) return "forever";
  for (const [unit, size] of DURATION_UNITS) if (ms >= size && ms % size === 0) return `${ms / size} ${unit}`;
  return `${ms} ms`;
}

/** A Kafka size limit: `-1` → `unlimited`, else bytes. */
export function formatLimitBytes(value: number): string {
  return value < 0 ? "unlimited" : formatBytes(value);
}

/** An epoch-ms time in the reader's locale, to the second. */
export function formatTime(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}
