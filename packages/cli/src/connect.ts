/**
 * @module
 * Which edgelog a command talks to and as whom: `--url`, else `EDGELOG_URL`, else the local `npm start`;
 * the bearer token from `EDGELOG_TOKEN` (never a flag, so it stays out of `ps` and shell history).
 */
import { createClient } from "@edgelog/client";
import type { EdgeLog } from "@edgelog/core";
import { usageError } from "./exit-codes.ts";
import type { CliIo } from "./io.ts";

/** What `npm start` serves. */
export const DEFAULT_URL = "http://127.0.0.1:8787";

export interface Target {
  readonly url: string;
  readonly token: string | undefined;
}

export function resolveTarget(urlFlag: string | undefined, io: CliIo): Target {
  const url = urlFlag ?? nonEmpty(io.env.EDGELOG_URL) ?? DEFAULT_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw usageError(`--url / EDGELOG_URL must be an http(s) URL, got "${url}"`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw usageError(`--url / EDGELOG_URL must be an http(s) URL, got "${url}"`);
  }
  return { url: url.replace(/\/+$/, ""), token: nonEmpty(io.env.EDGELOG_TOKEN) };
}

/** An `EdgeLog` over HTTP; the caller closes it. */
export function connect(target: Target, io: CliIo): EdgeLog {
  return createClient({
    url: target.url,
    clientId: "edgelog-cli",
    ...(target.token === undefined ? {} : { token: target.token }),
    ...(io.fetch === undefined ? {} : { fetch: io.fetch }),
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}
