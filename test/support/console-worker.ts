/**
 * One open `wrangler dev` shared by the console's end-to-end files that need no auth (messages, groups, the open
 * half of token, headers): each file costs seconds to boot a Worker, and on CI's two cores the files run one after
 * another, so four boots were most of their time. `console-global-setup.ts` starts it once per run when one of
 * those files is in it and provides its URL; `consoleWorker()` hands it out, or starts a Worker of the file's own
 * when the run provided none (the setup could not tell this file would run). Files sharing it keep apart by their
 * own topic, group and stream names, and assert nothing about the whole Worker (all topics, all groups) that
 * another file's names would change — they may run at the same time on a machine with more cores.
 */
import { inject } from "vitest";
import { type LocalWorker, type LocalWorkerOptions, startLocalWorker } from "./local-worker.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** The shared console Worker's URL, when the run started one. */
    consoleWorkerUrl: string | undefined;
  }
}

/** Files named so use the shared Worker (the global setup starts it only when one of them runs). */
export const SHARED_CONSOLE_FILES = /^console-(messages|groups|token|headers)-e2e\.test\.ts$/;

/** The shared Worker's options: open, plus an allowed origin for the headers file's CORS checks. */
export const CONSOLE_WORKER_OPTIONS: LocalWorkerOptions = {
  vars: { ALLOWED_ORIGINS: "https://app.example" },
};

/** The run's shared console Worker (`stop` leaves it running for the next file), or one of this file's own. */
export async function consoleWorker(): Promise<LocalWorker> {
  const url = inject("consoleWorkerUrl");
  if (url !== undefined) return { url, stop: async () => undefined };
  return startLocalWorker(CONSOLE_WORKER_OPTIONS);
}
