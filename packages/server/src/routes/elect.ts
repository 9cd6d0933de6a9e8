/**
 * @module
 * Leader election over HTTP: `POST /v1/topics/{topic}/partitions/{partition}/elect` with `{"region": R}` moves the
 * partition's leadership to R's in-sync replica under the next leader epoch (Kafka's ElectLeaders; electing the
 * first replica is preferred-leader election). Admin only. The controller decides (core's `planElection`); the
 * route validates the input and answers the new replica state (docs/http-api.md "Leader election").
 */
import { EdgeLogError } from "@edgelog/core";
import { requireTopic } from "@edgelog/core/store-kit";
import type { Hono } from "hono";
import { type AppEnv, allowedRegions, canElectLeaders } from "../context.ts";
import { invalidRequest } from "../errors.ts";
import { limitBody } from "../limits.ts";
import { pathParam, readJsonObject, requirePartition } from "../params.ts";
import { route } from "../route.ts";

export function electRoutes(app: Hono<AppEnv>): void {
  route(app, "/v1/topics/:topic/partitions/:partition/elect", {
    post: [
      limitBody(),
      async (c) => {
        const store = c.var.store;
        const metadata = await requireTopic(store, pathParam(c, "topic"));
        const partition = requirePartition(metadata, pathParam(c, "partition"));
        const { region } = await readJsonObject(c);
        const allowed = allowedRegions(c.env);
        if (typeof region !== "string" || !allowed.includes(region)) {
          throw invalidRequest(`\`region\` must be one of ${allowed.join(", ")}`, {
            allowed: allowed.join(","),
          });
        }
        if (!canElectLeaders(store)) {
          throw new EdgeLogError(
            "INVALID_REQUEST",
            "this store keeps one copy of each partition: nothing to elect",
            {
              context: { topic: metadata.name, partition },
            },
          );
        }
        const replication = await store.electLeader({ topic: metadata.name, partition }, region);
        return c.json({
          topic: metadata.name,
          partition,
          leader: replication.leader,
          replicas: replication.replicas,
          isr: replication.isr,
          leaderEpoch: replication.leaderEpoch,
        });
      },
    ],
  });
}
