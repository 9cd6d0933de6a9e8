/**
 * @module
 * The one CORS rule of the app, for `/v1` and `/ds` alike (docs/http-api.md "CORS"), from `ALLOWED_ORIGINS`:
 * comma-separated exact origins, or `*`. An allowed origin gets `Access-Control-Allow-Origin` (its own origin,
 * or `*` when the list is `*`), the exposed headers and, on a preflight, the methods, request headers and
 * max-age; any other origin gets no `Access-Control-*` header at all, so the browser blocks it.
 * `Access-Control-Allow-Credentials` is never sent: tokens travel in `Authorization`, not in cookies, so no
 * request needs the browser's ambient credentials, and `*` with credentials is what must never happen.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.ts";
import { setResponseHeaders } from "./response-headers.ts";

const ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS";
/**
 * What a browser client may send: the content type (JSON and the binary batch type are not CORS-safelisted, so
 * every write is preflighted), the bearer token, SSE resumption, and the Durable Streams protocol's headers.
 * A fixed list rather than an echo of whatever a preflight asks for.
 */
const ALLOWED_HEADERS = [
  "Accept",
  "Authorization",
  "Content-Type",
  "Last-Event-ID",
  "If-None-Match",
  "Stream-Seq",
  "Stream-TTL",
  "Stream-Expires-At",
  "Stream-Closed",
  "Producer-Id",
  "Producer-Epoch",
  "Producer-Seq",
  "Stream-Forked-From",
  "Stream-Fork-Offset",
  "Stream-Fork-Sub-Offset",
].join(", ");
/** Headers a browser client may read: `/v1`'s fetch bounds and throttling hint, and `/ds`'s protocol headers. */
export const EXPOSED_HEADERS = [
  "Edgelog-High-Watermark",
  "Edgelog-Log-Start-Offset",
  "Edgelog-Next-Offset",
  "Retry-After",
  "WWW-Authenticate",
  "Stream-Next-Offset",
  "Stream-Cursor",
  "Stream-Up-To-Date",
  "Stream-Closed",
  "Stream-TTL",
  "Stream-Expires-At",
  "Stream-SSE-Data-Encoding",
  "Producer-Epoch",
  "Producer-Seq",
  "Producer-Expected-Seq",
  "Producer-Received-Seq",
  "ETag",
  "Content-Type",
  "Content-Encoding",
  "Location",
  "Vary",
].join(", ");
/**
 * Ten minutes: a browser asks again for each (origin, URL) after this. Short enough that tightening
 * `ALLOWED_ORIGINS` takes effect in minutes, long enough that a client writing steadily is not preflighted per
 * request (Chrome caps any value at 2 h, Firefox at 24 h).
 */
export const PREFLIGHT_MAX_AGE_SECONDS = 600;
const NO_CONTENT = 204;

/** `ALLOWED_ORIGINS` parsed: any origin (`*` listed), else the exact origins listed. */
interface OriginPolicy {
  readonly any: boolean;
  readonly origins: ReadonlySet<string>;
}

function policyOf(allowed: string | undefined): OriginPolicy {
  const entries = (allowed ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  return { any: entries.includes("*"), origins: new Set(entries) };
}

/**
 * Sets the CORS headers of one answer. `preflight` adds what only a preflight needs. With a list of origins
 * (not `*`) every answer varies by `Origin`, allowed or not, so `Vary: Origin` is always added: a shared cache
 * must not hand one origin's answer (with or without `Access-Control-Allow-Origin`) to another.
 */
export function applyCors(
  headers: Headers,
  origin: string | undefined,
  allowed: string | undefined,
  preflight: boolean,
): void {
  const policy = policyOf(allowed);
  if (!policy.any) appendVary(headers, "Origin");
  if (origin === undefined && !policy.any) return;
  if (!policy.any && !policy.origins.has(origin as string)) return;
  headers.set("Access-Control-Allow-Origin", policy.any ? "*" : (origin as string));
  headers.set("Access-Control-Expose-Headers", EXPOSED_HEADERS);
  if (preflight) {
    headers.set("Access-Control-Allow-Methods", ALLOWED_METHODS);
    headers.set("Access-Control-Allow-Headers", ALLOWED_HEADERS);
    headers.set("Access-Control-Max-Age", String(PREFLIGHT_MAX_AGE_SECONDS));
  }
}

function appendVary(headers: Headers, name: string): void {
  const vary = headers.get("Vary");
  const present = (vary ?? "").split(",").some((entry) => entry.trim().toLowerCase() === name.toLowerCase());
  if (!present) headers.append("Vary", name);
}

/**
 * CORS for the `/v1` API: every `OPTIONS` is answered here (204, with the preflight headers for an allowed
 * origin), and every other answer — errors included — gets the headers once it is made.
 */
export function corsMiddleware(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const origin = c.req.header("Origin");
    const allowed = c.env?.ALLOWED_ORIGINS;
    if (c.req.method === "OPTIONS") {
      const response = new Response(null, { status: NO_CONTENT });
      applyCors(response.headers, origin, allowed, true);
      return response;
    }
    await next();
    setResponseHeaders(c, (headers) => applyCors(headers, origin, allowed, false));
    return undefined;
  };
}
