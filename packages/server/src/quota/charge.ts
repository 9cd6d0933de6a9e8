/**
 * @module
 * Charging requests to their subject's quota (docs/http-api.md "Quotas"). `chargeRequest` runs after
 * authentication on every route but health and preflights and charges one request; the produce routes (JSON
 * produce, binary batches, `/ds` appends) then charge their body's bytes with `chargeProduceBytes` before
 * anything is written. A refusal is 429 `THROTTLING_QUOTA_EXCEEDED`; `errorResponse` adds its `Retry-After`.
 */
import { EdgeLogError, isEdgeLogError } from "@edgelog/core";
import type { QuotaDimension, QuotaLimits } from "@edgelog/core/store-kit";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import { errorResponse, retryAfterSeconds } from "../errors.ts";
import type { QuotaCharge, QuotaGate } from "./gate.ts";

/** What a request's quota is checked against: set by `createApp` on every request, `null` when quotas are off. */
export interface RequestQuota {
  readonly gate: QuotaGate;
  readonly limits: QuotaLimits;
}

/** Subjects longer than this are hashed: they name Durable Objects and key maps. */
const MAX_SUBJECT_LENGTH = 128;

const WORDS: Readonly<Record<QuotaDimension, string>> = {
  requests: "request-rate",
  bytes: "produce-bytes",
};

/**
 * Whose quota a request spends: the token's `sub`, or else (no `sub`, or no authentication) the client's address
 * from `CF-Connecting-IP`, or `anonymous`. The prefixes keep a subject named like an address apart from it.
 */
export async function quotaSubject(c: Context<AppEnv>): Promise<string> {
  const sub = c.var.tokenSubject;
  const subject =
    sub !== undefined && sub !== ""
      ? `sub:${sub}`
      : `ip:${c.req.header("CF-Connecting-IP")?.trim() || "anonymous"}`;
  if (subject.length <= MAX_SUBJECT_LENGTH) return subject;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(subject));
  const hex = [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `sha256:${hex}`;
}

/** The 429 for a refusal: `retryAfterMs`, and Kafka's `throttle_time_ms` as `throttleTimeMs`. */
export function quotaExceeded(short: readonly QuotaDimension[], retryAfterMs: number): EdgeLogError {
  const quotas = short.map((dimension) => WORDS[dimension]).join(" and ");
  const seconds = retryAfterSeconds(retryAfterMs);
  return new EdgeLogError(
    "THROTTLING_QUOTA_EXCEEDED",
    `the ${quotas} quota of this client is used up; retry after ${seconds} s`,
    { context: { quota: short.join(","), retryAfterMs, throttleTimeMs: retryAfterMs } },
  );
}

/** Charges `charge` to the request's subject; throws the 429 when refused. */
export async function charge(c: Context<AppEnv>, cost: QuotaCharge): Promise<void> {
  const quota = c.var.quota;
  if (quota === null) return;
  const verdict = await quota.gate.admit(await quotaSubject(c), cost, quota.limits, c.var.now());
  if (!verdict.admitted) throw quotaExceeded(verdict.short, verdict.retryAfterMs);
}

/** The 429 for a request over its request quota, or `undefined` once it has been charged. */
export async function quotaRefusal(c: Context<AppEnv>): Promise<Response | undefined> {
  try {
    await charge(c, { requests: 1, bytes: 0 });
    return undefined;
  } catch (error) {
    if (isEdgeLogError(error)) return errorResponse(error);
    throw error;
  }
}

/** Charges a produce's body bytes, after the body is read and before anything is written. */
export async function chargeProduceBytes(c: Context<AppEnv>, bytes: number): Promise<void> {
  if (bytes > 0) await charge(c, { requests: 0, bytes });
}

/** Charges one request to every route but health and preflights. */
export function chargeRequest(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.method === "OPTIONS") return next();
    if (new URL(c.req.url).pathname === `${c.var.mountPath}/v1/health`) return next();
    await charge(c, { requests: 1, bytes: 0 });
    return next();
  };
}
