/**
 * Which figures the report shows, what each is compared with, and the targets of issue 6 — declared once from
 * the plan, so the table, chart and JSON agree. Keys match what the bench modules record.
 */

import { type AcksName, replicationKeys as keys } from "../../worker/bench/replication.ts";
import { shareKeys } from "../../worker/bench/share-groups.ts";
import { fanoutSpecs } from "./fanout-cases.ts";
import type { Plan } from "./plan.ts";
import type { CaseSpec, SeriesSpec } from "./results.ts";

const LABELS: Record<string, string> = {
  edgelog: "edgelog",
  "do-request": "bare DO, row per request",
  "do-record": "bare DO, row per record",
  "ds-memory": "Durable Streams server, memory",
  "ds-file": "Durable Streams server, file",
  "queues-batch": "Queues sendBatch(100)",
  "queues-send": "Queues send()",
  "idb-batch": "raw idb, 1,000 adds per tx",
  "idb-tx": "raw idb, 1 tx per record",
  "idb-tx-strict": "raw idb, 1 tx per record, strict durability",
  workbox: "Workbox Queue.pushRequest",
  array: "array push",
  codec: "codec alone",
};

const s = (key: string, unit: string, label?: string): SeriesSpec => ({
  key,
  unit,
  label: label ?? LABELS[key.slice(key.lastIndexOf(".") + 1)] ?? key,
});

const sizeName = (bytes: number): string => (bytes >= 1024 ? `${bytes / 1024} KiB` : `${bytes} B`);

/** The Worker must reach half the bare Durable Object and match the in-memory Durable Streams server. */
const VS_DO = 0.5;
const VS_DS = 1.0;
const VS_QUEUES = 3;

