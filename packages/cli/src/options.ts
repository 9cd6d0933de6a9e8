/**
 * @module
 * Command-line parsing on Node's own `util.parseArgs` (strict: unknown flags and missing values are errors),
 * with the value checks every command shares — integers, times, `k=v` pairs — turned into usage errors that
 * name the flag. Repeatable flags are bounded, like every user-supplied collection.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { usageError } from "./exit-codes.ts";

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

/** Options every command accepts. */
export const GLOBAL_OPTIONS = {
  url: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies OptionSpec;

/** How many times a repeatable flag (`--header`, `--config`, `--partition`) may be given. */
export const MAX_REPEATS = 1_000;

export interface Parsed {
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly positionals: string[];
}

/** Parses `args` against the command's options plus the global ones; any mistake is a usage error. */
export function parseCommand(args: readonly string[], options: OptionSpec): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: { ...GLOBAL_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
    for (const [name, value] of Object.entries(values)) {
      if (Array.isArray(value) && value.length > MAX_REPEATS) {
        throw usageError(`--${name} may be given at most ${MAX_REPEATS} times`);
      }
    }
    return { values: values as Parsed["values"], positionals };
  } catch (error) {
    if (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS")) {
      throw usageError(error.message);
    }
    throw error;
  }
}

export function stringOption(parsed: Parsed, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === "string" ? value : undefined;
}

export function flag(parsed: Parsed, name: string): boolean {
  return parsed.values[name] === true;
}

export function listOption(parsed: Parsed, name: string): string[] {
  const value = parsed.values[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === "string");
}

/** A non-negative safe integer (`min` and `max` inclusive). */
export function parseInteger(text: string, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const value = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in ${min}..${max}`;
    throw usageError(`--${name} must be ${range}, got "${text}"`);
  }
  return value;
}

export function integerOption(
  parsed: Parsed,
  name: string,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const text = stringOption(parsed, name);
  return text === undefined ? fallback : parseInteger(text, name, min, max);
}

/** An ISO 8601 date-time (`2026-01-31T12:00:00Z`, a date alone is midnight UTC) or milliseconds since the epoch. */
export function parseTime(text: string, name: string): number {
  const ms = /^[0-9]+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw usageError(`--${name} must be an ISO 8601 time (2026-01-31T12:00:00Z) or epoch ms, got "${text}"`);
  }
  return ms;
}

/** `k=v` → `[k, v]`, split at the first `=` (values may contain `=`); the key must not be empty. */
export function parsePair(text: string, name: string): [string, string] {
  const at = text.indexOf("=");
  if (at <= 0) throw usageError(`--${name} takes KEY=VALUE, got "${text}"`);
  return [text.slice(0, at), text.slice(at + 1)];
}

/** The positionals of a command that takes exactly `names`. */
export function expectPositionals(parsed: Parsed, names: readonly string[]): string[] {
  if (parsed.positionals.length < names.length) {
    throw usageError(`missing ${names.slice(parsed.positionals.length).join(" ")}`);
  }
  if (parsed.positionals.length > names.length) {
    throw usageError(`unexpected argument "${parsed.positionals[names.length]}"`);
  }
  return parsed.positionals;
}
