/**
 * @module
 * The dry run of an offsets reset, as Kafka's `kafka-consumer-groups --reset-offsets` prints before `--execute`:
 * for each partition, where the group is and where it would be. Computed in the page from the partitions' bounds
 * and, for a time, each partition's offset for that timestamp; nothing is written until the plan is applied. An
 * exact offset outside a partition's log is moved to the nearest end, as Kafka's tool does, and says so.
 */

export type ResetTarget =
  | { readonly kind: "earliest" }
  | { readonly kind: "latest" }
  | { readonly kind: "time"; readonly timestampMs: number }
  | { readonly kind: "offset"; readonly offset: number };

export interface PartitionState {
  readonly partition: number;
  /** The group's committed offset; -1 when never committed. */
  readonly current: number;
  readonly logStartOffset: number;
  readonly highWatermark: number;
  /** For a `time` target: the partition's answer for that timestamp. */
  readonly forTime?: { readonly offset: number; readonly found: boolean };
}

export interface PlannedMove {
  readonly partition: number;
  readonly current: number;
  readonly next: number;
  /** Why `next` is not simply the target, when it is not. */
  readonly note: string | null;
}

export function planReset(target: ResetTarget, partitions: readonly PartitionState[]): PlannedMove[] {
  return partitions.map((p) => planMove(target, p));
}

function planMove(target: ResetTarget, p: PartitionState): PlannedMove {
  const move = (next: number, note: string | null = null): PlannedMove => ({
    partition: p.partition,
    current: p.current,
    next,
    note,
  });
  switch (target.kind) {
    case "earliest":
      return move(p.logStartOffset);
    case "latest":
      return move(p.highWatermark);
    case "time": {
      const found = p.forTime;
      if (found === undefined) throw new Error(`no offset for the time of partition ${p.partition}`);
      return found.found
        ? move(found.offset)
        : move(p.highWatermark, "no record at or after this time: the end");
    }
    case "offset":
      if (target.offset < p.logStartOffset) return move(p.logStartOffset, "below the log start: moved to it");
      if (target.offset > p.highWatermark) return move(p.highWatermark, "past the end: moved to it");
      return move(target.offset);
  }
}

/** The target the form describes, or why it is not one. */
export function parseTarget(
  kind: ResetTarget["kind"],
  time: string,
  offset: string,
): { readonly target: ResetTarget } | { readonly problem: string } {
  switch (kind) {
    case "earliest":
    case "latest":
      return { target: { kind } };
    case "time": {
      // A `datetime-local` value has no zone: the browser's, as the person typed it.
      const timestampMs = time === "" ? Number.NaN : Date.parse(time);
      if (!Number.isSafeInteger(timestampMs) || timestampMs < 0) return { problem: "Enter a date and time." };
      return { target: { kind, timestampMs } };
    }
    case "offset": {
      const value = /^\d{1,16}$/.test(offset.trim()) ? Number(offset.trim()) : Number.NaN;
      if (!Number.isSafeInteger(value)) return { problem: "Enter an offset: a whole number, 0 or more." };
      return { target: { kind, offset: value } };
    }
  }
}
