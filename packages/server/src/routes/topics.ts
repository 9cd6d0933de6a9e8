/**
 * @module
 * Topic administration: create, list, describe, change configs, grow and delete (docs/http-api.md "Topics").
 * Input is validated with core's helpers — the same rules `Admin` applies — before the store is asked anything.
 */
import { EdgeLogError, isEdgeLogError, type LogStore, type TopicMetadata } from "@edgelog/core";
import {
  alterTopicConfig,
  assertConfigFitsReplicas,
  assertValidPartitionCount,
  assertValidTopicName,
  compacts,
  requireTopic,
  resolveReplicas,
  resolveTopicConfig,
  topicNamesCollide,
} from "@edgelog/core/store-kit";
import type { Hono } from "hono";
import {
  type AppEnv,
  allowedRegions,
  deploymentRegions,
  isRegionAware,
  type PartitionPlacement,
} from "../context.ts";
import { DS_PREFIX } from "../ds/names.ts";
import { deleteStreamTopic, isStreamTopic, supportsStreams } from "../ds/streams.ts";
import { invalidRequest } from "../errors.ts";
import { limitBody } from "../limits.ts";
import { isPlainObject, pathParam, readJsonObject } from "../params.ts";
import { route } from "../route.ts";

const DEFAULT_PARTITIONS = 1;
const CREATED = 201;

export function topicRoutes(app: Hono<AppEnv>): void {
  route(app, "/v1/topics", {
    get: async (c) => {
      const topics = await c.var.store.listTopics();
      return c.json({
        topics: topics.map((t) => ({
          name: t.name,
          partitions: t.partitions,
          topicId: t.topicId,
          config: t.config,
        })),
      });
    },
    post: [
      limitBody(),
      async (c) => {
        const body = await readJsonObject(c);
        const {
          name,
          partitions = DEFAULT_PARTITIONS,
          config = {},
          regions,
          replicas,
          replicationFactor,
        } = body;
        assertValidTopicName(name);
        assertValidPartitionCount(partitions, name);
        if (!isPlainObject(config)) throw invalidRequest("`config` must be an object");
        const resolved = resolveTopicConfig(config);
        const deployment = deploymentRegions(c.env);
        const allowed = allowedRegions(c.env);
        const pinned = parseRegions(regions, allowed);
        const replicaSet = resolveReplicas({ replicas, replicationFactor }, allowed);
        if (replicaSet !== undefined && pinned !== undefined) {
          throw invalidRequest("give `regions` (placement) or `replicas` (replication), not both");
        }
        const store = c.var.store;
        if (replicaSet !== undefined && replicaSet.length > 1 && !isRegionAware(store)) {
          throw new EdgeLogError(
            "INVALID_REPLICATION_FACTOR",
            `this store keeps one copy of each partition; it cannot hold ${replicaSet.length} replicas`,
            { context: { topic: name, replicas: replicaSet.length } },
          );
        }
        // Checked before the store is asked, with the same rules every store applies at create.
        assertConfigFitsReplicas(resolved, replicaSet?.length ?? 1);
        const clash = (await store.listTopics()).find((t) => topicNamesCollide(name, t.name));
        if (clash !== undefined) {
          throw new EdgeLogError(
            "INVALID_TOPIC",
            `topic "${name}" collides with "${clash.name}" ('.' and '_' are alike)`,
            { context: { topic: name } },
          );
        }
        const spec = { name, partitions, config: resolved };
        // docs/http-api.md: without `regions`, partitions spread over every deployment region (the store
        // alone would put them all in the first one).
        const spread = pinned ?? (deployment.length > 0 ? deployment : undefined);
        let metadata: TopicMetadata;
        if (!isRegionAware(store)) metadata = await store.createTopic(spec);
        else if (replicaSet !== undefined) metadata = await store.createTopicIn(spec, undefined, replicaSet);
        else metadata = await store.createTopicIn(spec, spread);
        const placement = await placementOf(store, metadata.name);
        return c.json(
          {
            name: metadata.name,
            partitions: metadata.partitions,
            config: metadata.config,
            topicId: metadata.topicId,
            ...(placement === null ? {} : { placement }),
          },
          CREATED,
        );
      },
    ],
  });

  route(app, "/v1/topics/:topic", {
    get: async (c) =>
      c.json(await describe(c.var.store, await requireTopic(c.var.store, pathParam(c, "topic")))),
    delete: async (c) => {
      const store = c.var.store;
      const metadata = await requireTopic(store, pathParam(c, "topic"));
      // A Durable Streams fork counts against its source (ds/streams.ts): delete it the way /ds would.
      if (supportsStreams(store) && metadata.partitions === 1) {
        await deleteStreamTopic({ store, dsPrefix: `${c.var.mountPath}${DS_PREFIX}` }, metadata);
      } else await store.deleteTopic(metadata.name);
      return c.body(null, 204);
    },
    // Kafka's IncrementalAlterConfigs: `{ "config": { name: value | null } }`, null returning a setting to its
    // default. Validated here against the config of now (a clear 400 before the store is asked); the store
    // validates again against the config as it is when the change applies, with the topic's replicas.
    patch: [
      limitBody(),
      async (c) => {
        const store = c.var.store;
        const metadata = await requireTopic(store, pathParam(c, "topic"));
        const { config } = await readJsonObject(c);
        if (!isPlainObject(config) || Object.keys(config).length === 0) {
          throw invalidRequest("`config` must be an object naming at least one setting");
        }
        const next = alterTopicConfig(metadata.config, config);
        if (compacts(next) && !compacts(metadata.config) && supportsStreams(store)) {
          // A stream's messages have no keys, and its state document counts on every one of them staying.
          if (await isStreamTopic(store, metadata)) {
            throw new EdgeLogError(
              "INVALID_CONFIG",
              `topic "${metadata.name}" holds a Durable Stream, whose messages have no keys: it cannot be compacted`,
              { context: { topic: metadata.name, config: "cleanup.policy" } },
            );
          }
        }
        return c.json(await describe(store, await store.alterTopicConfig(metadata.name, config)));
      },
    ],
  });

  route(app, "/v1/topics/:topic/partitions", {
    post: [
      limitBody(),
      async (c) => {
        const store = c.var.store;
        const metadata = await requireTopic(store, pathParam(c, "topic"));
        const { count } = await readJsonObject(c);
        assertValidPartitionCount(count, metadata.name);
        if (count <= metadata.partitions) {
          throw new EdgeLogError(
            "INVALID_PARTITIONS",
            `topic "${metadata.name}" already has ${metadata.partitions} partitions`,
            { context: { topic: metadata.name, partitions: metadata.partitions, requested: count } },
          );
        }
        return c.json(await describe(store, await store.createPartitions(metadata.name, count)));
      },
    ],
  });
}

