/**
 * @module
 * The tail cursors a reader echoes (docs/http-api.md "Tail cursors"): each long-poll's answer carries
 * `Edgelog-Cursor`, and the next long-poll of the same partition sends it back as `?cursor=`, so readers waiting at
 * one offset in one interval send identical requests. One per partition and region, at most `MAX_CURSORS`
 * (the oldest forgotten first: a forgotten cursor only makes the next request carry none).
 */
import type { TopicPartition } from "@edgelog/core";

/** Partitions whose cursor a store remembers at once. */
export const MAX_CURSORS = 1_000;

export class TailCursors {
  readonly #cursors = new Map<string, string>();

  /** The cursor to echo on the next long-poll of `tp` (read in `region`), if one was answered. */
  get(tp: TopicPartition, region: string | undefined): string | undefined {
    return this.#cursors.get(keyOf(tp, region));
  }

  /** Remembers the cursor an answer carried (`null`: it carried none, and the old one stays). */
  set(tp: TopicPartition, region: string | undefined, cursor: string | null): void {
    if (cursor === null || !/^\d{1,20}$/.test(cursor)) return;
    const key = keyOf(tp, region);
    this.#cursors.delete(key);
    this.#cursors.set(key, cursor);
    if (this.#cursors.size > MAX_CURSORS) {
      const oldest = this.#cursors.keys().next().value;
      if (oldest !== undefined) this.#cursors.delete(oldest);
    }
  }
}

function keyOf(tp: TopicPartition, region: string | undefined): string {
  return `${tp.partition}\u0000${region ?? ""}\u0000${tp.topic}`;
}
