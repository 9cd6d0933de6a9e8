/**
 * @module
 * Retrying retriable failures with exponential backoff and jitter, after KafkaJS's `retry` options, so
 * producers, consumers, the HTTP client and the browser's offline log share one policy and one set of knobs.
 */
import { isEdgeLogError, isRetriable } from "./errors.ts";

export interface RetryOptions {
  /** Attempts after the first. Default 5. */
  readonly retries?: number;
  /** Backoff before the first retry, in ms. Default 100. */
  readonly initialRetryTime?: number;
  /** Upper bound of one backoff, in ms. Default 30 000. */
  readonly maxRetryTime?: number;
  /** Growth of the backoff per attempt. Default 2. */
  readonly multiplier?: number;
}

export const DEFAULT_RETRY: Required<RetryOptions> = {
  retries: 5,
  initialRetryTime: 100,
  maxRetryTime: 30_000,
  multiplier: 2,
};

/**
 * Backoff before retry number `attempt` (0-based): exponential and capped, then half of it fixed and half random
 * ("equal jitter"). The random half spreads clients that failed together; the fixed half means a retry never
 * comes at once, which full jitter (0 to the cap) allows.
 */
export function backoffMs(
  attempt: number,
  options: RetryOptions = {},
  random: () => number = Math.random,
): number {
  const { initialRetryTime, maxRetryTime, multiplier } = { ...DEFAULT_RETRY, ...options };
  const ceiling = Math.min(maxRetryTime, initialRetryTime * multiplier ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * The server's own "not before" for a failure, in ms: a throttled request (429) carries `retryAfterMs` in its
 * error context (the HTTP client fills it from `Retry-After` when the body has none). `undefined` otherwise.
 */
export function retryAfterOf(error: unknown): number | undefined {
  if (!isEdgeLogError(error)) return undefined;
  const value = error.context.retryAfterMs;
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : undefined;
}

/**
 * Backoff before retry number `attempt` after `error`: `backoffMs`, but never sooner than the server asked
 * (retrying a throttled request earlier only spends a retry on another 429). The server's wait is capped at
 * `maxRetryTime`, so a misconfigured or hostile server cannot park a client for hours.
 */
export function retryDelayMs(
  error: unknown,
  attempt: number,
  options: RetryOptions = {},
  random: () => number = Math.random,
): number {
  const backoff = backoffMs(attempt, options, random);
  const asked = retryAfterOf(error);
  if (asked === undefined) return backoff;
  return Math.max(backoff, Math.min(asked, options.maxRetryTime ?? DEFAULT_RETRY.maxRetryTime));
}

/** Sleeps `ms`; an abort ends the sleep early by rejecting with the signal's reason. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Runs `operation` until it succeeds, fails with something `shouldRetry` rejects, or runs out of retries,
 * waiting `retryDelayMs` between attempts (so a 429's `Retry-After` is honoured); the last error is thrown as
 * it was.
 */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
  shouldRetry: (error: unknown) => boolean = isRetriable,
  signal?: AbortSignal,
): Promise<T> {
  const retries = options.retries ?? DEFAULT_RETRY.retries;
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (attempt >= retries || !shouldRetry(error) || signal?.aborted) throw error;
      await sleep(retryDelayMs(error, attempt, options), signal);
    }
  }
}
