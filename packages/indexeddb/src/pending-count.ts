/**
 * @module
 * `pending()` of the offline log: records appended (by any tab) and not yet acknowledged upstream. Kept as a
 * number that appends increment exactly, and recounted from the store after sync progress, here or in another
 * tab, without ever letting a recount overwrite an increment it did not see.
 */

/** Recounts that appends overtook before the figure is left to the increments. */
const MAX_RECOUNT_ATTEMPTS = 3;

export class PendingCount {
  readonly #count: () => Promise<number>;
  #value = 0;
  /** Bumped by every increment, so a recount can tell that one landed while it read the store. */
  #increments = 0;
  /** The recount running, and the one queued behind it (see `refresh`). */
  #recounting: Promise<void> | null = null;
  #recountQueued: Promise<void> | null = null;

  /** `count` reads the figure from the store (several reads, not one transaction). */
  constructor(count: () => Promise<number>) {
    this.#count = count;
  }

  get value(): number {
    return this.#value;
  }

  /** Records appended, here or in another tab: exact, and never waits for the store. */
  add(count: number): void {
    this.#value += count;
    this.#increments++;
  }

  /**
   * Recounts from the store (on open and after sync progress). Recounts run one at a time, and a call made while
   * one runs is served by the next one, which starts after it: every caller gets a count that includes
   * everything it had seen. See `#recount` for appends meanwhile.
   */
  refresh(): Promise<void> {
    if (this.#recountQueued !== null) return this.#recountQueued;
    const start = (): Promise<void> => {
      const run = this.#recount().finally(() => {
        if (this.#recounting === run) this.#recounting = null;
      });
      this.#recounting = run;
      return run;
    };
    const running = this.#recounting;
    if (running === null) return start();
    const queued = running
      .catch(() => undefined)
      .then(() => {
        this.#recountQueued = null;
        return start();
      });
    this.#recountQueued = queued;
    return queued;
  }

  /**
   * The count takes several reads while appends (here or in other tabs) move it: a figure read while an
   * increment landed may predate it, and writing it back would lose that increment with nothing to correct it
   * while offline. So such a figure is counted again; if appends keep landing, the increments stand (they are
   * exact) until a quieter recount. Appends themselves never recount: an awaited append stays one transaction.
   */
  async #recount(): Promise<void> {
    for (let attempt = 0; attempt < MAX_RECOUNT_ATTEMPTS; attempt++) {
      const increments = this.#increments;
      const value = await this.#count();
      if (increments === this.#increments) {
        this.#value = value;
        return;
      }
    }
  }
}
