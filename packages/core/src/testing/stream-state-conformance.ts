/**
 * @module
 * The `StreamStore` part of the store conformance suite (Durable Streams state, `store-kit/stream-state.ts`):
 * the state document changes together with the batches it admits, rejections change nothing, a close wakes
 * readers parked at the tail, and the state goes with its topic. Stores that do not declare the capability skip
 * these tests (reported as skipped, never passed).
 */
import { beforeEach, describe, expect, it, type TestContext } from "vitest";
import type { LogStore, StreamStore, TopicPartition } from "../store.ts";
import { openJsonStreamState, type StreamCommand, type StreamState } from "../store-kit/stream-state.ts";
import { DEFAULT_TOPIC_CONFIG } from "../topic-config.ts";
import { expectEdgeLogError, makeBatch, readAll } from "./helpers.ts";

const STATE: StreamState = openJsonStreamState(1_700_000_000_000);

type Append = Extract<StreamCommand, { kind: "append" }>;

const append = (fields: Partial<Append> = {}): Append => ({
  kind: "append",
  batches: [makeBatch(1)],
  contentType: "application/json",
  streamSeq: null,
  producer: null,
  close: false,
  ...fields,
});

type Streams = LogStore & StreamStore;

/**
 * Registers the tests; `current` returns the test's store (`null`: the store does not declare the capability),
 * `scale` multiplies waits.
 */
