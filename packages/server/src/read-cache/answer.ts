/**
 * @module
 * Answering reads whose answers caches may keep (docs/http-api.md "Cached catch-up reads"). A route builds its
 * answer (body and describing headers) as it always did; when the store said until when that answer may be cached
 * (`ReadResult.cacheUntil`, bounded by the partition's deletion fence), it is stored in the Worker's cache under a
 * key of what was asked, and later identical reads are answered from there without a call into the partition.
 *
 * The key holds the deployment's origin and mount path, the topic's id (a deleted and re-created topic never meets
 * an old entry), the partition and the read's own parameters — never the token, which the route has checked
 * before the lookup, as for every read. An entry is served only while a second or more of its life is left, and
 * every answer tells caches downstream exactly what is left (`max-age`), `private` when requests are
 * authenticated, so no copy anywhere outlives the fence that holds the partition's deletions back.
 */
import type { CacheableReadRequest } from "@edgelog/core";
import { dict } from "@edgelog/core/store-kit";
import type { Context } from "hono";
import type { AppEnv } from "../context.ts";
import type { ReadCache } from "./option.ts";
import { MIN_LIFE_LEFT_MS, type ReadAnswer, servable } from "./read-answer.ts";

export type { ReadAnswer } from "./read-answer.ts";

/** On stored entries only: until when the entry may be served (ms since the epoch). Never sent to a client. */
const CACHE_UNTIL = "Edgelog-Cache-Until";
/** Headers a cache adds or that belong to one copy, not to the answer: never replayed from an entry. */
const NOT_REPLAYED = new Set([
  CACHE_UNTIL.toLowerCase(),
  "age",
  "cache-control",
  "cf-cache-status",
  "content-length",
  "date",
  "expires",
  "set-cookie",
  "vary",
]);

/**
 * The cache key of a read: `kind` names the route's answer shape, `params` what the reader asked (sorted, so the
 * key does not depend on the order the reader wrote them in).
 */
export function readCacheKey(
  c: Context<AppEnv>,
  topicId: string,
  partition: number,
  kind: "batches" | "records" | "ds",
  params: Readonly<Record<string, string | number>>,
): Request {
  const { origin } = new URL(c.req.url);
  const search = new URLSearchParams(
    Object.entries(params)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) => [name, String(value)]),
  );
  const path = `${c.var.mountPath}/.edgelog/read-cache/${encodeURIComponent(topicId)}/${partition}/${kind}`;
  return new Request(`${origin}${path}?${search}`);
}

/**
 * What a read asks the store for (`ReadOptions.cache`): an answer cacheable this long, of which the reader keeps
 * `records` (a JSON fetch's limit) or every batch; nothing when caching is off.
 */
export function cacheRequest(c: Context<AppEnv>, records?: number): { cache?: CacheableReadRequest } {
  const { maxAgeMs } = c.var.readCache;
  if (maxAgeMs <= 0) return {};
  return { cache: records === undefined ? { maxAgeMs } : { maxAgeMs, records } };
}

/** The answer the Worker's cache holds for `key` while a second or more of its life is left, else `null`. */
export async function cachedAnswer(c: Context<AppEnv>, key: Request): Promise<ReadAnswer | null> {
  const { cache } = c.var.readCache;
  if (cache === null) return null;
  let hit: Response | undefined;
  try {
    hit = await cache.match(key);
  } catch (error) {
    console.error("edgelog: read cache lookup failed; reading from the partition", error);
    return null;
  }
  if (hit === undefined) return null;
  const cacheUntil = Number(hit.headers.get(CACHE_UNTIL));
  if (!(cacheUntil - Date.now() >= MIN_LIFE_LEFT_MS) || hit.body === null) {
    await hit.body?.cancel().catch(() => undefined);
    return null;
  }
  // Header names are the entry's (tokens such as `__proto__` are valid names): a null-prototype object.
  const headers = dict<string>();
  hit.headers.forEach((value, name) => {
    if (!NOT_REPLAYED.has(name)) headers[name] = value;
  });
  return { body: hit.body, headers, cacheUntil };
}

/**
 * The answer for a miss: from `read`, or — for a read that does not wait — shared with an identical read already
 * on its way in this isolate when that one's answer may be cached (`shared-misses.ts`). `fresh`: read here.
 */
export async function readOnMiss<T>(
  c: Context<AppEnv>,
  key: Request,
  waits: boolean,
  read: () => Promise<T>,
  cacheUntilOf: (answer: T) => number | undefined,
): Promise<{ answer: T; fresh: boolean }> {
  const misses = c.var.readCache.misses;
  if (waits || misses === null) return { answer: await read(), fresh: true };
  return misses.read(
    key.url,
    read,
    (answer) => servable({ cacheUntil: cacheUntilOf(answer) }, Date.now()),
    c.req.raw.signal,
  );
}

/** `answer` with a body another response can own (a shared answer is answered more than once). */
export function ownCopy(answer: ReadAnswer): ReadAnswer {
  const { body } = answer;
  return typeof body === "string" || body instanceof ReadableStream
    ? answer
    : { ...answer, body: body.slice() };
}

/**
 * The response for `answer`: its headers, and `Cache-Control` with what is left of its life when it may be cached
 * (else none: the app's default `no-store` applies). A `fresh` answer (just read from the partition) is stored in
 * the Worker's cache first, so the next identical read finds it.
 */
export async function answerRead(
  c: Context<AppEnv>,
  key: Request,
  answer: ReadAnswer,
  fresh: boolean,
): Promise<Response> {
  const settings = c.var.readCache;
  const headers = new Headers(answer.headers);
  const cacheUntil = answer.cacheUntil;
  const leftS = cacheUntil === undefined ? 0 : Math.floor((cacheUntil - Date.now()) / 1000);
  if (cacheUntil !== undefined && leftS >= 1) {
    headers.set("Cache-Control", `${settings.visibility}, max-age=${leftS}`);
    // A browser that signs in as someone else must not answer from the first user's copy.
    if (settings.visibility === "private") headers.append("Vary", "Authorization");
    if (fresh && settings.cache !== null && !(answer.body instanceof ReadableStream)) {
      await store(settings.cache, key, answer.body, answer.headers, { cacheUntil, leftS });
    }
  }
  return new Response(answer.body, { status: 200, headers });
}

async function store(
  cache: ReadCache,
  key: Request,
  body: Uint8Array<ArrayBuffer> | string,
  answerHeaders: Readonly<Record<string, string>>,
  life: { readonly cacheUntil: number; readonly leftS: number },
): Promise<void> {
  const { cacheUntil, leftS } = life;
  // A copy: the client's answer is made from the same bytes.
  const entry = new Response(typeof body === "string" ? body : body.slice(), {
    headers: {
      ...answerHeaders,
      // The cache's own clock ends the entry within the fence; `CACHE_UNTIL` is checked again on every hit.
      "Cache-Control": `public, max-age=${leftS}`,
      [CACHE_UNTIL]: String(cacheUntil),
    },
  });
  try {
    await cache.put(key, entry);
  } catch (error) {
    console.error("edgelog: could not store a read in the read cache", error);
  }
}
