/**
 * The fan-out benchmark's Worker (driven by ../fanout.ts): edgelog as the deployment runs it — `@edgelog/server`
 * over the Durable Object store, the same object classes — with every object invocation counted where it lands
 * (counting.ts) and every request to the Worker counted, plus two routes the benchmark reads:
 * - `GET /bench/counts` → `{ workerRequests, invocations: { [class]: n }, probes }` since the isolate started
 *   (the benchmark reads differences; its own requests to `/bench/*` are not counted);
 * - `GET /bench/partition?topicId=ID` → partition 0's `PartitionStats` (how many readers are parked there).
 */
import {
  DurableObjectLogStore,
  type EdgeLogEnv,
  GroupObject as Group,
  PartitionObject as Partition,
  partitionObjectName,
  TopicsObject as Topics,
} from "@edgelog/durable-objects";
import { createApp, type ServerEnv } from "@edgelog/server";
import { counted, invocationCounts } from "./counting.ts";

export const PartitionObject = counted(Partition, "PartitionObject");
export const TopicsObject = counted(Topics, "TopicsObject");
export const GroupObject = counted(Group, "GroupObject");

type Env = EdgeLogEnv & ServerEnv;

/** The Worker's requests since the isolate started, `/bench/*` excepted. */
let workerRequests = 0;

const app = createApp<Env>({ store: (env) => new DurableObjectLogStore(env) });

async function partitionStats(url: URL, env: Env): Promise<Response> {
  const topicId = url.searchParams.get("topicId") ?? "";
  if (topicId === "") return Response.json({ error: "topicId is required" }, { status: 400 });
  const region = env.REGIONS.split(",")[0] ?? "wnam";
  return Response.json(await env.PARTITIONS.getByName(partitionObjectName("", topicId, 0, region)).stats());
}

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/bench/counts") return Response.json({ workerRequests, ...invocationCounts() });
    if (url.pathname === "/bench/partition") return partitionStats(url, env);

    workerRequests++;
    return app.fetch(request, env, ctx);
  },
};
