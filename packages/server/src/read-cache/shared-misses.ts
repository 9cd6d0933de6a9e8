/**
 * @module
 * Identical reads that miss the cache at the same moment — a crowd catching up from one offset, before the first
 * answer is stored — share one read of the partition within an isolate. A reader joins a read already on its way
 * only to use an answer that may be cached: such an answer is the same whenever it is read (the records exist and
 * the read ends below the high watermark), so taking one begun a moment earlier changes nothing. Any other answer
 * (one that reached the tail) may be older than the joiner's own read would be, so the joiner reads for itself.
 * Reads that wait are shared by the store instead (core's `WaitCoalescer`); these are the ones that do not.
 *
 * A read in flight belongs to the request that began it; should that request end first (its client gone), the
 * read is cancelled and never settles for the others (workerd would fail them as hung). So a joiner waits for a
 * shared read only so long (`SHARED_MISS_PATIENCE_MS`), then reads for itself.
 */

/** How long a read that joined another waits for it before reading for itself: far longer than a read takes. */
export const SHARED_MISS_PATIENCE_MS = 10_000;

const GAVE_UP = Symbol("gave up");

export class SharedMisses {
  /** Reads in flight by cache key: bounded by the requests in flight. */
  readonly #flights = new Map<string, Promise<unknown>>();

  /**
   * The answer for `key`: shared from a read in flight when `cacheable` says that one's answer may be cached, else
   * from `read`. `fresh` says whether it was read here (then it is the one to store).
   */
  async read<T>(
    key: string,
    read: () => Promise<T>,
    cacheable: (answer: T) => boolean,
  ): Promise<{ answer: T; fresh: boolean }> {
    const pending = this.#flights.get(key) as Promise<T> | undefined;
    if (pending !== undefined) {
      const shared = await patiently(
        pending.then(
          (answer) => (cacheable(answer) ? { answer } : null),
          () => null,
        ),
      );
      if (shared !== null) return { answer: shared.answer, fresh: false };
      return { answer: await read(), fresh: true };
    }
    const flight = read();
    this.#flights.set(key, flight);
    try {
      return { answer: await flight, fresh: true };
    } finally {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    }
  }
}

/** `promise`, or `null` once `SHARED_MISS_PATIENCE_MS` passed (a timer of the joiner's own request). */
function patiently<T>(promise: Promise<T | null>): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const gaveUp = new Promise<typeof GAVE_UP>((resolve) => {
    timer = setTimeout(() => resolve(GAVE_UP), SHARED_MISS_PATIENCE_MS);
  });
  return Promise.race([promise, gaveUp]).then((value) => {
    clearTimeout(timer);
    return value === GAVE_UP ? null : value;
  });
}
