/**
 * @module
 * `PUT /ds/{path}`: parses and validates the create headers and body, asks `create-stream.ts` to create (or fork,
 * or match) the stream, and answers 201 with `Location`, 200 for an identical config, or the refusal's status.
 */
import type { StreamState } from "@edgelog/core/store-kit";
import { chargeProduceBytes } from "../quota/charge.ts";
import { type CreateConfig, createOrMatchStream, DEFAULT_CONTENT_TYPE } from "./create-stream.ts";
import { bad, body, isTrue, refusedResponse, type StreamRequest } from "./http.ts";
import { encodeStreamOffset, parseStreamOffset } from "./offsets.ts";
import { H } from "./wire.ts";

/** Non-negative decimal without sign, leading zeros or fraction (`Stream-TTL`, `Stream-Fork-Sub-Offset`). */
const PLAIN_INTEGER = /^(0|[1-9]\d*)$/;
const CONTENT_TYPE_SHAPE = /^[\w.+-]+\/[\w.+-]+/;

function createdHeaders(state: StreamState, highWatermark: number): Record<string, string> {
  return {
    "Content-Type": state.contentType,
    [H.nextOffset]: encodeStreamOffset(highWatermark),
    ...(state.closed ? { [H.closed]: "true" } : {}),
  };
}

export async function create(r: StreamRequest): Promise<Response> {
  const { c } = r;
  const forkedFrom = c.req.header(H.forkedFrom) ?? null;
  const forkOffsetHeader = c.req.header(H.forkOffset) ?? null;
  const subHeader = c.req.header(H.forkSubOffset);
  let contentType = c.req.header("Content-Type") ?? "";
  if (contentType.trim() === "" || !CONTENT_TYPE_SHAPE.test(contentType.trim())) {
    contentType = forkedFrom === null ? DEFAULT_CONTENT_TYPE : "";
  }
  const ttlHeader = c.req.header(H.ttl);
  const expiresHeader = c.req.header(H.expiresAt);
  if (ttlHeader !== undefined && expiresHeader !== undefined)
    return bad("Stream-TTL and Stream-Expires-At exclude each other");
  let ttlSeconds: number | null = null;
  if (ttlHeader !== undefined) {
    if (!PLAIN_INTEGER.test(ttlHeader) || !Number.isSafeInteger(Number(ttlHeader)))
      return bad("invalid Stream-TTL");
    ttlSeconds = Number(ttlHeader);
  }
  if (expiresHeader !== undefined && !Number.isFinite(Date.parse(expiresHeader))) {
    return bad("invalid Stream-Expires-At");
  }
  let forkOffset: number | null = null;
  if (forkOffsetHeader !== null) {
    const parsed = /^\d+_\d+$/.test(forkOffsetHeader) ? parseStreamOffset(forkOffsetHeader) : null;
    if (typeof parsed !== "number") return bad("invalid Stream-Fork-Offset");
    forkOffset = parsed;
  }
  let forkSubOffset = 0;
  if (subHeader !== undefined) {
    if (forkedFrom === null) return bad("Stream-Fork-Sub-Offset needs Stream-Forked-From");
    if (!PLAIN_INTEGER.test(subHeader) || !Number.isSafeInteger(Number(subHeader))) {
      return bad("invalid Stream-Fork-Sub-Offset");
    }
    forkSubOffset = Number(subHeader);
  }
  const config: CreateConfig = {
    contentType: contentType === "" ? null : contentType,
    ttlSeconds,
    expiresAt: expiresHeader ?? null,
    closed: isTrue(c.req.header(H.closed)),
    forkedFrom,
    forkOffset: forkOffsetHeader,
    forkSubOffset,
  };
  const initial = await body(c);
  // A create's initial data is an append like any other, charged before the stream is created.
  await chargeProduceBytes(c, initial.byteLength);

  const result = await createOrMatchStream(r.scope, r.topic, config, forkOffset, initial, r.now);
  if (result.kind === "refused") return refusedResponse(result);
  const headers = createdHeaders(result.state, result.highWatermark);
  if (result.kind === "matched") return new Response(null, { status: 200, headers });
  const location = new URL(r.url.pathname, r.url).toString();
  return new Response(null, { status: 201, headers: { ...headers, Location: location } });
}
