/**
 * @module
 * What a read answers, as the read cache handles it: the same bytes and describing headers whether it came from the
 * partition or from a cache.
 */

export interface ReadAnswer {
  readonly body: Uint8Array<ArrayBuffer> | string | ReadableStream<Uint8Array>;
  readonly headers: Readonly<Record<string, string>>;
  /** Until when caches may keep it (the store's `cacheUntil`); absent: not cacheable. */
  readonly cacheUntil?: number | undefined;
}

/** An answer should have at least this much life left when it is served: a whole second of `max-age` to give. */
export const MIN_LIFE_LEFT_MS = 1_000;

/** Whether `answer` may still be served as cached: it was cacheable and has a second or more of life left. */
export function servable(answer: Pick<ReadAnswer, "cacheUntil">, nowMs: number): boolean {
  return answer.cacheUntil !== undefined && answer.cacheUntil - nowMs >= MIN_LIFE_LEFT_MS;
}
