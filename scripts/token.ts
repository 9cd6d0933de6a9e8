/**
 * @module
 * `npm run token -- --scope "produce:orders consume:orders" --ttl 1h [--sub alice]`: prints an HS256 token signed
 * with `EDGELOG_JWT_SECRET` (from the environment, else `.dev.vars`), for calling a local or test Worker by hand.
 * Production tokens come from the app's backend or an identity provider (README "Authentication").
 */
import { parseArgs } from "node:util";
import { signToken } from "@edgelog/server";
import { readDevVars } from "./dev-vars.ts";

const UNITS: ReadonlyMap<string, number> = new Map([
  ["", 1],
  ["s", 1],
  ["m", 60],
  ["h", 3600],
  ["d", 86_400],
]);

/** `90`, `90s`, `15m`, `1h`, `7d` → seconds. */
export function parseTtl(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  const unit = match === null ? undefined : UNITS.get(match[2] ?? "");
  if (match === null || unit === undefined || Number(match[1]) === 0) {
    throw new Error(`--ttl must be a positive duration such as 3600, 15m, 1h or 7d (got "${text}")`);
  }
  return Number(match[1]) * unit;
}

const { values } = parseArgs({
  options: {
    scope: { type: "string" },
    ttl: { type: "string", default: "1h" },
    sub: { type: "string", default: "local-developer" },
  },
});

const secret = process.env.EDGELOG_JWT_SECRET ?? readDevVars().get("EDGELOG_JWT_SECRET");
if (values.scope === undefined || values.scope.trim() === "") {
  console.error('usage: npm run token -- --scope "produce:orders consume:orders" [--ttl 1h] [--sub NAME]');
  process.exit(2);
}
if (secret === undefined || secret === "") {
  console.error("npm run token: no EDGELOG_JWT_SECRET in the environment or in .dev.vars");
  process.exit(2);
}
let ttlSeconds: number;
try {
  ttlSeconds = parseTtl(values.ttl);
} catch (error) {
  console.error(`npm run token: ${(error as Error).message}`);
  process.exit(2);
}
console.log(await signToken({ secret, scope: values.scope, ttlSeconds, subject: values.sub }));
