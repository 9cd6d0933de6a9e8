/**
 * @module
 * Setting headers on the answer a middleware finds after `next()`. Every answer the app makes has mutable
 * headers, but a handler may return a `Response` it did not make (a `fetch` result passed through, whose
 * headers are immutable): such an answer is copied once, then changed.
 */
import type { Context } from "hono";

/** Runs `change` on the headers of `c.res`, copying the answer first if its headers cannot be changed. */
export function setResponseHeaders(c: Context, change: (headers: Headers) => void): void {
  try {
    change(c.res.headers);
  } catch {
    const copy = new Response(c.res.body, c.res);
    change(copy.headers);
    c.res = copy;
  }
}