export function caseSpecs(plan: Plan): CaseSpec[] {
  const specs: CaseSpec[] = [];
  const rec = "records/s";
  for (const size of plan.throughput.sizes) {
    const b = size.valueBytes;
    const batch = `${size.recordsPerBatch.toLocaleString("en-US")}`;
    const p = `edge.produce.json.${b}`;
    specs.push({
      id: p,
      section: "edge",
      title: `produce, JSON batches of ${batch}, ${sizeName(b)}`,
      ours: s(`${p}.edgelog`, rec),
      baselines: [
        { series: s(`${p}.do-request`, rec), minRatio: VS_DO },
        { series: s(`${p}.do-record`, rec), minRatio: VS_DO },
        { series: s(`${p}.ds-memory`, rec), minRatio: VS_DS },
        { series: s(`${p}.ds-file`, rec) },
        { series: s(`${p}.queues-batch`, rec), minRatio: VS_QUEUES },
        { series: s(`${p}.queues-send`, rec) },
      ],
      ...(b > 1024 ? { note: "Queues: batches over 256 KB are refused, so not compared at 10 KiB" } : {}),
    });
    const pb = `edge.produce.binary.${b}`;
    specs.push({
      id: pb,
      section: "edge",
      title: `produce, binary batches of ${batch}, ${sizeName(b)}`,
      ours: s(`${pb}.edgelog`, rec),
      baselines: [
        { series: s(`${pb}.do-request`, rec), minRatio: VS_DO },
        // Context, not a target: Queues has no binary path, so it gets the JSON body.
        { series: s(`${p}.queues-batch`, rec, "Queues sendBatch(100), JSON in") },
      ],
    });
    const r = `edge.read.json.${b}`;
    specs.push({
      id: r,
      section: "edge",
      title: `catch-up read, JSON (limit ${plan.throughput.readLimit.toLocaleString("en-US")}), ${sizeName(b)}`,
      ours: s(`${r}.edgelog`, rec),
      baselines: [
        { series: s(`${r}.do-request`, rec), minRatio: VS_DO },
        { series: s(`${r}.do-record`, rec), minRatio: VS_DO },
        { series: s(`${r}.ds-memory`, rec), minRatio: VS_DS },
        { series: s(`${r}.ds-file`, rec) },
      ],
    });
    const rb = `edge.read.binary.${b}`;
    specs.push({
      id: rb,
      section: "edge",
      title: `catch-up read, binary (1 MiB fetches), ${sizeName(b)}`,
      ours: s(`${rb}.edgelog`, rec),
      baselines: [{ series: s(`${rb}.do-request`, rec), minRatio: VS_DO }],
    });
  }
  // What bounds the two peer targets: the bare Durable Object, which only stores the request body (no parsing, no
  // log), compared with the same peers in the same run. edgelog cannot beat the path it runs on.
  for (const size of plan.throughput.sizes) {
    const b = size.valueBytes;
    for (const [what, key] of [
      ["produce", `edge.produce.json.${b}`],
      ["catch-up read", `edge.read.json.${b}`],
    ] as const) {
      specs.push({
        id: `${key}.bound`,
        section: "edge",
        title: `bare DO in edgelog's place (bound), ${what} JSON, ${sizeName(b)}`,
        ours: s(`${key}.do-request`, rec),
        baselines: [{ series: s(`${key}.ds-memory`, rec) }, { series: s(`${key}.queues-batch`, rec) }],
      });
    }
  }
  for (const clients of [1, plan.throughput.concurrency]) {
    const k = `edge.single.${clients}`;
    specs.push({
      id: k,
      section: "edge",
      title: `single-record requests, ${clients} client${clients === 1 ? "" : "s"}, 100 B`,
      ours: s(`${k}.edgelog`, "requests/s"),
      baselines: [
        { series: s(`${k}.do-request`, "requests/s"), minRatio: VS_DO },
        { series: s(`${k}.ds-memory`, "requests/s") },
        { series: s(`${k}.ds-file`, "requests/s") },
        { series: s(`${k}.queues-send`, "requests/s") },
      ],
    });
  }
  for (const [mode, name] of [
    ["longpoll", "long-poll"],
    ["sse", "SSE"],
  ] as const) {
    for (const [target, who] of [
      ["edgelog", ""],
      ["ds-memory", " (peer: Durable Streams server, memory)"],
    ] as const) {
      for (const p of ["p50", "p99"] as const) {
        specs.push({
          id: `edge.latency.${mode}.${p}.${target}`,
          section: "edge",
          title: `produce→consume latency ${p}, ${name}${who}`,
          ours: s(
            `edge.latency.${mode}.${p}.${target}`,
            "ms",
            target === "edgelog" ? "edgelog" : LABELS[target],
          ),
          ...(target === "edgelog" && p === "p99" ? { target: { max: 50 } } : {}),
        });
      }
    }
  }
  specs.push({
    id: "edge.rebalance",
    section: "edge",
    title: `consumer-group rebalance, 2nd member joins (${plan.rebalance.partitions} partitions)`,
    ours: s("edge.rebalance.edgelog", "ms"),
  });

  specs.push(...replicationSpecs(plan));
  specs.push(...fanoutSpecs(plan));

  // Share groups: no target, the Queues figure is context (miniflare's consumer is push, one batch at a time).
  const { records, partitions, maxRecords } = plan.share;
  for (const consumers of plan.share.consumerCounts) {
    specs.push({
      id: `share.consumers.${consumers}`,
      section: "share",
      title: `records/s through a share group, ${consumers} consumer${consumers === 1 ? "" : "s"} (${records.toLocaleString("en-US")} × 100 B, ${partitions} partitions, ${maxRecords} per fetch)`,
      ours: s(shareKeys.edgelog(consumers), rec),
      baselines: [
        {
          series: s(
            shareKeys.queues,
            rec,
            `Queues consumer, miniflare (batches of 100, ${plan.share.queuesRecords.toLocaleString("en-US")} queued)`,
          ),
        },
      ],
    });
  }

  const ev = "events/s";
  specs.push(
    {
      id: "browser.burst",
      section: "browser",
      title: `offline append burst (no await between), 100 B`,
      ours: s("browser.burst.edgelog", ev),
      baselines: [
        { series: s("browser.burst.idb-batch", ev), minRatio: 0.5 },
        { series: s("browser.burst.idb-tx", ev) },
        { series: s("browser.burst.workbox", ev), minRatio: 50 },
      ],
    },
    {
      id: "browser.single",
      section: "browser",
      title: "awaited single appends, 100 B",
      ours: s("browser.single.edgelog", ev),
      baselines: [
        { series: s("browser.single.idb-tx", ev) },
        { series: s("browser.single.idb-tx-strict", ev) },
      ],
    },
    {
      id: "browser.drain",
      section: "browser",
      title: `drain ${plan.browser.drain.toLocaleString("en-US")} queued events to the local Worker`,
      ours: s("browser.drain.edgelog", ev),
      target: { min: 20_000 },
    },
  );

  specs.push(
    {
      id: "core.append",
      section: "core",
      title: "memory store append, pre-encoded batches of 1,000",
      ours: s("core.append.edgelog", rec),
      baselines: [{ series: s("core.append.array", rec) }],
    },
    {
      id: "core.encode-append",
      section: "core",
      title: "encodeBatch + memory store append",
      ours: s("core.encode-append.edgelog", rec),
      baselines: [{ series: s("core.encode.codec", rec, "encodeBatch alone") }],
    },
    {
      id: "core.read",
      section: "core",
      title: "memory store read + decode (1 MiB fetches)",
      ours: s("core.read.edgelog", rec),
      baselines: [{ series: s("core.decode.codec", rec, "decodeBatch alone") }],
    },
    {
      id: "core.produce",
      section: "core",
      title: "EdgeLog producer.send, 1,000 messages per send",
      ours: s("core.produce.edgelog", rec),
      baselines: [{ series: s("core.encode-append.edgelog", rec, "encodeBatch + append") }],
    },
    {
      id: "core.consume",
      section: "core",
      title: "EdgeLog consumer eachBatch, from the beginning",
      ours: s("core.consume.edgelog", rec),
      baselines: [{ series: s("core.read.edgelog", rec, "store read + decode") }],
    },
    {
      id: "core.group.heartbeat",
      section: "core",
      title: `steady consumer-group heartbeat, ${plan.group.members.toLocaleString("en-US")} members (memory store)`,
      ours: s("core.group.heartbeat.large", "heartbeats/s", "edgelog"),
      baselines: [{ series: s("core.group.heartbeat.10", "heartbeats/s", "the same at 10 members") }],
      note: "the ratio says how much a heartbeat's cost grows with the group; one run, not a median",
    },
    {
      id: "core.group.join",
      section: "core",
      title: `members joining one group until ${plan.group.members.toLocaleString("en-US")} are settled`,
      ours: s("core.group.join.large", "joins/s", "edgelog"),
    },
  );
  return specs;
}

