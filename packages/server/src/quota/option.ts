/**
 * @module
 * `createApp`'s `quota` option, and what it resolves to per request: the gate for the host's env (made once per
 * env, like the store) and the limits in force, or `null` when quotas are off.
 */
import type { ServerEnv } from "../env.ts";
import { perEnv } from "../per-env.ts";
import type { RequestQuota } from "./charge.ts";
import type { QuotaGate } from "./gate.ts";
import { type QuotaRates, quotaLimits } from "./limits.ts";
import { memoryQuotaGate } from "./memory-gate.ts";

/** `createApp`'s `quota` option. */
export type QuotaOption<E extends ServerEnv = ServerEnv> =
  | "none"
  | (QuotaRates & {
      readonly gate?: (env: E) => QuotaGate;
    });

/** The gate and limits per env, or `null` when quotas are off. */
export function quotaResolver<E extends ServerEnv>(
  option: QuotaOption<E> | undefined,
  now: () => number,
): (env: ServerEnv | undefined) => RequestQuota | null {
  if (option === "none") return () => null;
  const rates: QuotaRates = option ?? {};
  const gateFor = perEnv<E, QuotaGate>(option?.gate ?? (() => memoryQuotaGate({ now })));
  return (env) => {
    const limits = quotaLimits(rates, env);
    if (limits.requests === null && limits.bytes === null) return null;
    return { gate: gateFor(env as E), limits };
  };
}
