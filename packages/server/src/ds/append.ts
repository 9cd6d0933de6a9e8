/**
 * @module
 * `POST /ds/{path}`: appends (JSON flattened one level, one record per value; other types one record per
 * append), closes, or both. This module parses the request's headers and body, `append-stream.ts` decides, and
 * the verdict becomes the protocol's answer here.
 */
import type { StreamOutcome, StreamProducerTuple } from "@edgelog/core/store-kit";
import { chargeProduceBytes } from "../quota/charge.ts";
import { appendToStream } from "./append-stream.ts";
import { bad, body, type Ctx, isTrue, refusedResponse, type StreamRequest, text } from "./http.ts";
import { encodeStreamOffset } from "./offsets.ts";
import { H } from "./wire.ts";

const STRICT_INTEGER = /^\d+$/;

function parseProducer(c: Ctx): StreamProducerTuple | null | Response {
  const id = c.req.header(H.producerId);
  const epoch = c.req.header(H.producerEpoch);
  const seq = c.req.header(H.producerSeq);
  if (id === undefined && epoch === undefined && seq === undefined) return null;
  if (id === undefined || epoch === undefined || seq === undefined) {
    return bad("Producer-Id, Producer-Epoch and Producer-Seq go together");
  }
  if (id === "") return bad("Producer-Id must not be empty");
  const numbers = [epoch, seq].map((value) => (STRICT_INTEGER.test(value) ? Number(value) : Number.NaN));
  if (!numbers.every((n) => Number.isSafeInteger(n)))
    return bad("Producer-Epoch and Producer-Seq are integers");
  return { id, epoch: numbers[0] as number, seq: numbers[1] as number };
}

export async function append(r: StreamRequest): Promise<Response> {
  const { c } = r;
  const producer = parseProducer(c);
  if (producer instanceof Response) return producer;
  const close = isTrue(c.req.header(H.closed));
  const streamSeq = c.req.header(H.seq) ?? null;
  const contentType = c.req.header("Content-Type");
  const bytes = await body(c);
  if (bytes.byteLength === 0 && !close) return bad("an append needs a body");
  if (bytes.byteLength > 0 && (contentType === undefined || contentType.trim() === "")) {
    return bad("an append needs a Content-Type");
  }
  // Before the stream is even looked up: a refused append writes nothing (the 429 comes from `failed`).
  await chargeProduceBytes(c, bytes.byteLength);
  const result = await appendToStream(r.scope, r.topic, {
    producer,
    close,
    streamSeq,
    contentType,
    bytes,
    now: r.now,
  });
  if (result.kind === "refused") return refusedResponse(result);
  return appendAnswer(result.outcome, producer, bytes.byteLength === 0);
}

function appendAnswer(
  outcome: StreamOutcome,
  producer: StreamProducerTuple | null,
  closeOnly: boolean,
): Response {
  const next = encodeStreamOffset(outcome.highWatermark);
  const closed = outcome.state?.closed === true ? { [H.closed]: "true" } : {};
  const verdict = outcome.verdict;
  switch (verdict.kind) {
    case "ok": {
      const headers: Record<string, string> = { [H.nextOffset]: next, ...closed };
      if (producer === null) return new Response(null, { status: 204, headers });
      headers[H.producerEpoch] = String(producer.epoch);
      headers[H.producerSeq] = String(producer.seq);
      // A producer's append answers 200; its close-only request has nothing to report but the close.
      return new Response(null, { status: closeOnly ? 204 : 200, headers });
    }
    case "duplicate":
      return new Response(null, {
        status: 204,
        headers: {
          [H.producerEpoch]: String(producer?.epoch ?? 0),
          [H.producerSeq]: String(verdict.lastSeq),
          ...(outcome.state?.closed === true ? { [H.closed]: "true", [H.nextOffset]: next } : {}),
        },
      });
    case "closed":
      return text(409, "the stream is closed", { [H.closed]: "true", [H.nextOffset]: next });
    case "content-type-mismatch":
      return text(409, "Content-Type does not match the stream's");
    case "stream-seq-conflict":
      return text(409, `Stream-Seq must exceed ${verdict.lastStreamSeq}`);
    case "stale-epoch":
      return text(403, "stale producer epoch", { [H.producerEpoch]: String(verdict.currentEpoch) });
    case "new-epoch-seq":
      return bad("a new producer epoch starts at sequence 0");
    case "sequence-gap":
      return text(409, "producer sequence gap", {
        [H.expectedSeq]: String(verdict.expectedSeq),
        [H.receivedSeq]: String(verdict.receivedSeq),
      });
    case "missing":
    case "exists":
      return text(404, "stream not found");
  }
}
