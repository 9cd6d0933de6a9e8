/**
 * @module
 * Numbers for summaries and benchmarks: rates, percentiles of latency samples, byte sizes, and a one-line
 * progress bar (drawn on stderr only when it is a terminal, redrawn at most a few times a second).
 */
import type { Output } from "./io.ts";

export function formatRate(count: number, seconds: number): string {
  if (seconds <= 0) return "-";
  const rate = count / seconds;
  return rate < 10 ? rate.toFixed(1) : Math.round(rate).toLocaleString("en-US");
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** The `p`-th percentile (0–100) of `samples` by nearest rank; `NaN` when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

/**
 * Latency samples kept for percentiles, bounded: past `capacity`, a uniform random sample of everything seen
 * (reservoir sampling), so a long benchmark's memory stays flat and its percentiles unbiased.
 */
export class Samples {
  readonly #capacity: number;
  readonly #random: () => number;
  readonly values: number[] = [];
  #seen = 0;

  constructor(capacity = 100_000, random: () => number = Math.random) {
    this.#capacity = capacity;
    this.#random = random;
  }

  add(value: number): void {
    this.#seen++;
    if (this.values.length < this.#capacity) {
      this.values.push(value);
      return;
    }
    const slot = Math.floor(this.#random() * this.#seen);
    if (slot < this.#capacity) this.values[slot] = value;
  }
}

const REDRAW_MS = 100;
const BAR_WIDTH = 30;

/** A progress bar on a terminal; a no-op anywhere else, so logs and pipes get only the summary. */
export class ProgressBar {
  readonly #out: Output;
  readonly #total: number;
  readonly #label: string;
  readonly #now: () => number;
  readonly #started: number;
  #lastDraw = Number.NEGATIVE_INFINITY;
  #drawn = false;

  constructor(out: Output, options: { total: number; label: string; now: () => number }) {
    this.#out = out;
    this.#total = options.total;
    this.#label = options.label;
    this.#now = options.now;
    this.#started = options.now();
  }

  get enabled(): boolean {
    return this.#out.isTTY;
  }

  /** Redraws with `done` of the total, unless it was redrawn very recently. */
  update(done: number): void {
    if (!this.enabled) return;
    const now = this.#now();
    if (now - this.#lastDraw < REDRAW_MS && done < this.#total) return;
    this.#lastDraw = now;
    const fraction = this.#total > 0 ? Math.min(1, done / this.#total) : 1;
    const filled = Math.round(fraction * BAR_WIDTH);
    const seconds = (now - this.#started) / 1000;
    const line =
      `${this.#label} [${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}] ` +
      `${Math.floor(fraction * 100)}% ${done.toLocaleString("en-US")}/${this.#total.toLocaleString("en-US")} ` +
      `${formatRate(done, seconds)}/s`;
    const width = this.#out.columns ?? 80;
    void this.#out.write(`\r${line.slice(0, width - 1).padEnd(width - 1)}`);
    this.#drawn = true;
  }

  /** Clears the bar so the summary starts on a clean line. */
  finish(): void {
    if (!this.#drawn) return;
    const width = this.#out.columns ?? 80;
    void this.#out.write(`\r${" ".repeat(width - 1)}\r`);
    this.#drawn = false;
  }
}
