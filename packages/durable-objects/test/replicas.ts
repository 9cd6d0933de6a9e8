/**
 * @module
 * What the workerd replication and election tests share: a store per test (its own namespace), replicated topic
 * creation, a replica's stub, and a replica's whole stored log read from its SQLite (not capped by the HW).
 */
import { env, runInDurableObject } from "cloudflare:test";
import { type ConsumedRecord, DEFAULT_TOPIC_CONFIG, type TopicConfig } from "@edgelog/core";
import type { ProducerState } from "@edgelog/core/store-kit";
import { expect } from "vitest";
import { controllerRefs, controllerStub } from "../src/controller/reach-controller.ts";
import { DurableObjectLogStore, type EdgeLogEnv, partitionObjectName, unwrap } from "../src/index.ts";

/** The regions of the test config, the first the preferred leader. */
export const REPLICAS = ["wnam", "weur", "apac"];

let worlds = 0;

/** A store whose objects no other test sees: `prefix` names the test file in the namespace. */
export function newStore(prefix: string, storeEnv: EdgeLogEnv = env): DurableObjectLogStore {
  return new DurableObjectLogStore(storeEnv, { namespacePrefix: `${prefix}-${++worlds}/` });
}

export async function createReplicated(
  store: DurableObjectLogStore,
  name: string,
  config: Partial<TopicConfig> = {},
  replicas: string[] = REPLICAS,
  partitions = 1,
) {
  const spec = { name, partitions, config: { ...DEFAULT_TOPIC_CONFIG, ...config } };
  return store.createTopicIn(spec, undefined, replicas);
}

export async function replicaStub(
  store: DurableObjectLogStore,
  topic: string,
  partition: number,
  region: string,
) {
  const metadata = await store.getTopic(topic);
  const name = partitionObjectName(store.namespacePrefix, metadata?.topicId ?? "", partition, region);
  return env.PARTITIONS.get(env.PARTITIONS.idFromName(name));
}

type StoredRow = {
  base_offset: number;
  last_offset: number;
  append_time: number;
  payload: ArrayBuffer;
};

/** A replica's whole log and producer table as stored (not capped by the high watermark), payloads as bytes. */
export async function storedLog(store: DurableObjectLogStore, topic: string, region: string, partition = 0) {
  const stub = await replicaStub(store, topic, partition, region);
  return runInDurableObject(stub, (_instance, state) => {
    const sql = state.storage.sql;
    const batches = sql
      .exec<StoredRow>(
        "SELECT base_offset, last_offset, append_time, payload FROM batches ORDER BY base_offset",
      )
      .toArray()
      .map((row) => ({ ...row, payload: [...new Uint8Array(row.payload)] }));
    const producers = sql
      .exec<{ producer_id: string; state: string }>("SELECT * FROM producers ORDER BY producer_id")
      .toArray()
      .map((row) => ({ id: row.producer_id, state: JSON.parse(row.state) as ProducerState }));
    return { batches, producers };
  });
}

/**
 * The failover and election-delivery state of every controller replica together: reports and elections reach the
 * first replica that answers, which is not the first region's while that region is cut off.
 */
export async function controllerFailoverState(store: DurableObjectLogStore) {
  const states = await Promise.all(
    controllerRefs(env, store.namespacePrefix).map(async (ref, index) =>
      unwrap(await controllerStub(env, ref, index).failoverState()),
    ),
  );
  return {
    suspects: states.flatMap((state) => state.suspects),
    probes: states.reduce((sum, state) => sum + state.probes, 0),
    elections: states.reduce((sum, state) => sum + state.elections, 0),
    pending: states.flatMap((state) => state.pending),
    resends: states.reduce((sum, state) => sum + state.resends, 0),
  };
}

/**
 * `store` as producers see it, counting the appends they make and the failures they had to retry themselves (by
 * code): how many sends it took to land a workload through elections.
 */
export function countingAppends(store: DurableObjectLogStore) {
  const seen = { appends: 0, failures: new Map<string, number>() };
  const counted = new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      if (property !== "append") return value.bind(target);
      return async (...args: Parameters<DurableObjectLogStore["append"]>) => {
        seen.appends++;
        try {
          return await target.append(...args);
        } catch (error) {
          const code = (error as { code?: string }).code ?? "?";
          seen.failures.set(code, (seen.failures.get(code) ?? 0) + 1);
          throw error;
        }
      };
    },
  });
  return { counted, seen };
}

const decoder = new TextDecoder();

/**
 * What a producer workload through elections must leave in `partition`'s log (`records`, read in full): no value
 * twice, every acknowledged record at the offset it was acknowledged with, and per key the send order (values are
 * `${name}-${index}`, the index counting up per key).
 */
export function expectAckedExactlyOnce(
  records: readonly ConsumedRecord[],
  acked: ReadonlyMap<string, { readonly partition: number; readonly offset: number }>,
  partition: number,
): void {
  const byOffset = new Map(records.map((r) => [r.offset, decoder.decode(r.value ?? new Uint8Array())]));
  const values = [...byOffset.values()];
  expect(new Set(values).size).toBe(values.length);
  for (const [value, at] of acked) {
    if (at.partition === partition) expect(byOffset.get(at.offset), value).toBe(value);
  }
  const lastIndex = new Map<string, number>();
  for (const record of records) {
    const key = decoder.decode(record.key ?? new Uint8Array());
    const index = Number(decoder.decode(record.value ?? new Uint8Array()).split("-")[1]);
    expect(index, key).toBeGreaterThan(lastIndex.get(key) ?? -1);
    lastIndex.set(key, index);
  }
}
