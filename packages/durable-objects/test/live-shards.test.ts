// Broadcast shards in workerd (live/broadcast-object.ts, live/live-shards.ts): with two sockets per object (this
// test Worker's EDGELOG_LIVE_SOCKETS_PER_OBJECT), readers past the partition's two go to shards, and every reader —
// on the partition or a shard, joining, leaving, pausing, resuming by offset — gets each record once and in order;
// a push costs one partition→shard call per shard with readers and nothing per reader; a shard whose feeds were
// lost reads the gap; a shard without readers is no longer fed.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { DEFAULT_TOPIC_CONFIG, type TopicPartition } from "@edgelog/core";
import { makeBatch, readAll } from "@edgelog/core/testing";
import { describe, expect, it } from "vitest";
import { type DurableObjectLogStore, partitionObjectName } from "../src/index.ts";
import { liveShardName } from "../src/live/live-shards.ts";
import { countingEnv } from "./counting-env.ts";
import { TailReader, text } from "./live-readers.ts";
import { createReplicated, newStore, replicaStub } from "./replicas.ts";

const PER_OBJECT = 2;

async function topicWith(store: DurableObjectLogStore, batches = 0): Promise<TopicPartition> {
  const name = `shards-${crypto.randomUUID().slice(0, 8)}`;
  await store.createTopic({ name, partitions: 1, config: DEFAULT_TOPIC_CONFIG });
  const tp = { topic: name, partition: 0 };
  for (let i = 0; i < batches; i++) await store.append(tp, makeBatch(2, `old${i}-`));
  return tp;
}

async function partitionStub(store: DurableObjectLogStore, tp: TopicPartition) {
  const metadata = await store.getTopic(tp.topic);
  const name = partitionObjectName(store.namespacePrefix, metadata?.topicId ?? "", tp.partition, "wnam");
  return env.PARTITIONS.get(env.PARTITIONS.idFromName(name));
}

