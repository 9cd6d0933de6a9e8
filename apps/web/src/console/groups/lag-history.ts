/**
 * @module
 * The lag a group screen has seen since it opened: one sample per poll, the oldest dropped past `capacity`, so
 * a console left open all day holds a bounded window (an hour at the default 5 s) and the chart redraws in
 * constant time. Kept in the column form uPlot draws from: times in seconds, lags.
 */

/** One hour of samples at the default 5 s refresh. */
export const DEFAULT_HISTORY_CAPACITY = 720;

export class LagHistory {
  readonly capacity: number;
  readonly #times: number[] = [];
  readonly #lags: number[] = [];

  constructor(capacity: number = DEFAULT_HISTORY_CAPACITY) {
    this.capacity = capacity;
  }

  /** Adds a sample taken at `atMs`; a sample no later than the last one replaces it (a refresh, not time). */
  add(atMs: number, lag: number): void {
    const seconds = atMs / 1000;
    const last = this.#times.at(-1);
    if (last !== undefined && seconds <= last) {
      this.#lags[this.#lags.length - 1] = lag;
      return;
    }
    this.#times.push(seconds);
    this.#lags.push(lag);
    if (this.#times.length > this.capacity) {
      this.#times.shift();
      this.#lags.shift();
    }
  }

  get size(): number {
    return this.#times.length;
  }

  get last(): number | undefined {
    return this.#lags.at(-1);
  }

  /** `[times (s), lags]`, copies, for uPlot's `setData`. */
  columns(): [number[], number[]] {
    return [[...this.#times], [...this.#lags]];
  }
}
