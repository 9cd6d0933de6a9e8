/**
 * @module
 * What the signed-in caller may do, from `GET /v1/whoami` (the server's reading of the token: subject, `admin`,
 * the granted scope words), so screens show only the actions the token allows: `can("produce", topic)`,
 * `isAdmin()`. This only hides buttons — the server checks every request again, and its 403 is shown as is.
 *
 * The matching mirrors the scope grammar of docs/http-api.md "Authentication" (`P` exact, `P*` a prefix, `*`
 * anything). When the server cannot list the rights (a host's own sign-in) or could not be asked, nothing is
 * hidden and the server's refusals speak instead.
 */
import { computed, signal } from "@preact/signals";
import { api, fetchWith } from "./session.ts";

export type ResourceRight = "produce" | "consume" | "group";

/** `GET /v1/whoami`. */
export interface Identity {
  /** The token's `sub`; `null` without one (open server, a token without `sub`). */
  readonly subject: string | null;
  readonly auth: string;
  readonly admin: boolean;
  /** Granted scope words (`admin`, `consume:orders`, `produce:logs.*`); `null` when the server cannot list them. */
  readonly rights: readonly string[] | null;
  /** When the token expires (ms), `null` when nothing expires. */
  readonly expiresAt: number | null;
}

/** The caller as the server sees them; `null` until known (not signed in, or not asked yet). */
export const identity = signal<Identity | null>(null);

interface Grant {
  readonly right: ResourceRight;
  readonly pattern: string;
  readonly prefix: boolean;
}

/** The resource grants of the identity, parsed once per identity. */
const grants = computed<readonly Grant[] | null>(() => {
  const rights = identity.value?.rights;
  if (rights === null || rights === undefined) return null;
  const parsed: Grant[] = [];
  for (const word of rights) {
    const colon = word.indexOf(":");
    const right = word.slice(0, colon);
    if (colon < 0 || (right !== "produce" && right !== "consume" && right !== "group")) continue;
    const pattern = word.slice(colon + 1);
    parsed.push(
      pattern.endsWith("*")
        ? { right, pattern: pattern.slice(0, -1), prefix: true }
        : { right, pattern, prefix: false },
    );
  }
  return parsed;
});

/** Whether the rights are unknown, in which case nothing is hidden. */
function unknownRights(): boolean {
  return identity.value === null || identity.value.rights === null;
}

export function isAdmin(): boolean {
  return unknownRights() || identity.value?.admin === true;
}

/** Whether the caller may `right` on `name` (`admin` may do anything). */
export function can(right: ResourceRight, name: string): boolean {
  if (isAdmin()) return true;
  return (grants.value ?? []).some(
    (g) => g.right === right && (g.prefix ? name.startsWith(g.pattern) : name === g.pattern),
  );
}

/** The exact names and prefixes granted for `right`, for the topics a non-admin can open. */
export function grantedNames(right: ResourceRight): { exact: string[]; prefixes: string[] } {
  const exact: string[] = [];
  const prefixes: string[] = [];
  for (const g of grants.value ?? []) {
    if (g.right !== right) continue;
    if (g.prefix) prefixes.push(g.pattern);
    else exact.push(g.pattern);
  }
  return { exact, prefixes };
}

/** Asks the server who the kept token is; a failure leaves the rights unknown (nothing hidden). */
export async function loadIdentity(): Promise<void> {
  try {
    identity.value = await api<Identity>("/v1/whoami");
  } catch {
    identity.value = null;
  }
}

/** Checks a pasted token with `GET /v1/whoami` before it is kept (throws the server's refusal). */
export async function checkToken(candidate: string): Promise<void> {
  identity.value = (await (await fetchWith(candidate, "/v1/whoami")).json()) as Identity;
}
