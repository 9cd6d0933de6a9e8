/**
 * @module
 * Fork planning (PUT with `Stream-Forked-From`): a fork is a new topic that starts with a copy of its source's
 * records before the fork offset (plus, with a sub-offset, a prefix of the next append), so it shares the
 * source's offsets and is a standalone topic. This module checks the source and the offsets, reads what the fork
 * copies and works out the fork's state; `create-stream.ts` writes it.
 */
import { encodeBatch } from "@edgelog/core";
import { DEFAULT_READ_MAX_BYTES, mediaType, type StreamState } from "@edgelog/core/store-kit";
import type { CreateConfig } from "./create-stream.ts";
import { encodeStreamOffset } from "./offsets.ts";
import { type Refusal, refuse } from "./refusal.ts";
import { findStream, forkSourceTopic, readChunk, type StreamScope, toBatches } from "./streams.ts";
import { isJson } from "./wire.ts";

export interface ForkPlan {
  readonly kind: "fork";
  /** The new stream's state: the source's content type (and expiry, unless the fork sets its own). */
  readonly state: StreamState;
  /** The copied records, encoded as the fork's first batches. */
  readonly batches: Uint8Array[];
}

/**
 * Plans the fork `config` asks for (`config.forkedFrom` is set), starting from the `state` a plain create would
 * have; `requestedOffset` is the parsed `Stream-Fork-Offset` (null: the source's tail).
 */
export async function planFork(
  scope: StreamScope,
  state: StreamState,
  config: CreateConfig,
  requestedOffset: number | null,
  now: number,
): Promise<ForkPlan | Refusal> {
  const sourceName = forkSourceTopic(scope, config.forkedFrom as string);
  if (sourceName === null) return refuse("not-found", "source stream not found");
  const found = await findStream(scope, sourceName, now, false);
  if (found.kind === "missing") return refuse("not-found", "source stream not found");
  if (found.kind === "gone") return refuse("conflict", "the source stream was deleted");
  const source = found.stream;
  if (config.contentType !== null && mediaType(config.contentType) !== mediaType(source.state.contentType)) {
    return refuse("conflict", "a fork keeps its source's content type");
  }
  const forkOffset = requestedOffset ?? source.highWatermark;
  if (forkOffset > source.highWatermark || forkOffset < source.logStartOffset || source.logStartOffset > 0) {
    return refuse("invalid", "Stream-Fork-Offset is outside the source stream");
  }
  const json = isJson(source.state.contentType);
  const values: (Uint8Array | null)[] = [];
  let at = 0;
  while (at < forkOffset) {
    const chunk = await readChunk(scope.store, sourceName, at, {
      maxBytes: DEFAULT_READ_MAX_BYTES,
      maxWaitMs: 0,
      until: forkOffset,
    });
    if (chunk.nextOffset <= at) break;
    values.push(...chunk.values);
    at = chunk.nextOffset;
  }
  const batches = toBatches(values.map((value) => ({ key: null, value, headers: [], timestamp: now })));
  if (config.forkSubOffset > 0) {
    // The append right after the fork offset: its whole batch (a one-byte budget still returns it).
    const next = await readChunk(scope.store, sourceName, forkOffset, { maxBytes: 1, maxWaitMs: 0 });
    const first = next.values[0];
    if (first === undefined)
      return refuse("invalid", "Stream-Fork-Sub-Offset: no data after the fork offset");
    let prefix: (Uint8Array | null)[];
    if (json) {
      if (config.forkSubOffset > next.values.length)
        return refuse("invalid", "Stream-Fork-Sub-Offset overshoots the append");
      prefix = next.values.slice(0, config.forkSubOffset);
    } else {
      if (first === null || config.forkSubOffset > first.byteLength) {
        return refuse("invalid", "Stream-Fork-Sub-Offset overshoots the append");
      }
      prefix = [first.slice(0, config.forkSubOffset)];
    }
    batches.push(encodeBatch(prefix.map((value) => ({ key: null, value, headers: [], timestamp: now }))));
  }
  // Expiry (§C8): the fork's own TTL or Expires-At, else the source's.
  const expiry =
    config.ttlSeconds !== null || config.expiresAt !== null
      ? { ttlSeconds: config.ttlSeconds, expiresAt: config.expiresAt }
      : { ttlSeconds: source.state.ttlSeconds, expiresAt: source.state.expiresAt };
  return {
    kind: "fork",
    state: {
      ...state,
      ...expiry,
      contentType: source.state.contentType,
      forkedFrom: config.forkedFrom,
      forkOffset: config.forkOffset ?? encodeStreamOffset(forkOffset),
    },
    batches,
  };
}
