/**
 * @module
 * The bearer token an `HttpLogStore` sends: a fixed string, or a function (like Ably's `authCallback`) that the
 * store calls when it has no token, when the cached one is about to expire, and after a 401. Concurrent requests
 * share one call of the function, so a burst of requests (or of 401s) fetches one token, not one each.
 */
import { EdgeLogError, isEdgeLogError } from "@edgelog/core";

/** The `token` option: a JWT, or a function returning one (or a promise of one). */
export type TokenOption = string | (() => string | Promise<string>);

/**
 * A cached token is fetched anew this long before its `exp`: a request sent with it must still be valid when it
 * arrives, and a long-poll or an SSE tail outlives the request's start.
 */
export const REFRESH_BEFORE_EXP_MS = 30_000;

export class TokenSource {
  readonly #option: TokenOption;
  readonly #now: () => number;
  #cached: { readonly token: string; readonly expMs: number | undefined } | undefined;
  /** The call of the function in flight, shared by every request that needs a token meanwhile. */
  #pending: Promise<string> | undefined;
  /** Bumped by `invalidate()`: a call begun before it may return the old token, so it is neither cached nor shared. */
  #generation = 0;

  constructor(option: TokenOption, now: () => number = Date.now) {
    this.#option = option;
    this.#now = now;
  }

  /** Whether a 401 is worth a retry: only a function can give a different token. */
  get refreshable(): boolean {
    return typeof this.#option === "function";
  }

  /** The token to send: the cached one unless it is missing or within 30 s of its `exp`. */
  async get(): Promise<string> {
    if (typeof this.#option === "string") return this.#option;
    const cached = this.#cached;
    // A token without `exp` is reused until a 401 says otherwise.
    if (
      cached !== undefined &&
      (cached.expMs === undefined || this.#now() < cached.expMs - REFRESH_BEFORE_EXP_MS)
    )
      return cached.token;
    return this.#fetch();
  }

  /**
   * Forgets the cached token: the next request calls the function again. For when the app knows the function
   * now returns a different token (a user signed in again, got other rights) before any `exp` or 401 says so.
   */
  invalidate(): void {
    this.#cached = undefined;
    this.#pending = undefined;
    this.#generation++;
  }

  /**
   * A fresh token after `rejected` met a 401. When another request already replaced it, that one is returned
   * instead of calling the function again: concurrent 401s share one refresh.
   */
  async refresh(rejected: string): Promise<string> {
    if (typeof this.#option === "string") return this.#option;
    if (this.#cached !== undefined && this.#cached.token !== rejected) return this.#cached.token;
    return this.#fetch();
  }

  #fetch(): Promise<string> {
    if (this.#pending !== undefined) return this.#pending;
    const generation = this.#generation;
    // Settled only after `#pending` is set, even when the function throws synchronously: otherwise the finished
    // call would stay `#pending` and every later request would get its failure without calling the function.
    const pending = this.#call(generation).finally(() => {
      if (this.#pending === pending) this.#pending = undefined;
    });
    this.#pending = pending;
    return pending;
  }

  async #call(generation: number): Promise<string> {
    const option = this.#option as () => string | Promise<string>;
    try {
      const token = await option();
      if (typeof token !== "string" || token === "") {
        throw new EdgeLogError("AUTHENTICATION_FAILED", "the token function returned no token");
      }
      if (generation === this.#generation) this.#cached = { token, expMs: expiryMs(token) };
      return token;
    } catch (error) {
      // A failing token function is an authentication failure (the request was never sent), kept retriable:
      // the identity provider may be back in a moment, unlike a token the server refused.
      if (isEdgeLogError(error)) throw error;
      throw new EdgeLogError("AUTHENTICATION_FAILED", `the token function failed: ${describe(error)}`, {
        cause: error,
        retriable: true,
      });
    }
  }
}

/** The JWT payload's `exp` in ms, read without verifying (the server verifies); undefined when absent. */
export function expiryMs(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (payload === undefined) return undefined;
  try {
    const base64 = payload.replaceAll("-", "+").replaceAll("_", "/");
    const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
    const bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof claims !== "object" || claims === null || !("exp" in claims)) return undefined;
    return typeof claims.exp === "number" && Number.isFinite(claims.exp) ? claims.exp * 1000 : undefined;
  } catch {
    return undefined; // not a JWT we can read: treat as without `exp`
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
