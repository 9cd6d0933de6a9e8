/**
 * @module
 * Every JSON answer of the API says `application/json; charset=utf-8` (docs/http-api.md): Hono's `c.json`
 * writes the bare media type, so this completes it after the route ran, in one place rather than per route.
 */
import type { MiddlewareHandler } from "hono";

export function jsonCharset(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.res.headers.get("Content-Type") === "application/json") {
      c.res.headers.set("Content-Type", "application/json; charset=utf-8");
    }
  };
}
