// The replication section of the report: its cases read exactly the keys the benchmark module records, pair
// acks=all with acks=1 from the same run, follow the failover trigger, and render between edge and browser.
import { describe, expect, it } from "vitest";
import { replicationKeys } from "../../worker/bench/replication.ts";
import { caseSpecs } from "../src/cases.ts";
import { FULL } from "../src/plan.ts";
import { type Report, renderMarkdown } from "../src/report.ts";
import { buildCase } from "../src/results.ts";

const replication = (plan = FULL) => caseSpecs(plan).filter((spec) => spec.section === "replication");

describe("replication cases", () => {
  it("pair acks=all with acks=1 at every simulated round trip, on the keys the module records", () => {
    const specs = replication();
    for (const rtt of FULL.replication.rttsMs) {
      const produce = specs.find((spec) => spec.id === `replication.produce.${rtt}`);
      expect(produce?.ours.key).toBe(replicationKeys.produce(rtt, "acks-all"));
      expect(produce?.baselines?.map((b) => b.series.key)).toEqual([replicationKeys.produce(rtt, "acks-1")]);
      expect(produce?.title).toContain(`round trip ${rtt} ms`);
      const p99 = specs.find((spec) => spec.id === `replication.latency.${rtt}.p99`);
      expect(p99?.ours.key).toBe(replicationKeys.latency(rtt, "p99", "acks-all"));
      const failover = specs.find((spec) => spec.id === `replication.failover.${rtt}`);
      expect(failover?.ours.key).toBe(replicationKeys.failover(rtt, "first-produce"));
    }
    // No targets: replication's cost is reported, not judged.
    for (const spec of specs) {
      expect(spec.target).toBeUndefined();
      for (const baseline of spec.baselines ?? []) expect(baseline.minRatio).toBeUndefined();
    }
  });

  it("names the trigger and leaves the election case out when nothing is elected by hand", () => {
    const elect = replication({ ...FULL, replication: { ...FULL.replication, failoverTrigger: "elect" } });
    expect(elect.filter((spec) => spec.id.endsWith(".elect"))).toHaveLength(FULL.replication.rttsMs.length);
    // The default: the controller's automatic failover.
    const auto = replication();
    expect(auto.filter((spec) => spec.id.endsWith(".elect"))).toHaveLength(0);
    expect(auto.find((spec) => spec.id === "replication.failover.0")?.title).toContain("trigger: auto");
  });

  it("renders its section after edge and before browser, a skipped failover with its reason", () => {
    const data = new Map<string, number[]>([
      ["edge.rebalance.edgelog", [6]],
      [replicationKeys.produce(30, "acks-all"), [400, 500]],
      [replicationKeys.produce(30, "acks-1"), [800, 800]],
      ["browser.drain.edgelog", [60_000]],
    ]);
    const skips = new Map([[replicationKeys.failover(30, "first-produce"), "failover SKIPPED: timed out"]]);
    const cases = caseSpecs(FULL).map((spec) => buildCase(spec, data, skips));
    const report: Report = {
      generatedAt: "2026-01-01T00:00:00Z",
      mode: "full",
      repetitions: 2,
      wallSeconds: 1,
      machine: {
        cpu: "cpu",
        cores: 2,
        memoryGiB: 1,
        os: "os",
        node: "v24",
        wrangler: "4",
        workerd: "1",
        chromium: null,
        peers: {},
      },
      plan: {},
      cases,
      notes: [],
    };
    const md = renderMarkdown(report);
    const [edge, repl, browser] = ["## Edge", "## Replication", "## Browser"].map((h) => md.indexOf(h));
    expect(edge).toBeGreaterThanOrEqual(0);
    expect(repl).toBeGreaterThan(edge ?? 0);
    expect(browser).toBeGreaterThan(repl ?? 0);
    expect(md).toContain("| acks=1 (same topic, same run) | 800 records/s | 0.56× |");
    expect(md).toContain("failover SKIPPED: timed out");
  });
});
