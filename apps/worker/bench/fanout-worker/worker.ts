/**
 * The fan-out benchmark's Worker (driven by ../fanout.ts): edgelog as the deployment runs it — `@edgelog/server`
 * over the Durable Object store, the same object classes — with every object invocation counted where it lands
 * (counting.ts), every request to the Worker counted, and the store's waiting reads counted as they start and end,
 * plus one route the benchmark reads: `GET /bench/counts?topic=T` → `{ workerRequests, waitingReads, invocations:
 * { [class]: n } }`. Requests and invocations are totals since the isolate started (the benchmark reads
 * differences; its own requests to `/bench/*` are not counted); `waitingReads` is how many reads of topic T wait
 * for data now — one per long-poll or SSE tail waiting for the next batch, counted where the routes call the
 * store, so what the store does with them (one call into the partition each, or one shared) does not change it.
 * Per topic, because a read whose client hung up may never be seen to end (its request is cancelled) and must not
 * count for the next topic.
 */

import type { ReadOptions, ReadResult, TopicPartition } from "@edgelog/core";
import {
  BroadcastObject as Broadcast,
  DurableObjectLogStore,
  type EdgeLogEnv,
  GroupObject as Group,
  PartitionObject as Partition,
  TopicsObject as Topics,
} from "@edgelog/durable-objects";
import { createApp, type ServerEnv } from "@edgelog/server";
import { counted, invocationCounts } from "./counting.ts";

export const PartitionObject = counted(Partition, "PartitionObject");
export const TopicsObject = counted(Topics, "TopicsObject");
export const GroupObject = counted(Group, "GroupObject");
export const BroadcastObject = counted(Broadcast, "BroadcastObject");

type Env = EdgeLogEnv & ServerEnv;

/** The Worker's requests since the isolate started, `/bench/*` excepted. */
let workerRequests = 0;
/** Reads waiting for data now (`maxWaitMs` > 0, not yet answered), by topic; a topic leaves at 0. */
const waitingReads = new Map<string, number>();

class CountingStore extends DurableObjectLogStore {
  override async read(tp: TopicPartition, options: ReadOptions): Promise<ReadResult> {
    if ((options.maxWaitMs ?? 0) <= 0) return super.read(tp, options);
    waitingReads.set(tp.topic, (waitingReads.get(tp.topic) ?? 0) + 1);
    try {
      return await super.read(tp, options);
    } finally {
      const left = (waitingReads.get(tp.topic) ?? 1) - 1;
      if (left > 0) waitingReads.set(tp.topic, left);
      else waitingReads.delete(tp.topic);
    }
  }
}

const app = createApp<Env>({ store: (env) => new CountingStore(env) });

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/bench/counts") {
      const waiting = waitingReads.get(url.searchParams.get("topic") ?? "") ?? 0;
      return Response.json({ workerRequests, waitingReads: waiting, ...invocationCounts() });
    }
    workerRequests++;
    return app.fetch(request, env, ctx);
  },
};
