// The WebSocket live tail in workerd (live/live-tails.ts through PartitionObject and the store's tailSocket):
// readers opening at any offset catch up and then get every commit pushed, from the append's own invocation (the
// store's calls per append are the same with 1 reader or 20); refusals come before the upgrade; bad messages,
// expired tokens and a deleted topic close the socket with their code; the socket's state is in its attachment.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { DEFAULT_TOPIC_CONFIG, type TopicPartition } from "@edgelog/core";
import { expectEdgeLogError, makeBatch, readAll } from "@edgelog/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type DurableObjectLogStore, partitionObjectName } from "../src/index.ts";
import { LIVE_RESUME_BURST } from "../src/live/live-tails.ts";
import { countingEnv } from "./counting-env.ts";
import { TailReader, text } from "./live-readers.ts";
import { createReplicated, newStore, replicaStub } from "./replicas.ts";

async function topicWith(store: DurableObjectLogStore, batches = 0): Promise<TopicPartition> {
  const name = `live-${crypto.randomUUID().slice(0, 8)}`;
  await store.createTopic({ name, partitions: 1, config: DEFAULT_TOPIC_CONFIG });
  const tp = { topic: name, partition: 0 };
  for (let i = 0; i < batches; i++) await store.append(tp, makeBatch(2, `old${i}-`));
  return tp;
}

