/**
 * The fan-out section's cases (issue 16): for each transport and number of live readers, Durable Object
 * invocations per appended batch (all objects; the partition's object alone), the Worker's requests per batch,
 * and delivery to the last reader (p50, p99) — with delivery to the first reader, the readers' own CPU and the
 * server's beside it, to tell the server's share of a latency from the benchmark's. Each figure at N readers is compared with the
 * same figure at one reader, and the issue's targets are judged on those ratios: the partition's invocations per
 * batch constant in the number of readers (≤ 1× one reader's, at every count), and p99 delivery to 1,000 readers
 * within 2× one reader's — on the WebSocket push rows only: long-polls and SSE tails are the baselines push
 * replaces, their ratios shown as context. Keys match apps/worker/bench/fanout.ts.
 */
import { fanoutKeys as keys } from "../../worker/bench/fanout.ts";
import type { FanoutTransport } from "../../worker/bench/fanout-readers.ts";
import type { Plan } from "./plan.ts";
import type { BaselineSpec, CaseSpec, SeriesSpec } from "./results.ts";

export const TRANSPORT_NAMES: Record<FanoutTransport, string> = {
  longpoll: "long-poll",
  sse: "SSE tail",
  ws: "WebSocket push",
};

/** The transport the targets judge: WebSocket push. */
export const TARGETED_TRANSPORT: FanoutTransport = "ws";
/** The readers at which the latency target is judged (issue 16: "p99 delivery to 1,000 readers"). */
export const LATENCY_TARGET_READERS = 1_000;
export const LATENCY_TARGET_RATIO = 2;
/** Invocations per batch must not grow with readers: at most what one reader costs. */
export const INVOCATIONS_TARGET_RATIO = 1;

const readersText = (n: number): string => `${n.toLocaleString("en-US")} reader${n === 1 ? "" : "s"}`;

export function fanoutSpecs(plan: Plan): CaseSpec[] {
  const specs: CaseSpec[] = [];
  const { readers, transports } = plan.fanout;
  for (const transport of transports) {
    const name = TRANSPORT_NAMES[transport];
    // The targets are the push path's; long-polls and SSE tails are the baselines it replaces, shown for context.
    const targeted = transport === TARGETED_TRANSPORT;
    for (const n of readers) {
      const series = (key: string, unit: string): SeriesSpec => ({ key, unit, label: name });
      /** The same figure at one reader, the baseline every larger count is compared with. */
      const vsOne = (key: string, unit: string, target?: Partial<BaselineSpec>): BaselineSpec[] =>
        n === 1 || !readers.includes(1)
          ? []
          : [{ series: { key, unit, label: `the same at 1 reader` }, ...target }];
      const at = `${name}, ${readersText(n)}`;
      specs.push(
        {
          id: `fanout.partition.${transport}.${n}`,
          section: "fanout",
          title: `partition object invocations per appended batch, ${at}`,
          ours: series(keys.partition(transport, n), "per batch"),
          baselines: vsOne(
            keys.partition(transport, 1),
            "per batch",
            targeted ? { maxRatio: INVOCATIONS_TARGET_RATIO } : {},
          ),
        },
        {
          id: `fanout.invocations.${transport}.${n}`,
          section: "fanout",
          title: `Durable Object invocations per appended batch, all objects, ${at}`,
          ours: series(keys.invocations(transport, n), "per batch"),
          baselines: vsOne(keys.invocations(transport, 1), "per batch"),
        },
        {
          id: `fanout.requests.${transport}.${n}`,
          section: "fanout",
          title: `Worker requests per appended batch, ${at}`,
          ours: series(keys.requests(transport, n), "per batch"),
        },
        {
          id: `fanout.latency.${transport}.p50.${n}`,
          section: "fanout",
          title: `delivery to the last reader p50, ${at}`,
          ours: series(keys.latency(transport, "p50", n), "ms"),
          baselines: vsOne(keys.latency(transport, "p50", 1), "ms"),
        },
        {
          id: `fanout.latency.${transport}.p99.${n}`,
          section: "fanout",
          title: `delivery to the last reader p99, ${at}`,
          ours: series(keys.latency(transport, "p99", n), "ms"),
          baselines: vsOne(
            keys.latency(transport, "p99", 1),
            "ms",
            targeted && n === LATENCY_TARGET_READERS ? { maxRatio: LATENCY_TARGET_RATIO } : {},
          ),
        },
        {
          id: `fanout.first.${transport}.${n}`,
          section: "fanout",
          title: `delivery to the first reader p50, ${at}`,
          ours: series(keys.first(transport, n), "ms"),
        },
        {
          id: `fanout.readers-cpu.${transport}.${n}`,
          section: "fanout",
          title: `the readers' own CPU per batch (one Node thread reads every socket), ${at}`,
          ours: series(keys.readersCpu(transport, n), "ms"),
        },
        {
          id: `fanout.server-cpu.${transport}.${n}`,
          section: "fanout",
          title: `the server's CPU per batch (workerd: the Worker and its objects), ${at}`,
          ours: series(keys.serverCpu(transport, n), "ms"),
        },
      );
    }
  }
  return specs;
}
