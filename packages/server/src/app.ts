/**
 * @module
 * `createApp`: the v1 HTTP API and Durable Streams (docs/http-api.md) as a Hono app over any `LogStore`. The Worker
 * entry (apps/worker) passes a Durable Object store; tests pass a `MemoryStore` and call `app.request(...)`.
 */
import { isEdgeLogError, type LogStore } from "@edgelog/core";
import { type Context, Hono } from "hono";
import { type AuthMode, type AuthOption, authResolver } from "./auth/config.ts";
import { authenticate, checkNeed, sessionFor, useSession } from "./auth/middleware.ts";
import { streamNeed } from "./auth/rights.ts";
import type { AppEnv } from "./context.ts";
import { corsMiddleware } from "./cors.ts";
import { DS_PREFIX, topicForStream } from "./ds/names.ts";
import {
  DEFAULT_DS_LONG_POLL_TIMEOUT_MS,
  DEFAULT_DS_SSE_MAX_CONNECTION_MS,
  durableStreams,
} from "./ds/routes.ts";
import { withStreamHeaders } from "./ds/wire.ts";
import type { ServerEnv } from "./env.ts";
import { errorResponse, handleError, handleNotFound } from "./errors.ts";
import { jsonCharset } from "./json-charset.ts";
import { SSE_KEEP_ALIVE_MS } from "./limits.ts";
import { matchedPrefix } from "./mount.ts";
import { perEnv } from "./per-env.ts";
import { chargeRequest, quotaRefusal } from "./quota/charge.ts";
import { type QuotaOption, quotaResolver } from "./quota/option.ts";
import { type ReadCacheOption, readCacheResolver } from "./read-cache/option.ts";
import { route } from "./route.ts";
import { batchRoutes } from "./routes/batches.ts";
import { clusterRoutes } from "./routes/cluster.ts";
import { electRoutes } from "./routes/elect.ts";
import { faultRoutes } from "./routes/faults.ts";
import { fetchRoutes } from "./routes/fetch.ts";
import { groupRoutes } from "./routes/groups.ts";
import { offsetRoutes } from "./routes/offsets.ts";
import { produceRoutes } from "./routes/produce.ts";
import { shareGroupRoutes } from "./routes/share-groups.ts";
import { streamRoutes } from "./routes/streams.ts";
import { topicRoutes } from "./routes/topics.ts";
import { waitRoutes } from "./routes/wait.ts";
import { whoamiRoutes } from "./routes/whoami.ts";
import { securityHeaders } from "./security-headers.ts";
import { requireWriteContentType } from "./write-content-type.ts";

export type { QuotaOption } from "./quota/option.ts";
export type { ReadCache, ReadCacheOption } from "./read-cache/option.ts";

export interface AppOptions<E extends ServerEnv = ServerEnv> {
  /**
   * Makes the store for an env; called once per env object (per isolate in a Worker), then reused. `E` is the
   * host's env (its bindings as well as the variables the server reads).
   */
  readonly store: (env: E) => LogStore;
  /** Clock for records without a timestamp; tests inject one. Default `Date.now`. */
  readonly now?: () => number;
  /** Picks the partition of keyless records, like `Math.random` (the default). */
  readonly random?: () => number;
  /** Idle time after which an SSE stream sends a keep-alive comment. Default 15 s. */
  readonly sseKeepAliveMs?: number;
  /** `/ds` long-poll wait; default `DS_LONG_POLL_TIMEOUT_MS` from the env, else 20 s. */
  readonly dsLongPollTimeoutMs?: number;
  /** `/ds` SSE connection lifetime before the client resumes. Default 60 s. */
  readonly dsSseMaxConnectionMs?: number;
  /** Bytes of whole batches one `/ds` read answer (or SSE data event) carries. Default 4 MiB. */
  readonly dsChunkMaxBytes?: number;
  /**
   * Authentication (docs/http-api.md "Authentication"): `"none"` runs open, `{ secret, jwksUrl }` verifies bearer
   * tokens with these keys, `{ rights: (c) => scopes }` takes the rights a host's own middleware granted (a scope
   * string such as `"produce:orders"`; `null`/`undefined` → 401). Default: from the env (`EDGELOG_JWT_SECRET`,
   * `EDGELOG_JWKS_URL`, `EDGELOG_AUTH`); with none of them every route but health answers 401.
   */
  readonly auth?: AuthOption;
  /**
   * Quotas per subject (docs/http-api.md "Quotas"): `"none"` turns them off. Otherwise `gate` makes the gate
   * for an env, once per env like `store` (default: an in-memory gate, which counts within one process only),
   * and the rates, where given, override `EDGELOG_QUOTA_REQUESTS_PER_SEC` / `EDGELOG_QUOTA_PRODUCE_BYTES_PER_SEC`.
   */
  readonly quota?: QuotaOption<E>;
  /**
   * Cacheable catch-up reads (docs/http-api.md "Cached catch-up reads"): `"none"` turns them off; `maxAgeMs`
   * overrides `EDGELOG_READ_CACHE_MAX_AGE_S` (default 10 s, at most 60 s); `cache` replaces the Workers Cache API
   * (`caches.default`, used where the runtime has it; `null`: headers only). Only a store that holds its deletions
   * back for cached answers (the Durable Object store) ever gives one; over any other store nothing changes.
   */
  readonly readCache?: ReadCacheOption;
}

