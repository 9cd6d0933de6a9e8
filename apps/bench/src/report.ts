/**
 * The run's report as data (`Report`, written verbatim as results.json) and as the Markdown table
 * (results.md): a targets summary first, then every case per section with its baselines and paired ratios.
 */
import { type Case, formatNumber, formatRatio, SECTION_ORDER, type Section, verdicts } from "./results.ts";

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly wrangler: string;
  readonly workerd: string;
  readonly chromium: string | null;
  /** Peers' versions as installed (Durable Streams server, Workbox). */
  readonly peers: Readonly<Record<string, string>>;
}

export interface Report {
  readonly generatedAt: string;
  readonly mode: "quick" | "full";
  readonly repetitions: number;
  readonly wallSeconds: number;
  readonly machine: Machine;
  /** Sizes and counts the run used, so figures can be reproduced. */
  readonly plan: Readonly<Record<string, unknown>>;
  readonly cases: readonly Case[];
  /** Notes printed during the run (skipped cases, failures of a peer). */
  readonly notes: readonly string[];
}

export const SECTION_TITLES: Record<Section, string> = {
  edge: "Edge: through the local Worker (`wrangler dev`)",
  replication:
    "Replication: 3 replicas through the local Worker (`wrangler dev`), region round trip simulated",
  fanout: "Fan-out: live readers of one partition through the local Worker (workerd, no dev proxy)",
  share: "Share groups: queues through the local Worker (`wrangler dev`) beside Queues in miniflare",
  browser: "Browser: headless Chromium",
  core: "Core: in Node",
};

const escapeCell = (text: string): string => text.replaceAll("|", "\\|");
const row = (cells: readonly string[]): string => `| ${cells.map(escapeCell).join(" | ")} |`;

function value(median: number, unit: string): string {
  return `${formatNumber(median)} ${unit}`;
}

function verdict(met: boolean | undefined): string {
  return met === undefined ? "" : met ? "met" : "**missed**";
}

/** The machine in two lines: hardware and OS, then the runtimes and peers' versions. */
export function describeMachineLines(m: Machine): [string, string] {
  const peers = Object.entries(m.peers).map(([name, version]) => `${name} ${version}`);
  return [
    `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB · ${m.os}`,
    [
      `Node ${m.node}`,
      `wrangler ${m.wrangler} (workerd ${m.workerd})`,
      `Chromium ${m.chromium ?? "n/a"}`,
      ...peers,
    ].join(" · "),
  ];
}

export function describeMachine(m: Machine): string {
  return describeMachineLines(m).join(" · ");
}

export function renderMarkdown(report: Report): string {
  const lines: string[] = [
    "# edgelog benchmarks",
    "",
    `Written by \`npm run bench${report.mode === "quick" ? " -- --quick" : ""}\` on ${report.generatedAt}` +
      ` (${report.mode} run, ${Math.round(report.wallSeconds)} s). Machine: ${describeMachine(report.machine)}.`,
    "",
    `Every figure is the median of ${report.repetitions} repetitions. Every ratio is edgelog ÷ baseline, computed` +
      " repetition by repetition from measurements taken next to each other in the same run, then the median of" +
      " those ratios; absolute figures drift on a shared machine, ratios much less. Chart: [results.svg](results.svg);" +
      " every repetition: [results.json](results.json).",
    "",
    "## Targets",
    "",
    row(["target", "measured", ""]),
    row(["---", "---", "---"]),
  ];
  for (const v of verdicts(report.cases)) lines.push(row([v.text, v.measured, v.met ? "met" : "**missed**"]));
  for (const section of SECTION_ORDER) {
    const cases = report.cases.filter((c) => c.section === section);
    if (cases.length === 0) continue;
    lines.push("", `## ${SECTION_TITLES[section]}`, "");
    lines.push(row(["measurement", "edgelog", "baseline", "baseline figure", "ratio", "target", ""]));
    lines.push(row(["---", "---:", "---", "---:", "---:", "---", "---"]));
    for (const c of cases) {
      if (c.ours === null) {
        lines.push(row([c.title, "skipped", "", "", "", "", c.skipped ?? ""]));
        continue;
      }
      const ourCell = value(c.ours.median, c.ours.unit);
      const valueTarget =
        c.target === undefined
          ? ""
          : [
              c.target.min === undefined ? "" : `≥ ${formatNumber(c.target.min)}`,
              c.target.max === undefined ? "" : `≤ ${formatNumber(c.target.max)}`,
            ]
              .filter((t) => t !== "")
              .join(", ");
      const first = [c.title, ourCell];
      if (c.comparisons.length === 0) {
        lines.push(row([...first, "", "", "", valueTarget, verdict(c.met)]));
      }
      c.comparisons.forEach((cmp, i) => {
        const target = [
          i === 0 ? valueTarget : "",
          cmp.minRatio === undefined ? "" : `≥ ${cmp.minRatio}×`,
          cmp.maxRatio === undefined ? "" : `≤ ${cmp.maxRatio}×`,
        ]
          .filter((t) => t !== "")
          .join("; ");
        const met = [i === 0 ? verdict(c.met) : "", verdict(cmp.met)].filter((t) => t !== "").join("; ");
        lines.push(
          row([
            i === 0 ? (first[0] ?? "") : "",
            i === 0 ? ourCell : "",
            cmp.baseline.label,
            value(cmp.baseline.median, cmp.baseline.unit),
            formatRatio(cmp.ratio),
            target,
            met,
          ]),
        );
      });
      if (c.note !== undefined) lines.push(row(["", "", `_${c.note}_`, "", "", "", ""]));
    }
  }
  if (report.notes.length > 0) {
    lines.push("", "## Notes from the run", "");
    for (const note of report.notes) lines.push(`- ${note}`);
  }
  lines.push("");
  return lines.join("\n");
}