/**
 * `regions` of a create request: absent, or a non-empty list of the `allowed` regions (`allowedRegions`: a
 * partition can only be led where the deployment runs).
 */
function parseRegions(regions: unknown, allowed: readonly string[]): string[] | undefined {
  if (regions === undefined) return undefined;
  if (
    !Array.isArray(regions) ||
    regions.length === 0 ||
    !regions.every((r): r is string => typeof r === "string" && allowed.includes(r))
  ) {
    throw invalidRequest(`\`regions\` must be a non-empty array of ${allowed.join(", ")}`, {
      allowed: allowed.join(","),
    });
  }
  return [...new Set(regions)];
}

async function placementOf(store: LogStore, topic: string): Promise<readonly PartitionPlacement[] | null> {
  return isRegionAware(store) ? store.placement(topic) : null;
}

/**
 * `GET /v1/topics/{topic}`: the metadata and every partition's bounds, retained bytes and region (the last two
 * when the store knows them), all from the one `offsets` call per partition that the bounds need anyway. A
 * partition whose leader cannot answer does not fail the description — that is exactly when an operator needs to
 * see leaders and in-sync sets, and when a producer needs the metadata of the healthy partitions: its bounds come
 * from an in-sync follower (as far as it knows them, named in `offsetsFrom`), or are -1 with the partition's
 * `error`, as Kafka's ListOffsets answers a partition it cannot serve.
 */
async function describe(store: LogStore, metadata: TopicMetadata) {
  const placement = await placementOf(store, metadata.name);
  const bounds = await Promise.all(
    Array.from({ length: metadata.partitions }, (_, partition) =>
      partitionBounds(store, { topic: metadata.name, partition }, placement),
    ),
  );
  return {
    name: metadata.name,
    topicId: metadata.topicId,
    config: metadata.config,
    partitions: bounds.map((b, partition) => {
      const placed = placement?.find((p) => p.partition === partition);
      const replication = placed?.replication;
      return {
        partition,
        logStartOffset: b.logStartOffset,
        highWatermark: b.highWatermark,
        ...(b.sizeBytes === undefined ? {} : { sizeBytes: b.sizeBytes }),
        ...(b.offsetsFrom === undefined ? {} : { offsetsFrom: b.offsetsFrom }),
        ...(b.error === undefined ? {} : { error: b.error }),
        ...(placed === undefined ? {} : { region: placed.region }),
        ...(replication === undefined
          ? {}
          : {
              leader: replication.leader,
              replicas: replication.replicas,
              isr: replication.isr,
              leaderEpoch: replication.leaderEpoch,
            }),
      };
    }),
  };
}

interface PartitionBounds {
  readonly logStartOffset: number;
  readonly highWatermark: number;
  /** Retained bytes, from the replica that answered, where the store keeps the figure. */
  readonly sizeBytes?: number;
  /** The follower the bounds came from when the leader could not answer. */
  readonly offsetsFrom?: string;
  /** Why no replica could say (the bounds are then -1). */
  readonly error?: { readonly code: string; readonly message: string };
}

async function partitionBounds(
  store: LogStore,
  tp: { readonly topic: string; readonly partition: number },
  placement: readonly PartitionPlacement[] | null,
): Promise<PartitionBounds> {
  try {
    return await store.offsets(tp, { includeSize: true });
  } catch (error) {
    const replication = placement?.find((p) => p.partition === tp.partition)?.replication;
    // Only a replicated partition's leader being away is worked around; anything else is the answer.
    if (replication === undefined || !isEdgeLogError(error) || !error.retriable) throw error;
    for (const region of replication.isr) {
      if (region === replication.leader) continue;
      try {
        return { ...(await store.offsets(tp, { region, includeSize: true })), offsetsFrom: region };
      } catch {
        // The next in-sync replica, if any.
      }
    }
    return {
      logStartOffset: -1,
      highWatermark: -1,
      error: { code: error.code, message: error.message },
    };
  }
}
