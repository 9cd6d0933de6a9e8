/**
 * One repetition of consumer-group rebalance time through the Worker's `POST /v1/groups/{g}/heartbeat`: member
 * A joins alone and heartbeats until it owns every partition; then member B joins, and both heartbeat back to
 * back until their assignments are disjoint and cover all partitions. The figure (`edge.rebalance.edgelog`, ms)
 * is the time from B's join request until that first holds.
 * When the heartbeat does not (yet) answer as docs/http-api.md says, or the group never settles, the case is
 * skipped with the reason (`RebalanceUnsupported`) rather than failing the run.
 */
import type { Sink } from "./http-throughput.ts";
import type { Peers } from "./peers.ts";

export interface RebalancePlan {
  readonly partitions: number;
  readonly settleTimeoutMs: number;
}

export class RebalanceUnsupported extends Error {}

interface Member {
  memberId: string;
  memberEpoch: number;
  assignment: number[];
}

interface HeartbeatAnswer {
  memberId?: unknown;
  memberEpoch?: unknown;
  heartbeatIntervalMs?: unknown;
  assignment?: unknown;
}

async function heartbeat(url: string, group: string, topic: string, member: Member): Promise<Member> {
  const response = await fetch(`${url}/v1/groups/${group}/heartbeat`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ memberId: member.memberId, memberEpoch: member.memberEpoch, topics: [topic] }),
  });
  const text = await response.text();
  if (!response.ok)
    throw new RebalanceUnsupported(`heartbeat answered ${response.status} ${text.slice(0, 200)}`);
  const body = JSON.parse(text) as HeartbeatAnswer;
  if (
    typeof body.memberId !== "string" ||
    typeof body.memberEpoch !== "number" ||
    typeof body.heartbeatIntervalMs !== "number" ||
    !Array.isArray(body.assignment)
  ) {
    throw new RebalanceUnsupported(
      `heartbeat answer lacks memberId/memberEpoch/assignment: ${text.slice(0, 200)}`,
    );
  }
  const mine = (body.assignment as { topic?: unknown; partitions?: unknown }[]).find(
    (a) => a.topic === topic,
  );
  const partitions = Array.isArray(mine?.partitions) ? (mine.partitions as number[]) : [];
  return { memberId: body.memberId, memberEpoch: body.memberEpoch, assignment: partitions };
}

/** True when the members' partitions are pairwise disjoint and together are 0..partitions-1. */
export function settled(assignments: readonly (readonly number[])[], partitions: number): boolean {
  const seen = new Set<number>();
  for (const a of assignments)
    for (const p of a) {
      if (seen.has(p)) return false;
      seen.add(p);
    }
  if (seen.size !== partitions) return false;
  for (let p = 0; p < partitions; p++) if (!seen.has(p)) return false;
  return true;
}

export async function rebalanceRepetition(peers: Peers, plan: RebalancePlan, rep: number, sink: Sink) {
  const url = peers.edgelog.url;
  const topic = `bench-rebalance-r${rep}`;
  const group = `bench-group-r${rep}`;
  const created = await fetch(`${url}/v1/topics`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: topic, partitions: plan.partitions }),
  });
  if (!created.ok) throw new Error(`create topic: ${created.status} ${await created.text()}`);

  let a = await heartbeat(url, group, topic, { memberId: `a-${rep}`, memberEpoch: 0, assignment: [] });
  const aloneBy = Date.now() + plan.settleTimeoutMs;
  while (!settled([a.assignment], plan.partitions)) {
    if (Date.now() > aloneBy) throw new RebalanceUnsupported("a lone member never got every partition");
    a = await heartbeat(url, group, topic, a);
  }
  const started = performance.now();
  let b = await heartbeat(url, group, topic, { memberId: `b-${rep}`, memberEpoch: 0, assignment: [] });
  while (!settled([a.assignment, b.assignment], plan.partitions)) {
    if (performance.now() - started > plan.settleTimeoutMs)
      throw new RebalanceUnsupported(
        `two members did not settle within ${plan.settleTimeoutMs} ms (A ${JSON.stringify(a.assignment)}, B ${JSON.stringify(b.assignment)})`,
      );
    a = await heartbeat(url, group, topic, a);
    b = await heartbeat(url, group, topic, b);
  }
  const ms = performance.now() - started;
  sink.record("edge.rebalance.edgelog", ms);
  sink.progress(
    `edge.rebalance: ${ms.toFixed(1)} ms (A ${a.assignment.join(",")} · B ${b.assignment.join(",")})`,
  );
  for (const m of [a, b]) await heartbeat(url, group, topic, { ...m, memberEpoch: -1 }).catch(() => {});
}
