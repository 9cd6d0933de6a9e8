/**
 * @module
 * The console's routes live in the URL's hash (`#/topics/orders/messages?partition=0`): the Worker serves one static
 * page at `/`, so a path router would need every console path to reach the same asset, while a hash survives reloads,
 * bookmarks and the back button with nothing on the server. The current route is a signal: screens re-render when it
 * changes.
 */
import { signal } from "@preact/signals";

export interface Route {
  /** Decoded path segments: `#/topics/a%2Fb/messages` → `["topics", "a/b", "messages"]`. */
  readonly segments: readonly string[];
  /** The query after the hash path (`?partition=0`). */
  readonly query: URLSearchParams;
}

/** Bounds what a hand-edited hash can make the console parse. */
const MAX_HASH_CHARS = 4_096;

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, "").slice(0, MAX_HASH_CHARS);
  const queryAt = raw.indexOf("?");
  const path = queryAt === -1 ? raw : raw.slice(0, queryAt);
  const segments = path
    .split("/")
    .filter((segment) => segment !== "")
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
  return { segments, query: new URLSearchParams(queryAt === -1 ? "" : raw.slice(queryAt + 1)) };
}

/** Builds a hash link from raw segments, encoding each (topic names may hold `.`, `_`, `-`; group ids anything). */
export function href(
  segments: readonly (string | number)[],
  query?: Record<string, string | number>,
): string {
  const path = segments.map((segment) => encodeURIComponent(String(segment))).join("/");
  const search =
    query === undefined
      ? ""
      : new URLSearchParams(Object.entries(query).map(([key, value]) => [key, String(value)])).toString();
  return `#/${path}${search === "" ? "" : `?${search}`}`;
}

export const route = signal<Route>(parseHash(location.hash));

addEventListener("hashchange", () => {
  route.value = parseHash(location.hash);
});

/** Goes to `link` (an `href()` result); `replace` keeps the history entry (filters typed into a screen). */
export function navigate(link: string, options: { replace?: boolean } = {}): void {
  if (options.replace === true) {
    history.replaceState(null, "", link);
    route.value = parseHash(link);
  } else {
    location.hash = link;
  }
}
