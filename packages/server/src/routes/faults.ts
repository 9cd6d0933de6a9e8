/**
 * @module
 * The development fault switch over HTTP: `PUT /v1/faults/regions/{region}` with any of `{"unreachable": bool}`
 * (every object of the region unreachable to the others, as a region outage would), `{"latencyMs": N}` (every
 * call into the region waits N ms first: a slow region, the benchmarks' simulated round trip) and
 * `{"dropReplication": bool}` (the leader's pushes to the region are lost) — docs/http-api.md "Fault injection".
 * The route exists only when the env sets `EDGELOG_FAULTS=true`: otherwise every method on the path answers
 * exactly what an unknown route answers, before authentication, so nothing reveals it.
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
      const change = faultChange(await readJsonObject(c));
      const store = c.var.store;
      if (!hasFaultSwitch(store)) {
        throw new EdgeLogError("NOT_FOUND", "this store has no regions to cut off");
      }
      // The latency first: it is the one the store may refuse (its bound), and then nothing has changed.
      if (change.latencyMs !== undefined) store.setRegionLatency(region, change.latencyMs);
      if (change.unreachable !== undefined) store.setRegionUnreachable(region, change.unreachable);
      if (change.dropReplication !== undefined) store.setReplicationDropped(region, change.dropReplication);
      return c.json({
        region,
        ...store.regionFaults(region),
        unreachableRegions: store.unreachableRegions(),
      });
    },
  );
  app.all(FAULTS_REGION_PATH, exists, (c) => methodNotAllowed(c, ["PUT", "OPTIONS"]));
}

/** What a request changes; every field optional but at least one, each of its type, nothing else (a typo is refused). */
interface FaultChange {
  readonly unreachable?: boolean;
  readonly latencyMs?: number;
  readonly dropReplication?: boolean;
}

const FIELDS = ["unreachable", "latencyMs", "dropReplication"];

function faultChange(body: Record<string, unknown>): FaultChange {
  const unknown = Object.keys(body).filter((key) => !FIELDS.includes(key));
  if (unknown.length > 0) {
    throw invalidRequest(
      `unknown field ${JSON.stringify(unknown[0])}: a fault is one of ${FIELDS.join(", ")}`,
    );
  }
  const { unreachable, latencyMs, dropReplication } = body;
  if (unreachable === undefined && latencyMs === undefined && dropReplication === undefined) {
    throw invalidRequest(`name at least one of ${FIELDS.join(", ")}`);
  }
  if (unreachable !== undefined && typeof unreachable !== "boolean") {
    throw invalidRequest("`unreachable` must be true or false");
  }
  if (dropReplication !== undefined && typeof dropReplication !== "boolean") {
    throw invalidRequest("`dropReplication` must be true or false");
  }
  if (latencyMs !== undefined && !(typeof latencyMs === "number" && Number.isSafeInteger(latencyMs))) {
    throw invalidRequest("`latencyMs` must be a whole number of milliseconds");
  }
  return {
    ...(unreachable === undefined ? {} : { unreachable }),
    ...(latencyMs === undefined ? {} : { latencyMs }),
    ...(dropReplication === undefined ? {} : { dropReplication }),
  };
}
