/**
 * @module
 * The JWKS behind `EDGELOG_JWKS_URL`: fetched on first use, kept for a TTL per isolate, and refetched once when a
 * token names a `kid` the cached set lacks (a key rotation) — but not more often than a cooldown, so tokens with
 * random `kid`s cannot make the Worker hammer the identity provider. Each key is imported for the one algorithm
 * its type allows (RSA → RS256, EC P-256 → ES256), so a key can never serve another algorithm.
 */
import { EdgeLogError } from "@edgelog/core";

/** How long a fetched key set is trusted. */
export const JWKS_TTL_MS = 10 * 60_000;
/** The least time between two fetches forced by unknown `kid`s. */
export const JWKS_REFETCH_COOLDOWN_MS = 30_000;

interface ImportedKey {
  readonly kid: string | undefined;
  readonly alg: "RS256" | "ES256";
  readonly key: CryptoKey;
}

export interface JwksCacheOptions {
  readonly url: string;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

export class JwksCache {
  readonly #url: string;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  #keys: readonly ImportedKey[] = [];
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #loading: Promise<void> | undefined;

  constructor(options: JwksCacheOptions) {
    this.#url = options.url;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#now = options.now ?? Date.now;
  }

  /** The keys that may verify a token of `alg` with `kid` (all of `alg` when the token names none). */
  async keysFor(alg: "RS256" | "ES256", kid: string | undefined): Promise<CryptoKey[]> {
    if (this.#now() - this.#fetchedAt > JWKS_TTL_MS) await this.#load();
    let found = this.#match(alg, kid);
    // An unknown `kid` may be a key rotated in since the last fetch: look once more, unless we just looked.
    if (
      found.length === 0 &&
      kid !== undefined &&
      this.#now() - this.#fetchedAt >= JWKS_REFETCH_COOLDOWN_MS
    ) {
      await this.#load();
      found = this.#match(alg, kid);
    }
    return found;
  }

  #match(alg: string, kid: string | undefined): CryptoKey[] {
    return this.#keys.filter((k) => k.alg === alg && (kid === undefined || k.kid === kid)).map((k) => k.key);
  }

  #load(): Promise<void> {
    // Concurrent requests share one fetch.
    this.#loading ??= this.#fetchKeys().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #fetchKeys(): Promise<void> {
    let body: unknown;
    try {
      const response = await this.#fetch(this.#url, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      body = await response.json();
    } catch (error) {
      // Keep the old keys (if any) and try again at the next request rather than at the next TTL.
      console.error("edgelog auth: could not fetch the JWKS", error);
      throw new EdgeLogError("AUTHENTICATION_FAILED", "the key set to verify the token is unavailable", {
        retriable: true,
      });
    }
    const list =
      typeof body === "object" && body !== null && "keys" in body && Array.isArray(body.keys)
        ? body.keys
        : [];
    const keys: ImportedKey[] = [];
    for (const jwk of list as unknown[]) {
      const imported = await importJwk(jwk);
      if (imported !== undefined) keys.push(imported);
    }
    this.#keys = keys;
    this.#fetchedAt = this.#now();
  }
}

/** A signature-verification key from one JWK, or `undefined` for keys edgelog does not use. */
async function importJwk(input: unknown): Promise<ImportedKey | undefined> {
  if (typeof input !== "object" || input === null) return undefined;
  const jwk = input as JsonWebKey & { kid?: unknown; use?: unknown };
  if (jwk.use !== undefined && jwk.use !== "sig") return undefined;
  const kid = typeof jwk.kid === "string" ? jwk.kid : undefined;
  // The JWK's own `alg`, when present, must agree with what its type implies.
  const { kty, alg, crv } = jwk;
  let algorithm: "RS256" | "ES256";
  let params: RsaHashedImportParams | EcKeyImportParams;
  if (kty === "RSA" && (alg === undefined || alg === "RS256")) {
    algorithm = "RS256";
    params = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  } else if (kty === "EC" && crv === "P-256" && (alg === undefined || alg === "ES256")) {
    algorithm = "ES256";
    params = { name: "ECDSA", namedCurve: "P-256" };
  } else return undefined;
  // Only the public members: a JWKS that (wrongly) publishes a private key must not make us hold it.
  const publicOnly = (
    kty === "RSA" ? { kty, n: jwk.n, e: jwk.e } : { kty, crv, x: jwk.x, y: jwk.y }
  ) as JsonWebKey;
  try {
    const key = await crypto.subtle.importKey("jwk", publicOnly, params, false, ["verify"]);
    return { kid, alg: algorithm, key };
  } catch {
    return undefined;
  }
}
