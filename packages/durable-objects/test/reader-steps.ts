/**
 * @module
 * The schedule steps the `LiveTails` property tests share (live-tails.test.ts, shard-relay.test.ts): commits,
 * readers joining at any offset, leaving, pausing, receiving and sending, retention and hibernation, with the
 * weights fast-check picks them by. A test adds its own steps (a shard's feeds) with `fc.oneof(...READER_STEPS, …)`.
 */
import fc from "fast-check";

export type ReaderStep =
  | { kind: "append"; records: number; large: boolean }
  | { kind: "join"; at: number }
  | { kind: "leave"; reader: number }
  | { kind: "pause"; reader: number }
  | { kind: "receive"; reader: number; count: number }
  | { kind: "send"; reader: number }
  | { kind: "trim"; keep: number }
  | { kind: "hibernate" };

/** Weighted arbitraries of every `ReaderStep`. */
export const READER_STEPS = [
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("append"),
      records: fc.integer({ min: 1, max: 4 }),
      large: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("join"), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("leave"), reader: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("pause"), reader: fc.nat(5) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("receive"),
      reader: fc.nat(5),
      count: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("send"), reader: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("trim"), keep: fc.nat(6) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "hibernate" as const }) },
] as const;
