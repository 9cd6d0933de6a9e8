/**
 * @module
 * How a Durable Streams service says no without speaking HTTP: a reason and the protocol's message. The routes
 * turn it into the status (`http.ts` `refusedResponse`), so the services stay testable over a store alone.
 */
import { isEdgeLogError, type LogRecord } from "@edgelog/core";
import { recordsFromBody } from "./wire.ts";

/** `invalid` → 400, `not-found` → 404, `gone` → 410 (a soft-deleted stream), `conflict` → 409. */
export type RefusalReason = "invalid" | "not-found" | "gone" | "conflict";

export interface Refusal {
  readonly kind: "refused";
  readonly reason: RefusalReason;
  readonly message: string;
}

export function refuse(reason: RefusalReason, message: string): Refusal {
  return { kind: "refused", reason, message };
}

export function isRefusal(value: unknown): value is Refusal {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "refused";
}

/** The body's records, or an `invalid` refusal when a JSON body is invalid (or an empty array on append). */
export function messagesOf(
  bytes: Uint8Array,
  contentType: string,
  now: number,
  creating: boolean,
): LogRecord[] | Refusal {
  try {
    return recordsFromBody(bytes, contentType, now, creating);
  } catch (error) {
    if (isEdgeLogError(error)) return refuse("invalid", error.message);
    throw error;
  }
}
