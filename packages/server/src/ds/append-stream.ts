/**
 * @module
 * Appending to a stream (POST): finds the stream (renewing its TTL), checks it is open and of the body's content
 * type, cuts the messages into batches and hands them — with the close, `Stream-Seq` and the idempotent producer —
 * to the partition, which decides them in the same transaction as the write (core's `store-kit/stream-state.ts`).
 * The outcome's verdict is the route's to answer.
 */
import { mediaType, type StreamOutcome, type StreamProducerTuple } from "@edgelog/core/store-kit";
import { messagesOf, type Refusal, refuse } from "./refusal.ts";
import { findStream, runCommand, type StreamScope, toBatches } from "./streams.ts";

export interface AppendRequest {
  readonly producer: StreamProducerTuple | null;
  /** `Stream-Closed: true`: close the stream, with this append or alone (an empty body). */
  readonly close: boolean;
  readonly streamSeq: string | null;
  readonly contentType: string | undefined;
  readonly bytes: Uint8Array;
  readonly now: number;
}

export type AppendResult = { readonly kind: "decided"; readonly outcome: StreamOutcome } | Refusal;

export async function appendToStream(
  scope: StreamScope,
  topic: string,
  request: AppendRequest,
): Promise<AppendResult> {
  const found = await findStream(scope, topic, request.now, true);
  if (found.kind === "missing") return refuse("not-found", "stream not found");
  if (found.kind === "gone") return refuse("gone", "stream deleted");
  const stream = found.stream;
  let batches: Uint8Array[] = [];
  const closeOnly = request.bytes.byteLength === 0;
  // Closed first, then content type (§C2): only an open stream of the same type gets its body parsed.
  if (!closeOnly && !stream.state.closed) {
    if (mediaType(request.contentType) !== mediaType(stream.state.contentType)) {
      return refuse("conflict", "Content-Type does not match the stream's");
    }
    const parsed = messagesOf(request.bytes, stream.state.contentType, request.now, false);
    if (!Array.isArray(parsed)) return parsed;
    batches = toBatches(parsed);
  }
  if (!stream.initialised) {
    // A /v1 topic written over /ds for the first time: give it its (default) stream state.
    await scope.store.stream({ topic, partition: 0 }, { kind: "create", state: stream.state, batches: [] });
  }
  const outcome = await runCommand(scope.store, topic, {
    kind: "append",
    batches,
    contentType: closeOnly ? null : mediaType(request.contentType),
    streamSeq: request.streamSeq,
    producer: request.producer,
    close: request.close,
  });
  return { kind: "decided", outcome };
}
