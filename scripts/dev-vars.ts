/**
 * @module
 * Reads `.dev.vars` (wrangler dev's local secrets, `NAME=value` lines, never committed), for the developer
 * commands that need the same values as the local Worker.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const REPO_ROOT = join(import.meta.dirname, "..");

/** The variables of `.dev.vars` at the repository root, empty when there is none. */
export function readDevVars(): Map<string, string> {
  const vars = new Map<string, string>();
  let text: string;
  try {
    text = readFileSync(join(REPO_ROOT, ".dev.vars"), "utf8");
  } catch {
    return vars;
  }
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match === null || line.trimStart().startsWith("#")) continue;
    const [, name, raw] = match as unknown as [string, string, string];
    vars.set(name, /^(["']).*\1$/.test(raw) ? raw.slice(1, -1) : raw);
  }
  return vars;
}
