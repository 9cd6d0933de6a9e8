import { describe, expect, it } from "vitest";
import { barGroups, renderSvg } from "../src/chart.ts";
import { type Report, renderMarkdown } from "../src/report.ts";
import { buildCase, type CaseSpec, formatNumber, formatRatio, verdicts } from "../src/results.ts";

const data = new Map<string, number[]>([
  ["edge.produce.edgelog", [100, 120, 90]],
  ["edge.produce.base", [200, 200, 100]],
  ["edge.produce.peer", [50, 60, 40]],
  ["edge.latency.edgelog", [30, 70, 40]],
]);
const specs: CaseSpec[] = [
  {
    id: "edge.produce",
    section: "edge",
    title: "produce <batches>",
    ours: { key: "edge.produce.edgelog", label: "edgelog", unit: "records/s" },
    baselines: [
      { series: { key: "edge.produce.base", label: "bare DO", unit: "records/s" }, minRatio: 0.5 },
      { series: { key: "edge.produce.peer", label: "peer | other", unit: "records/s" }, minRatio: 3 },
      { series: { key: "edge.produce.absent", label: "absent", unit: "records/s" } },
    ],
  },
  {
    id: "edge.latency",
    section: "edge",
    title: "latency p99",
    ours: { key: "edge.latency.edgelog", label: "edgelog", unit: "ms" },
    target: { max: 50 },
  },
  {
    id: "edge.rebalance",
    section: "edge",
    title: "rebalance",
    ours: { key: "edge.rebalance.edgelog", label: "edgelog", unit: "ms" },
  },
];
const skips = new Map([["edge.rebalance.edgelog", "heartbeat not supported yet"]]);
const cases = specs.map((spec) => buildCase(spec, data, skips));

describe("buildCase", () => {
  it("takes medians, pairs ratios repetition by repetition and judges ratio targets on the median ratio", () => {
    const [produce] = cases;
    expect(produce?.ours?.median).toBe(100);
    const [base, peer] = produce?.comparisons ?? [];
    expect(base?.ratios).toEqual([0.5, 0.6, 0.9]);
    expect(base?.ratio).toBe(0.6);
    expect(base?.met).toBe(true);
    expect(peer?.ratio).toBe(2);
    expect(peer?.met).toBe(false);
    // A baseline with no data is left out rather than shown as 0 or NaN.
    expect(produce?.comparisons).toHaveLength(2);
  });

  it("judges a value target on the median and marks a case without data as skipped with its reason", () => {
    expect(cases[1]?.ours?.median).toBe(40);
    expect(cases[1]?.met).toBe(true);
    expect(cases[2]?.ours).toBeNull();
    expect(cases[2]?.skipped).toBe("heartbeat not supported yet");
  });

  it("lists every target with its margin", () => {
    expect(verdicts(cases).map((v) => [v.met, v.measured, Number(v.margin.toFixed(2))])).toEqual([
      [true, "0.60×", 1.2],
      [false, "2.00×", 0.67],
      [true, "40 ms", 1.25],
    ]);
  });
});

describe("formatting", () => {
  it("rounds to three significant digits with thousands separators", () => {
    expect(formatNumber(123_456)).toBe("123,000");
    expect(formatNumber(1234.5)).toBe("1,230");
    expect(formatNumber(12.345)).toBe("12.3");
    expect(formatNumber(0.012345)).toBe("0.0123");
    expect(formatRatio(0.456)).toBe("0.46×");
    expect(formatRatio(205.4)).toBe("205×");
  });
});

const report: Report = {
  generatedAt: "2026-11-30T05:00:00Z",
  mode: "quick",
  repetitions: 3,
  wallSeconds: 61.2,
  machine: {
    cpu: "Test CPU",
    cores: 2,
    memoryGiB: 8,
    os: "Linux",
    node: "v24.0.0",
    wrangler: "4.0.0",
    workerd: "1.0.0",
    chromium: "156.0",
    peers: { "@durable-streams/server": "0.3.7" },
  },
  plan: {},
  cases,
  notes: ["rebalance skipped"],
};

describe("renderMarkdown", () => {
  const md = renderMarkdown(report);

  it("describes the run and the machine, then lists the targets with their verdicts", () => {
    expect(md).toContain("npm run bench -- --quick");
    expect(md).toContain("Test CPU, 2 cores, 8 GiB");
    expect(md).toContain("| produce <batches>: ≥ 0.5× bare DO | 0.60× | met |");
    expect(md).toContain("| produce <batches>: ≥ 3× peer \\| other | 2.00× | **missed** |");
    expect(md).toContain("| latency p99: ≤ 50 ms | 40 ms | met |");
  });

  it("writes one row per baseline under the section, escaping pipes, and shows skipped cases", () => {
    expect(md).toContain("## Edge: through the local Worker (`wrangler dev`)");
    expect(md).toContain(
      "| produce <batches> | 100 records/s | bare DO | 200 records/s | 0.60× | ≥ 0.5× | met |",
    );
    expect(md).toContain("|  |  | peer \\| other | 50 records/s | 2.00× | ≥ 3× | **missed** |");
    expect(md).toContain("| rebalance | skipped |  |  |  |  | heartbeat not supported yet |");
    expect(md).toContain("- rebalance skipped");
  });
});

describe("chart", () => {
  it("has one bar per comparison and one per absolute target, coloured by verdict", () => {
    const groups = barGroups(cases);
    expect(groups.map((g) => g.bars.length)).toEqual([2, 1]);
    expect(groups[1]?.bars[0]).toMatchObject({ value: 50 / 40, met: true, caption: "40 ms" });
  });

  it("renders well-formed SVG with escaped labels, a 1× axis and target ticks", () => {
    const svg = renderSvg(barGroups(cases), "title <&>", ["machine", "versions"]);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg).toContain("<title>title &lt;&amp;&gt;</title>");
    expect(svg).toContain("produce &lt;batches&gt; ÷ peer | other");
    // Every & starts an entity and every < starts a tag: nothing from a label leaks into the markup.
    expect(svg).not.toMatch(/&(?!amp;|lt;|gt;|quot;)/);
    expect(svg).not.toMatch(/<(?![a-z/])/);
    expect(svg.match(/<text\b/g)?.length).toBe(svg.match(/<\/text>/g)?.length);
    expect(svg).toContain(">1×</text>");
    expect((svg.match(/fill="#c62828"/g) ?? []).length).toBe(2); // the missed bar and the legend
    expect((svg.match(/stroke="#111"/g) ?? []).length).toBe(3); // one tick per target
    expect(svg).not.toContain("NaN");
  });
});
