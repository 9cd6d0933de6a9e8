// The Jepsen driver without a deployment: a fake run that "breaks" whenever a schedule holds a doubleFailover
// shows the report a real failure prints — the first failing schedule, a shrunk one (down to that operation
// alone), its trace and violations, and the variables that replay it — and that the replay finds it again.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { disabledOps, jepsenSettings, type RunOutcome, runJepsen } from "./run-jepsen.ts";
import { describeSchedule, type FaultOp, scheduleArbitrary } from "./schedule.ts";

const SCHEDULE = { partitions: 2, regions: ["wnam", "weur", "apac"], maxOps: 8 };

async function fakeRun(schedule: readonly FaultOp[]): Promise<RunOutcome> {
  const broken = schedule.some((op) => op.op === "doubleFailover");
  return {
    violations: broken ? [{ property: "one-leader-per-epoch", message: "epoch 2 led by weur and apac" }] : [],
    trace: schedule.map((op) => `${op.op}: done`),
  };
}

/** The report runJepsen throws for `seed`, or `null` when every schedule passed. */
async function reportOf(seed: number, variables: Record<string, string> = {}): Promise<string | null> {
  const lines: string[] = [];
  try {
    await runJepsen({
      name: "fake",
      seed,
      settings: jepsenSettings({ JEPSEN_RUNS: "50", ...variables }, [seed]),
      schedule: SCHEDULE,
      runSchedule: fakeRun,
      log: (line) => lines.push(line),
    });
    return null;
  } catch (error) {
    expect(lines.some((line) => line.includes("FIRST FAILING SCHEDULE"))).toBe(true);
    return (error as Error).message;
  }
}

describe("runJepsen", () => {
  it("prints the first failing schedule, shrinks it to the operation that breaks, and replays it", async () => {
    const report = await reportOf(3, { JEPSEN_SHRINKS: "200" });
    expect(report).not.toBeNull();
    expect(report).toContain("Jepsen (fake) seed 3: a schedule broke a property");
    expect(report).toContain("First failing schedule:");
    const [, first = "", shrunk = ""] =
      /First failing schedule:\n([\s\S]*)Shrunk failing schedule:\n([\s\S]*)/.exec(report ?? "") ?? [];
    const steps = (text: string) => text.split("  trace:")[0]?.trim().split("\n") ?? [];
    // fast-check shrinks by dropping leading operations and simplifying arguments (partition 1 → 0).
    expect(steps(shrunk).length).toBeLessThan(steps(first).length);
    expect(steps(shrunk)[0]).toBe("1. doubleFailover(p0)");
    expect(shrunk).toContain("[one-leader-per-epoch] epoch 2 led by weur and apac");
    const replay = /Replay: JEPSEN_SEED=3 JEPSEN_PATH=(\S+) JEPSEN_SHRINKS=200/.exec(report ?? "");
    expect(replay).not.toBeNull();
    // The printed variables reproduce the shrunk schedule at once, without searching or shrinking again.
    const again = await reportOf(3, { JEPSEN_PATH: replay?.[1] ?? "", JEPSEN_SHRINKS: "200" });
    expect(again).toContain(`Shrunk failing schedule:\n${shrunk}`);
  });

  it("passes when no schedule breaks anything, and names the operations a deployment leaves out", async () => {
    const disabled = new Map([["controllerRegionDown" as const, "no controller quorum yet"]]);
    const lines: string[] = [];
    const seen: FaultOp[][] = [];
    await runJepsen({
      name: "fake",
      seed: 5,
      settings: jepsenSettings({ JEPSEN_RUNS: "30" }, [5]),
      schedule: { ...SCHEDULE, disabled },
      runSchedule: async (schedule) => {
        seen.push([...schedule]);
        return { violations: [], trace: [] };
      },
      log: (line) => lines.push(line),
    });
    expect(seen).toHaveLength(30);
    expect(seen.flat().some((op) => op.op === "controllerRegionDown")).toBe(false);
    expect(lines[0]).toBe("[fake] controllerRegionDown: disabled, not run — no controller quorum yet");
    expect(disabledOps(undefined)).toEqual([]);
  });

  it("generates every operation of the table, with partitions and regions in range", () => {
    const schedules = fc.sample(scheduleArbitrary(SCHEDULE), { seed: 1, numRuns: 200 });
    const ops = schedules.flat();
    expect(new Set(ops.map((op) => op.op))).toEqual(
      new Set([
        "leaderDown",
        "leaderBack",
        "followerPartitioned",
        "healFollower",
        "failover",
        "doubleFailover",
        "controllerRegionDown",
        "pause",
      ]),
    );
    for (const op of ops) {
      if ("partition" in op) expect([0, 1]).toContain(op.partition);
      if ("region" in op) expect(SCHEDULE.regions).toContain(op.region);
    }
    expect(schedules.every((s) => s.length >= 1 && s.length <= 8)).toBe(true);
    expect(
      describeSchedule([
        { op: "pause", acks: 3 },
        { op: "followerPartitioned", region: "apac" },
      ]),
    ).toBe("  1. pause(3 acks)\n  2. followerPartitioned(apac)");
  });

  it("reads its settings from variables: one seed, runs, shrinks, a replay path", () => {
    expect(jepsenSettings({}, [1, 2])).toEqual({ seeds: [1, 2], runs: 1, shrinks: 20, path: undefined });
    expect(
      jepsenSettings({ JEPSEN_SEED: "7", JEPSEN_RUNS: "20", JEPSEN_SHRINKS: "0", JEPSEN_PATH: "3:1" }, [1]),
    ).toEqual({ seeds: [7], runs: 20, shrinks: 0, path: "3:1" });
    // Unreadable values fall back to the defaults rather than running nothing.
    expect(jepsenSettings({ JEPSEN_SEED: "", JEPSEN_RUNS: "x", JEPSEN_SHRINKS: "-1" }, [1])).toEqual({
      seeds: [1],
      runs: 1,
      shrinks: 20,
      path: undefined,
    });
  });
});