function shardStub(partition: { id: DurableObjectId }, index: number) {
  const shards = env.LIVE_SHARDS;
  return shards.get(shards.idFromName(liveShardName(partition.id.toString(), index)));
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** Every reader still open has the log from where it started to the end, each record once, in order. */
async function expectWhole(store: DurableObjectLogStore, tp: TopicPartition, readers: readonly TailReader[]) {
  const log = await readAll(store, tp);
  const { highWatermark } = await store.offsets(tp);
  for (const reader of readers) {
    expect(reader.violations).toEqual([]);
    if (reader.left || reader.closed !== null) continue;
    await reader.waitFor(() => reader.next === highWatermark, "the end of the log");
    const start = reader.ready?.offset ?? 0;
    expect(reader.offsets).toEqual(range(start, highWatermark));
    for (const record of log) {
      if (record.offset >= start) expect(reader.values.get(record.offset)).toBe(text(record.value));
    }
  }
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("broadcast shards of live readers", () => {
  it("spreads readers over the partition and shards, none missing or repeating a record", async () => {
    const store = newStore("shards");
    const tp = await topicWith(store, 3);
    const starts = [0, 3, "latest", 2, "latest", 5, 1] as const;
    const readers: TailReader[] = [];
    for (const offset of starts) {
      readers.push(await TailReader.open(store, tp, { offset }, { autoResume: true }));
    }
    const partition = await partitionStub(store, tp);
    const shards = [0, 1, 2].map((i) => shardStub(partition, i));
    expect((await partition.stats()).live.sockets).toBe(PER_OBJECT);
    expect(await Promise.all(shards.map(async (s) => (await s.stats()).live.sockets))).toEqual([2, 2, 1]);
    // Concurrent appends share commits: a push may carry several batches.
    await Promise.all(range(0, 4).map((i) => store.append(tp, makeBatch(3, `a${i}-`))));
    // One reader on shard 0 pauses and falls behind, one on shard 1 leaves, a new one joins.
    const [pausing, leaving] = [readers[2], readers[4]] as [TailReader, TailReader];
    pausing.send({ type: "pause" });
    leaving.close();
    await store.append(tp, makeBatch(2, "b-"));
    readers.push(await TailReader.open(store, tp, { offset: 4 }, { autoResume: true }));
    await Promise.all(range(0, 3).map((i) => store.append(tp, makeBatch(1, `c${i}-`))));
    // It resumes by offset from where it stands: the records it missed, then pushes again.
    pausing.resume();
    await store.append(tp, makeBatch(2, "d-"));
    await expectWhole(store, tp, readers);
    const stats = await Promise.all(shards.map((s) => s.stats()));
    expect(stats.map((s) => s.gaps)).toEqual([0, 0, 0]);
    for (const reader of readers) reader.close();
  });

  it("costs one partition→shard call per shard with readers per append, nothing per reader", async () => {
    const counted = countingEnv();
    const store = newStore("shards-count", counted.env);
    const tp = await topicWith(store);
    const readers: TailReader[] = [];
    for (let i = 0; i < 20; i++) readers.push(await TailReader.open(store, tp, { offset: "latest" }));
    const partition = await partitionStub(store, tp);
    const shards = range(0, 9).map((i) => shardStub(partition, i));
    const snapshot = async () => {
      const own = await partition.stats();
      const theirs = await Promise.all(shards.map((s) => s.stats()));
      return {
        storeCalls: counted.calls(),
        feedsSent: own.liveShards.feeds,
        feedsReceived: theirs.reduce((n, s) => n + s.feeds, 0),
        shardReads: theirs.reduce((n, s) => n + s.reads, 0),
        encoded: own.live.encoded + theirs.reduce((n, s) => n + s.live.encoded, 0),
        sent: own.live.sent + theirs.reduce((n, s) => n + s.live.sent, 0),
        received: own.live.received + theirs.reduce((n, s) => n + s.live.received, 0),
        attachmentWrites: own.live.attachmentWrites + theirs.reduce((n, s) => n + s.live.attachmentWrites, 0),
        sockets: [own.live.sockets, ...theirs.map((s) => s.live.sockets)],
      };
    };
    const before = await snapshot();
    expect(before.sockets).toEqual([2, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
    const delta = async () => {
      const after = await snapshot();
      return {
        storeCalls: after.storeCalls - before.storeCalls,
        feedsSent: after.feedsSent - before.feedsSent,
        feedsReceived: after.feedsReceived - before.feedsReceived,
        shardReads: after.shardReads - before.shardReads,
        encoded: after.encoded - before.encoded,
        sent: after.sent - before.sent,
        received: after.received - before.received,
        attachmentWrites: after.attachmentWrites - before.attachmentWrites,
      };
    };
    await store.append(tp, makeBatch(5));
    await Promise.all(readers.map((r) => r.waitFor(() => r.next === 5, "the push")));
    // One store call, one feed per shard (9), one encoding per object (10), one send per reader, no reads.
    expect(await delta()).toEqual({
      storeCalls: 1,
      feedsSent: 9,
      feedsReceived: 9,
      shardReads: 0,
      encoded: 10,
      sent: 20,
      received: 0,
      attachmentWrites: 0,
    });
    for (const reader of readers) reader.close();
  });

  it("stops feeding a shard whose readers all left", async () => {
    const store = newStore("shards-leave");
    const tp = await topicWith(store, 1);
    const readers: TailReader[] = [];
    for (let i = 0; i < 5; i++) readers.push(await TailReader.open(store, tp, { offset: 0 }));
    const partition = await partitionStub(store, tp);
    const [first, second] = [shardStub(partition, 0), shardStub(partition, 1)];
    expect((await partition.stats()).liveShards.fed).toBe(2);
    // Shard 0 holds readers 2 and 3.
    readers[2]?.close();
    readers[3]?.close();
    await until(async () => (await partition.stats()).liveShards.fed === 1, "the shard to leave");
    expect((await first.stats()).registered).toBe(false);
    const feeds = [(await first.stats()).feeds, (await second.stats()).feeds];
    const sent = (await partition.stats()).liveShards.feeds;
    await store.append(tp, makeBatch(2));
    await expectWhole(store, tp, readers);
    expect((await partition.stats()).liveShards.feeds - sent).toBe(1);
    expect([(await first.stats()).feeds, (await second.stats()).feeds]).toEqual([
      feeds[0],
      (feeds[1] ?? 0) + 1,
    ]);
    // Readers joining fill shard 1, then the next shard, which is fed from the partition's high watermark.
    readers.push(await TailReader.open(store, tp, { offset: "latest" }));
    readers.push(await TailReader.open(store, tp, { offset: "latest" }));
    expect((await partition.stats()).liveShards.fed).toBe(2);
    await store.append(tp, makeBatch(1));
    await expectWhole(store, tp, readers);
    for (const reader of readers) reader.close();
  });

  it("reads the gap when feeds were lost, so its readers miss nothing", async () => {
    const store = newStore("shards-gap");
    const tp = await topicWith(store, 1);
    const readers: TailReader[] = [];
    for (let i = 0; i < 6; i++) readers.push(await TailReader.open(store, tp, { offset: 0 }));
    const partition = await partitionStub(store, tp);
    const shard = shardStub(partition, 0);
    await expectWhole(store, tp, readers);
    // The partition forgets shard 0 (as if its feeds were lost): the next two commits reach only shard 1.
    await partition.liveShardReaders(0, false);
    await store.append(tp, makeBatch(2, "lost-a-"));
    await store.append(tp, makeBatch(3, "lost-b-"));
    await expectWhole(store, tp, readers.slice(4));
    expect(readers.slice(2, 4).map((r) => r.next)).toEqual([2, 2]);
    // Fed again: the next feed starts past the shard's end, which reads from the partition first.
    await partition.liveShardReaders(0, true);
    await store.append(tp, makeBatch(1, "after-"));
    await expectWhole(store, tp, readers);
    const stats = await shard.stats();
    expect(stats.gaps).toBe(1);
    expect(stats.end).toBe(8);
    // The end is persisted with each push: an instance that replaces this one (after hibernation or eviction;
    // abortAllDurableObjects would drop the sockets too) places its caught-up sockets there.
    const persisted = await runInDurableObject(shard, (_instance, state) =>
      state.storage.sql.exec<{ end_offset: number }>("SELECT end_offset FROM shard_state").one(),
    );
    expect(persisted.end_offset).toBe(8);
    for (const reader of readers) reader.close();
  });

  it("ends a shard's sockets when their token expires (4401, the shard's alarm) or the topic is deleted (4404)", async () => {
    const store = newStore("shards-end");
    const tp = await topicWith(store, 1);
    const expiresAt = Date.now() + 50;
    const readers: TailReader[] = [];
    for (let i = 0; i < 3; i++) readers.push(await TailReader.open(store, tp, { offset: 0 }));
    const expiring = await TailReader.open(store, tp, { offset: 0, expiresAt });
    const shard = shardStub(await partitionStub(store, tp), 0);
    expect((await shard.stats()).live.sockets).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await runDurableObjectAlarm(shard);
    await expiring.waitFor(() => expiring.closed !== null, "the expiry");
    expect(expiring.closed?.code).toBe(4401);
    expect(readers.map((r) => r.closed)).toEqual([null, null, null]);
    await store.deleteTopic(tp.topic);
    for (const reader of readers) await reader.waitFor(() => reader.closed !== null, "the close");
    expect(readers.map((r) => r.closed?.code)).toEqual([4404, 4404, 4404]);
  });

  it("shards a ?region= follower's readers, fed as the follower learns the high watermark", async () => {
    const store = newStore("shards-region");
    const name = `shards-r-${crypto.randomUUID().slice(0, 8)}`;
    await createReplicated(store, name);
    const tp = { topic: name, partition: 0 };
    await store.append(tp, makeBatch(2));
    const readers: TailReader[] = [];
    for (let i = 0; i < 4; i++) {
      readers.push(await TailReader.open(store, tp, { offset: 0, region: "weur" }, { autoResume: true }));
    }
    const follower = await replicaStub(store, name, 0, "weur");
    expect((await follower.stats()).live.sockets).toBe(PER_OBJECT);
    expect((await shardStub(follower, 0).stats()).live.sockets).toBe(2);
    // Each record reaches every reader before the next is written: the follower's leader pushes it the watermark.
    for (let i = 0; i < 3; i++) {
      await store.append(tp, makeBatch(1, `r${i}-`));
      for (const reader of readers) await reader.waitFor(() => reader.next === 3 + i, `record ${i}`);
    }
    await expectWhole(store, tp, readers);
    for (const reader of readers) reader.close();
  });
});
