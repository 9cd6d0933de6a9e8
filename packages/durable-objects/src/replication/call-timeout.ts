/**
 * @module
 * A deadline for one call to another object: a region that hangs rather than refuses must count as unreachable,
 * or replication and the controller would wait on it forever. Workers RPC cannot cancel a call in flight, so the
 * call goes on and its late answer is dropped.
 */
import { EdgeLogError } from "@edgelog/core";

/** `call`, or `REQUEST_TIMED_OUT` after `ms`. */
export function withTimeout<T>(call: Promise<T>, ms: number, what = "the replica"): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new EdgeLogError("REQUEST_TIMED_OUT", `no answer from ${what} in ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([call, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}
