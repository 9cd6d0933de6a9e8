/**
 * @module
 * Ending an input loop on SIGINT / SIGTERM: the wrapped iterable stops yielding at the first interrupt (even while
 * waiting for the next chunk), so the command can finish what is in flight, summarise, and exit 130.
 */
import type { CliIo } from "../io.ts";

export interface Interruptible<T> extends AsyncIterable<T> {
  /** Whether an interrupt ended the iteration. */
  readonly interrupted: boolean;
}

export function interruptible<T>(source: AsyncIterable<T>, io: CliIo): Interruptible<T> {
  let interrupted = false;
  let wake: () => void = () => {};
  const interruption = new Promise<IteratorResult<T>>((resolve) => {
    wake = () => resolve({ done: true, value: undefined });
  });
  return {
    get interrupted() {
      return interrupted;
    },
    async *[Symbol.asyncIterator]() {
      const off = io.onInterrupt(() => {
        interrupted = true;
        wake();
      });
      const iterator = source[Symbol.asyncIterator]();
      try {
        while (!interrupted) {
          const next = await Promise.race([iterator.next(), interruption]);
          if (next.done === true) return;
          yield next.value;
        }
      } finally {
        off();
        // Not awaited: after an interrupt the source may be blocked on a read that never ends (a terminal).
        void iterator.return?.()?.catch(() => undefined);
      }
    },
  };
}
