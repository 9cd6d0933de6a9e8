import { isEdgeLogError } from "@edgelog/core";
import { describe, expect, it } from "vitest";
import { JwksCache } from "../../src/auth/jwks.ts";
import { importHmacSecret, type JwtKeys, verifyJwt } from "../../src/auth/jwt.ts";
import {
  algNone,
  badSignature,
  expired,
  hs256,
  jwksServer,
  NOW_MS,
  part,
  SECRET,
  signingKey,
  token,
} from "./tokens.ts";

const NOW_S = NOW_MS / 1000;

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isEdgeLogError(error) && error.code === "AUTHENTICATION_FAILED") return error.message;
    throw error;
  }
  throw new Error("the token was accepted");
}

describe("HS256", async () => {
  const keys: JwtKeys = { hmac: await importHmacSecret(SECRET) };

  it("accepts a valid token and returns its claims", async () => {
    const claims = await verifyJwt(await token("produce:orders"), keys, NOW_MS);
    expect(claims).toMatchObject({ sub: "tester", scope: "produce:orders", exp: NOW_S + 600 });
  });

  it("refuses an expired token, but allows 60 s of clock skew", async () => {
    expect(await refusal(verifyJwt(await expired("admin"), keys, NOW_MS))).toMatch(/expired/);
    const justPast = await hs256({ alg: "HS256" }, { exp: NOW_S - 30 });
    await expect(verifyJwt(justPast, keys, NOW_MS)).resolves.toMatchObject({ exp: NOW_S - 30 });
    const past = await hs256({ alg: "HS256" }, { exp: NOW_S - 61 });
    expect(await refusal(verifyJwt(past, keys, NOW_MS))).toMatch(/expired/);
  });

  it("refuses a token whose nbf or iat is in the future", async () => {
    const early = await hs256({ alg: "HS256" }, { exp: NOW_S + 7200, nbf: NOW_S + 3600 });
    expect(await refusal(verifyJwt(early, keys, NOW_MS))).toMatch(/nbf/);
    const issuedLater = await hs256({ alg: "HS256" }, { exp: NOW_S + 7200, iat: NOW_S + 3600 });
    expect(await refusal(verifyJwt(issuedLater, keys, NOW_MS))).toMatch(/future/);
    const skewed = await hs256({ alg: "HS256" }, { exp: NOW_S + 7200, nbf: NOW_S + 30, iat: NOW_S + 30 });
    await expect(verifyJwt(skewed, keys, NOW_MS)).resolves.toBeDefined();
  });

  it("refuses a bad signature", async () => {
    expect(await refusal(verifyJwt(await badSignature("admin"), keys, NOW_MS))).toMatch(/signature/);
  });

  it("refuses alg none, with or without a signature", async () => {
    expect(await refusal(verifyJwt(algNone("admin"), keys, NOW_MS))).toMatch(/algorithm/);
    const signed = await hs256({ alg: "none" }, { exp: NOW_S + 600 });
    expect(await refusal(verifyJwt(signed, keys, NOW_MS))).toMatch(/algorithm/);
    for (const alg of ["None", "NONE", "HS512", "", null, 1]) {
      expect(await refusal(verifyJwt(await hs256({ alg }, { exp: NOW_S + 600 }), keys, NOW_MS))).toMatch(
        /algorithm/,
      );
    }
  });

  it("refuses a token without exp, or with exp not a number", async () => {
    expect(await refusal(verifyJwt(await hs256({ alg: "HS256" }, { scope: "admin" }), keys, NOW_MS))).toMatch(
      /exp/,
    );
    const text = await hs256({ alg: "HS256" }, { exp: String(NOW_S + 600) });
    expect(await refusal(verifyJwt(text, keys, NOW_MS))).toMatch(/exp/);
  });

  it("refuses malformed tokens", async () => {
    const good = await token("admin");
    const [header, payload, signature] = good.split(".") as [string, string, string];
    const malformed = [
      "",
      "abc",
      `${header}.${payload}`,
      `${good}.extra`,
      `${header}!.${payload}.${signature}`,
      `${header}.${payload}.${signature}+/`,
      `${part("not an object")}.${payload}.${signature}`,
      `${header}.${btoa("{not json").replaceAll("=", "")}.${signature}`,
      `a.${payload}.${signature}`,
    ];
    for (const bad of malformed) await refusal(verifyJwt(bad, keys, NOW_MS));
    // A payload that is valid JSON but not an object is refused even with a right signature.
    const array = await hs256({ alg: "HS256" }, [1, 2]);
    expect(await refusal(verifyJwt(array, keys, NOW_MS))).toMatch(/object/);
  });

  it("refuses a scope or sub that is not a string", async () => {
    await refusal(
      verifyJwt(await hs256({ alg: "HS256" }, { exp: NOW_S + 60, scope: ["admin"] }), keys, NOW_MS),
    );
    await refusal(verifyJwt(await hs256({ alg: "HS256" }, { exp: NOW_S + 60, sub: 7 }), keys, NOW_MS));
  });
});

