/**
 * @module
 * The follower's side of reads near the reader (KIP-392): whether this replica serves readers, which it tells its
 * leader so the leader pushes it the high watermark alone when that moves (see `leader-replicator.ts`).
 *
 * A follower learns the high watermark with each push, one commit behind. It says it serves readers in its answer
 * to every push (a long-poll parked here, or one within `READER_INTEREST_MS`). Only when a reader parks while its
 * last answer said otherwise, and it holds records readers cannot see yet — a watermark nobody will push it until
 * the next write — does it ask the leader directly: one call per reading period, none while a tail keeps reading.
 */

/**
 * How long after its last long-poll a follower still asks for watermark-only pushes: a reader between two
 * long-polls (or an SSE tail writing out) is still reading, and asking again each time would cost a leader call.
 */
export const READER_INTEREST_MS = 30_000;

export class FollowerReaders {
  /** Until when this replica says it serves readers (moved by each long-poll that parks here). */
  #until = 0;
  /** What its last answer to the leader (or its own request) said. */
  #reported = false;
  #calls = 0;

  /** Follower → leader requests for watermark pushes made so far (for the call counts). */
  get calls(): number {
    return this.#calls;
  }

  /** What the answer to a push says: `true` while readers wait here or waited recently. */
  answer(waiting: number, now: number): boolean {
    this.#reported = waiting > 0 || now < this.#until;
    return this.#reported;
  }

  /**
   * A long-poll parks on this follower. `unshown`: it holds records past the high watermark it knows. `ask` tells
   * the leader (resolving `false` when the leader refused: it no longer leads); a failed or refused ask is made
   * again by the next park.
   */
  parked(now: number, unshown: boolean, ask: () => Promise<boolean>): void {
    this.#until = now + READER_INTEREST_MS;
    if (this.#reported || !unshown) return;
    this.#reported = true;
    this.#calls++;
    ask().then(
      (accepted) => {
        if (!accepted) this.#reported = false;
      },
      (error: unknown) => {
        // The reader waits for the next push (or its timeout).
        this.#reported = false;
        console.error("edgelog: could not ask the leader for the high watermark", error);
      },
    );
  }
}
