/**
 * @module
 * Minting HS256 tokens for edgelog, for an app's backend (an endpoint that hands its signed-in users a short-lived
 * token with the scopes they may use), `npm run token` and tests. WebCrypto only, so it runs in a Worker too.
 */

const utf8 = new TextEncoder();

export interface TokenOptions {
  /** The HS256 secret, the Worker's `EDGELOG_JWT_SECRET`. */
  readonly secret: string;
  /** Space-separated rights: `admin`, `produce:P`, `consume:P`, `group:P`. */
  readonly scope: string;
  /** Lifetime in seconds (default an hour). Keep it short: a token cannot be revoked before it expires. */
  readonly ttlSeconds?: number;
  /** Who the token is for (`sub`): quotas and logs name it. */
  readonly subject?: string;
  /** Clock, in ms; default `Date.now()`. */
  readonly now?: number;
}

/** base64url without padding (RFC 7515 §2). */
export function base64UrlEncode(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * @example
 * const token = await signToken({ secret: env.EDGELOG_JWT_SECRET, scope: "produce:orders", subject: user.id });
 */
export async function signToken(options: TokenOptions): Promise<string> {
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  const payload = {
    ...(options.subject === undefined ? {} : { sub: options.subject }),
    scope: options.scope,
    iat,
    exp: iat + (options.ttlSeconds ?? 3600),
  };
  const encode = (value: unknown) => base64UrlEncode(utf8.encode(JSON.stringify(value)));
  const signingInput = `${encode({ alg: "HS256", typ: "JWT" })}.${encode(payload)}`;
  const key = await crypto.subtle.importKey(
    "raw",
    utf8.encode(options.secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8.encode(signingInput)));
  return `${signingInput}.${base64UrlEncode(signature)}`;
}
