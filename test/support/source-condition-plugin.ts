/**
 * @module
 * The vite side of the in-repo source condition (source-condition.ts): a plugin every vite and vitest config in
 * the repo adds, so workspace packages resolve to `src/*.ts` without a build.
 */
import { defaultClientConditions, defaultServerConditions, type Plugin } from "vite";
import { SOURCE_CONDITION } from "./source-condition.ts";

/**
 * A vite plugin that puts {@link SOURCE_CONDITION} first in every environment's resolve conditions: browser,
 * SSR (vitest's Node projects) and workerd (@cloudflare/vitest-plugin's), keeping each environment's own list.
 */
export function sourceCondition(): Plugin {
  return {
    name: "edgelog:source-condition",
    // After other plugins' config hooks, so an environment's conditions (e.g. workerd's) are already set.
    enforce: "post",
    configEnvironment(name, options) {
      // Vite's own rule for an environment that does not say: only the one named "client" consumes as a client.
      const consumer = options.consumer ?? (name === "client" ? "client" : "server");
      const defaults = consumer === "client" ? defaultClientConditions : defaultServerConditions;
      const own = options.resolve?.conditions ?? defaults;
      options.resolve = { ...options.resolve, conditions: [SOURCE_CONDITION, ...own] };
    },
  };
}
