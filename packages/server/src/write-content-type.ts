/**
 * @module
 * Writes to `/v1` must say they are JSON (or, on the batches route, the binary batch type), else 415
 * `UNSUPPORTED_MEDIA_TYPE` before the body is read or anything is written (docs/http-api.md "Content types").
 * The point is cross-site requests: a page on any site may send a `text/plain`, form-encoded or multipart POST
 * without a preflight, so CORS never gets a say; parsing such a body as JSON would let it create topics,
 * produce and delete records whatever `ALLOWED_ORIGINS` says. `application/json` and the batch type are not
 * CORS-safelisted, so a browser sends them cross-site only after a preflight the allowlist decides.
 * `/ds` is not under this rule: its streams have content types of their own.
 */
import { EdgeLogError } from "@edgelog/core";
import { BATCH_CONTENT_TYPE, mediaType } from "@edgelog/core/store-kit";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.ts";

export const JSON_CONTENT_TYPE = "application/json";
/** The one route that takes the binary batch type (the API may be mounted under a prefix: match the end). */
const BATCHES_ROUTE = /\/v1\/topics\/[^/]+\/partitions\/[^/]+\/batches$/;
const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Whether the request is a write that must declare its type: every POST (even with an empty body, since a
 * POST is a write whatever it carries), and a PUT, PATCH or DELETE that carries a body.
 */
function mustDeclareType(c: Context): boolean {
  const method = c.req.method;
  if (method === "POST") return true;
  if (!WRITE_METHODS.has(method)) return false;
  const length = c.req.header("Content-Length");
  if (length !== undefined) return length.trim() !== "0";
  return c.req.raw.body !== null;
}

/** The media types a write to `path` may carry. */
export function acceptedTypes(path: string): readonly string[] {
  return BATCHES_ROUTE.test(path) ? [JSON_CONTENT_TYPE, BATCH_CONTENT_TYPE] : [JSON_CONTENT_TYPE];
}

/**
 * @example
 * app.use("/v1/*", requireWriteContentType());
 */
export function requireWriteContentType(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (mustDeclareType(c)) {
      const declared = c.req.header("Content-Type");
      const accepted = acceptedTypes(c.req.path);
      if (!accepted.includes(mediaType(declared))) {
        throw new EdgeLogError(
          "UNSUPPORTED_MEDIA_TYPE",
          `a ${c.req.method} to this route must be sent as ${accepted.join(" or ")}`,
          { context: { contentType: declared?.slice(0, 200) ?? null, accepted: accepted.join(", ") } },
        );
      }
    }
    await next();
  };
}