async function partitionStub(store: DurableObjectLogStore, tp: TopicPartition, region = "wnam") {
  const metadata = await store.getTopic(tp.topic);
  const name = partitionObjectName(store.namespacePrefix, metadata?.topicId ?? "", tp.partition, region);
  return env.PARTITIONS.get(env.PARTITIONS.idFromName(name));
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe("WebSocket live tail", () => {
  it("catches a reader up from its offset, then pushes every commit, no gap and no repeat", async () => {
    const store = newStore("live");
    const tp = await topicWith(store, 3);
    const fromMiddle = await TailReader.open(store, tp, { offset: 3 });
    const atEnd = await TailReader.open(store, tp, { offset: "latest" });
    await fromMiddle.waitFor(() => fromMiddle.next === 6, "catch-up");
    expect(fromMiddle.ready).toMatchObject({ offset: 3, highWatermark: 6, logStartOffset: 0 });
    expect(atEnd.ready).toMatchObject({ offset: 6 });
    for (let i = 0; i < 4; i++) await store.append(tp, makeBatch(3, `new${i}`));
    for (const reader of [fromMiddle, atEnd]) await reader.waitFor(() => reader.next === 18, "pushes");
    expect(fromMiddle.offsets).toEqual(range(3, 18));
    expect(atEnd.offsets).toEqual(range(6, 18));
    expect(atEnd.values.get(6)).toBe("new0-0");
    expect([...fromMiddle.violations, ...atEnd.violations]).toEqual([]);
    fromMiddle.close();
    atEnd.close();
  });

  // With this Worker's two sockets per object (EDGELOG_LIVE_SOCKETS_PER_OBJECT), more readers go to broadcast
  // shards: live-shards.test.ts counts 20 readers over the partition and 9 shards.
  it("costs one store call per append, one encoding and no attachment write per push, with 1 reader or 2", async () => {
    const measure = async (readers: number) => {
      const counted = countingEnv();
      const store = newStore("live-count", counted.env);
      const tp = await topicWith(store);
      const sockets = await Promise.all(
        range(0, readers).map(() => TailReader.open(store, tp, { offset: "latest" })),
      );
      const stub = await partitionStub(store, tp);
      const before = { calls: counted.calls(), live: (await stub.stats()).live };
      await store.append(tp, makeBatch(5));
      await Promise.all(sockets.map((r) => r.waitFor(() => r.next === 5, "the push")));
      const after = (await stub.stats()).live;
      for (const reader of sockets) reader.close();
      return {
        storeCalls: counted.calls() - before.calls,
        encoded: after.encoded - before.live.encoded,
        sent: after.sent - before.live.sent,
        received: after.received - before.live.received,
        attachmentWrites: after.attachmentWrites - before.live.attachmentWrites,
      };
    };
    const one = await measure(1);
    const two = await measure(2);
    expect(one).toEqual({ storeCalls: 1, encoded: 1, sent: 1, received: 0, attachmentWrites: 0 });
    expect(two).toEqual({ storeCalls: 1, encoded: 1, sent: 2, received: 0, attachmentWrites: 0 });
  });

  it("never shows a reader a gap or a repeat under random joins, leaves, pauses and group commits", async () => {
    type Op =
      | { kind: "append"; batches: number; records: number }
      | { kind: "join"; at: number }
      | { kind: "leave"; reader: number }
      | { kind: "pause"; reader: number };
    const op = fc.oneof(
      fc.record({
        kind: fc.constant("append" as const),
        batches: fc.integer({ min: 1, max: 4 }),
        records: fc.integer({ min: 1, max: 3 }),
      }),
      fc.record({ kind: fc.constant("join" as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
      fc.record({ kind: fc.constant("leave" as const), reader: fc.nat(7) }),
      fc.record({ kind: fc.constant("pause" as const), reader: fc.nat(7) }),
    ) as fc.Arbitrary<Op>;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 4, maxLength: 14 }), async (ops) => {
        const store = newStore("live-random");
        const tp = await topicWith(store, 1);
        const readers: TailReader[] = [];
        const open = () => readers.filter((r) => r.closed === null && !r.left);
        const paused = new Set<TailReader>();
        for (const step of ops) {
          if (step.kind === "append") {
            // Concurrent appends share a commit: one push carries several batches.
            await Promise.all(range(0, step.batches).map(() => store.append(tp, makeBatch(step.records))));
          } else if (step.kind === "join") {
            const { logStartOffset, highWatermark } = await store.offsets(tp);
            const at = logStartOffset + Math.floor(step.at * (highWatermark - logStartOffset));
            readers.push(await TailReader.open(store, tp, { offset: at }, { autoResume: true }));
          } else {
            const reader = open()[step.reader % Math.max(1, open().length)];
            if (reader === undefined) continue;
            if (step.kind === "leave") reader.close();
            else {
              reader.send({ type: "pause" });
              paused.add(reader);
            }
          }
        }
        const log = await readAll(store, tp);
        const { highWatermark } = await store.offsets(tp);
        for (const reader of readers) {
          if (reader.left || reader.closed !== null) continue;
          if (paused.has(reader)) reader.resume();
          await reader.waitFor(() => reader.next === highWatermark, "the end of the log");
          const start = reader.ready?.offset ?? 0;
          expect(reader.offsets).toEqual(range(start, highWatermark));
          for (const record of log) {
            if (record.offset >= start) expect(reader.values.get(record.offset)).toBe(text(record.value));
          }
        }
        for (const reader of readers) {
          expect(reader.violations).toEqual([]);
          reader.close();
        }
      }),
      { numRuns: 4 },
    );
  });

  it("refuses before the upgrade: an offset outside the log (416), an unknown partition (404)", async () => {
    const store = newStore("live-refuse");
    const tp = await topicWith(store, 1);
    await expectEdgeLogError(store.tailSocket(tp, { offset: 3, expiresAt: null }), "OFFSET_OUT_OF_RANGE");
    await expectEdgeLogError(store.tailSocket(tp, { offset: -1, expiresAt: null }), "OFFSET_OUT_OF_RANGE");
    await expectEdgeLogError(
      store.tailSocket({ ...tp, partition: 1 }, { offset: 0, expiresAt: null }),
      "UNKNOWN_TOPIC_OR_PARTITION",
    );
    await expectEdgeLogError(
      store.tailSocket({ topic: "no-such-topic", partition: 0 }, { offset: 0, expiresAt: null }),
      "UNKNOWN_TOPIC_OR_PARTITION",
    );
  });

  it("closes the socket on a bad message, with INVALID_REQUEST and 4400", async () => {
    const store = newStore("live-bad");
    const tp = await topicWith(store, 1);
    for (const bad of ["{", '{"type":"resume","offset":-4}', '{"type":"subscribe"}', "x".repeat(2_000)]) {
      const reader = await TailReader.open(store, tp, { offset: 0 });
      reader.send(bad);
      await reader.waitFor(() => reader.closed !== null, "the close");
      expect(reader.closed?.code).toBe(4400);
      expect(reader.control.at(-1)).toMatchObject({ type: "error", error: { code: "INVALID_REQUEST" } });
    }
    const binary = await TailReader.open(store, tp, { offset: 0 });
    binary.socket.send(new Uint8Array([1, 2, 3]));
    await binary.waitFor(() => binary.closed !== null, "the close");
    expect(binary.closed?.code).toBe(4400);
    // A resume past the log end is the read's 416.
    const far = await TailReader.open(store, tp, { offset: 0 });
    far.resume(99);
    await far.waitFor(() => far.closed !== null, "the close");
    expect(far.closed?.code).toBe(4416);
  });

  it("throttles a socket that resumes faster than its allowance (4429)", async () => {
    const store = newStore("live-throttle");
    const tp = await topicWith(store, 1);
    const reader = await TailReader.open(store, tp, { offset: 0 });
    // Three bursts at once: however slowly they are taken, the allowance refills far less than that.
    for (let i = 0; i < 3 * LIVE_RESUME_BURST; i++) reader.resume(0);
    await reader.waitFor(() => reader.closed !== null, "the close");
    expect(reader.closed?.code).toBe(4429);
    expect(reader.control.at(-1)).toMatchObject({
      type: "error",
      error: { code: "THROTTLING_QUOTA_EXCEEDED", quota: "resumes" },
    });
  });

  it("ends the socket when its token expires: AUTHENTICATION_FAILED, 4401, from the object's alarm", async () => {
    const store = newStore("live-expiry");
    const tp = await topicWith(store);
    const expiresAt = Date.now() + 50;
    const reader = await TailReader.open(store, tp, { offset: 0, expiresAt });
    const lasting = await TailReader.open(store, tp, { offset: 0, expiresAt: Date.now() + 600_000 });
    expect(reader.ready?.expiresAt).toBe(expiresAt);
    const stub = await partitionStub(store, tp);
    expect((await stub.stats()).alarmAt).toBe(expiresAt);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await runDurableObjectAlarm(stub);
    await reader.waitFor(() => reader.closed !== null, "the close");
    expect(reader.closed?.code).toBe(4401);
    expect(reader.control.at(-1)).toMatchObject({ type: "error", error: { code: "AUTHENTICATION_FAILED" } });
    // The other socket goes on, and the alarm is armed for its expiry.
    expect(lasting.closed).toBeNull();
    expect((await stub.stats()).alarmAt).toBeLessThanOrEqual(Date.now() + 600_000);
    await store.append(tp, makeBatch(1));
    await lasting.waitFor(() => lasting.next === 1, "the push");
    lasting.close();
  });

  it("closes every socket when the topic is deleted (UNKNOWN_TOPIC_OR_PARTITION, 4404)", async () => {
    const store = newStore("live-delete");
    const tp = await topicWith(store, 1);
    const reader = await TailReader.open(store, tp, { offset: 0 });
    await store.deleteTopic(tp.topic);
    await reader.waitFor(() => reader.closed !== null, "the close");
    expect(reader.closed?.code).toBe(4404);
  });

  it("keeps a socket's state in its attachment, written on changes only (what survives hibernation)", async () => {
    const store = newStore("live-attach");
    const tp = await topicWith(store, 2);
    const caughtUp = await TailReader.open(store, tp, { offset: 1 });
    await caughtUp.waitFor(() => caughtUp.next === 4, "catch-up");
    const paused = await TailReader.open(store, tp, { offset: "latest" });
    paused.send({ type: "pause" });
    const stub = await partitionStub(store, tp);
    const writes = (await stub.stats()).live.attachmentWrites;
    await store.append(tp, makeBatch(2));
    await caughtUp.waitFor(() => caughtUp.next === 6, "the push");
    expect((await stub.stats()).live.attachmentWrites).toBe(writes);
    const attachments = await runInDurableObject(stub, (_instance, state) =>
      state
        .getWebSockets()
        .map((socket) => socket.deserializeAttachment() as { next: number; live: boolean })
        .map(({ next, live }) => ({ next, live }))
        .sort((a, b) => Number(a.live) - Number(b.live)),
    );
    // The caught-up socket's attachment still says where it caught up: after a hibernation its position is what
    // readers see when the object wakes (LiveTails.loaded), as every push reached it before the object went idle.
    expect(attachments).toEqual([
      { next: 4, live: false },
      { next: 4, live: true },
    ]);
    // Positions held in memory are keyed by the socket object: the runtime hands out the same one every time.
    const same = await runInDurableObject(stub, (_instance, state) => {
      const [first, second] = [state.getWebSockets(), state.getWebSockets()];
      return first.length === 2 && first.every((socket, i) => socket === second[i]);
    });
    expect(same).toBe(true);
    // The paused one resumes where it stands and is caught up again.
    paused.resume();
    await paused.waitFor(() => paused.next === 6, "the catch-up");
    expect(paused.offsets).toEqual([4, 5]);
    caughtUp.close();
    paused.close();
  });

  it("serves a ?region= reader from that region's follower, pushed as the follower learns the high watermark", async () => {
    const store = newStore("live-region");
    const name = `live-r-${crypto.randomUUID().slice(0, 8)}`;
    await createReplicated(store, name);
    const tp = { topic: name, partition: 0 };
    await store.append(tp, makeBatch(2));
    const reader = await TailReader.open(store, tp, { offset: 0, region: "weur" });
    await reader.waitFor(() => reader.next === 2, "catch-up on the follower");
    const follower = await replicaStub(store, name, 0, "weur");
    expect((await follower.stats()).live.sockets).toBe(1);
    // Each record reaches the reader before the next is written: the leader pushes the follower the watermark.
    for (let i = 0; i < 3; i++) {
      await store.append(tp, makeBatch(1, `r${i}-`));
      await reader.waitFor(() => reader.next === 3 + i, `record ${i}`);
    }
    expect(reader.violations).toEqual([]);
    const leader = await replicaStub(store, name, 0, "wnam");
    expect((await leader.stats()).live.sockets).toBe(0);
    reader.close();
  });
});
