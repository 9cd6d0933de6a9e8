/**
 * @module
 * Where the app is mounted. A host may serve it under a path of its own (`host.route("/events", createApp(…))`,
 * even `/tenants/:tenant`), so a route cannot assume the URL starts with `/v1` or `/ds`: the `/ds` stream path
 * and a `Stream-Forked-From` path are read relative to the mount.
 */
import type { Context } from "hono";

/**
 * The request path's prefix that the running handler's pattern matched before its trailing `/*`, as sent (not
 * percent-decoded). Called in the app's `*` middleware it is the mount path: `""` at the root, `/events` under
 * `/events`, `/tenants/acme` under `/tenants/:tenant`.
 */
export function matchedPrefix(c: Context): string {
  const pattern = c.req.routePath;
  const fixed = pattern.endsWith("*") ? pattern.slice(0, pattern.lastIndexOf("/")) : pattern;
  // Count segments rather than compare text: the pattern may hold parameters. Hono keeps `%2F` encoded when it
  // matches, so the raw path has as many segments before the match's end as the pattern.
  const depth = fixed.split("/").length;
  return new URL(c.req.url).pathname.split("/").slice(0, depth).join("/");
}
