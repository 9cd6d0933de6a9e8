/**
 * Leader changes for end-to-end tests, over the Worker's public HTTP surface only: a replicated topic, its
 * leadership as `GET /v1/topics/{t}` describes it, the development fault switch (`PUT /v1/faults/regions/{R}`,
 * which exists when the Worker runs with `EDGELOG_FAULTS=true`) and the admin `elect` route.
 *
 * `failover` is the one trigger every test uses: the leader's region goes down and the controller fails over by
 * itself (calls that fail to reach the leader — the describe polled here among them — report it; after the 1 s
 * session timeout these Workers run with, the most caught-up in-sync replica is elected). `failBack` uses the admin
 * `elect` route (preferred-leader election).
 */
import { expect } from "vitest";

/** Three regions, as `REGIONS` of the Worker these tests start; the first is every topic's preferred leader. */
export const FAILOVER_REGIONS = ["wnam", "weur", "apac"] as const;
/** The Worker variables a failover test runs with. */
export const FAILOVER_VARS: Readonly<Record<string, string>> = {
  REGIONS: FAILOVER_REGIONS.join(","),
  EDGELOG_FAULTS: "true",
  // Kafka's broker.session.timeout.ms is 9 s (and so is edgelog's default): 1 s keeps the tests short.
  EDGELOG_LEADER_SESSION_TIMEOUT_MS: "1000",
};
/** How long the controller may take to fail over on a loaded CI machine (detection is ~1.2 s when idle). */
const FAILOVER_DEADLINE_MS = 30_000;
/**
 * The topics' `replica.lag.time.max.ms`: a replica cut off leaves the in-sync set after this, so `acks: "all"`
 * produces go on without it (with `min.insync.replicas` 2 of 3) instead of waiting the 30 s default. Not shorter: a
 * follower slowed by a loaded machine would leave the set too, and produces be refused `NOT_ENOUGH_REPLICAS`.
 */
export const FAILOVER_LAG_MS = 3_000;

export interface PartitionLeadership {
  readonly partition: number;
  readonly leader: string;
  readonly isr: readonly string[];
  readonly leaderEpoch: number;
  readonly highWatermark: number;
}

const JSON_HEADERS = { "content-type": "application/json" };

/** Creates `name` with a replica in each of the three regions, `min.insync.replicas` 2. */
export async function createReplicatedTopic(url: string, name: string, partitions: number): Promise<void> {
  const response = await fetch(`${url}/v1/topics`, {
    method: "POST",
    headers: JSON_HEADERS,
    body: JSON.stringify({
      name,
      partitions,
      replicas: FAILOVER_REGIONS,
      config: { "min.insync.replicas": 2, "replica.lag.time.max.ms": FAILOVER_LAG_MS },
    }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
}

/** Each partition's leader, in-sync set, epoch and high watermark, as the controller records them. */
export async function leadership(url: string, topic: string): Promise<PartitionLeadership[]> {
  const response = await fetch(`${url}/v1/topics/${encodeURIComponent(topic)}`);
  expect(response.status).toBe(200);
  const { partitions } = (await response.json()) as { partitions: PartitionLeadership[] };
  return partitions;
}

/** The fault switch: `region`'s objects unreachable to everyone else (an outage), or reachable again. */
export async function setRegionUnreachable(url: string, region: string, unreachable: boolean): Promise<void> {
  const response = await fetch(`${url}/v1/faults/regions/${region}`, {
    method: "PUT",
    headers: JSON_HEADERS,
    body: JSON.stringify({ unreachable }),
  });
  expect(response.status, await response.clone().text()).toBe(200);
}

/** Every region reachable again (a test's cleanup, whatever it left behind). */
export async function healAllRegions(url: string): Promise<void> {
  for (const region of FAILOVER_REGIONS) await setRegionUnreachable(url, region, false);
}

/**
 * `POST …/elect`, retried while the region is not in sync yet (`ELIGIBLE_LEADERS_NOT_AVAILABLE`, retriable) or the
 * election's messages time out; `false` when it already leads.
 */
async function elect(url: string, topic: string, partition: number, region: string): Promise<boolean> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const response = await fetch(
      `${url}/v1/topics/${encodeURIComponent(topic)}/partitions/${partition}/elect`,
      { method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ region }) },
    );
    if (response.ok) return true;
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    if (error.code === "ELECTION_NOT_NEEDED") return false;
    const retriable = error.code === "ELIGIBLE_LEADERS_NOT_AVAILABLE" || error.code === "REQUEST_TIMED_OUT";
    if (!retriable || Date.now() > deadline)
      throw new Error(`electing ${region} for ${topic}/${partition}: ${error.code} ${error.message}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface Failover {
  /** The region that went down (partition 0's leader before). */
  readonly down: string;
  /** Where partition 0's leadership moved (the controller picks per partition: the most caught-up in sync). */
  readonly to: string;
  /** From the region going down to the controller describing the new leaders. */
  readonly tookMs: number;
}

/**
 * The failover trigger: `topic`'s leader region becomes unreachable and the controller moves leadership of every
 * partition it led to another in-sync replica by itself. Resolves once the controller describes the new leaders.
 */
export async function failover(url: string, topic: string): Promise<Failover> {
  const before = await leadership(url, topic);
  const down = before[0]?.leader as string;
  const started = Date.now();
  await setRegionUnreachable(url, down, true);
  for (;;) {
    const after = await leadership(url, topic);
    if (after.every((partition) => partition.leader !== down)) {
      return { down, to: after[0]?.leader as string, tookMs: Date.now() - started };
    }
    if (Date.now() - started > FAILOVER_DEADLINE_MS) {
      throw new Error(`the controller did not fail ${topic} over from ${down} in ${FAILOVER_DEADLINE_MS} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The way back: `failed.down` is reachable again, catches up, rejoins the in-sync set, and is elected leader again
 * of every partition (preferred-leader election). Resolves, with how long it took, once the controller describes
 * it leading everywhere.
 */
export async function failBack(url: string, topic: string, failed: Failover): Promise<number> {
  const started = Date.now();
  await setRegionUnreachable(url, failed.down, false);
  const partitions = await leadership(url, topic);
  for (const { partition } of partitions) await elect(url, topic, partition, failed.down);
  for (const partition of await leadership(url, topic)) expect(partition.leader).toBe(failed.down);
  return Date.now() - started;
}
