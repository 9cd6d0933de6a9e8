/**
 * @module
 * `GET /v1/cluster` (extension; `admin`): what an operator creating topics may choose here — the deployment's
 * regions (`REGIONS`) and whether the store places partitions in regions and replicates them — so a client such
 * as the web console offers a replicas picker only where the server can honour it. Kafka's DescribeCluster, for a
 * deployment whose brokers are regions.
 */
import type { Hono } from "hono";
import { type AppEnv, deploymentRegions, isRegionAware } from "../context.ts";
import { route } from "../route.ts";

export function clusterRoutes(app: Hono<AppEnv>): void {
  route(app, "/v1/cluster", {
    get: async (c) =>
      c.json({
        regions: deploymentRegions(c.env),
        replication: isRegionAware(c.var.store),
      }),
  });
}
