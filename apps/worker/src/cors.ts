/**
 * @module
 * CORS from `ALLOWED_ORIGINS` (docs/http-api.md "CORS"). Hono's `cors` does the header work; this wrapper
 * keeps it away from disallowed origins entirely, because Hono would still send
 * `Access-Control-Expose-Headers` and friends to them, and docs/http-api.md promises a disallowed origin gets
 * no CORS headers at all.
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "./context.ts";

/** Headers a browser client may read: the fetch bounds and the throttling hint. */
export const EXPOSED_HEADERS = [
  "Edgelog-High-Watermark",
  "Edgelog-Log-Start-Offset",
  "Edgelog-Next-Offset",
  "Retry-After",
];
const ALLOWED_METHODS = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS"];
/** A day: browsers cap it lower anyway (Chrome at 2 h), but there is no reason to ask more often. */
const PREFLIGHT_MAX_AGE_SECONDS = 86_400;
const NO_CONTENT = 204;

const hono = cors({
  origin: (origin) => origin,
  allowMethods: ALLOWED_METHODS,
  exposeHeaders: EXPOSED_HEADERS,
  maxAge: PREFLIGHT_MAX_AGE_SECONDS,
});

/** Whether `origin` is allowed by the comma-separated list (`*` allows any). */
export function isOriginAllowed(origin: string, allowed: string | undefined): boolean {
  const list = (allowed ?? "").split(",").map((entry) => entry.trim());
  return list.includes("*") || list.includes(origin);
}

export function corsMiddleware(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const origin = c.req.header("Origin");
    if (origin !== undefined && isOriginAllowed(origin, c.env?.ALLOWED_ORIGINS)) return hono(c, next);
    // A preflight from elsewhere (or none at all) gets an empty answer; the browser then blocks the request.
    if (c.req.method === "OPTIONS") return c.body(null, NO_CONTENT);
    await next();
    return undefined;
  };
}