describe("RS256 and ES256 from a JWKS", async () => {
  const rsa = await signingKey("RS256", "rsa-1");
  const ec = await signingKey("ES256", "ec-1");
  const claims = { scope: "consume:orders", exp: NOW_S + 600 };

  function jwksKeys(server: ReturnType<typeof jwksServer>, now = () => NOW_MS): JwtKeys {
    return { jwks: new JwksCache({ url: "https://idp.example/jwks", fetch: server.fetch, now }) };
  }

  it("accepts tokens signed by a key of the set", async () => {
    const keys = jwksKeys(jwksServer([rsa.jwk, ec.jwk]));
    await expect(verifyJwt(await rsa.sign(claims), keys, NOW_MS)).resolves.toMatchObject(claims);
    await expect(verifyJwt(await ec.sign(claims), keys, NOW_MS)).resolves.toMatchObject(claims);
    // Without a kid, every key of the algorithm is tried.
    await expect(verifyJwt(await ec.sign(claims, { alg: "ES256" }), keys, NOW_MS)).resolves.toBeDefined();
  });

  it("refuses a token signed by a key outside the set, or claiming another key's algorithm", async () => {
    const stranger = await signingKey("RS256", "rsa-1");
    const keys = jwksKeys(jwksServer([rsa.jwk, ec.jwk]));
    expect(await refusal(verifyJwt(await stranger.sign(claims), keys, NOW_MS))).toMatch(/signature/);
    // An EC signature sent as RS256 under the RSA key's kid.
    expect(
      await refusal(verifyJwt(await ec.sign(claims, { alg: "RS256", kid: "rsa-1" }), keys, NOW_MS)),
    ).toMatch(/signature/);
  });

  it("never lets an HS token through when only a JWKS is configured (no key confusion)", async () => {
    const keys = jwksKeys(jwksServer([rsa.jwk]));
    // The classic attack: HMAC keyed with the public key's bytes.
    const forged = await hs256({ alg: "HS256", kid: "rsa-1" }, claims, JSON.stringify(rsa.jwk));
    expect(await refusal(verifyJwt(forged, keys, NOW_MS))).toMatch(/HS256 tokens are not accepted/);
  });

  it("never lets an RS or ES token through when only a secret is configured", async () => {
    const keys: JwtKeys = { hmac: await importHmacSecret(SECRET) };
    expect(await refusal(verifyJwt(await rsa.sign(claims), keys, NOW_MS))).toMatch(
      /RS256 tokens are not accepted/,
    );
    expect(await refusal(verifyJwt(await ec.sign(claims), keys, NOW_MS))).toMatch(
      /ES256 tokens are not accepted/,
    );
  });

  it("caches the set, refetches once on an unknown kid, and not again within the cooldown", async () => {
    let now = NOW_MS;
    const server = jwksServer([rsa.jwk]);
    const keys = jwksKeys(server, () => now);
    await verifyJwt(await rsa.sign(claims), keys, NOW_MS);
    await verifyJwt(await rsa.sign(claims), keys, NOW_MS);
    expect(server.requests).toBe(1);
    // A key rotated in: the first token naming it triggers one refetch (once the cooldown has passed).
    const rotated = await signingKey("ES256", "ec-2");
    server.keys = [rsa.jwk, rotated.jwk];
    now += 31_000;
    await expect(verifyJwt(await rotated.sign(claims), keys, NOW_MS)).resolves.toBeDefined();
    expect(server.requests).toBe(2);
    // Unknown kids right after a fetch do not fetch again.
    for (let i = 0; i < 5; i++) {
      await refusal(verifyJwt(await rotated.sign(claims, { alg: "ES256", kid: `nope-${i}` }), keys, NOW_MS));
    }
    expect(server.requests).toBe(2);
    // After the TTL the set is fetched again.
    now += 11 * 60_000;
    await verifyJwt(await rsa.sign(claims), keys, NOW_MS);
    expect(server.requests).toBe(3);
  });

  it("answers AUTHENTICATION_FAILED when the JWKS cannot be fetched", async () => {
    const keys: JwtKeys = {
      jwks: new JwksCache({
        url: "https://idp.example/jwks",
        fetch: async () => new Response("down", { status: 503 }),
      }),
    };
    const original = console.error;
    console.error = () => {};
    try {
      expect(await refusal(verifyJwt(await rsa.sign(claims), keys, NOW_MS))).toMatch(/unavailable/);
    } finally {
      console.error = original;
    }
  });
});
