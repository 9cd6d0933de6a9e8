/**
 * @module
 * Durable Streams state beside a partition (docs/semantics.md §C): what the protocol needs that a
 * Kafka log has no place for — the stream's content type, open/closed, TTL and expiry, fork lineage, the last
 * `Stream-Seq` and the string-keyed idempotent producers — as one JSON document per partition.
 *
 * The rules live here once, as a pure planner every store runs inside its append transaction
 * (`runStreamCommand`), so a producer's sequence, the close flag and the `Stream-Seq` change atomically with the
 * batch they admit, in the memory store and in a Durable Object alike. Stream producers are not Kafka producers:
 * their ids are arbitrary strings, epochs and sequences run to 2^53, a sequence counts requests (not records)
 * and every earlier sequence is a duplicate (§C7); so they are kept here, not in the batch's producer stamp.
 */
import { readBatchHeader } from "../codec/record-batch.ts";
import { EdgeLogError } from "../errors.ts";
import type { AppendResult, PartitionOffsets } from "../store.ts";

/** How long an idle stream producer is remembered (the protocol's "~7 days"). */
export const STREAM_PRODUCER_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface StreamProducerState {
  readonly epoch: number;
  /** The highest sequence accepted in `epoch`. */
  readonly lastSeq: number;
  readonly updatedAt: number;
}

/** A producer tuple as sent in `Producer-Id`, `Producer-Epoch`, `Producer-Seq`. */
export interface StreamProducerTuple {
  readonly id: string;
  readonly epoch: number;
  readonly seq: number;
}

/** Everything the protocol keeps about a stream besides its bytes. JSON-serialisable. */
export interface StreamState {
  /** The Content-Type given at creation (compared by media type, see `mediaType`), e.g. `application/json`. */
  readonly contentType: string;
  readonly ttlSeconds: number | null;
  /** `Stream-Expires-At` exactly as given (RFC 3339). */
  readonly expiresAt: string | null;
  readonly createdAt: number;
  /** Reset by every read or write that reaches the stream (a sliding TTL), not by HEAD. */
  readonly lastAccessedAt: number;
  readonly closed: boolean;
  /** The producer tuple whose append closed the stream, so its retry is recognised. */
  readonly closedBy: StreamProducerTuple | null;
  readonly lastStreamSeq: string | null;
  readonly producers: Readonly<Record<string, StreamProducerState>>;
  /** The stream path this one was forked from, with the fork point as given (offsets are the Worker's). */
  readonly forkedFrom: string | null;
  readonly forkOffset: string | null;
  readonly forkSubOffset: number;
  /** Live forks of this stream: while any remain, DELETE only soft-deletes it. */
  readonly forks: number;
  readonly softDeleted: boolean;
}

export type StreamCommand =
  /** Reads the state; `touch` renews a TTL stream's lease. */
  | { readonly kind: "get"; readonly touch: boolean }
  /** Initialises the state and appends the initial batches, unless a state exists (then answers it). */
  | { readonly kind: "create"; readonly state: StreamState; readonly batches: readonly Uint8Array[] }
  /** An append, a close, or both, with the protocol's checks. */
  | {
      readonly kind: "append";
      readonly batches: readonly Uint8Array[];
      /** The request's media type (no parameters, lower case); `null` for a close-only request (no body). */
      readonly contentType: string | null;
      readonly streamSeq: string | null;
      readonly producer: StreamProducerTuple | null;
      readonly close: boolean;
    }
  /** Bookkeeping for forks and soft deletes. */
  | { readonly kind: "update"; readonly forksDelta?: number; readonly softDeleted?: boolean };

export type StreamVerdict =
  | { readonly kind: "ok" }
  | { readonly kind: "exists" }
  | { readonly kind: "missing" }
  | { readonly kind: "closed" }
  | { readonly kind: "content-type-mismatch" }
  | { readonly kind: "stream-seq-conflict"; readonly lastStreamSeq: string }
  | { readonly kind: "duplicate"; readonly lastSeq: number }
  | { readonly kind: "stale-epoch"; readonly currentEpoch: number }
  | { readonly kind: "new-epoch-seq" }
  | { readonly kind: "sequence-gap"; readonly expectedSeq: number; readonly receivedSeq: number };

