/**
 * @module
 * One parked wait — a reader waiting for something to happen, with a timeout and an abort signal — written once
 * for every place that parks readers: the stores' long-polls (`AppendWaiters`), and the HTTP client's shared SSE
 * feed and multi-partition poll. Runtime-agnostic: timers and AbortSignal only.
 */

export interface ParkedWait<T> {
  readonly promise: Promise<T>;
  /** Settles the wait with `value` (no-op once settled). */
  resolve(value: T): void;
  /** Settles the wait with `error` (no-op once settled). */
  reject(error: unknown): void;
}

export interface ParkOptions<T> {
  /** After this long the wait resolves with `timeoutValue`. */
  readonly timeoutMs: number;
  readonly timeoutValue: T;
  /** Aborting rejects the wait with `signal.reason`. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Runs exactly once, whichever way the wait ends, before its promise settles: where the owner forgets the wait.
   * Not run for a signal that was already aborted: such a wait never parks.
   */
  readonly onSettle?: () => void;
}

/**
 * Parks a wait. Whichever comes first — `resolve`, `reject`, the timeout, the abort — settles it; its timer and
 * abort listener are released at once, so a finished wait holds nothing.
 * @example
 * const wait = parkWait({ timeoutMs: 1_000, timeoutValue: "timeout", onSettle: () => waiters.delete(wait) });
 * waiters.add(wait);
 */
export function parkWait<T>(options: ParkOptions<T>): ParkedWait<T> {
  const { signal } = options;
  if (signal?.aborted) {
    const promise = Promise.reject(signal.reason);
    return { promise, resolve: () => undefined, reject: () => undefined };
  }
  let settled = false;
  let resolvePromise!: (value: T) => void;
  let rejectPromise!: (error: unknown) => void;
  const promise = new Promise<T>((resolve, reject) => {
    resolvePromise = resolve;
    rejectPromise = reject;
  });
  const finish = (): boolean => {
    if (settled) return false;
    settled = true;
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    options.onSettle?.();
    return true;
  };
  const wait: ParkedWait<T> = {
    promise,
    resolve: (value) => {
      if (finish()) resolvePromise(value);
    },
    reject: (error) => {
      if (finish()) rejectPromise(error);
    },
  };
  const onAbort = (): void => wait.reject(signal?.reason);
  const timer = setTimeout(() => wait.resolve(options.timeoutValue), options.timeoutMs);
  signal?.addEventListener("abort", onAbort, { once: true });
  return wait;
}
