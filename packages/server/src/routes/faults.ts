/**
 * @module
 * The development fault switch over HTTP: `PUT /v1/faults/regions/{region}` with `{"unreachable": true | false}`
 * makes every object of that region unreachable to the others, as a region outage would (docs/http-api.md
 * "Fault injection"). The route exists only when the env sets `EDGELOG_FAULTS=true`: otherwise every method on
 * the path answers exactly what an unknown route answers, before authentication, so nothing reveals it.
 */
import { EdgeLogError } from "@edgelog/core";
import type { Context, Hono, Next } from "hono";
import { authorize } from "../auth/middleware.ts";
import { needOf } from "../auth/rights.ts";
import { type AppEnv, allowedRegions, hasFaultSwitch } from "../context.ts";
import { handleNotFound, invalidRequest, methodNotAllowed } from "../errors.ts";
import { limitBody } from "../limits.ts";
import { pathParam, readJsonObject } from "../params.ts";

export const FAULTS_REGION_PATH = "/v1/faults/regions/:region";

export function faultRoutes(app: Hono<AppEnv>): void {
  const exists = async (c: Context<AppEnv>, next: Next) => {
    if (c.env?.EDGELOG_FAULTS !== "true") return handleNotFound(c);
    return next();
  };
  app.put(
    FAULTS_REGION_PATH,
    exists,
    authorize(needOf("put", FAULTS_REGION_PATH)),
    limitBody(),
    async (c) => {
      const region = pathParam(c, "region");
      const allowed = allowedRegions(c.env);
      if (!allowed.includes(region)) {
        throw invalidRequest(`region must be one of ${allowed.join(", ")}`, { region });
      }
      const { unreachable } = await readJsonObject(c);
      if (typeof unreachable !== "boolean") throw invalidRequest("`unreachable` must be true or false");
      const store = c.var.store;
      if (!hasFaultSwitch(store)) {
        throw new EdgeLogError("NOT_FOUND", "this store has no regions to cut off");
      }
      store.setRegionUnreachable(region, unreachable);
      return c.json({ region, unreachable, unreachableRegions: store.unreachableRegions() });
    },
  );
  app.all(FAULTS_REGION_PATH, exists, (c) => methodNotAllowed(c, ["PUT", "OPTIONS"]));
}
