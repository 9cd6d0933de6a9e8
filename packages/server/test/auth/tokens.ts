/**
 * @module
 * Test tokens: HS256 by `signToken`, RS256/ES256 by keys generated here, and hand-made malformed ones.
 */
import { base64UrlEncode, signToken } from "../../src/auth/sign.ts";

export const SECRET = "test-secret-of-enough-length-0123456789";
export const NOW_MS = 1_764_000_000_000;
const NOW_S = NOW_MS / 1000;
const utf8 = new TextEncoder();

export function part(value: unknown): string {
  return base64UrlEncode(utf8.encode(JSON.stringify(value)));
}

/** HS256 over arbitrary header and claims (for tokens `signToken` would not make). */
export async function hs256(header: object, claims: object, secret = SECRET): Promise<string> {
  const input = `${part(header)}.${part(claims)}`;
  const key = await crypto.subtle.importKey(
    "raw",
    utf8.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return `${input}.${base64UrlEncode(new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8.encode(input))))}`;
}

export function token(scope: string, ttlSeconds = 600): Promise<string> {
  return signToken({ secret: SECRET, scope, ttlSeconds, now: NOW_MS, subject: "tester" });
}

export const expired = (scope: string) => hs256({ alg: "HS256" }, { scope, exp: NOW_S - 3600 });
export const badSignature = (scope: string) =>
  hs256({ alg: "HS256" }, { scope, exp: NOW_S + 600 }, "another-secret");
export const algNone = (scope: string) =>
  `${part({ alg: "none", typ: "JWT" })}.${part({ scope, exp: NOW_S + 600 })}.`;

export interface SigningKey {
  readonly alg: "RS256" | "ES256";
  readonly kid: string;
  readonly jwk: JsonWebKey & { kid: string };
  sign(claims: object, header?: object): Promise<string>;
}

export async function signingKey(alg: "RS256" | "ES256", kid: string): Promise<SigningKey> {
  const params =
    alg === "RS256"
      ? {
          name: "RSASSA-PKCS1-v1_5",
          modulusLength: 2048,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: "SHA-256",
        }
      : { name: "ECDSA", namedCurve: "P-256" };
  const pair = (await crypto.subtle.generateKey(params, true, ["sign", "verify"])) as CryptoKeyPair;
  const jwk = { ...(await crypto.subtle.exportKey("jwk", pair.publicKey)), kid };
  return {
    alg,
    kid,
    jwk,
    async sign(claims, header = { alg, kid }) {
      const input = `${part(header)}.${part(claims)}`;
      const signParams = alg === "RS256" ? { name: "RSASSA-PKCS1-v1_5" } : { name: "ECDSA", hash: "SHA-256" };
      const signature = await crypto.subtle.sign(signParams, pair.privateKey, utf8.encode(input));
      return `${input}.${base64UrlEncode(new Uint8Array(signature))}`;
    },
  };
}

/** A `fetch` serving a JWKS whose keys the test may change, counting requests. */
export function jwksServer(keys: JsonWebKey[]) {
  const server = {
    keys,
    requests: 0,
    fetch: (async () => {
      server.requests++;
      return Response.json({ keys: server.keys });
    }) as typeof fetch,
  };
  return server;
}
