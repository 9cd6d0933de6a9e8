/**
 * @module
 * `EdgeLogError` across a Workers RPC boundary (a service binding). Workers RPC keeps only the `message` (and a
 * built-in error type's name) of a thrown error and drops own properties such as `code` and `context`, so the
 * callee throws a plain `Error` whose message is the error's wire shape (`{ code, message, ...context }`, the
 * same JSON as an HTTP error body's `error`), and the caller turns it back into an `EdgeLogError`. Plain JS, no
 * runtime APIs: both sides import it.
 */
import { EdgeLogError, isEdgeLogError, isErrorCode } from "./errors.ts";

/** The error to throw from an RPC method for `error`, an `EdgeLogError` (anything else: see the service). */
export function toRpcError(error: EdgeLogError): Error {
  return new Error(JSON.stringify(error.toJSON()));
}

/**
 * The `EdgeLogError` an RPC call threw, rebuilt from its message; any other error (the runtime's own, say the
 * callee exceeded its CPU limit) is returned as it is.
 * @example
 * try { await env.EDGELOG.produce("orders", records) }
 * catch (e) { const error = fromRpcError(e); if (isEdgeLogError(error) && error.code === "MESSAGE_TOO_LARGE") … }
 */
export function fromRpcError(error: unknown): unknown {
  if (isEdgeLogError(error) || !(error instanceof Error) || !error.message.startsWith("{")) return error;
  let body: unknown;
  try {
    body = JSON.parse(error.message);
  } catch {
    return error;
  }
  if (typeof body !== "object" || body === null || !isErrorCode((body as { code?: unknown }).code))
    return error;
  return EdgeLogError.fromJSON(body);
}

/**
 * `stub` with every method call's rejection passed through `fromRpcError`, so callers `switch (error.code)`
 * directly. Only calls are wrapped (a stub is not thenable, and neither is this); a call answers a plain
 * `Promise`, so RPC promise pipelining (calling a method on a result before awaiting it) is not kept.
 * @example
 * const log = withEdgeLogErrors(env.EDGELOG);
 * try { await log.describeTopic("nope") } catch (e) { if (isEdgeLogError(e)) e.code } // "UNKNOWN_TOPIC_OR_PARTITION"
 */
export function withEdgeLogErrors<T extends object>(stub: T): T {
  return new Proxy(stub, {
    get(target, property) {
      if (property === "then") return undefined;
      const member: unknown = Reflect.get(target, property);
      if (typeof member !== "function") return member;
      return (...args: unknown[]) => {
        try {
          // `Reflect.apply`, not `member.apply`: on an RPC stub every property, `apply` too, is a remote method.
          const result: unknown = Reflect.apply(member, target, args);
          return result instanceof Promise || isThenable(result)
            ? Promise.resolve(result).catch((error: unknown) => {
                throw fromRpcError(error);
              })
            : result;
        } catch (error) {
          throw fromRpcError(error);
        }
      };
    },
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
