/**
 * The chart (results.svg), drawn by hand as SVG: one horizontal bar per ratio on a log scale centred on 1×
 * (right of the line: edgelog ahead of that baseline — except bars marked "at most", a cost or a latency against
 * the same at one reader, which must stay left of their tick), a tick at each ratio target, green when the target
 * is met and red when missed, and a last group with the absolute targets as figure ÷ target. No charting
 * dependency.
 */
import { describeMachineLines, type Report, SECTION_TITLES } from "./report.ts";
import { type Case, formatNumber, formatRatio, SECTION_ORDER } from "./results.ts";

export interface Bar {
  readonly label: string;
  /** What the bar shows (a ratio, > 0). */
  readonly value: number;
  /** The ratio the bar must reach, if any. */
  readonly target?: number;
  readonly met?: boolean;
  /** Shown at the bar's end instead of the ratio (e.g. the absolute figure). */
  readonly caption?: string;
}

export interface BarGroup {
  readonly title: string;
  readonly bars: readonly Bar[];
}

/** The bars of a report: every comparison by section, then each absolute target as figure ÷ target. */
export function barGroups(cases: readonly Case[]): BarGroup[] {
  const groups: BarGroup[] = [];
  for (const section of SECTION_ORDER) {
    const bars: Bar[] = [];
    for (const c of cases) {
      if (c.section !== section || c.ours === null) continue;
      for (const cmp of c.comparisons) {
        const target = cmp.minRatio ?? cmp.maxRatio;
        bars.push({
          label: `${c.title} ÷ ${cmp.baseline.label}${cmp.maxRatio === undefined ? "" : " (at most)"}`,
          value: cmp.ratio,
          ...(target === undefined || cmp.met === undefined ? {} : { target, met: cmp.met }),
        });
      }
    }
    if (bars.length > 0) groups.push({ title: SECTION_TITLES[section].replaceAll("`", ""), bars });
  }
  const absolute: Bar[] = [];
  for (const c of cases) {
    if (c.ours === null || c.target === undefined) continue;
    const figure = `${formatNumber(c.ours.median)} ${c.ours.unit}`;
    if (c.target.min !== undefined)
      absolute.push({
        label: `${c.title} ÷ target ${formatNumber(c.target.min)} ${c.ours.unit}`,
        value: c.ours.median / c.target.min,
        target: 1,
        met: c.ours.median >= c.target.min,
        caption: figure,
      });
    if (c.target.max !== undefined)
      absolute.push({
        label: `${c.title}: target ${formatNumber(c.target.max)} ${c.ours.unit} ÷ figure`,
        value: c.target.max / c.ours.median,
        target: 1,
        met: c.ours.median <= c.target.max,
        caption: figure,
      });
  }
  if (absolute.length > 0) groups.push({ title: "Absolute targets (right of 1×: met)", bars: absolute });
  return groups;
}

const xml = (text: string): string =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

const COLORS = { met: "#2e7d32", missed: "#c62828", none: "#607d8b" };

export function renderSvg(groups: readonly BarGroup[], title: string, subtitle: readonly string[]): string {
  const width = 1100;
  const labelWidth = 560;
  const plotLeft = labelWidth + 10;
  const plotRight = width - 90;
  const rowHeight = 18;
  const top = 64 + 16 * subtitle.length;
  const values = groups.flatMap((g) => g.bars.flatMap((b) => [b.value, b.target ?? 1]));
  const finite = values.filter((v) => Number.isFinite(v) && v > 0);
  const lo = Math.floor(Math.log10(Math.min(0.5, ...finite)));
  const hi = Math.ceil(Math.log10(Math.max(2, ...finite)));
  const x = (v: number): number => {
    const clamped = Math.min(Math.max(Number.isFinite(v) && v > 0 ? v : 10 ** lo, 10 ** lo), 10 ** hi);
    return plotLeft + ((Math.log10(clamped) - lo) / (hi - lo)) * (plotRight - plotLeft);
  };
  const rows = groups.reduce((n, g) => n + g.bars.length + 1, 0);
  const height = top + rows * rowHeight + 40;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${xml(title)}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="11">`,
    `<title>${xml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="600">${xml(title)}</text>`,
    ...subtitle.map((line, i) => `<text x="12" y="${40 + 16 * i}" fill="#444">${xml(line)}</text>`),
    `<text x="12" y="${40 + 16 * subtitle.length}" fill="#444">Ratio edgelog ÷ baseline (log scale; right of 1×: edgelog ahead). Tick: target. ` +
      `<tspan fill="${COLORS.met}">■ met</tspan> <tspan fill="${COLORS.missed}">■ missed</tspan> <tspan fill="${COLORS.none}">■ no target</tspan></text>`,
  ];
  const plotBottom = top + rows * rowHeight;
  for (let p = lo; p <= hi; p++) {
    const gx = x(10 ** p).toFixed(1);
    out.push(
      `<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${plotBottom}" stroke="${p === 0 ? "#000" : "#ddd"}" stroke-width="${p === 0 ? 1.2 : 1}"/>`,
      `<text x="${gx}" y="${plotBottom + 14}" text-anchor="middle" fill="#444">${xml(formatRatio(10 ** p).replace(".00×", "×"))}</text>`,
    );
  }
  let y = top;
  for (const group of groups) {
    out.push(`<text x="12" y="${y + 13}" font-weight="600">${xml(group.title)}</text>`);
    y += rowHeight;
    for (const bar of group.bars) {
      const color = bar.met === undefined ? COLORS.none : bar.met ? COLORS.met : COLORS.missed;
      const from = x(1);
      const to = x(bar.value);
      const left = Math.min(from, to);
      const barWidth = Math.max(1, Math.abs(to - from));
      out.push(
        `<text x="${labelWidth}" y="${y + 13}" text-anchor="end">${xml(bar.label)}</text>`,
        `<rect x="${left.toFixed(1)}" y="${y + 3}" width="${barWidth.toFixed(1)}" height="${rowHeight - 6}" fill="${color}"/>`,
        `<text x="${(Math.max(from, to) + 4).toFixed(1)}" y="${y + 13}" fill="#222">${xml(bar.caption ?? formatRatio(bar.value))}</text>`,
      );
      if (bar.target !== undefined) {
        const tx = x(bar.target).toFixed(1);
        out.push(
          `<line x1="${tx}" y1="${y + 1}" x2="${tx}" y2="${y + rowHeight - 1}" stroke="#111" stroke-width="2"/>`,
        );
      }
      y += rowHeight;
    }
  }
  out.push("</svg>", "");
  return out.join("\n");
}

export function renderReportSvg(report: Report): string {
  return renderSvg(
    barGroups(report.cases),
    `edgelog benchmarks (${report.mode} run, medians of ${report.repetitions} repetitions, ${report.generatedAt.slice(0, 10)})`,
    describeMachineLines(report.machine),
  );
}
