/**
 * @module
 * Declares one path with its methods and answers every other method on it with 405 (docs/http-api.md
 * "Errors"), which Hono alone would report as an unknown route (404). Each method first checks the right the
 * rights table (`auth/rights.ts`) gives it, before any body is read.
 */
import type { Hono, MiddlewareHandler } from "hono";
import { authorize } from "./auth/middleware.ts";
import { needOf } from "./auth/rights.ts";
import type { AppEnv } from "./context.ts";
import { methodNotAllowed } from "./errors.ts";

// biome-ignore lint/suspicious/noExplicitAny: Hono infers path params from literal paths; routes read them by name.
type RouteHandler = MiddlewareHandler<AppEnv, any>;
type Method = "get" | "post" | "put" | "patch" | "delete";

/**
 * @example
 * route(app, "/v1/topics/:topic", { get: describe, delete: remove });
 */
export function route(
  app: Hono<AppEnv>,
  path: string,
  methods: Partial<Record<Method, RouteHandler | RouteHandler[]>>,
): void {
  const allowed: string[] = [];
  for (const [method, handlers] of Object.entries(methods) as [Method, RouteHandler | RouteHandler[]][]) {
    const list = Array.isArray(handlers) ? handlers : [handlers];
    app.on(method.toUpperCase(), path, authorize(needOf(method, path)), ...(list as [RouteHandler]));
    allowed.push(method.toUpperCase());
    if (method === "get") allowed.push("HEAD");
  }
  allowed.push("OPTIONS");
  app.all(path, (c) => methodNotAllowed(c, allowed));
}
