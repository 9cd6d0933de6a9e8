/**
 * @module
 * Who has which batch in the fan-out benchmark: every reader reports each batch index it receives, in the order
 * it receives them; the tracker counts, per batch, how many readers hold it and when the last one got it (the
 * delivery to the last reader), and, per reader, whether a batch came twice or was skipped. Typed arrays, no
 * per-delivery allocation: ten thousand readers times tens of batches stay cheap on the benchmark's own thread.
 */

export interface DeliveryViolations {
  /** A reader received a batch it already had (or an older one after a newer one). */
  readonly duplicates: number;
  /** Batches a reader never received before receiving a later one. */
  readonly missed: number;
}

export class Deliveries {
  readonly readers: number;
  readonly batches: number;
  /** Per reader: the next batch index it should receive. */
  readonly #next: Int32Array;
  /** Per batch: readers holding it, and when the first and the last of them got it (`performance.now()` ms). */
  readonly #holders: Int32Array;
  readonly #firstAt: Float64Array;
  readonly #lastAt: Float64Array;
  readonly #waiting = new Map<number, () => void>();
  #duplicates = 0;
  #missed = 0;

  constructor(readers: number, batches: number) {
    if (!Number.isSafeInteger(readers) || readers < 1) throw new RangeError("readers must be ≥ 1");
    if (!Number.isSafeInteger(batches) || batches < 1) throw new RangeError("batches must be ≥ 1");
    this.readers = readers;
    this.batches = batches;
    this.#next = new Int32Array(readers);
    this.#holders = new Int32Array(batches);
    this.#firstAt = new Float64Array(batches);
    this.#lastAt = new Float64Array(batches);
  }

  /** Reader `reader` received batch `index` at `at`. An index outside the run is ignored (not ours). */
  receive(reader: number, index: number, at: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.batches) return;
    if (reader < 0 || reader >= this.readers) throw new RangeError(`no reader ${reader}`);
    const next = this.#next[reader] as number;
    if (index < next) {
      this.#duplicates++;
      return;
    }
    this.#missed += index - next;
    this.#next[reader] = index + 1;
    const holders = (this.#holders[index] as number) + 1;
    this.#holders[index] = holders;
    if (holders === 1) this.#firstAt[index] = at;
    this.#lastAt[index] = at;
    if (holders === this.readers) this.#waiting.get(index)?.();
  }

  /** Readers holding batch `index`. */
  holders(index: number): number {
    return this.#holders[index] ?? 0;
  }

  /** When the first reader received batch `index` (NaN until one has it). */
  firstAt(index: number): number {
    return this.holders(index) > 0 ? (this.#firstAt[index] as number) : Number.NaN;
  }

  /** When the last reader received batch `index` (NaN until every reader has it). */
  deliveredAt(index: number): number {
    return this.holders(index) === this.readers ? (this.#lastAt[index] as number) : Number.NaN;
  }

  /** Resolves once every reader holds batch `index`; rejects after `timeoutMs` saying how many do. */
  delivered(index: number, timeoutMs: number): Promise<number> {
    if (this.holders(index) === this.readers) return Promise.resolve(this.deliveredAt(index));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(index);
        reject(
          new Error(
            `batch ${index} reached ${this.holders(index)} of ${this.readers} readers in ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.#waiting.set(index, () => {
        clearTimeout(timer);
        this.#waiting.delete(index);
        resolve(this.deliveredAt(index));
      });
    });
  }

  get violations(): DeliveryViolations {
    return { duplicates: this.#duplicates, missed: this.#missed };
  }
}
