/**
 * @module
 * `GET /v1/whoami` (extension): the caller as the server reads their credential — subject, whether they are an
 * operator (`admin`), the scope words that granted something, and when the token expires — so a client such as
 * the web console can show only what the token allows. Any valid token may ask (it tells a caller nothing but
 * their own token's contents); the answer is informational, every route still checks its own right.
 */
import type { Context, Hono } from "hono";
import type { AuthModeName } from "../auth/config.ts";
import { CLOCK_SKEW_SECONDS } from "../auth/jwt.ts";
import type { AppEnv } from "../context.ts";
import { route } from "../route.ts";

export function whoamiRoutes(app: Hono<AppEnv>, modeOf: (c: Context<AppEnv>) => AuthModeName): void {
  route(app, "/v1/whoami", {
    get: async (c) => {
      const rights = c.var.rights;
      const endsAt = c.var.sessionEndsAt;
      return c.json({
        subject: c.var.tokenSubject ?? null,
        auth: modeOf(c),
        admin: rights.admin,
        rights: rights.granted ?? null,
        // The session runs to `exp` plus the skew allowed; the token's own `exp` is what a person expects.
        expiresAt: Number.isFinite(endsAt) ? endsAt - CLOCK_SKEW_SECONDS * 1000 : null,
      });
    },
  });
}
