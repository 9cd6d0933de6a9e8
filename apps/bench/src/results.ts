/**
 * The results model: raw repetitions collected under string keys during a run, and the declarative cases
 * (`CaseSpec`) that turn them into figures — our median, each baseline's median, the paired ratios and their
 * median, and whether the target is met. Pure; the table, chart and JSON are all rendered from `Case`s.
 */
import { median, pairedRatios } from "./stats.ts";

/** The report's sections, in the order the table and the chart show them. */
export const SECTION_ORDER = ["edge", "replication", "fanout", "share", "browser", "core"] as const;
export type Section = (typeof SECTION_ORDER)[number];

/** Repetitions of each measured figure, by key (e.g. `edge.produce.json.100.edgelog`). */
export type RawData = Map<string, number[]>;

export interface SeriesSpec {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
}

export interface Series extends SeriesSpec {
  readonly reps: number[];
  readonly median: number;
}

/** A target on the figure itself: at least `min` / at most `max` (in the figure's unit). */
export interface ValueTarget {
  readonly min?: number;
  readonly max?: number;
}

export interface BaselineSpec {
  readonly series: SeriesSpec;
  /** Our figure must be at least this many times the baseline's. */
  readonly minRatio?: number;
  /** Our figure may be at most this many times the baseline's (a cost or a latency that must not grow). */
  readonly maxRatio?: number;
}

export interface CaseSpec {
  readonly id: string;
  readonly section: Section;
  readonly title: string;
  readonly ours: SeriesSpec;
  readonly baselines?: readonly BaselineSpec[];
  readonly target?: ValueTarget;
  /** Said beside the figure in the table (what bounds it, why a baseline is absent). */
  readonly note?: string;
}

export interface Comparison {
  readonly baseline: Series;
  /** ours[i] / baseline[i], repetition by repetition (measured next to each other). */
  readonly ratios: number[];
  readonly ratio: number;
  readonly minRatio?: number;
  readonly maxRatio?: number;
  readonly met?: boolean;
}

export interface Case {
  readonly id: string;
  readonly section: Section;
  readonly title: string;
  readonly ours: Series | null;
  readonly comparisons: Comparison[];
  readonly target?: ValueTarget;
  readonly met?: boolean;
  readonly note?: string;
  /** Why the case was not measured (then `ours` is null). */
  readonly skipped?: string;
}

function series(spec: SeriesSpec, data: RawData): Series | null {
  const reps = data.get(spec.key);
  if (reps === undefined || reps.length === 0) return null;
  return { ...spec, reps, median: median(reps) };
}

function meetsValue(value: number, target: ValueTarget): boolean {
  return (
    (target.min === undefined || value >= target.min) && (target.max === undefined || value <= target.max)
  );
}

function meetsRatio(ratio: number, target: { minRatio?: number; maxRatio?: number }): boolean {
  return (
    (target.minRatio === undefined || ratio >= target.minRatio) &&
    (target.maxRatio === undefined || ratio <= target.maxRatio)
  );
}

/** Turns one spec and the run's raw data into a case; a case with no data of ours is `skipped` with the reason. */
export function buildCase(spec: CaseSpec, data: RawData, skipReasons: ReadonlyMap<string, string>): Case {
  const ours = series(spec.ours, data);
  const base = {
    id: spec.id,
    section: spec.section,
    title: spec.title,
    ...(spec.target === undefined ? {} : { target: spec.target }),
    ...(spec.note === undefined ? {} : { note: spec.note }),
  };
  if (ours === null) {
    return {
      ...base,
      ours: null,
      comparisons: [],
      skipped: skipReasons.get(spec.ours.key) ?? "not measured",
    };
  }
  const comparisons: Comparison[] = [];
  for (const b of spec.baselines ?? []) {
    const baseline = series(b.series, data);
    if (baseline === null) continue;
    const ratios = pairedRatios(ours.reps, baseline.reps);
    const ratio = median(ratios);
    const judged = b.minRatio !== undefined || b.maxRatio !== undefined;
    comparisons.push({
      baseline,
      ratios,
      ratio,
      ...(b.minRatio === undefined ? {} : { minRatio: b.minRatio }),
      ...(b.maxRatio === undefined ? {} : { maxRatio: b.maxRatio }),
      ...(judged ? { met: meetsRatio(ratio, b) } : {}),
    });
  }
  return {
    ...base,
    ours,
    comparisons,
    ...(spec.target === undefined ? {} : { met: meetsValue(ours.median, spec.target) }),
  };
}

/** Every target of a case with its verdict, for the README-style summary and the chart. */
export interface TargetVerdict {
  readonly caseId: string;
  readonly text: string;
  /** The figure judged, formatted (a ratio or a value with its unit). */
  readonly measured: string;
  /**
   * How far past the target: > 1 met, < 1 missed (value / min, max / value, ratio / minRatio, or maxRatio /
   * ratio).
   */
  readonly margin: number;
  readonly met: boolean;
}

export function verdicts(cases: readonly Case[]): TargetVerdict[] {
  const out: TargetVerdict[] = [];
  for (const c of cases) {
    if (c.ours === null) continue;
    for (const cmp of c.comparisons) {
      if (cmp.minRatio !== undefined) {
        out.push({
          caseId: c.id,
          text: `${c.title}: ≥ ${cmp.minRatio}× ${cmp.baseline.label}`,
          measured: formatRatio(cmp.ratio),
          margin: cmp.ratio / cmp.minRatio,
          met: cmp.ratio >= cmp.minRatio,
        });
      }
      if (cmp.maxRatio !== undefined) {
        out.push({
          caseId: c.id,
          text: `${c.title}: ≤ ${cmp.maxRatio}× ${cmp.baseline.label}`,
          measured: formatRatio(cmp.ratio),
          margin: cmp.maxRatio / cmp.ratio,
          met: cmp.ratio <= cmp.maxRatio,
        });
      }
    }
    if (c.target?.min !== undefined) {
      out.push({
        caseId: c.id,
        text: `${c.title}: ≥ ${formatNumber(c.target.min)} ${c.ours.unit}`,
        measured: `${formatNumber(c.ours.median)} ${c.ours.unit}`,
        margin: c.ours.median / c.target.min,
        met: c.ours.median >= c.target.min,
      });
    }
    if (c.target?.max !== undefined) {
      out.push({
        caseId: c.id,
        text: `${c.title}: ≤ ${formatNumber(c.target.max)} ${c.ours.unit}`,
        measured: `${formatNumber(c.ours.median)} ${c.ours.unit}`,
        margin: c.target.max / c.ours.median,
        met: c.ours.median <= c.target.max,
      });
    }
  }
  return out;
}

/** Three significant digits, thousands separated: 123,000 · 12,300 · 1.23 · 0.0123. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(Number(value.toPrecision(3))).toLocaleString("en-US");
  if (abs === 0) return "0";
  return String(Number(value.toPrecision(3)));
}

/** A ratio as shown everywhere: two decimals below 10, then three significant digits. */
export function formatRatio(ratio: number): string {
  return ratio < 10 ? `${ratio.toFixed(2)}×` : `${formatNumber(ratio)}×`;
}