export function describeStreamState(
  current: (() => LogStore & Partial<StreamStore>) | null,
  scale: number,
  reopen?: (store: LogStore) => Promise<LogStore>,
): void {
  describe("durable streams state (StreamStore)", () => {
    const tp: TopicPartition = { topic: "stream", partition: 0 };
    let store: Streams;

    beforeEach(async (ctx: TestContext) => {
      if (current === null) {
        ctx.skip();
        return;
      }
      const candidate = current();
      if (candidate.stream === undefined) throw new Error("the store declares streams but has no stream()");
      store = candidate as Streams;
      await store.createTopic({ name: tp.topic, partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    });

    it("creates the state with its initial batches once, and answers `exists` after", async () => {
      expect(await store.stream(tp, { kind: "get", touch: false })).toMatchObject({
        verdict: { kind: "missing" },
        state: null,
      });
      const created = await store.stream(tp, { kind: "create", state: STATE, batches: [makeBatch(2)] });
      expect(created).toMatchObject({ verdict: { kind: "ok" }, state: STATE, highWatermark: 2 });
      const again = await store.stream(tp, {
        kind: "create",
        state: { ...STATE, closed: true },
        batches: [makeBatch(1)],
      });
      expect(again).toMatchObject({ verdict: { kind: "exists" }, state: STATE, highWatermark: 2 });
      expect(await store.stream(tp, { kind: "get", touch: false })).toMatchObject({
        state: STATE,
        highWatermark: 2,
      });
    });

    it("checks producers, content type and Stream-Seq, and changes nothing when it refuses", async () => {
      await store.stream(tp, { kind: "create", state: STATE, batches: [] });
      const producer = (epoch: number, seq: number) => ({ id: "p ü", epoch, seq });
      expect((await store.stream(tp, append({ producer: producer(0, 0), streamSeq: "a" }))).verdict).toEqual({
        kind: "ok",
      });
      expect((await store.stream(tp, append({ producer: producer(0, 0) }))).verdict).toEqual({
        kind: "duplicate",
        lastSeq: 0,
      });
      expect((await store.stream(tp, append({ producer: producer(0, 3) }))).verdict).toEqual({
        kind: "sequence-gap",
        expectedSeq: 1,
        receivedSeq: 3,
      });
      expect((await store.stream(tp, append({ producer: producer(1, 1) }))).verdict).toEqual({
        kind: "new-epoch-seq",
      });
      expect((await store.stream(tp, append({ contentType: "text/plain" }))).verdict).toEqual({
        kind: "content-type-mismatch",
      });
      expect((await store.stream(tp, append({ streamSeq: "a" }))).verdict).toEqual({
        kind: "stream-seq-conflict",
        lastStreamSeq: "a",
      });
      // A batch the store refuses (corrupt) rejects the command before any state changes.
      const corrupt = makeBatch(1);
      corrupt[corrupt.length - 1] = (corrupt[corrupt.length - 1] as number) ^ 0xff;
      // … even when a good batch comes before it in the same command: nothing of the command is written.
      await expectEdgeLogError(
        store.stream(tp, append({ batches: [makeBatch(2), corrupt], producer: producer(0, 1) })),
        "CORRUPT_MESSAGE",
      );
      const after = await store.stream(tp, { kind: "get", touch: false });
      expect(after.highWatermark).toBe(1);
      expect(after.state?.producers["p ü"]).toMatchObject({ epoch: 0, lastSeq: 0 });
      expect(after.state?.lastStreamSeq).toBe("a");
      expect((await store.stream(tp, append({ producer: producer(0, 1) }))).verdict).toEqual({ kind: "ok" });
      expect((await store.stream(tp, append({ producer: producer(2 ** 40, 0) }))).verdict).toEqual({
        kind: "ok",
      });
      expect((await store.stream(tp, append({ producer: producer(0, 2) }))).verdict).toEqual({
        kind: "stale-epoch",
        currentEpoch: 2 ** 40,
      });
      expect((await readAll(store, tp)).length).toBe(3);
    });

    it("refuses batches with a Kafka producer stamp: stream producers live in the state", async () => {
      await store.stream(tp, { kind: "create", state: STATE, batches: [] });
      const stamped = makeBatch(1, "k", { producerId: "kafka", producerEpoch: 0, baseSequence: 0 });
      await expectEdgeLogError(store.stream(tp, append({ batches: [stamped] })), "INVALID_RECORD");
      expect((await store.offsets(tp)).highWatermark).toBe(0);
    });

    it("closes with the last append, wakes readers at the tail, and refuses appends after", async () => {
      await store.stream(tp, { kind: "create", state: STATE, batches: [makeBatch(1)] });
      const parked = store.read(tp, { offset: 1, maxWaitMs: 10_000 * scale });
      await new Promise((r) => setTimeout(r, 20 * scale));
      const started = Date.now();
      const closer = { id: "c", epoch: 0, seq: 0 };
      const closed = await store.stream(tp, append({ close: true, producer: closer }));
      expect(closed).toMatchObject({ verdict: { kind: "ok" }, highWatermark: 2 });
      expect(closed.state).toMatchObject({ closed: true, closedBy: closer });
      expect((await parked).highWatermark).toBe(2);
      expect(Date.now() - started).toBeLessThan(5_000 * scale);
      expect((await store.stream(tp, append())).verdict).toEqual({ kind: "closed" });
      expect((await store.stream(tp, append({ close: true, producer: closer }))).verdict).toEqual({
        kind: "duplicate",
        lastSeq: 0,
      });
      expect(
        (await store.stream(tp, append({ batches: [], contentType: null, close: true }))).verdict,
      ).toEqual({
        kind: "ok",
      });
      expect((await store.stream(tp, { kind: "get", touch: false })).highWatermark).toBe(2);
    });

    it("wakes a reader parked at the tail on a close without data", async () => {
      await store.stream(tp, { kind: "create", state: STATE, batches: [] });
      const parked = store.read(tp, { offset: 0, maxWaitMs: 10_000 * scale });
      await new Promise((r) => setTimeout(r, 20 * scale));
      const started = Date.now();
      await store.stream(tp, append({ batches: [], contentType: null, close: true }));
      expect((await parked).batches).toEqual([]);
      expect(Date.now() - started).toBeLessThan(5_000 * scale);
    });

    it("renews a TTL on touch, counts forks, and forgets the state with its topic", async () => {
      const before = Date.now() - 1_000;
      await store.stream(tp, {
        kind: "create",
        state: { ...STATE, ttlSeconds: 60, lastAccessedAt: before },
        batches: [],
      });
      const touched = await store.stream(tp, { kind: "get", touch: true });
      expect(touched.state?.lastAccessedAt).toBeGreaterThan(before);
      expect((await store.stream(tp, { kind: "update", forksDelta: 2 })).state?.forks).toBe(2);
      expect(
        (await store.stream(tp, { kind: "update", forksDelta: -1, softDeleted: true })).state,
      ).toMatchObject({
        forks: 1,
        softDeleted: true,
      });
      await store.deleteTopic(tp.topic);
      await expectEdgeLogError(store.stream(tp, { kind: "get", touch: false }), "UNKNOWN_TOPIC_OR_PARTITION");
      await store.createTopic({ name: tp.topic, partitions: 1, config: DEFAULT_TOPIC_CONFIG });
      expect((await store.stream(tp, { kind: "get", touch: false })).state).toBeNull();
    });

    if (reopen !== undefined) {
      it("keeps the state across a reopen", async () => {
        await store.stream(tp, { kind: "create", state: STATE, batches: [] });
        await store.stream(tp, append({ producer: { id: "p", epoch: 1, seq: 0 }, close: true }));
        const reopened = (await reopen(store)) as Streams;
        expect(await reopened.stream(tp, { kind: "get", touch: false })).toMatchObject({
          state: { closed: true, producers: { p: { epoch: 1, lastSeq: 0 } } },
          highWatermark: 1,
        });
        await reopened.close();
      });
    }
  });
}
