/**
 * @module
 * The auth middleware. `authenticate` runs before every route (after CORS, so refusals carry CORS headers and
 * preflights need no token): it finds the bearer token (`Authorization: Bearer`, or `?access_token=` on GET/HEAD
 * only, for `EventSource`, as RFC 6750 §2.3 allows), verifies it and puts the token's rights on the context, or
 * answers 401 with `WWW-Authenticate: Bearer`. `authorize` then checks the route's entry of the rights table
 * before any body is read; `requireRight` is for the rights a route learns from its body.
 */
import { EdgeLogError, isEdgeLogError } from "@edgelog/core";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import { errorResponse } from "../errors.ts";
import { type AuthMode, HOW_TO_CONFIGURE } from "./config.ts";
import { CLOCK_SKEW_SECONDS, verifyJwt } from "./jwt.ts";
import type { Need } from "./rights.ts";
import { ALL_RIGHTS, parseScopes, type ResourceRight, type Scopes } from "./scopes.ts";

const REALM = "edgelog";

/** 401 `AUTHENTICATION_FAILED` with the RFC 6750 challenge (`error` only when a token was sent). */
export function unauthenticated(error: EdgeLogError, tokenSent: boolean): Response {
  const response = errorResponse(error);
  const description = error.message.replaceAll("\\", "\\\\").replaceAll('"', '\\"');
  response.headers.set(
    "WWW-Authenticate",
    tokenSent
      ? `Bearer realm="${REALM}", error="invalid_token", error_description="${description}"`
      : `Bearer realm="${REALM}", error_description="${description}"`,
  );
  return response;
}

function bearerToken(c: Context<AppEnv>): string | undefined {
  const header = c.req.header("Authorization");
  if (header !== undefined) {
    const match = /^Bearer +(\S+) *$/i.exec(header);
    return match?.[1] ?? "";
  }
  if (c.req.method === "GET" || c.req.method === "HEAD") return c.req.query("access_token");
  return undefined;
}

/** What a verified request may do, and until when (ms on the app's clock; `Infinity` when no token expires). */
export interface Session {
  readonly rights: Scopes;
  readonly endsAt: number;
}

const OPEN_SESSION: Session = { rights: ALL_RIGHTS, endsAt: Number.POSITIVE_INFINITY };

/**
 * The session of this request under `mode`, or the 401 to answer. `open` routes (health) pass whatever is sent.
 * The session ends when the token stops verifying (`exp` plus the clock skew allowed), so a long-poll or a live
 * tail opened with it never outlives it (see `session.ts`).
 */
export async function sessionFor(
  c: Context<AppEnv>,
  mode: AuthMode,
  open: boolean,
): Promise<Session | Response> {
  if (mode.kind === "none") return OPEN_SESSION;
  if (open || c.req.method === "OPTIONS") {
    return { rights: parseScopes(undefined), endsAt: Number.POSITIVE_INFINITY };
  }
  if (mode.kind === "unconfigured") {
    return unauthenticated(new EdgeLogError("AUTHENTICATION_FAILED", HOW_TO_CONFIGURE), false);
  }
  if (mode.kind === "host") return hostRights(c, mode);
  const token = bearerToken(c);
  if (token === undefined || token === "") {
    return unauthenticated(
      new EdgeLogError("AUTHENTICATION_FAILED", "a bearer token is required (Authorization: Bearer <jwt>)"),
      false,
    );
  }
  try {
    const claims = await verifyJwt(token, await mode.keys, c.var.now());
    // Whose quota the request spends (quota/charge.ts).
    c.set("tokenSubject", claims.sub);
    return { rights: parseScopes(claims.scope), endsAt: (claims.exp + CLOCK_SKEW_SECONDS) * 1000 };
  } catch (error) {
    if (isEdgeLogError(error)) return unauthenticated(error, true);
    throw error;
  }
}

/**
 * The rights the host's own authentication granted. Only what it returns is granted: nothing (or anything but a
 * scope string or `Scopes`) is the 401 of an unauthenticated request, so a host function that forgets a case
 * closes the API rather than opening it.
 */
async function hostRights(
  c: Context<AppEnv>,
  mode: Extract<AuthMode, { kind: "host" }>,
): Promise<Session | Response> {
  const granted = await mode.rights(c as unknown as Context);
  // The host's own credential has no expiry edgelog can see: its connections end by their own limits.
  if (typeof granted === "string") return { rights: parseScopes(granted), endsAt: Number.POSITIVE_INFINITY };
  if (isScopes(granted)) return { rights: granted, endsAt: Number.POSITIVE_INFINITY };
  return unauthenticated(
    new EdgeLogError("AUTHENTICATION_FAILED", "the request was not authenticated by the host"),
    false,
  );
}

function isScopes(value: unknown): value is Scopes {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Scopes).admin === "boolean" &&
    typeof (value as Scopes).allows === "function"
  );
}

/** Puts a verified session on the request's context. */
export function useSession(c: Context<AppEnv>, session: Session): void {
  c.set("rights", session.rights);
  c.set("sessionEndsAt", session.endsAt);
}

/** Authenticates every /v1 request but health; sets `rights` and `sessionEndsAt`. */
export function authenticate(modeFor: (c: Context<AppEnv>) => AuthMode): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const path = new URL(c.req.url).pathname;
    const open = path === `${c.var.mountPath}/v1/health`;
    const session = await sessionFor(c, modeFor(c), open);
    if (session instanceof Response) return session;
    useSession(c, session);
    await next();
    return undefined;
  };
}

const TOPIC_WORDS: Readonly<Record<"produce" | "consume", string>> = {
  produce: "produce to",
  consume: "consume from",
};

/** Throws the 403 of Kafka's vocabulary unless the request holds `right` on `name`. */
export function requireRight(c: Context<AppEnv>, right: ResourceRight | "admin", name = ""): void {
  const rights = c.var.rights;
  if (right === "admin") {
    if (!rights.admin) throw new EdgeLogError("CLUSTER_AUTHORIZATION_FAILED", "this needs the `admin` scope");
    return;
  }
  if (rights.allows(right, name)) return;
  if (right === "group") {
    throw new EdgeLogError("GROUP_AUTHORIZATION_FAILED", `the caller may not act in group "${name}"`, {
      context: { groupId: name },
    });
  }
  throw new EdgeLogError(
    "TOPIC_AUTHORIZATION_FAILED",
    `the caller may not ${TOPIC_WORDS[right]} topic "${name}"`,
    {
      context: { topic: name },
    },
  );
}

/** Checks a route's need, from the rights table, before its handlers run. */
export function authorize(need: Need): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    checkNeed(c, need, (name) => c.req.param(name) ?? "");
    await next();
  };
}

/** Checks `need` with path parameters read by `param`. */
export function checkNeed(c: Context<AppEnv>, need: Need, param: (name: string) => string): void {
  switch (need.kind) {
    case "open":
    case "token":
      return;
    case "admin":
      requireRight(c, "admin");
      return;
    case "group":
      requireRight(c, "group", param("group"));
      return;
    case "topic": {
      const topic = param("topic");
      if (need.rights.some((right) => c.var.rights.allows(right, topic))) return;
      requireRight(c, need.rights[0] ?? "consume", topic);
      return;
    }
  }
}
