/**
 * The replication benchmark's Worker (driven by ../replication.ts): edgelog as the deployment runs it —
 * `@edgelog/server` over the Durable Object store, the same object classes — with three regions and the fault
 * switch on (wrangler.toml), plus one route the benchmark reads counts from:
 * `GET /bench/calls?topicId=ID&partition=P&regions=wnam,weur,apac` → `{ worker, replicas: [{ region, ...stats }] }`:
 * the calls this isolate's store made into partition objects so far, and each replica's own counters (a leader's
 * replication calls to its followers, its commits). Counts, not timings, say what a batch costs.
 */
import {
  DurableObjectLogStore,
  type EdgeLogEnv,
  type PartitionObject,
  type PartitionStats,
  partitionObjectName,
} from "@edgelog/durable-objects";
import { createApp, type ServerEnv } from "@edgelog/server";

export { BroadcastObject, GroupObject, PartitionObject, TopicsObject } from "@edgelog/durable-objects";

type Env = EdgeLogEnv & ServerEnv;

/** Regions one count request may name: every location hint at most. */
const MAX_REGIONS = 9;

/** Calls the Worker's store made on partition stubs (the isolate's; the benchmark reads differences). */
let workerCalls = 0;

/** The namespace, with every method call on a stub it hands out counted. */
function counting(
  namespace: DurableObjectNamespace<PartitionObject>,
): DurableObjectNamespace<PartitionObject> {
  return new Proxy(namespace, {
    get(target, property) {
      if (property !== "get") return Reflect.get(target, property).bind(target);
      return (...args: Parameters<typeof namespace.get>) => {
        const stub = target.get(...args);
        return new Proxy(stub, {
          get(s, method) {
            const value = Reflect.get(s, method);
            if (typeof value !== "function") return value;
            return (...callArgs: unknown[]) => {
              workerCalls++;
              // Called as a property of the stub (an RPC stub has no `apply` of its own).
              return (s as unknown as Record<PropertyKey, (...a: unknown[]) => unknown>)[method]?.(
                ...callArgs,
              );
            };
          },
        });
      };
    },
  });
}

const app = createApp<Env>({
  store: (env) => new DurableObjectLogStore({ ...env, PARTITIONS: counting(env.PARTITIONS) }),
});

async function calls(url: URL, env: Env): Promise<Response> {
  const topicId = url.searchParams.get("topicId") ?? "";
  const partition = Number(url.searchParams.get("partition") ?? "0");
  const regions = (url.searchParams.get("regions") ?? "").split(",").filter((r) => r !== "");
  if (topicId === "" || !Number.isSafeInteger(partition) || regions.length > MAX_REGIONS) {
    return Response.json({ error: "topicId, partition and at most 9 regions" }, { status: 400 });
  }
  const replicas: (PartitionStats & { region: string })[] = [];
  for (const region of regions) {
    const stub = env.PARTITIONS.getByName(partitionObjectName("", topicId, partition, region));
    replicas.push({ region, ...(await stub.stats()) });
  }
  return Response.json({ worker: workerCalls, replicas });
}

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/bench/calls") return calls(url, env);
    return app.fetch(request, env, ctx);
  },
};