export interface StreamOutcome extends PartitionOffsets {
  readonly verdict: StreamVerdict;
  /** The state after the command (`null` when the partition has none). */
  readonly state: StreamState | null;
}

/** What a store lends `runStreamCommand`: its state slot and its own append, all inside one transaction. */
export interface StreamHost {
  readState(): StreamState | null;
  writeState(state: StreamState): void;
  /** Appends a batch with the store's usual checks; throws an `EdgeLogError` to reject it. */
  append(batch: Uint8Array): AppendResult;
  offsets(): PartitionOffsets;
  /** Wakes parked readers (a close must end long-polls at the tail, not only an append). */
  notify(): void;
}

/** An open JSON stream without expiry: what a plain one-partition topic is over `/ds` before `/ds` wrote any state. */
export function openJsonStreamState(createdAt: number): StreamState {
  return {
    contentType: "application/json",
    ttlSeconds: null,
    expiresAt: null,
    createdAt,
    lastAccessedAt: createdAt,
    closed: false,
    closedBy: null,
    lastStreamSeq: null,
    producers: {},
    forkedFrom: null,
    forkOffset: null,
    forkSubOffset: 0,
    forks: 0,
    softDeleted: false,
  };
}

/** The protocol's media type comparison: the part before `;`, trimmed, lower case. */
export function mediaType(contentType: string | null | undefined): string {
  return (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

/** Whether a stream has outlived its `Stream-Expires-At` or its sliding `Stream-TTL` at `nowMs`. */
export function streamExpired(state: StreamState, nowMs: number): boolean {
  if (state.expiresAt !== null) {
    const at = Date.parse(state.expiresAt);
    // An unparseable date fails closed, as the reference server does.
    if (!Number.isFinite(at) || nowMs >= at) return true;
  }
  return state.ttlSeconds !== null && nowMs >= state.lastAccessedAt + state.ttlSeconds * 1000;
}

/**
 * Decides an idempotent stream producer's request (§C7) without changing anything.
 * @example
 * checkStreamProducer(undefined, { id: "p", epoch: 0, seq: 0 }) // → { kind: "ok" }
 */
export function checkStreamProducer(
  state: StreamProducerState | undefined,
  tuple: StreamProducerTuple,
): StreamVerdict {
  if (state === undefined) {
    return tuple.seq === 0
      ? { kind: "ok" }
      : { kind: "sequence-gap", expectedSeq: 0, receivedSeq: tuple.seq };
  }
  if (tuple.epoch < state.epoch) return { kind: "stale-epoch", currentEpoch: state.epoch };
  if (tuple.epoch > state.epoch) return tuple.seq === 0 ? { kind: "ok" } : { kind: "new-epoch-seq" };
  if (tuple.seq <= state.lastSeq) return { kind: "duplicate", lastSeq: state.lastSeq };
  if (tuple.seq === state.lastSeq + 1) return { kind: "ok" };
  return { kind: "sequence-gap", expectedSeq: state.lastSeq + 1, receivedSeq: tuple.seq };
}

/** Stream batches carry no Kafka producer stamp: the stream's own producers (above) make appends idempotent. */
function assertUnstamped(batch: Uint8Array): void {
  if (readBatchHeader(batch).producerId !== null) {
    throw new EdgeLogError("INVALID_RECORD", "a stream batch must not carry a Kafka producer stamp");
  }
}

function liveProducers(
  producers: Readonly<Record<string, StreamProducerState>>,
  nowMs: number,
): Record<string, StreamProducerState> {
  const kept: Record<string, StreamProducerState> = {};
  for (const [id, state] of Object.entries(producers)) {
    if (nowMs - state.updatedAt <= STREAM_PRODUCER_TTL_MS) kept[id] = state;
  }
  return kept;
}

function sameTuple(a: StreamProducerTuple | null, b: StreamProducerTuple | null): boolean {
  return a !== null && b !== null && a.id === b.id && a.epoch === b.epoch && a.seq === b.seq;
}

/**
 * Runs one command against a store's partition. Synchronous from the first read to the last write, so a store
 * that calls it inside one transaction (or one turn of a single-threaded object) applies it atomically.
 */
export function runStreamCommand(host: StreamHost, command: StreamCommand, nowMs: number): StreamOutcome {
  if (command.kind === "create" || command.kind === "append") {
    for (const batch of command.batches) assertUnstamped(batch);
  }
  const state = host.readState();
  const answer = (verdict: StreamVerdict, after: StreamState | null = state): StreamOutcome => ({
    verdict,
    state: after,
    ...host.offsets(),
  });
  switch (command.kind) {
    case "get": {
      if (state === null) return answer({ kind: "missing" });
      if (!command.touch || state.ttlSeconds === null || streamExpired(state, nowMs))
        return answer({ kind: "ok" });
      const touched = { ...state, lastAccessedAt: nowMs };
      host.writeState(touched);
      return answer({ kind: "ok" }, touched);
    }
    case "create": {
      if (state !== null) return answer({ kind: "exists" });
      for (const batch of command.batches) host.append(batch);
      host.writeState(command.state);
      host.notify();
      return answer({ kind: "ok" }, command.state);
    }
    case "update": {
      if (state === null) return answer({ kind: "missing" });
      const next: StreamState = {
        ...state,
        forks: Math.max(0, state.forks + (command.forksDelta ?? 0)),
        softDeleted: command.softDeleted ?? state.softDeleted,
      };
      host.writeState(next);
      return answer({ kind: "ok" }, next);
    }
    case "append":
      return answer(...planAppend(host, state, command, nowMs));
  }
}

function planAppend(
  host: StreamHost,
  state: StreamState | null,
  command: Extract<StreamCommand, { kind: "append" }>,
  nowMs: number,
): [StreamVerdict, StreamState | null] {
  if (state === null) return [{ kind: "missing" }, null];
  const { producer } = command;
  // Precedence (§C2): closed, then content type, then the producer, then Stream-Seq.
  if (state.closed) {
    if (sameTuple(state.closedBy, producer) && producer !== null) {
      return [{ kind: "duplicate", lastSeq: producer.seq }, state];
    }
    // A plain close is idempotent; data or another producer's close after the close is a conflict.
    if (command.close && command.contentType === null && producer === null) return [{ kind: "ok" }, state];
    return [{ kind: "closed" }, state];
  }
  const touched: StreamState = { ...state, lastAccessedAt: nowMs };
  if (command.contentType !== null && command.contentType !== mediaType(state.contentType)) {
    return [{ kind: "content-type-mismatch" }, state];
  }
  let producers = state.producers;
  if (producer !== null) {
    producers = liveProducers(state.producers, nowMs);
    const verdict = checkStreamProducer(producers[producer.id], producer);
    if (verdict.kind !== "ok") return [verdict, state];
    producers = {
      ...producers,
      [producer.id]: { epoch: producer.epoch, lastSeq: producer.seq, updatedAt: nowMs },
    };
  }
  if (
    command.streamSeq !== null &&
    state.lastStreamSeq !== null &&
    command.streamSeq <= state.lastStreamSeq
  ) {
    return [{ kind: "stream-seq-conflict", lastStreamSeq: state.lastStreamSeq }, state];
  }
  // The batches go first: a rejected batch (too large, corrupt) throws before any state changes.
  for (const batch of command.batches) host.append(batch);
  const next: StreamState = {
    ...touched,
    producers,
    lastStreamSeq: command.streamSeq ?? state.lastStreamSeq,
    closed: command.close,
    closedBy: command.close ? producer : null,
  };
  host.writeState(next);
  host.notify();
  return [{ kind: "ok" }, next];
}
