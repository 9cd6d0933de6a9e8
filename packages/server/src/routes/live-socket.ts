/**
 * @module
 * The WebSocket live tail's route side (docs/http-api.md "WebSocket live tail"): `GET …/partitions/{p}/records`
 * with `Upgrade: websocket`. The route checks what the Worker can — the token and its `consume` right (the
 * route's entry in the rights table), the topic, the partition, the offset's syntax, the region — and hands the
 * upgrade to a store that keeps live sockets (the Durable Object store: the partition's object holds the socket
 * and pushes each commit to it). It never upgrades a socket itself. The socket lives as long as the token: the
 * store is told when the session ends and closes the socket then.
 */
import type { LogStore, ReadPreference, TopicPartition } from "@edgelog/core";
import type { Context } from "hono";
import { sessionExpired, sessionRemainingMs } from "../auth/session.ts";
import type { AppEnv } from "../context.ts";
import { invalidRequest } from "../errors.ts";
import { type OffsetSpec, offsetQuery } from "../params.ts";

/** What the route asks a store for: where the reader starts, until when, and which replica it prefers. */
export interface LiveSocketRequest extends ReadPreference {
  readonly offset: OffsetSpec;
  /** When the reader's token stops verifying (ms since the epoch), or `null` when it never does. */
  readonly expiresAt: number | null;
}

/**
 * A store that keeps WebSocket live tails. `tailSocket` answers the upgrade (`101` with the socket) or throws the
 * refusal made where the partition lives as an `EdgeLogError` (416, 429, 404), answered like any route's error.
 */
export interface LiveSocketStore extends LogStore {
  tailSocket(tp: TopicPartition, request: LiveSocketRequest): Promise<Response>;
}

export function offersLiveSockets(store: LogStore): store is LiveSocketStore {
  return typeof (store as Partial<LiveSocketStore>).tailSocket === "function";
}

/** A GET asking for a WebSocket (`Upgrade: websocket`, any case). */
export function isWebSocketUpgrade(c: Context): boolean {
  return c.req.method === "GET" && (c.req.header("Upgrade") ?? "").toLowerCase() === "websocket";
}

/**
 * Hands a checked upgrade to the store. `offset` is a number, `earliest` or `latest` (default `latest`, as the
 * SSE tail's); the partition range-checks it.
 */
export async function liveSocket(
  c: Context<AppEnv>,
  store: LogStore,
  tp: TopicPartition,
  near: ReadPreference,
): Promise<Response> {
  const offset = offsetQuery(c, "latest");
  if (!offersLiveSockets(store)) {
    throw invalidRequest(
      "this server does not serve WebSocket tails; tail with Accept: text/event-stream or long-poll with wait",
      { live: "ws" },
    );
  }
  if (sessionRemainingMs(c) === 0) throw sessionExpired();
  const endsAt = c.var.sessionEndsAt ?? Number.POSITIVE_INFINITY;
  return store.tailSocket(tp, {
    offset,
    expiresAt: Number.isFinite(endsAt) ? endsAt : null,
    ...near,
  });
}
