/**
 * @module
 * The variables the server reads from its host's env (a Worker's `[vars]`). The bindings a store needs (Durable
 * Object namespaces, say) are the host's business: the store factory receives the whole env, typed by the host.
 */

export interface ServerEnv {
  /** Comma-separated location hints that lead partitions, e.g. `"wnam,weur"`. */
  readonly REGIONS?: string;
  /** Comma-separated origins allowed by CORS; `"*"` allows any. */
  readonly ALLOWED_ORIGINS?: string;
  /** How long a `/ds` long-poll waits for data, in ms (default 20000). */
  readonly DS_LONG_POLL_TIMEOUT_MS?: string;
  /** HS256 secret that signs bearer tokens (a `wrangler secret`). */
  readonly EDGELOG_JWT_SECRET?: string;
  /** JWKS URL whose keys verify RS256/ES256 bearer tokens. */
  readonly EDGELOG_JWKS_URL?: string;
  /** `"none"` runs the API open, only when neither a secret nor a JWKS is configured. */
  readonly EDGELOG_AUTH?: string;
  /** Caps what every Workers binding call may do (scopes, as a token's); unset, bindings hold every right. */
  readonly EDGELOG_BINDING_SCOPES?: string;
  /**
   * `"true"` only in development: serves `PUT /v1/faults/regions/{region}` (the fault switch). Without it the
   * route does not exist.
   */
  readonly EDGELOG_FAULTS?: string;
  /**
   * `"true"`: a fetch that names no `region` reads from the in-sync replica in the region nearest the request
   * (`request.cf`), when its partition has one there. Unset (the default), such reads go to the leader.
   */
  readonly EDGELOG_READ_NEAREST?: string;
  /** Requests per second per subject (docs/http-api.md "Quotas"); `unlimited` turns the quota off. */
  readonly EDGELOG_QUOTA_REQUESTS_PER_SEC?: string;
  /** Produce body bytes per second per subject; `unlimited` turns the quota off. */
  readonly EDGELOG_QUOTA_PRODUCE_BYTES_PER_SEC?: string;
  /**
   * How long catch-up reads may be cached, in whole seconds (docs/http-api.md "Cached catch-up reads"): default
   * 10, at most 60; `0` or `off` turns cacheable reads off.
   */
  readonly EDGELOG_READ_CACHE_MAX_AGE_S?: string;
}
