// The fan-out section of the report: its cases read the keys the benchmark records, judge the targets on
// ratios against one reader (invocations must not grow, p99 at 1,000 readers within 2×), and say where a
// transport stopped and why.
import { describe, expect, it } from "vitest";
import { anotherBatch, type FanoutPlan, fanoutKeys, pointKeys } from "../../worker/bench/fanout.ts";
import {
  fitToThisMachine,
  tooManyForThisMachine,
  tooSlowForThisMachine,
} from "../../worker/bench/fanout-limits.ts";
import { caseSpecs } from "../src/cases.ts";
import { fanoutSpecs } from "../src/fanout-cases.ts";
import { FULL, QUICK } from "../src/plan.ts";
import { type Report, renderMarkdown } from "../src/report.ts";
import { buildCase, verdicts } from "../src/results.ts";

const plan: FanoutPlan = FULL.fanout;

describe("fan-out cases", () => {
  it("cover every transport and reader count on the keys the benchmark records", () => {
    const specs = fanoutSpecs(FULL);
    const keys = new Set(specs.map((s) => s.ours.key));
    for (const transport of plan.transports)
      for (const n of plan.readers) for (const key of pointKeys(transport, n)) expect(keys).toContain(key);
    expect(specs).toHaveLength(plan.transports.length * plan.readers.length * 8);
    expect(caseSpecs(FULL).filter((s) => s.section === "fanout")).toHaveLength(specs.length);
  });

  it("judge WebSocket push's invocations at every count above one and its p99 at 1,000 readers against one reader", () => {
    const specs = fanoutSpecs(FULL);
    const partition = specs.find((s) => s.id === "fanout.partition.ws.10000");
    expect(partition?.baselines).toEqual([
      {
        series: { key: fanoutKeys.partition("ws", 1), unit: "per batch", label: "the same at 1 reader" },
        maxRatio: 1,
      },
    ]);
    expect(specs.find((s) => s.id === "fanout.partition.ws.1")?.baselines).toEqual([]);
    expect(specs.find((s) => s.id === "fanout.latency.ws.p99.1000")?.baselines?.[0]?.maxRatio).toBe(2);
    expect(specs.find((s) => s.id === "fanout.latency.ws.p99.100")?.baselines?.[0]?.maxRatio).toBeUndefined();
    // Long-polls and SSE tails are the baselines push replaces: their ratios are shown, not judged.
    for (const transport of ["longpoll", "sse"] as const) {
      expect(specs.find((s) => s.id === `fanout.latency.${transport}.p99.1000`)?.baselines).toEqual([
        {
          series: {
            key: fanoutKeys.latency(transport, "p99", 1),
            unit: "ms",
            label: "the same at 1 reader",
          },
        },
      ]);
      expect(
        specs.find((s) => s.id === `fanout.partition.${transport}.1000`)?.baselines?.[0]?.maxRatio,
      ).toBeUndefined();
    }
    expect(
      specs.find((s) => s.id === "fanout.latency.sse.p99.100")?.baselines?.[0]?.maxRatio,
    ).toBeUndefined();
    // Without a one-reader count there is nothing to compare with.
    const noOne = fanoutSpecs({ ...FULL, fanout: { ...plan, readers: [100, 1_000] } });
    for (const spec of noOne) expect(spec.baselines ?? []).toEqual([]);
  });

  it("meet the invocation target only when the count does not grow, and render it with its bound", () => {
    const data = new Map<string, number[]>([
      [fanoutKeys.partition("ws", 1), [1, 1, 1]],
      [fanoutKeys.partition("ws", 1000), [1, 1, 1]],
      [fanoutKeys.partition("sse", 1), [2, 2, 2]],
      [fanoutKeys.partition("sse", 1000), [1001, 1001, 1001]],
      [fanoutKeys.latency("ws", "p99", 1), [10, 12, 11]],
      [fanoutKeys.latency("ws", "p99", 1000), [30, 20, 22]],
    ]);
    const skips = new Map([[fanoutKeys.partition("longpoll", 10000), "fan-out longpoll stops at 10,000"]]);
    const cases = fanoutSpecs(FULL).map((spec) => buildCase(spec, data, skips));
    const judged = verdicts(cases).map((v) => [v.caseId, v.met, v.measured]);
    expect(judged).toEqual([
      ["fanout.partition.ws.1000", true, "1.00×"],
      ["fanout.latency.ws.p99.1000", true, "2.00×"],
    ]);
    const report: Report = {
      generatedAt: "2026-12-02T00:00:00Z",
      mode: "full",
      repetitions: 3,
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
    expect(md).toContain("## Fan-out: live readers of one partition");
    expect(md).toContain(
      "| delivery to the last reader p99, WebSocket push, 1,000 readers: ≤ 2× the same at 1 reader | 2.00× | met |",
    );
    expect(md).toContain("| the same at 1 reader | 2 per batch | 501× |  |  |");
    expect(md).not.toContain("**missed**");
    expect(md).toContain("fan-out longpoll stops at 10,000");
  });
});

describe("fan-out plan", () => {
  it("measures up to its batches, fewer once the point's time is up, never fewer than the minimum", () => {
    const p = { ...plan, batches: 100, minBatches: 5, pointBudgetMs: 10_000 };
    expect(anotherBatch(p, 0, 0)).toBe(true);
    expect(anotherBatch(p, 99, 9_000)).toBe(true);
    expect(anotherBatch(p, 100, 0)).toBe(false);
    expect(anotherBatch(p, 20, 10_000)).toBe(false);
    // Slow batches (thousands of long-polls) still make the minimum.
    expect(anotherBatch(p, 4, 90_000)).toBe(true);
    expect(anotherBatch(p, 5, 90_000)).toBe(false);
    expect(QUICK.fanout.readers).toEqual([1, 100]);
  });

  it("stops a count that would not fit the open-files limit, saying so", () => {
    expect(tooManyForThisMachine(9_000, 20_000)).toBeNull();
    expect(tooManyForThisMachine(10_000, null)).toBeNull();
    expect(tooManyForThisMachine(10_000, 20_000)).toBe(
      "file descriptors: 10,000 readers need 20,000 in workerd (2 per connection: it holds each socket twice) and 10,000 sockets here, " +
        "past the open-files limit of 20,000 (ulimit -n; at most 9,744 readers fit)",
    );
  });

  it("measures the most this machine holds in place of a count that does not fit", () => {
    expect(fitToThisMachine([1, 100, 1_000, 10_000], 20_000)).toEqual({
      readers: [1, 100, 1_000, 9_700],
      substituted: [{ asked: 10_000, measured: 9_700, reason: expect.stringContaining("file descriptors") }],
    });
    expect(fitToThisMachine([1, 1_000, 10_000], 1_500).readers).toEqual([1, 400]);
    expect(fitToThisMachine([1, 10_000], null)).toEqual({ readers: [1, 10_000], substituted: [] });
  });

  it("stops a count whose delivery would take longer than a step, going by the count below", () => {
    expect(tooSlowForThisMachine(60_000, 100, 500, 1_000)).toBeNull();
    const reason = tooSlowForThisMachine(60_000, 1_000, 7_000, 10_000);
    expect(reason).toContain("1,000 readers in 7.0 s");
    expect(reason).toContain("10,000 would take about 70.0 s per batch, past the 60.0 s allowed");
  });
});
