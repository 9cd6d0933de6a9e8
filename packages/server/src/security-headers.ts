/**
 * @module
 * Headers every answer of the app carries, errors, SSE and `/ds` included (docs/http-api.md "Security
 * headers"): `X-Content-Type-Options: nosniff`, so a browser never renders a record's bytes as something other
 * than the declared type; `Referrer-Policy: no-referrer`, because nothing here needs to tell another site where
 * a request came from, and a URL may carry a token (`?access_token=` on `EventSource` reads); and
 * `Cache-Control: no-store` on everything outside `/ds`, because `/v1` answers are not designed to be cached
 * (offsets move, and answers depend on who asks) — except a catch-up read whose answer cannot change while its
 * records exist, which says itself how long it may be kept (`read-cache/answer.ts`). `/ds` keeps the caching
 * headers its protocol defines.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.ts";
import { DS_PREFIX } from "./ds/names.ts";
import { matchedPrefix } from "./mount.ts";
import { setResponseHeaders } from "./response-headers.ts";

export const REFERRER_POLICY = "no-referrer";

/** What `answerRead` writes on a cacheable catch-up answer (`public` or `private`, and the life left). */
const CACHEABLE_ANSWER = /^(public|private), max-age=[1-9]\d*$/;

/** Registered first on the app (`*`), so it sees every answer last, whichever handler or error made it. */
export function securityHeaders(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // The mount path is read before `next()`: it comes from the pattern of the handler running now.
    const ds = `${matchedPrefix(c)}${DS_PREFIX}`;
    const path = new URL(c.req.url).pathname;
    const durableStreams = path.startsWith(ds) || `${path}/` === ds;
    await next();
    setResponseHeaders(c, (headers) => {
      headers.set("X-Content-Type-Options", "nosniff");
      headers.set("Referrer-Policy", REFERRER_POLICY);
      if (!durableStreams && !CACHEABLE_ANSWER.test(headers.get("Cache-Control") ?? "")) {
        headers.set("Cache-Control", "no-store");
      }
    });
  };
}
