/**
 * @module
 * Identical reads that miss the cache at the same moment — a crowd catching up from one offset, before the first
 * answer is stored — share one read of the partition within an isolate. A reader joins a read already on its way
 * only to use an answer that may be cached: such an answer is the same whenever it is read (the records exist and
 * the read ends below the high watermark), so taking one begun a moment earlier changes nothing. Any other answer
 * (one that reached the tail) may be older than the joiner's own read would be, so the joiner reads for itself.
 * Reads that wait are shared by the store instead (core's `WaitCoalescer`); these are the ones that do not.
 *
 * A read in flight belongs to the request that began it (its maker), as in workerd all I/O does, and only plain
 * data crosses to a joiner: the joiner hears the answer through a reaction it registers itself on the maker's
 * promise, which workerd runs in the joiner's own request, and it never touches the maker's stub or signal. The
 * maker leaving (its request's signal aborts) ends the flight for its joiners at once, and they read for
 * themselves; a maker cancelled without an abort never settles, so a joiner waits for it only so long
 * (`SHARED_MISS_PATIENCE_MS`, a timer of its own request), then reads for itself.
 */

/** How long a read that joined another waits for it before reading for itself: far longer than a read takes. */
export const SHARED_MISS_PATIENCE_MS = 10_000;

const GAVE_UP = Symbol("gave up");

export class SharedMisses {
  /** Reads in flight by cache key: bounded by the requests in flight. */
  readonly #flights = new Map<string, Promise<unknown>>();

  /**
   * The answer for `key`: shared from a read in flight when `cacheable` says that one's answer may be cached, else
   * from `read`. `fresh` says whether it was read here (then it is the one to store). `signal`: this request's; a
   * read made here ends for its joiners when it aborts.
   */
  async read<T>(
    key: string,
    read: () => Promise<T>,
    cacheable: (answer: T) => boolean,
    signal?: AbortSignal,
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
    const own = read();
    const flight = signal === undefined ? own : untilAborted(own, signal);
    this.#flights.set(key, flight);
    // Joiners learn how it ended through their own reactions; none left here fails the request.
    flight.catch(() => undefined);
    try {
      return { answer: await own, fresh: true };
    } finally {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    }
  }
}

/** `promise`, or null once `SHARED_MISS_PATIENCE_MS` passed (a timer of the joiner's own request). */
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

/** `promise`, rejected as soon as `signal` aborts (listened to, and let go of, in the maker's own request). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
