/**
 * @module
 * Connections never outlive the token that opened them. A token is checked once, when a request arrives; a
 * long-poll or a live tail can then run for far longer than the token's `exp`, which would let a revoked user
 * (whose short-lived token is simply no longer refreshed) keep reading. As Kafka re-authenticates long-lived
 * connections when their credential's lifetime ends (KIP-368), edgelog bounds every wait by the session and ends
 * live tails when it ends: clients reconnect with a fresh token and resume from their offset.
 */
import { EdgeLogError } from "@edgelog/core";
import type { Context } from "hono";
import type { AppEnv } from "../context.ts";

/** Milliseconds left before the request's token stops verifying; `Infinity` when the deployment runs open. */
export function sessionRemainingMs(c: Context<AppEnv>): number {
  const endsAt = c.var.sessionEndsAt ?? Number.POSITIVE_INFINITY;
  return Math.max(0, endsAt - c.var.now());
}

/** `waitMs`, shortened so the wait ends no later than the session. */
export function waitWithinSession(c: Context<AppEnv>, waitMs: number): number {
  return Math.min(waitMs, sessionRemainingMs(c));
}

/** The error a live tail sends as it ends because its token expired. */
export function sessionExpired(): EdgeLogError {
  return new EdgeLogError(
    "AUTHENTICATION_FAILED",
    "the token that opened this stream has expired; reconnect with a fresh token to resume",
  );
}
