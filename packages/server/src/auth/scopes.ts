/**
 * @module
 * Rights from a token's `scope` claim (space-separated, as in OAuth 2.0): `admin`, `produce:P`, `consume:P`,
 * `group:P`, where P is an exact name, a prefix ending in `*`, or `*`. Pure: no I/O, no clock. Patterns are kept
 * in arrays, never as object keys, so names such as `__proto__` are just strings here. `admin` grants every
 * right (an operator's token): whoever may delete a topic or reset a group gains nothing by being refused a read.
 * Unknown scope words are ignored, so an identity provider may put its own scopes in the same claim.
 */

/** What a right is about: produce to / consume from a topic, act in a group. */
export type ResourceRight = "produce" | "consume" | "group";

interface Pattern {
  readonly value: string;
  /** `true` for `value*` (prefix), `false` for an exact name. `*` alone is a prefix of "". */
  readonly prefix: boolean;
}

export interface Scopes {
  readonly admin: boolean;
  /** Whether the token holds `right` on `name`. */
  allows(right: ResourceRight, name: string): boolean;
  /**
   * The scope words that granted something, in the claim's order, each once (`admin`, `consume:orders`): what
   * `GET /v1/whoami` shows. Absent where the rights cannot be listed (a host's own `Scopes`, an intersection).
   */
  readonly granted?: readonly string[];
}

/** Parses a `scope` claim; anything but a string is no rights at all. */
export function parseScopes(claim: unknown): Scopes {
  let admin = false;
  const patterns: Record<ResourceRight, Pattern[]> = { produce: [], consume: [], group: [] };
  const granted = new Set<string>();
  if (typeof claim === "string") {
    for (const word of claim.split(" ")) {
      if (word === "admin") {
        admin = true;
        granted.add(word);
        continue;
      }
      const colon = word.indexOf(":");
      if (colon < 0) continue;
      const kind = word.slice(0, colon);
      const pattern = word.slice(colon + 1);
      if ((kind !== "produce" && kind !== "consume" && kind !== "group") || pattern.length === 0) continue;
      granted.add(word);
      patterns[kind].push(
        pattern.endsWith("*")
          ? { value: pattern.slice(0, -1), prefix: true }
          : { value: pattern, prefix: false },
      );
    }
  }
  return {
    admin,
    granted: [...granted],
    allows(right, name) {
      return admin || patterns[right].some((p) => (p.prefix ? name.startsWith(p.value) : name === p.value));
    },
  };
}

/** Every right: what a request holds when the deployment runs open (`EDGELOG_AUTH=none`). */
export const ALL_RIGHTS: Scopes = { admin: true, allows: () => true, granted: ["admin"] };

/** The rights both `a` and `b` hold: a cap and a narrowing, say. */
export function intersectScopes(a: Scopes, b: Scopes): Scopes {
  return {
    admin: a.admin && b.admin,
    allows: (right, name) => a.allows(right, name) && b.allows(right, name),
  };
}
