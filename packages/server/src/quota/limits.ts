/**
 * @module
 * A deployment's quota limits per subject (docs/http-api.md "Quotas"), from `EDGELOG_QUOTA_REQUESTS_PER_SEC` and
 * `EDGELOG_QUOTA_PRODUCE_BYTES_PER_SEC` or `createApp`'s `quota` option. Absent, empty or `0` means the default;
 * `unlimited` turns the dimension off. Each bucket holds one second of its rate (the burst).
 */
import type { BucketLimit, QuotaLimits } from "@edgelog/core/store-kit";
import type { ServerEnv } from "../env.ts";

/**
 * Requests per second per subject. A Durable Object serves on the order of 1,000 requests/s, so one subject alone
 * cannot saturate a partition, yet a busy browser or service (S2 allows 200 appends/s per stream and connection)
 * is not held back.
 */
export const DEFAULT_QUOTA_REQUESTS_PER_SEC = 200;
/**
 * Produce bytes per second per subject: 4 MiB/s, in the range Kafka operators give a client (1–10 MB/s) and
 * well within what one partition's SQLite writes take.
 */
export const DEFAULT_QUOTA_PRODUCE_BYTES_PER_SEC = 4 * 1024 * 1024;
/** Seconds of rate a full bucket holds. */
export const QUOTA_BURST_SECONDS = 1;

/** A rate per second, or `"unlimited"`; `0`/absent means the default. */
export type QuotaRate = number | "unlimited";

export interface QuotaRates {
  readonly requestsPerSec?: QuotaRate | undefined;
  readonly produceBytesPerSec?: QuotaRate | undefined;
}

const warned = new Set<string>();

function bucket(rate: number): BucketLimit {
  return { rate, burst: rate * QUOTA_BURST_SECONDS };
}

function fromRate(rate: QuotaRate | undefined, fallback: number): BucketLimit | null {
  if (rate === "unlimited") return null;
  if (rate === undefined || rate === 0) return bucket(fallback);
  return Number.isFinite(rate) && rate > 0 ? bucket(rate) : bucket(fallback);
}

/** A variable's value as a rate; anything unreadable is the default, said once in the log. */
export function parseQuotaRate(name: string, value: string | undefined): QuotaRate | undefined {
  const text = value?.trim() ?? "";
  if (text === "") return undefined;
  if (text.toLowerCase() === "unlimited") return "unlimited";
  const rate = Number(text);
  if (Number.isFinite(rate) && rate >= 0) return rate;
  if (!warned.has(`${name}=${text}`)) {
    warned.add(`${name}=${text}`);
    console.warn(`edgelog: ${name}=${JSON.stringify(text)} is not a rate or "unlimited"; using the default`);
  }
  return undefined;
}

/** The limits in force: `rates` where given, else the env's variables, else the defaults. */
export function quotaLimits(rates: QuotaRates, env: ServerEnv | undefined): QuotaLimits {
  const requests =
    rates.requestsPerSec ??
    parseQuotaRate("EDGELOG_QUOTA_REQUESTS_PER_SEC", env?.EDGELOG_QUOTA_REQUESTS_PER_SEC);
  const bytes =
    rates.produceBytesPerSec ??
    parseQuotaRate("EDGELOG_QUOTA_PRODUCE_BYTES_PER_SEC", env?.EDGELOG_QUOTA_PRODUCE_BYTES_PER_SEC);
  return {
    requests: fromRate(requests, DEFAULT_QUOTA_REQUESTS_PER_SEC),
    bytes: fromRate(bytes, DEFAULT_QUOTA_PRODUCE_BYTES_PER_SEC),
  };
}
