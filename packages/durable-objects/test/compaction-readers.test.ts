// Where compaction meets the Durable Object's other readers and writers: WebSocket live tails resuming inside the
// gaps a pass leaves and readers caught up while a pass runs (every survivor once, nothing twice), and the
// idempotent producer's state after a pass and a restart of the object.
import { abortAllDurableObjects, env } from "cloudflare:test";
import { DEFAULT_TOPIC_CONFIG, encodeBatch, type LogRecord, type TopicPartition } from "@edgelog/core";
import type { ProducerStamp } from "@edgelog/core/store-kit";
import { readAll } from "@edgelog/core/testing";
import { describe, expect, it } from "vitest";
import { DurableObjectLogStore } from "../src/index.ts";
import { TailReader } from "./live-readers.ts";
import { newStore } from "./replicas.ts";

const encoder = new TextEncoder();

/** One batch of `key=value` records. */
function batch(entries: readonly string[], producer?: ProducerStamp): Uint8Array {
  const records: LogRecord[] = entries.map((entry) => {
    const [key, value] = entry.split("=") as [string, string];
    return { key: encoder.encode(key), value: encoder.encode(value), headers: [], timestamp: Date.now() };
  });
  return encodeBatch(records, producer);
}

async function compactedTopic(store: DurableObjectLogStore, ...batches: string[][]): Promise<TopicPartition> {
  const name = `compacted-${crypto.randomUUID().slice(0, 8)}`;
  await store.createTopic({
    name,
    partitions: 1,
    config: { ...DEFAULT_TOPIC_CONFIG, "cleanup.policy": "compact" },
  });
  const tp = { topic: name, partition: 0 };
  for (const entries of batches) await store.append(tp, batch(entries));
  return tp;
}

const survivors = async (store: DurableObjectLogStore, tp: TopicPartition, from = 0) =>
  (await readAll(store, tp, from)).map((r) => r.offset);

describe("WebSocket live tails over a compacted topic", () => {
  it("a reader resuming inside a gap catches up across the gaps to exactly the survivors, then gets every push", async () => {
    const store = newStore("compacted-live");
    const tp = await compactedTopic(store, ["k0=0", "k1=0", "k2=0"], ["k0=1"], ["k1=1", "k3=0"], ["k0=2"]);
    await store.compact(tp);
    expect(await survivors(store, tp)).toEqual([2, 4, 5, 6]);
    const readers = await Promise.all(
      ([0, 1, 3, "latest"] as const).map((offset) => TailReader.open(store, tp, { offset }, { gaps: true })),
    );
    for (const reader of readers) await reader.waitFor(() => reader.next === 7, "catch-up");
    expect(readers.map((r) => r.offsets)).toEqual([[2, 4, 5, 6], [2, 4, 5, 6], [4, 5, 6], []]);
    await store.append(tp, batch(["k4=0"]));
    for (const reader of readers) await reader.waitFor(() => reader.next === 8, "the push");
    expect(readers.map((r) => r.offsets.at(-1))).toEqual([7, 7, 7, 7]);
    expect(readers.flatMap((r) => r.violations)).toEqual([]);
    for (const reader of readers) reader.close();
  });

  it("a pass under caught-up and paused readers: no repeat, no survivor missed", async () => {
    const store = newStore("compacted-pass");
    const tp = await compactedTopic(store, ["a=0", "b=0"], ["a=1"], ["b=1"]);
    const live = await TailReader.open(store, tp, { offset: 0 }, { gaps: true });
    await live.waitFor(() => live.next === 4, "catch-up");
    const paused = await TailReader.open(store, tp, { offset: "latest" }, { gaps: true });
    paused.send({ type: "pause" });
    for (const entries of [["a=2", "c=0"], ["c=1"], ["b=2"]]) await store.append(tp, batch(entries));
    await live.waitFor(() => live.next === 8, "the pushes");
    // The pass rewrites every batch below the end while `live` sits at it and `paused` at offset 4.
    await store.compact(tp);
    expect(await survivors(store, tp)).toEqual([4, 6, 7]);
    await store.append(tp, batch(["d=0"]));
    await live.waitFor(() => live.next === 9, "the push after the pass");
    expect(live.offsets).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    paused.resume();
    await paused.waitFor(() => paused.next === 9, "the catch-up over the gaps");
    expect(paused.offsets).toEqual([4, 6, 7, 8]);
    expect(paused.values.get(4)).toBe("2");
    expect([...live.violations, ...paused.violations]).toEqual([]);
    live.close();
    paused.close();
  });
});

describe("the idempotent producer after compaction", () => {
  it("answers a retried batch whose records a pass removed as a duplicate after the object restarts", async () => {
    const prefix = `compacted-producer-${crypto.randomUUID().slice(0, 8)}/`;
    const store = new DurableObjectLogStore(env, { namespacePrefix: prefix });
    const tp = await compactedTopic(store);
    const producer = { producerId: "p", producerEpoch: 0, baseSequence: 0 };
    const first = batch(["a=1", "b=1"], producer);
    expect((await store.append(tp, first)).baseOffset).toBe(0);
    await store.append(tp, batch(["a=2", "b=2"], { ...producer, baseSequence: 2 }));
    await store.compact(tp);
    expect(await survivors(store, tp)).toEqual([2, 3]);
    await store.close();
    await abortAllDurableObjects();
    const reopened = new DurableObjectLogStore(env, { namespacePrefix: prefix });
    expect(await reopened.append(tp, first)).toMatchObject({ duplicate: true, baseOffset: 0, lastOffset: 1 });
    const following = batch(["c=1"], { ...producer, baseSequence: 4 });
    expect(await reopened.append(tp, following)).toMatchObject({ duplicate: false, baseOffset: 4 });
    expect(await survivors(reopened, tp)).toEqual([2, 3, 4]);
    await reopened.close();
  });
});
