/**
 * @module
 * Identical calls in flight at the same moment share one: a crowd of requests that all find an isolate's cached
 * metadata expired asks the controller once, not once each. For calls whose answer is the same for every caller
 * (plain data), begun a moment earlier or not. Runtime-agnostic (timers only).
 *
 * A call belongs to the caller that began it (its maker); in a Worker, to the maker's request. Nothing else of it
 * crosses to a joiner: the joiner hears the answer through a reaction it registers itself on the maker's promise,
 * which workerd runs in the joiner's own request. A failed call fails only its maker (the error may be its request's
 * own): each joiner then calls on its own. A maker cancelled without an abort (its client gone) never settles, so a
 * joiner waits only `patienceMs` (a timer of its own request), then calls on its own; such a flight is not joined
 * again.
 */

const GAVE_UP: unique symbol = Symbol("gave up");

interface Flight<T> {
  readonly answer: Promise<T>;
  readonly startedAt: number;
}

export class SharedFlights<T> {
  /** Calls in flight by key: bounded by the callers in flight (and dropped once overdue). */
  readonly #flights = new Map<string, Flight<T>>();
  readonly #patienceMs: number;
  readonly #now: () => number;
  #started = 0;

  constructor(patienceMs: number, now: () => number = Date.now) {
    this.#patienceMs = patienceMs;
    this.#now = now;
  }

  /** Calls begun since this was made (tests count them). */
  get callsStarted(): number {
    return this.#started;
  }

  /** The answer of the call in flight for `key`, or of `call`, begun here and shared with later callers. */
  async run(key: string, call: () => Promise<T>): Promise<T> {
    const pending = this.#flights.get(key);
    if (pending !== undefined && this.#now() - pending.startedAt < this.#patienceMs) {
      const shared = await this.#patiently(pending);
      if (shared !== GAVE_UP) return shared.answer;
      if (this.#flights.get(key) === pending) this.#flights.delete(key);
      this.#started++;
      return call();
    }
    this.#started++;
    const flight: Flight<T> = { answer: call(), startedAt: this.#now() };
    this.#flights.set(key, flight);
    try {
      return await flight.answer;
    } finally {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    }
  }

  /** A later caller of `key` calls on its own: what is in flight was begun before a change it must see. */
  forget(key: string): void {
    this.#flights.delete(key);
  }

  /** The flight's answer, or GAVE_UP when it failed or is still silent after the patience (this caller's timer). */
  #patiently(flight: Flight<T>): Promise<{ answer: T } | typeof GAVE_UP> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const gaveUp = new Promise<typeof GAVE_UP>((resolve) => {
      timer = setTimeout(
        () => resolve(GAVE_UP),
        Math.max(0, flight.startedAt + this.#patienceMs - this.#now()),
      );
    });
    const answered = flight.answer.then(
      (answer): { answer: T } => ({ answer }),
      (): typeof GAVE_UP => GAVE_UP,
    );
    return Promise.race([answered, gaveUp]).then((value) => {
      clearTimeout(timer);
      return value;
    });
  }
}
