/**
 * @module
 * The binary fetch body (`application/vnd.edgelog.batches`) as the client names it: core's frame codec
 * (`@edgelog/core`'s `codec/frames.ts`), shared with the server that encodes it, so both sides agree on the format
 * and on its one set of errors (`CORRUPT_MESSAGE`).
 */
export {
  BATCH_CONTENT_TYPE,
  BATCHES_CONTENT_TYPE,
  decodeFrames as parseFrames,
  encodeFrames,
  UNKNOWN_LOG_APPEND_TIME,
} from "@edgelog/core";
