/**
 * @module
 * Drives Jepsen-style runs with fast-check: for a seed, generates fault schedules, runs each against a fresh
 * deployment (the caller's `runSchedule`), and on the first schedule whose history breaks a property shrinks it
 * (boundedly: every run costs seconds) and throws a readable report — the first failing schedule, the shrunk one
 * with its nemesis trace and violations, and the variables that replay it.
 *
 * Settings come from variables (process.env in Node, bindings in workerd):
 * - `JEPSEN_SEED=n` runs only seed n (default: the test's fixed seeds);
 * - `JEPSEN_RUNS=n` schedules per seed (default 1);
 * - `JEPSEN_SHRINKS=n` shrink attempts after a failure (default 20; each is a whole run);
 * - `JEPSEN_PATH=p` replays fast-check's counterexample path p of `JEPSEN_SEED` (a failure report prints the
 *   variables to replay it with, `JEPSEN_SHRINKS` included: the path depends on it).
 */
import fc from "fast-check";
import type { Violation } from "./checker.ts";
import {
  describeSchedule,
  type FaultOp,
  type FaultOpName,
  type ScheduleOptions,
  scheduleArbitrary,
} from "./schedule.ts";

export interface JepsenSettings {
  readonly seeds: readonly number[];
  readonly runs: number;
  readonly shrinks: number;
  readonly path: string | undefined;
}

export type JepsenVariables = Readonly<Record<string, string | undefined>>;

const count = (value: string | undefined, fallback: number): number => {
  const n = Number(value);
  return value !== undefined && value !== "" && Number.isSafeInteger(n) && n >= 0 ? n : fallback;
};

export function jepsenSettings(variables: JepsenVariables, seeds: readonly number[]): JepsenSettings {
  const seed = variables.JEPSEN_SEED;
  return {
    seeds: seed === undefined || seed === "" ? seeds : [count(seed, 0)],
    runs: Math.max(1, count(variables.JEPSEN_RUNS, 1)),
    shrinks: count(variables.JEPSEN_SHRINKS, 20),
    path: variables.JEPSEN_PATH === "" ? undefined : variables.JEPSEN_PATH,
  };
}

/** What one schedule's run found. */
export interface RunOutcome {
  readonly violations: readonly Violation[];
  /** The nemesis's lines, then the workload's summary. */
  readonly trace: readonly string[];
}

export interface JepsenOptions {
  /** Names the deployment in the report (`workerd`, `wrangler dev`). */
  readonly name: string;
  readonly seed: number;
  readonly settings: JepsenSettings;
  readonly schedule: ScheduleOptions;
  readonly runSchedule: (schedule: readonly FaultOp[], run: number) => Promise<RunOutcome>;
  readonly log?: (line: string) => void;
}

interface Failure {
  readonly schedule: readonly FaultOp[];
  readonly outcome: RunOutcome | undefined;
  readonly error: unknown;
}

/** Lines saying which operations of the table this deployment leaves out, and why (printed with every seed). */
export function disabledOps(disabled: ReadonlyMap<FaultOpName, string> | undefined): string[] {
  return [...(disabled ?? [])].map(([op, why]) => `${op}: disabled, not run — ${why}`);
}

/** Runs `settings.runs` schedules of `seed`; throws the failure report if any schedule breaks a property. */
export async function runJepsen(options: JepsenOptions): Promise<void> {
  const log = options.log ?? ((line: string) => console.log(line));
  const { seed, settings } = options;
  let runs = 0;
  let first: Failure | undefined;
  let last: Failure | undefined;
  const arbitrary = fc.limitShrink(scheduleArbitrary(options.schedule), settings.shrinks);
  const property = fc.asyncProperty(arbitrary, async (schedule) => {
    const run = ++runs;
    let failure: Failure | undefined;
    try {
      const outcome = await options.runSchedule(schedule, run);
      if (outcome.violations.length > 0) failure = { schedule, outcome, error: undefined };
      else
        log(
          `[${options.name} seed ${seed} run ${run}] ok\n${describeSchedule(schedule)}\n${indent(outcome.trace)}`,
        );
    } catch (error) {
      failure = { schedule, outcome: undefined, error };
    }
    if (failure === undefined) return true;
    if (first === undefined) {
      first = failure;
      log(`[${options.name} seed ${seed} run ${run}] FIRST FAILING SCHEDULE\n${report(failure)}`);
    }
    last = failure;
    return false;
  });
  for (const line of disabledOps(options.schedule.disabled)) log(`[${options.name}] ${line}`);
  const details = await fc.check(property, {
    seed,
    numRuns: settings.runs,
    ...(settings.path === undefined ? {} : { path: settings.path }),
  });
  if (!details.failed || first === undefined || last === undefined) return;
  // The path walks the shrink tree, which the shrink bound shapes: a replay keeps it.
  const replay = `JEPSEN_SEED=${seed} JEPSEN_PATH=${details.counterexamplePath ?? ""} JEPSEN_SHRINKS=${settings.shrinks}`;
  throw new Error(
    [
      `Jepsen (${options.name}) seed ${seed}: a schedule broke a property (${runs} runs, ${details.numShrinks} shrinks).`,
      "First failing schedule:",
      describeSchedule(first.schedule),
      "Shrunk failing schedule:",
      report(last),
      `Replay: ${replay}`,
    ].join("\n"),
  );
}

function indent(lines: readonly string[]): string {
  return lines.map((line) => `     ${line}`).join("\n");
}

function report(failure: Failure): string {
  const lines = [describeSchedule(failure.schedule)];
  if (failure.outcome !== undefined) {
    lines.push("  trace:", indent(failure.outcome.trace), "  violations:");
    lines.push(...failure.outcome.violations.map((v) => `     [${v.property}] ${v.message}`));
  }
  if (failure.error !== undefined) {
    const error = failure.error;
    lines.push(`  the run threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  return lines.join("\n");
}
