/**
 * The e2e project's global setup: starts the console files' shared Worker (console-worker.ts) when the run
 * includes one of them, and stops it after the run. Which files run is read from the filters the run was started
 * with (`vitest run test/console-`), so a run of other e2e files boots nothing extra.
 */
import { basename } from "node:path";
import type { TestProject } from "vitest/node";
import { CONSOLE_WORKER_OPTIONS, SHARED_CONSOLE_FILES } from "./console-worker.ts";
import { startLocalWorker } from "./local-worker.ts";

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  // The run's file filters; vitest keeps them on its instance (not a documented field: absent → all files).
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
  const { testFiles } = await project.globTestFiles(filters);
  if (!testFiles.some((file) => SHARED_CONSOLE_FILES.test(basename(file)))) {
    project.provide("consoleWorkerUrl", undefined);
    return undefined;
  }
  const worker = await startLocalWorker(CONSOLE_WORKER_OPTIONS);
  project.provide("consoleWorkerUrl", worker.url);
  return () => worker.stop();
}
