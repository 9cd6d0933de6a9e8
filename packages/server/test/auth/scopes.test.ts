import { describe, expect, it } from "vitest";
import { parseScopes } from "../../src/auth/scopes.ts";

describe("parseScopes", () => {
  it("grants exact names, prefixes ending in * and *", () => {
    const scopes = parseScopes("produce:orders consume:logs.* group:*");
    expect(scopes.admin).toBe(false);
    expect(scopes.allows("produce", "orders")).toBe(true);
    expect(scopes.allows("produce", "orders2")).toBe(false);
    expect(scopes.allows("produce", "order")).toBe(false);
    expect(scopes.allows("consume", "orders")).toBe(false);
    expect(scopes.allows("consume", "logs.a")).toBe(true);
    expect(scopes.allows("consume", "logs.")).toBe(true);
    expect(scopes.allows("consume", "logs")).toBe(false);
    expect(scopes.allows("group", "anything")).toBe(true);
    expect(scopes.allows("produce", "logs.a")).toBe(false);
  });

  it("makes admin grant every right", () => {
    const scopes = parseScopes("admin");
    expect(scopes.admin).toBe(true);
    expect(scopes.allows("produce", "x")).toBe(true);
    expect(scopes.allows("group", "g")).toBe(true);
  });

  it("grants nothing for an empty, missing or non-string scope", () => {
    for (const claim of ["", " ", undefined, null, 7, ["admin"], { admin: true }]) {
      const scopes = parseScopes(claim);
      expect(scopes.admin).toBe(false);
      expect(scopes.allows("produce", "x")).toBe(false);
      expect(scopes.allows("consume", "")).toBe(false);
    }
  });

  it("treats names that are object properties as plain strings", () => {
    const scopes = parseScopes("consume:__proto__ produce:constructor group:toString");
    expect(scopes.allows("consume", "__proto__")).toBe(true);
    expect(scopes.allows("consume", "constructor")).toBe(false);
    expect(scopes.allows("produce", "constructor")).toBe(true);
    expect(scopes.allows("group", "toString")).toBe(true);
    expect(scopes.allows("group", "valueOf")).toBe(false);
    // Verbs that are object properties are not rights.
    const odd = parseScopes("__proto__:x constructor:* toString:a hasOwnProperty:*");
    expect(odd.admin).toBe(false);
    expect(odd.allows("produce", "x")).toBe(false);
  });

  it("ignores unknown words, empty patterns and extra spaces", () => {
    const scopes = parseScopes("  openid profile produce: consume:orders  ADMIN admin:x ");
    expect(scopes.admin).toBe(false);
    expect(scopes.allows("produce", "")).toBe(false);
    expect(scopes.allows("consume", "orders")).toBe(true);
  });
});
