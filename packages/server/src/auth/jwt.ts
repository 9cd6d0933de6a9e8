/**
 * @module
 * JWT verification with WebCrypto only (runs in workerd, Node and browsers): HS256 against a shared secret,
 * RS256/ES256 against a JWKS. The algorithm is pinned by configuration, never taken on the token's word: `none`
 * is refused, an HS token is refused when only a JWKS is configured and an RS/ES token when only a secret is, and
 * a public key is never used as an HMAC secret (each key is imported for exactly one algorithm). Every failure is
 * one `AUTHENTICATION_FAILED` whose message says what was wrong with the token, never anything about the keys.
 */
import { EdgeLogError } from "@edgelog/core";
import type { JwksCache } from "./jwks.ts";

/** The algorithms edgelog verifies. */
export type JwtAlgorithm = "HS256" | "RS256" | "ES256";

/** How far a clock may differ from ours when checking `exp`, `nbf` and `iat` (RFC 7519 §4.1.4 allows leeway). */
export const CLOCK_SKEW_SECONDS = 60;

/** What verification needs: an HMAC key for HS256, a JWKS for RS256/ES256 (at least one). */
export interface JwtKeys {
  readonly hmac?: CryptoKey | undefined;
  readonly jwks?: JwksCache | undefined;
}

/** The claims edgelog reads; a verified token may carry others. */
export interface JwtClaims {
  readonly exp: number;
  readonly sub?: string | undefined;
  readonly scope?: string | undefined;
  readonly nbf?: number | undefined;
  readonly iat?: number | undefined;
}

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const BASE64URL = /^[A-Za-z0-9_-]*$/;

function refused(message: string): EdgeLogError {
  return new EdgeLogError("AUTHENTICATION_FAILED", message);
}

/** Imports the HS256 secret once; the key can only verify HMAC-SHA-256. */
export async function importHmacSecret(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", utf8.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "verify",
  ]);
}

/** base64url (RFC 7515 §2, no padding) to bytes, refusing anything else. */
export function base64UrlDecode(text: string): Uint8Array<ArrayBuffer> {
  if (!BASE64URL.test(text) || text.length % 4 === 1) throw refused("the token is not base64url");
  const padded = text.replaceAll("-", "+").replaceAll("_", "/") + "=".repeat((4 - (text.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function decodeJson(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(base64UrlDecode(part)));
  } catch (error) {
    if (error instanceof EdgeLogError) throw error;
    throw refused(`the token's ${what} is not JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw refused(`the token's ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function optionalNumber(claims: Record<string, unknown>, name: string): number | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value))
    throw refused(`the \`${name}\` claim is not a number`);
  return value;
}

/**
 * Verifies a compact JWS and its time claims; returns its claims or throws `AUTHENTICATION_FAILED`.
 * @example
 * const claims = await verifyJwt(token, { hmac: await importHmacSecret(secret) }, Date.now());
 */
export async function verifyJwt(token: string, keys: JwtKeys, nowMs: number): Promise<JwtClaims> {
  const parts = token.split(".");
  if (parts.length !== 3) throw refused("the token is not a JWT (three dot-separated parts)");
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeJson(headerPart, "header");
  const alg = header.alg;
  // The configuration decides which algorithms exist; the header only selects among them.
  let verified: boolean;
  const signature = base64UrlDecode(signaturePart);
  const signed = utf8.encode(`${headerPart}.${payloadPart}`);
  if (alg === "HS256") {
    if (keys.hmac === undefined)
      throw refused("HS256 tokens are not accepted here (no secret is configured)");
    verified = await crypto.subtle.verify("HMAC", keys.hmac, signature, signed);
  } else if (alg === "RS256" || alg === "ES256") {
    if (keys.jwks === undefined) throw refused(`${alg} tokens are not accepted here (no JWKS is configured)`);
    const kid = typeof header.kid === "string" ? header.kid : undefined;
    const candidates = await keys.jwks.keysFor(alg, kid);
    if (candidates.length === 0)
      throw refused(`no ${alg} key${kid === undefined ? "" : ` "${kid}"`} in the JWKS`);
    verified = false;
    for (const key of candidates) {
      const params = alg === "RS256" ? { name: "RSASSA-PKCS1-v1_5" } : { name: "ECDSA", hash: "SHA-256" };
      if (await crypto.subtle.verify(params, key, signature, signed)) {
        verified = true;
        break;
      }
    }
  } else {
    throw refused(`the token's algorithm ${JSON.stringify(alg)} is not accepted`);
  }
  if (!verified) throw refused("the token's signature does not verify");
  const claims = decodeJson(payloadPart, "payload");
  const now = nowMs / 1000;
  const exp = optionalNumber(claims, "exp");
  if (exp === undefined) throw refused("the token has no `exp` claim");
  if (now > exp + CLOCK_SKEW_SECONDS) throw refused("the token has expired");
  const nbf = optionalNumber(claims, "nbf");
  if (nbf !== undefined && now < nbf - CLOCK_SKEW_SECONDS)
    throw refused("the token is not valid yet (`nbf`)");
  const iat = optionalNumber(claims, "iat");
  if (iat !== undefined && now < iat - CLOCK_SKEW_SECONDS)
    throw refused("the token was issued in the future");
  const { sub, scope } = claims;
  if (sub !== undefined && typeof sub !== "string") throw refused("the `sub` claim is not a string");
  if (scope !== undefined && typeof scope !== "string") throw refused("the `scope` claim is not a string");
  return { exp, sub, scope, nbf, iat };
}
