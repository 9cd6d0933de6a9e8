/**
 * @module
 * Creating a stream (PUT): an identical config of an existing stream matches it (idempotent create), another
 * config conflicts, a path still held by a soft-deleted stream conflicts; otherwise the stream's topic and state
 * are made with the initial body — after the fork's copy when it is a fork (`fork.ts`) — and the fork's source
 * counts one more fork. A create that loses a race to another answers as the idempotent create would.
 */
import { mediaType, type StreamState } from "@edgelog/core/store-kit";
import { planFork } from "./fork.ts";
import { messagesOf, type Refusal, refuse } from "./refusal.ts";
import {
  createStream,
  type FoundStream,
  findStream,
  forkSourceTopic,
  runCommand,
  type StreamScope,
  toBatches,
} from "./streams.ts";

/** The content type a stream gets when its PUT names none and it is not a fork. */
export const DEFAULT_CONTENT_TYPE = "application/octet-stream";

/** A PUT's stream configuration, as its headers gave it (validated). */
export interface CreateConfig {
  /** Null when the request named none (a fork takes its source's, a stream the default). */
  readonly contentType: string | null;
  readonly ttlSeconds: number | null;
  readonly expiresAt: string | null;
  readonly closed: boolean;
  readonly forkedFrom: string | null;
  /** `Stream-Fork-Offset` as sent (a fork records it so an identical PUT matches). */
  readonly forkOffset: string | null;
  readonly forkSubOffset: number;
}

export type CreateResult =
  | {
      /** `created`: a new stream (201); `matched`: an existing stream with this config (200). */
      readonly kind: "created" | "matched";
      readonly state: StreamState;
      readonly highWatermark: number;
    }
  | Refusal;

function sameConfig(state: StreamState, config: CreateConfig): boolean {
  return (
    (config.contentType === null || mediaType(config.contentType) === mediaType(state.contentType)) &&
    config.ttlSeconds === state.ttlSeconds &&
    config.expiresAt === state.expiresAt &&
    config.closed === state.closed &&
    config.forkedFrom === state.forkedFrom &&
    (config.forkOffset === null || config.forkOffset === state.forkOffset) &&
    config.forkSubOffset === state.forkSubOffset
  );
}

function matchExisting(stream: FoundStream, config: CreateConfig): CreateResult {
  if (!sameConfig(stream.state, config)) {
    return refuse("conflict", "the stream exists with a different configuration");
  }
  return { kind: "matched", state: stream.state, highWatermark: stream.highWatermark };
}

/**
 * Creates the stream held by `topic` with `config` and the `initial` body, or matches the existing one.
 * `forkOffset` is the parsed `Stream-Fork-Offset` (null: none sent).
 */
export async function createOrMatchStream(
  scope: StreamScope,
  topic: string,
  config: CreateConfig,
  forkOffset: number | null,
  initial: Uint8Array,
  now: number,
): Promise<CreateResult> {
  const existing = await findStream(scope, topic, now, false);
  if (existing.kind === "gone")
    return refuse("conflict", "a deleted stream with live forks still holds this path");
  if (existing.kind === "found") return matchExisting(existing.stream, config);

  let state: StreamState = {
    contentType: config.contentType ?? DEFAULT_CONTENT_TYPE,
    ttlSeconds: config.ttlSeconds,
    expiresAt: config.expiresAt,
    createdAt: now,
    lastAccessedAt: now,
    closed: config.closed,
    closedBy: null,
    lastStreamSeq: null,
    producers: {},
    forkedFrom: config.forkedFrom,
    forkOffset: null,
    forkSubOffset: config.forkSubOffset,
    forks: 0,
    softDeleted: false,
  };
  let inherited: Uint8Array[] = [];
  if (config.forkedFrom !== null) {
    const fork = await planFork(scope, state, config, forkOffset, now);
    if (fork.kind === "refused") return fork;
    state = fork.state;
    inherited = fork.batches;
  }
  const own = messagesOf(initial, state.contentType, now, true);
  if (!Array.isArray(own)) return own;
  const created = await createStream(scope.store, topic, state, [...inherited, ...toBatches(own)]);
  if (created.kind === "exists") {
    // Someone created it meanwhile: answer as an idempotent create would.
    const again = await findStream(scope, topic, now, false);
    if (again.kind !== "found") {
      return refuse("conflict", "the stream is being created or deleted concurrently");
    }
    return matchExisting(again.stream, config);
  }
  if (config.forkedFrom !== null) {
    const source = forkSourceTopic(scope, config.forkedFrom);
    if (source !== null) await runCommand(scope.store, source, { kind: "update", forksDelta: 1 });
  }
  return { kind: "created", state, highWatermark: created.outcome.highWatermark };
}
