/**
 * @module
 * Which authentication a request meets, from `createApp({ auth })` or else the host's env. Secure by default: a
 * secret (`EDGELOG_JWT_SECRET`) or a JWKS (`EDGELOG_JWKS_URL`) always enforces tokens; with neither, only the
 * explicit `EDGELOG_AUTH=none` opens the API, and otherwise every route but health answers 401 saying how to
 * configure it. A host that authenticates requests itself (`{ rights }`) grants only what its function returns:
 * nothing returned is a 401, never an open API.
 */
import type { Context } from "hono";
import type { ServerEnv } from "../env.ts";
import { JwksCache } from "./jwks.ts";
import { importHmacSecret, type JwtKeys } from "./jwt.ts";
import type { Scopes } from "./scopes.ts";

/**
 * What a host's own authentication grants a request: a scope string in the token grammar (`"admin"`,
 * `"produce:orders-* consume:orders-*"`, docs/http-api.md "Authentication"), parsed `Scopes`, or `null` /
 * `undefined` when the host did not authenticate it (answered 401).
 */
export type HostRights = Scopes | string | null | undefined;

/**
 * `createApp`'s `auth` option: run open, verify tokens with these keys (overriding the env), or take the rights
 * from the host's own middleware (`rights(c)` sees what it put on the context, e.g. `c.get("user")`).
 */
export type AuthOption =
  | "none"
  | {
      // Hono's `Context` without the host's types: the host reads its own variables with `c.get(...)`.
      readonly rights: (c: Context) => HostRights | Promise<HostRights>;
    }
  | {
      /** HS256 shared secret. */
      readonly secret?: string | undefined;
      /** JWKS URL for RS256/ES256 tokens. */
      readonly jwksUrl?: string | undefined;
      /** `fetch` for the JWKS (tests inject one). */
      readonly fetch?: typeof fetch;
    };

/** What the middleware enforces. */
export type AuthMode =
  | { readonly kind: "none" }
  | { readonly kind: "unconfigured" }
  | { readonly kind: "token"; readonly keys: Promise<JwtKeys> }
  | { readonly kind: "host"; readonly rights: (c: Context) => HostRights | Promise<HostRights> };

/** The name of each mode in `GET /v1/health` (`auth`) and the docs. */
export type AuthModeName = AuthMode["kind"];

export const HOW_TO_CONFIGURE =
  "authentication is not configured: set the secret EDGELOG_JWT_SECRET (`wrangler secret put EDGELOG_JWT_SECRET`) " +
  "or EDGELOG_JWKS_URL, or set EDGELOG_AUTH=none to run without authentication";

/**
 * Resolves modes, caching keys per configuration: a Worker isolate keeps its env, so the secret is imported and
 * the JWKS fetched once per isolate, not per request.
 */
export function authResolver(option: AuthOption | undefined): (env: ServerEnv | undefined) => AuthMode {
  const hmacKeys = new Map<string, Promise<CryptoKey>>();
  const jwksCaches = new Map<string, JwksCache>();
  const modes = new Map<string, AuthMode>();
  if (typeof option === "object" && "rights" in option) {
    if (typeof option.rights !== "function") throw new TypeError("auth.rights must be a function");
    const host: AuthMode = { kind: "host", rights: option.rights };
    return () => host;
  }
  const injectedFetch = typeof option === "object" ? option.fetch : undefined;
  return (env) => {
    const secret =
      typeof option === "object" ? option.secret : option === undefined ? env?.EDGELOG_JWT_SECRET : undefined;
    const jwksUrl =
      typeof option === "object" ? option.jwksUrl : option === undefined ? env?.EDGELOG_JWKS_URL : undefined;
    const hasSecret = secret !== undefined && secret.length > 0;
    const hasJwks = jwksUrl !== undefined && jwksUrl.length > 0;
    if (!hasSecret && !hasJwks) {
      const open = option === "none" || (option === undefined && env?.EDGELOG_AUTH === "none");
      return { kind: open ? "none" : "unconfigured" };
    }
    const cacheKey = JSON.stringify([hasSecret ? secret : null, hasJwks ? jwksUrl : null]);
    let mode = modes.get(cacheKey);
    if (mode === undefined) {
      let hmac: Promise<CryptoKey> | undefined;
      if (hasSecret) {
        hmac = hmacKeys.get(secret) ?? importHmacSecret(secret);
        hmacKeys.set(secret, hmac);
      }
      let jwks: JwksCache | undefined;
      if (hasJwks) {
        jwks =
          jwksCaches.get(jwksUrl) ??
          new JwksCache({ url: jwksUrl, ...(injectedFetch ? { fetch: injectedFetch } : {}) });
        jwksCaches.set(jwksUrl, jwks);
      }
      const keys = (async (): Promise<JwtKeys> => ({ hmac: await hmac, jwks }))();
      mode = { kind: "token", keys };
      modes.set(cacheKey, mode);
    }
    return mode;
  };
}