/**
 * The replication section: `acks=all` against `acks=1` (the ratio all ÷ 1, repetition by repetition, is what it
 * costs to wait for the followers), the calls an `acks=all` batch costs, and the failover time — at each simulated
 * round trip. No targets: these say what replication costs, there is nothing to beat.
 */
function replicationSpecs(plan: Plan): CaseSpec[] {
  const specs: CaseSpec[] = [];
  const { batches, recordsPerBatch, valueBytes, failoverTrigger, lagTimeMaxMs, leaderSessionTimeoutMs } =
    plan.replication;
  const shape = `${recordsPerBatch} records of ${sizeName(valueBytes)} per request, 1 client, ${batches} requests`;
  /** acks=all against acks=1, measured in the same run: the ratio is what waiting for the followers costs. */
  const pair = (key: (acks: AcksName) => string, unit: string) => ({
    ours: s(key("acks-all"), unit, "acks=all"),
    baselines: [{ series: s(key("acks-1"), unit, "acks=1 (same topic, same run)") }],
  });
  for (const rtt of plan.replication.rttsMs) {
    const at = `round trip ${rtt} ms per region`;
    specs.push({
      id: `replication.produce.${rtt}`,
      section: "replication",
      title: `produce acks=all, 3 replicas, ${at} (${shape})`,
      ...pair((acks) => keys.produce(rtt, acks), "records/s"),
    });
    for (const q of ["p50", "p99"] as const) {
      specs.push({
        id: `replication.latency.${rtt}.${q}`,
        section: "replication",
        title: `produce request latency ${q}, acks=all, ${at}`,
        ...pair((acks) => keys.latency(rtt, q, acks), "ms"),
      });
    }
    for (const [what, title] of [
      ["worker", "Worker → leader calls"],
      ["replication", "leader → follower calls"],
      ["commits", "leader commits"],
    ] as const) {
      specs.push({
        id: `replication.calls.${rtt}.${what}`,
        section: "replication",
        title: `${title} per acks=all request, ${at}`,
        ...pair((acks) => keys.calls(rtt, acks, what), "per request"),
      });
    }
    specs.push({
      id: `replication.failover.${rtt}`,
      section: "replication",
      title: `failover: leader region unreachable → first acks=all produce acknowledged (trigger: ${failoverTrigger}), ${at}`,
      ours: s(keys.failover(rtt, "first-produce"), "ms", "failover"),
      note:
        failoverTrigger === "auto"
          ? `detection: the controller elects once the leader failed for EDGELOG_LEADER_SESSION_TIMEOUT_MS ` +
            `(${leaderSessionTimeoutMs.toLocaleString("en-US")} ms here; 9 s by default, Kafka's broker.session.timeout.ms) ` +
            "and drops the lost leader from the in-sync set"
          : "an admin election keeps the cut-off old leader in the in-sync set until it falls behind for " +
            `replica.lag.time.max.ms (${lagTimeMaxMs.toLocaleString("en-US")} ms here; Kafka's default 30 s)`,
    });
    if (failoverTrigger === "elect") {
      specs.push({
        id: `replication.failover.${rtt}.elect`,
        section: "replication",
        title: `failover: the admin election answered, ${at}`,
        ours: s(keys.failover(rtt, "elect-answered"), "ms", "election"),
      });
    }
  }
  return specs;
}
