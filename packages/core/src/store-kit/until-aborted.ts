/**
 * @module
 * A promise raced against an `AbortSignal`: whoever waits on a call that ignores its signal (an in-process app, a
 * service binding, a shared read) still stops as soon as the signal aborts. Runtime-agnostic.
 */

/** `promise`, or `signal`'s reason as soon as it aborts (a call that ignores its signal does not hold the caller). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
