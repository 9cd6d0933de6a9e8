/**
 * @module
 * Kafka's fetch rule, once for every store's read loop: the batch holding the requested offset always (so a
 * reader makes progress even past a batch larger than its budget), then whole batches while the budget lasts.
 * A counter rather than a function over a list, so a synchronous array walk, a SQLite row iterator and an
 * asynchronous IndexedDB cursor all stop at the same batch.
 */

export class ReadBudget {
  #remaining: number;
  #taken = 0;

  constructor(maxBytes: number) {
    this.#remaining = maxBytes;
  }

  /** Whether the next batch, of `sizeBytes`, is returned; counts it against the budget when it is. */
  admits(sizeBytes: number): boolean {
    if (this.#taken > 0 && sizeBytes > this.#remaining) return false;
    this.#taken++;
    this.#remaining -= sizeBytes;
    return true;
  }
}
