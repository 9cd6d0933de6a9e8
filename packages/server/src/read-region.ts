/**
 * @module
 * Which region a fetch prefers to read from (KIP-392's follower fetching): the `region` query parameter, one of
 * the deployment's regions (`allowedRegions`; anything else is a 400 `INVALID_REQUEST`), or — when the deployment
 * sets `EDGELOG_READ_NEAREST=true` and the request names none — the region nearest the request (`request.cf`,
 * `nearest-region.ts`), if the deployment runs there. The store treats it as a preference: that region's in-sync
 * replica serves the read, or the leader does (docs/http-api.md "Reading near the reader").
 */
import type { ReadPreference } from "@edgelog/core";
import type { Context } from "hono";
import { type AppEnv, allowedRegions } from "./context.ts";
import { invalidRequest } from "./errors.ts";
import { nearestRegion, type RequestGeo } from "./nearest-region.ts";

/** `{ region }` for the store's read calls, or `{}` to read from the leader. */
export function readPreference(c: Context<AppEnv>): ReadPreference {
  const allowed = allowedRegions(c.env);
  const named = c.req.query("region");
  if (named !== undefined) {
    if (!allowed.includes(named)) {
      throw invalidRequest(`query parameter "region" must be one of ${allowed.join(", ")}`, {
        allowed: allowed.join(","),
      });
    }
    return { region: named };
  }
  if (c.env?.EDGELOG_READ_NEAREST !== "true") return {};
  const near = nearestRegion((c.req.raw as Request & { cf?: RequestGeo }).cf);
  return near !== undefined && allowed.includes(near) ? { region: near } : {};
}
