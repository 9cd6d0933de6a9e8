/**
 * The statistics every figure goes through: medians of repetitions and nearest-rank percentiles of latency
 * samples. Pure functions, unit-tested.
 */

/** The middle value (mean of the two middle values for an even count); NaN for no values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * The nearest-rank percentile: the smallest sample such that at least p % of the samples are ≤ it (p in 0..100).
 * With 100 samples p99 is the second largest; no interpolation, so the figure is always a latency that happened.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  if (p < 0 || p > 100) throw new RangeError(`percentile must be in 0..100, got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** Element-wise ratios of two equally long series (repetition i of ours over repetition i of the baseline). */
export function pairedRatios(ours: readonly number[], baseline: readonly number[]): number[] {
  const n = Math.min(ours.length, baseline.length);
  return Array.from({ length: n }, (_, i) => (ours[i] as number) / (baseline[i] as number));
}
