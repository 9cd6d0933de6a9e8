import { describe, expect, it } from "vitest";
import {
  type BatchHeader,
  checkProducerSequence,
  lastSequenceOf,
  nextSequenceAfter,
  PRODUCER_BATCHES_RETAINED,
  type ProducerState,
  producerStateAfterAppend,
  producerStateIsLive,
} from "../src/store-kit/index.ts";
import { errorCodeOf } from "../src/testing/index.ts";

const tp = { topic: "t", partition: 0 };
const MAX_SEQUENCE = 2 ** 31 - 1;

function header(baseSequence: number, recordCount: number, producerEpoch = 0): BatchHeader {
  return {
    version: 1,
    crc: 0,
    attributes: 0,
    recordCount,
    baseTimestamp: 0,
    maxTimestamp: 0,
    producerId: "p",
    producerEpoch,
    baseSequence,
    sizeBytes: 0,
    recordsStart: 0,
  };
}

describe("sequence arithmetic", () => {
  it("wraps at 2^31 like Kafka's int32 sequences", () => {
    expect(lastSequenceOf(0, 1)).toBe(0);
    expect(lastSequenceOf(10, 5)).toBe(14);
    expect(lastSequenceOf(MAX_SEQUENCE, 1)).toBe(MAX_SEQUENCE);
    expect(lastSequenceOf(MAX_SEQUENCE, 3)).toBe(1);
    expect(nextSequenceAfter(MAX_SEQUENCE)).toBe(0);
  });
});

describe("checkProducerSequence", () => {
  it("appends anonymous batches without looking at state", () => {
    expect(checkProducerSequence(tp, undefined, { ...header(5, 1), producerId: null }).kind).toBe("append");
  });

  it("continues across the int32 wrap", () => {
    const state: ProducerState = {
      producerId: "p",
      epoch: 0,
      batches: [
        {
          firstSequence: MAX_SEQUENCE - 1,
          lastSequence: MAX_SEQUENCE,
          baseOffset: 0,
          lastOffset: 1,
          logAppendTime: 0,
        },
      ],
    };
    expect(checkProducerSequence(tp, state, header(0, 4)).kind).toBe("append");
    expect(errorCodeOf(() => checkProducerSequence(tp, state, header(1, 4)))).toBe(
      "OUT_OF_ORDER_SEQUENCE_NUMBER",
    );
    const wrapped = producerStateAfterAppend(state, header(0, 4), 2, 0);
    expect(wrapped.batches.at(-1)).toMatchObject({ firstSequence: 0, lastSequence: 3 });
  });

  it("matches duplicates on first and last sequence, not on the first alone", () => {
    let state: ProducerState | undefined;
    state = producerStateAfterAppend(state, header(0, 3), 0, 10);
    expect(checkProducerSequence(tp, state, header(0, 3))).toEqual({
      kind: "duplicate",
      entry: state.batches[0],
    });
    expect(errorCodeOf(() => checkProducerSequence(tp, state, header(0, 2)))).toBe(
      "OUT_OF_ORDER_SEQUENCE_NUMBER",
    );
  });

  it("keeps only the last five batches and resets them on a new epoch", () => {
    let state: ProducerState | undefined;
    for (let i = 0; i < 8; i++) state = producerStateAfterAppend(state, header(i, 1), i, 0);
    expect(state?.batches).toHaveLength(PRODUCER_BATCHES_RETAINED);
    expect(state?.batches[0]?.firstSequence).toBe(3);
    const bumped = producerStateAfterAppend(state, header(0, 1, 1), 8, 0);
    expect(bumped).toMatchObject({ epoch: 1, batches: [{ firstSequence: 0, baseOffset: 8 }] });
  });

  it("is live while its newest batch is at or after the log start", () => {
    const state = producerStateAfterAppend(undefined, header(0, 3), 10, 0); // offsets 10..12
    expect(producerStateIsLive(state, 12)).toBe(true);
    expect(producerStateIsLive(state, 13)).toBe(false);
  });
});
