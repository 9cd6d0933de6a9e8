/**
 * Jepsen-style fault schedules end to end: the real Worker under `wrangler dev` with three regions
 * (`REGIONS=wnam,weur,apac`) and the fault switch on (`EDGELOG_FAULTS=true`), driven only over HTTP — producers
 * and a consumer group of two built on `@edgelog/client`'s `HttpLogStore`, faults through
 * `PUT /v1/faults/regions/{R}` (`unreachable`, `dropReplication`), failovers by the controller itself (the
 * producers' failed calls report the lost leader; `EDGELOG_LEADER_SESSION_TIMEOUT_MS` is 1 s here) — with the
 * schedule generator, workload and checker the workerd test uses (test/support/jepsen/). Fewer seeds than there:
 * each run costs more.
 *
 * Settings (environment): `JEPSEN_SEED=n`, `JEPSEN_RUNS=n`, `JEPSEN_SHRINKS=n`, `JEPSEN_PATH=p` as in the workerd
 * test (packages/durable-objects/test/jepsen.test.ts); `JEPSEN_PORT=P` serves on P (inspector on P + 1) instead
 * of a free port.
 *
 * What HTTP cannot reach, and the stand-in used: a replica's whole stored log (a `?region=` read stops at the
 * high watermark and may be answered by the leader) — once healed, each replica is elected in turn and its log read
 * from it as leader; its leader-epoch table is not reachable, so the one-leader-per-epoch check rests on the
 * leadership observed.
 * `controllerRegionDown` takes the first region down: the controller replica every caller reaches first.
 */
import { HttpLogStore } from "@edgelog/client";
import { type ConsumedRecord, isEdgeLogError } from "@edgelog/core";
import { readAll } from "@edgelog/core/testing";
import { afterAll, beforeAll, describe, it } from "vitest";
import type { RecordAt, ReplicaState } from "./support/jepsen/history.ts";
import { awaitControllerFailover, type PartitionLeadership } from "./support/jepsen/nemesis.ts";
import { jepsenSettings, runJepsen } from "./support/jepsen/run-jepsen.ts";
import { type Deployment, runScenario } from "./support/jepsen/scenario.ts";
import type { FaultOpName } from "./support/jepsen/schedule.ts";
import { type LocalWorker, startLocalWorker } from "./support/local-worker.ts";

const SEEDS = [14, 1401];
const REGIONS = ["wnam", "weur", "apac"];
const PARTITIONS = 2;
const settings = jepsenSettings(process.env, SEEDS);

/** Every operation of the table runs (`controllerRegionDown` too: the controller is a quorum of regions). */
const disabled = new Map<FaultOpName, string>();

const decoder = new TextDecoder();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe("Jepsen-style fault schedules through wrangler dev", () => {
  let worker: LocalWorker;
  const stores: HttpLogStore[] = [];

  beforeAll(async () => {
    const port = Number(process.env.JEPSEN_PORT);
    worker = await startLocalWorker({
      vars: { REGIONS: REGIONS.join(","), EDGELOG_FAULTS: "true", EDGELOG_LEADER_SESSION_TIMEOUT_MS: "1000" },
      ...(Number.isSafeInteger(port) && port > 0 ? { port } : {}),
    });
  }, 120_000);

  afterAll(async () => {
    for (const store of stores) await store.close().catch(() => undefined);
    await worker?.stop();
  });

  const http = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${worker.url}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${text}`);
    return JSON.parse(text) as T;
  };

  const newStore = (): HttpLogStore => {
    const store = new HttpLogStore({ url: worker.url });
    stores.push(store);
    return store;
  };

  async function deploy(topic: string): Promise<Deployment> {
    await http("POST", "/v1/topics", {
      name: topic,
      partitions: PARTITIONS,
      replicas: REGIONS,
      config: { "min.insync.replicas": 2, "replica.lag.time.max.ms": 1_000 },
    });
    const admin = newStore();
    // What the controller last showed, or an election answered (should a describe fail while regions are down).
    const known = new Map<number, PartitionLeadership>(
      Array.from({ length: PARTITIONS }, (_, p) => [
        p,
        { leader: REGIONS[0] as string, replicas: REGIONS, isr: REGIONS, leaderEpoch: 0 },
      ]),
    );
    const leadership = async (partition: number): Promise<PartitionLeadership> => {
      try {
        const { partitions } = await http<{ partitions: (PartitionLeadership & { partition: number })[] }>(
          "GET",
          `/v1/topics/${topic}`,
        );
        for (const p of partitions) known.set(p.partition, p);
      } catch (error) {
        if (!/→ 50[34]/.test(String(error))) throw error;
      }
      const found = known.get(partition);
      if (found === undefined) throw new Error(`no partition ${partition}`);
      return found;
    };
    const elect = async (partition: number, region: string) => {
      const elected = await admin.electLeader({ topic, partition }, region);
      known.set(partition, elected);
      return elected;
    };
    return {
      topic,
      partitions: PARTITIONS,
      replicas: REGIONS,
      storeFor: newStore,
      leadership,
      setRegionUnreachable: async (region, unreachable) => {
        await http("PUT", `/v1/faults/regions/${region}`, { unreachable });
      },
      setReplicationDropped: async (region, dropReplication) => {
        await http("PUT", `/v1/faults/regions/${region}`, { dropReplication });
      },
      controllerRegion: async () => REGIONS[0] as string,
      elect,
      // Stand-in for reading a follower: once every replica is in sync, elect each in turn and read it as leader.
      replicaStates: async (partition) => {
        // A replica that cannot be elected in time is left unread: the checker reports it (and the in-sync set).
        const states: ReplicaState[] = [];
        for (const region of REGIONS) {
          const deadline = Date.now() + 10_000;
          let leads = false;
          while (!leads && Date.now() < deadline) {
            const current = await leadership(partition);
            leads = current.leader === region;
            if (!leads && current.isr.length === REGIONS.length) {
              try {
                await elect(partition, region);
                leads = true;
              } catch (error) {
                if (!(isEdgeLogError(error) && error.retriable)) throw error;
              }
            }
            if (!leads) await sleep(200);
          }
          if (!leads) continue;
          const records = await readAll(admin, { topic, partition });
          states.push({ region, partition, records: records.map((r) => named(partition, r)), epochs: [] });
        }
        return states;
      },
    };
  }

  for (const seed of settings.seeds) {
    it(`seed ${seed}: acks=all producers and a consumer group over HTTP through a generated fault schedule`, async () => {
      await runJepsen({
        name: "wrangler dev",
        seed,
        settings,
        schedule: { partitions: PARTITIONS, regions: REGIONS, disabled, maxOps: 6 },
        runSchedule: async (schedule, run) =>
          runScenario(await deploy(`jepsen-${seed}-${run}`), schedule, {
            // Detection takes the 1 s session timeout plus a probe; 15 s covers a loaded CI machine.
            failover: awaitControllerFailover(15_000),
            maxDown: REGIONS.length - 2,
            gapBudgetMs: 3_000,
            settleBudgetMs: 30_000,
          }),
      });
    }, 900_000);
  }
});

function named(partition: number, record: ConsumedRecord): RecordAt {
  return {
    partition,
    offset: record.offset,
    key: decoder.decode(record.key ?? new Uint8Array()),
    value: decoder.decode(record.value ?? new Uint8Array()),
  };
}
