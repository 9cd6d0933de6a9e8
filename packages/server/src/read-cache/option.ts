/**
 * @module
 * `createApp`'s `readCache` option and what it resolves to per request (docs/http-api.md "Cached catch-up
 * reads"): how long catch-up answers may be cached (`EDGELOG_READ_CACHE_MAX_AGE_S`, default 10 s, at most 60 s; 0
 * turns caching off), the cache the Worker keeps them in (the Workers Cache API's `caches.default` where the
 * runtime has one), and whether answers say `public` or `private` to caches downstream.
 */
import { DEFAULT_READ_CACHE_MAX_AGE_MS, READ_CACHE_MAX_AGE_LIMIT_MS } from "@edgelog/core/store-kit";
import type { ServerEnv } from "../env.ts";
import { perEnv } from "../per-env.ts";
import { SharedMisses } from "./shared-misses.ts";

/** The part of the Cache API the server uses: Cloudflare's `caches.default`, or a test's stand-in. */
export interface ReadCache {
  match(key: Request): Promise<Response | undefined>;
  put(key: Request, response: Response): Promise<void>;
}

/**
 * `createApp`'s `readCache` option: `"none"` asks for no cacheable answer at all (every read answers
 * `Cache-Control: no-store`); otherwise `maxAgeMs` overrides `EDGELOG_READ_CACHE_MAX_AGE_S`, and `cache` the Cache
 * API (`null`: no cache in the Worker, cache headers only).
 */
export type ReadCacheOption =
  | "none"
  | {
      readonly maxAgeMs?: number;
      readonly cache?: ReadCache | null;
      /**
       * Identical catch-up misses of the isolate's requests share one read (`shared-misses.ts`); default `true`.
       * `false` makes each miss read the partition itself.
       */
      readonly shareMisses?: boolean;
    };

/** What one request may do: ask the store for answers cacheable this long (0: none), and where to keep them. */
export interface RequestReadCache {
  readonly maxAgeMs: number;
  readonly cache: ReadCache | null;
  /** `private` whenever requests are authenticated: a shared cache must never answer for the token checked here. */
  readonly visibility: "public" | "private";
  /** The isolate's identical misses in flight (`shared-misses.ts`); `null` when caching is off or not shared. */
  readonly misses: SharedMisses | null;
}

export const READ_CACHE_OFF: RequestReadCache = Object.freeze({
  maxAgeMs: 0,
  cache: null,
  visibility: "private",
  misses: null,
});

/** The read-cache settings per env and authentication mode. */
export function readCacheResolver(
  option: ReadCacheOption | undefined,
): (env: ServerEnv | undefined, authenticated: boolean) => RequestReadCache {
  if (option === "none") return () => READ_CACHE_OFF;
  // One per env, i.e. per isolate: requests of one isolate share their misses.
  const missesFor = perEnv<ServerEnv | undefined, SharedMisses>(() => new SharedMisses());
  return (env, authenticated) => {
    const maxAgeMs = option?.maxAgeMs ?? maxAgeFromEnv(env?.EDGELOG_READ_CACHE_MAX_AGE_S);
    if (!(maxAgeMs > 0)) return READ_CACHE_OFF;
    const cache = option?.cache === undefined ? defaultCache() : option.cache;
    return {
      maxAgeMs: Math.min(maxAgeMs, READ_CACHE_MAX_AGE_LIMIT_MS),
      cache,
      visibility: authenticated ? "private" : "public",
      misses: option?.shareMisses === false ? null : missesFor(env),
    };
  };
}

/** Whole seconds, 0 (or `off`) to turn caching off; absent or unreadable: the default. */
function maxAgeFromEnv(text: string | undefined): number {
  if (text === undefined || text.trim() === "") return DEFAULT_READ_CACHE_MAX_AGE_MS;
  if (text.trim().toLowerCase() === "off") return 0;
  const seconds = Number(text);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : DEFAULT_READ_CACHE_MAX_AGE_MS;
}

/** Cloudflare's per-location cache; none in Node or a browser (their `caches`, if any, has no `default`). */
function defaultCache(): ReadCache | null {
  const storage = (globalThis as { caches?: { default?: ReadCache } }).caches;
  return storage?.default ?? null;
}
