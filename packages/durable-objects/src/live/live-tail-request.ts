/**
 * @module
 * The upgrade request the store sends a partition object for a WebSocket live tail, and the object's reading of
 * it. Only the Worker reaches an object, so the request carries what the Worker decided: where the reader starts
 * and when its token expires. A WebSocket cannot travel over RPC, hence a `fetch` to the object.
 */
import { EdgeLogError } from "@edgelog/core";

/** The object-side path of a live tail upgrade. */
export const LIVE_TAIL_PATH = "/live-tail";

export interface LiveTailRequest {
  /** Where the reader starts: an offset, or the log start / high watermark. */
  readonly offset: number | "earliest" | "latest";
  /** When the reader's token expires (ms since the epoch), or `null` when it does not. */
  readonly expiresAt: number | null;
}

/** The request to `fetch` on the partition's stub. */
export function liveTailUpgrade(request: LiveTailRequest): Request {
  const query = new URLSearchParams({ offset: String(request.offset) });
  if (request.expiresAt !== null) query.set("expiresAt", String(request.expiresAt));
  return new Request(`https://partition${LIVE_TAIL_PATH}?${query.toString()}`, {
    headers: { Upgrade: "websocket" },
  });
}

/** The object's side: the request's fields, or `INVALID_REQUEST` (a malformed internal request is a bug). */
export function parseLiveTailUpgrade(request: Request): LiveTailRequest {
  const url = new URL(request.url);
  if (url.pathname !== LIVE_TAIL_PATH || request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
    throw new EdgeLogError("INVALID_REQUEST", "a partition object only serves live tail upgrades over fetch");
  }
  const offsetText = url.searchParams.get("offset") ?? "latest";
  let offset: LiveTailRequest["offset"];
  if (offsetText === "earliest" || offsetText === "latest") offset = offsetText;
  else offset = wholeNumber(offsetText, "offset");
  const expiresText = url.searchParams.get("expiresAt");
  const expiresAt = expiresText === null ? null : wholeNumber(expiresText, "expiresAt");
  return { offset, expiresAt };
}

function wholeNumber(text: string, name: string): number {
  const value = Number(text);
  if (text === "" || !Number.isSafeInteger(value)) {
    throw new EdgeLogError("INVALID_REQUEST", `live tail ${name} must be an integer`, {
      context: { [name]: text },
    });
  }
  return value;
}

/** What a partition tells the broadcast shard it hands an upgrade to (`live/broadcast-object.ts`). */
export interface LiveShardRequest {
  /** The reader's start, resolved by the partition. */
  readonly offset: number;
  readonly expiresAt: number | null;
  /** The partition object's id (`DurableObjectId.toString()`): where the shard reads from. */
  readonly partition: string;
  /** The shard's index among the partition's shards, and how many sockets it may hold. */
  readonly shard: number;
  readonly limit: number;
}

/** The upgrade a partition forwards to one of its shards. */
export function liveShardUpgrade(request: LiveShardRequest): Request {
  const query = new URLSearchParams({
    offset: String(request.offset),
    partition: request.partition,
    shard: String(request.shard),
    limit: String(request.limit),
  });
  if (request.expiresAt !== null) query.set("expiresAt", String(request.expiresAt));
  return new Request(`https://shard${LIVE_TAIL_PATH}?${query.toString()}`, {
    headers: { Upgrade: "websocket" },
  });
}

/** The shard's side of `liveShardUpgrade`. */
export function parseLiveShardUpgrade(request: Request): LiveShardRequest {
  const { offset, expiresAt } = parseLiveTailUpgrade(request);
  const query = new URL(request.url).searchParams;
  const partition = query.get("partition") ?? "";
  if (typeof offset !== "number" || !/^[0-9a-f]{1,128}$/.test(partition)) {
    throw new EdgeLogError("INVALID_REQUEST", "a shard upgrade names its partition and a resolved offset");
  }
  return {
    offset,
    expiresAt,
    partition,
    shard: wholeNumber(query.get("shard") ?? "", "shard"),
    limit: wholeNumber(query.get("limit") ?? "", "limit"),
  };
}
