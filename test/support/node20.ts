/**
 * @module
 * Finds the machine's Node 20 (Debian's /usr/bin/node here and in CI), the oldest Node the built packages
 * promise to run on. npm scripts put the project's newer Node first on PATH, so the search skips node_modules.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The path of a Node 20 binary, or undefined when this machine has none outside node_modules. */
export async function findNode20(): Promise<string | undefined> {
  const onPath = (process.env.PATH ?? "").split(delimiter).map((dir) => join(dir, "node"));
  const candidates = [...new Set(["/usr/bin/node", ...onPath])].filter(
    (path) => !path.split(/[\\/]/).includes("node_modules") && existsSync(path),
  );
  for (const candidate of candidates) {
    try {
      const { stdout } = await run(candidate, ["--version"]);
      if (stdout.trim().startsWith("v20.")) return candidate;
    } catch {
      // not runnable: try the next
    }
  }
  return undefined;
}
