/**
 * @module
 * An `env` whose partition stubs count every call made on them (any RPC method, `fetch` included): how the workerd
 * tests count a store's calls into partitions per batch, per read or per socket.
 */
import { env } from "cloudflare:test";
import type { EdgeLogEnv } from "../src/index.ts";

export function countingEnv(): { env: EdgeLogEnv; calls: () => number } {
  let calls = 0;
  const namespace = env.PARTITIONS;
  const partitions = new Proxy(namespace, {
    get(target, property) {
      if (property !== "get") return Reflect.get(target, property).bind(target);
      return (...args: Parameters<typeof namespace.get>) => {
        const stub = target.get(...args);
        return new Proxy(stub, {
          get(s, method) {
            const value = Reflect.get(s, method);
            if (typeof value !== "function") return value;
            return (...callArgs: unknown[]) => {
              calls++;
              // Called as a property of the stub (an RPC stub has no `apply` of its own).
              return (s as unknown as Record<PropertyKey, (...a: unknown[]) => unknown>)[method]?.(
                ...callArgs,
              );
            };
          },
        });
      };
    },
  });
  return { env: { ...env, PARTITIONS: partitions }, calls: () => calls };
}