/**
 * @example
 * const app = createApp({ store: () => new MemoryStore() });
 * const res = await app.request("/v1/health"); // 200 { status: "ok" }
 */
export function createApp<E extends ServerEnv = ServerEnv>(options: AppOptions<E>): Hono<AppEnv> {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  // The env is the host's (`E`); Hono types it as what the routes read.
  const storeFor = perEnv<E, LogStore>(options.store) as (env: ServerEnv | undefined) => LogStore;
  const quotaFor = quotaResolver(options.quota, now);

  const authMode = authResolver(options.auth);
  const readCacheFor = readCacheResolver(options.readCache);

  const app = new Hono<AppEnv>();
  app.onError(handleError);
  app.notFound(handleNotFound);
  app.use("*", securityHeaders());
  app.use("*", async (c, next) => {
    c.set("store", storeFor(c.env));
    c.set("now", now);
    c.set("random", random);
    c.set("mountPath", matchedPrefix(c));
    c.set("quota", quotaFor(c.env));
    c.set("readCache", readCacheFor(c.env, authMode(c.env).kind !== "none"));
    await next();
  });
  // Durable Streams answer every /ds request themselves, with the protocol's own CORS and headers; the token's
  // right on the stream's topic is checked first.
  app.use("/ds/*", async (c, next) => {
    const refused = await authorizeStream(c, authMode(c.env));
    if (refused !== undefined) {
      return withStreamHeaders(refused, c.req.header("Origin"), c.env?.ALLOWED_ORIGINS, false);
    }
    const throttled = c.req.method === "OPTIONS" ? undefined : await quotaRefusal(c);
    if (throttled !== undefined) {
      return withStreamHeaders(throttled, c.req.header("Origin"), c.env?.ALLOWED_ORIGINS, false);
    }
    return durableStreams({
      longPollTimeoutMs:
        options.dsLongPollTimeoutMs ??
        (Number(c.env?.DS_LONG_POLL_TIMEOUT_MS) || DEFAULT_DS_LONG_POLL_TIMEOUT_MS),
      sseMaxConnectionMs: options.dsSseMaxConnectionMs ?? DEFAULT_DS_SSE_MAX_CONNECTION_MS,
      chunkMaxBytes: options.dsChunkMaxBytes,
    })(c, next);
  });
  app.use("*", corsMiddleware());
  // Outside auth, so that a refusal says its charset too.
  app.use("/v1/*", jsonCharset());
  app.use(
    "*",
    authenticate((c) => authMode(c.env)),
  );
  app.use("*", chargeRequest());
  app.use("/v1/*", requireWriteContentType());

  // `auth` tells the console (and operators) how the deployment authenticates; `status` is fixed.
  route(app, "/v1/health", { get: async (c) => c.json({ status: "ok", auth: authMode(c.env).kind }) });
  topicRoutes(app);
  produceRoutes(app);
  fetchRoutes(app, { keepAliveMs: options.sseKeepAliveMs ?? SSE_KEEP_ALIVE_MS });
  batchRoutes(app);
  offsetRoutes(app);
  groupRoutes(app);
  shareGroupRoutes(app);
  waitRoutes(app);
  electRoutes(app);
  faultRoutes(app);
  whoamiRoutes(app, (c) => authMode(c.env).kind);
  clusterRoutes(app);
  streamRoutes(app);
  // A host that mounts the app keeps its own not-found handler (Hono uses the outer app's), so unknown paths of
  // the API answer the API's 404 here; at the root this is the same answer `notFound` gives.
  app.all("/v1/*", handleNotFound);
  return app;
}

/** The 401/403 for a `/ds` request whose token lacks the right on the stream's topic, or `undefined`. */
async function authorizeStream(c: Context<AppEnv>, mode: AuthMode): Promise<Response | undefined> {
  const session = await sessionFor(c, mode, false);
  if (session instanceof Response) return session;
  useSession(c, session);
  const path = new URL(c.req.url).pathname.slice(`${c.var.mountPath}${DS_PREFIX}`.length);
  // A path that names no topic is answered by the protocol (400/404) to callers holding any right at all.
  const topic = topicForStream(path) ?? "";
  try {
    checkNeed(c, streamNeed(c.req.method), () => topic);
  } catch (error) {
    if (isEdgeLogError(error)) return errorResponse(error);
    throw error;
  }
  return undefined;
}
