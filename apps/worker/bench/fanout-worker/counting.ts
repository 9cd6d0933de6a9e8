/**
 * @module
 * Exact Durable Object invocation counts for the fan-out benchmark. `counted(Base, name)` is `Base` with every
 * method a runtime or a stub can call — RPC methods, `fetch`, `alarm`, `webSocketMessage`, … — counted once per
 * call under the class's name before it runs. Counting where an invocation lands (not on the caller's stubs)
 * also sees what no Worker call shows: an object calling another, a WebSocket message, an alarm. Workerd runs a
 * Worker and its objects in one isolate, so the counters are plain module state the Worker reads.
 */

const invocations = new Map<string, number>();

/** Invocations per object class since the isolate started. */
export function invocationCounts(): { readonly invocations: Record<string, number> } {
  return { invocations: Object.fromEntries(invocations) };
}

// biome-ignore lint/suspicious/noExplicitAny: a mixin base must take any constructor arguments.
type Constructor = abstract new (...args: any[]) => object;

/** `Base` with every method on its prototype chain (up to `Object`) counted under `name` when called. */
export function counted<T extends Constructor>(Base: T, name: string): T {
  abstract class Counted extends Base {}
  const wrapped = new Set<string>();
  for (
    let proto: object | null = Base.prototype;
    proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const method of Object.getOwnPropertyNames(proto)) {
      const original = Object.getOwnPropertyDescriptor(proto, method)?.value;
      if (method === "constructor" || wrapped.has(method) || typeof original !== "function") continue;
      wrapped.add(method);
      Object.defineProperty(Counted.prototype, method, {
        configurable: true,
        writable: true,
        value(this: object, ...args: unknown[]): unknown {
          invocations.set(name, (invocations.get(name) ?? 0) + 1);
          return (original as (...a: unknown[]) => unknown).apply(this, args);
        },
      });
    }
  }
  return Counted;
}
