/**
 * @module
 * The shared conformance suite every store passes (in the spirit of unstorage's `testDriver`). It checks the
 * whole client-facing contract of `store.ts` — topics, atomic appends with dense offsets, reads by offset and byte
 * budget, long-polls, offsets by timestamp, the retention hook, the idempotent producer's rules, consumer groups —
 * and, for the host-side capabilities a store declares (group state, Durable Streams), those too; when the store
 * can be reopened, that all of it survives a restart. A capability a store does not declare is reported as
 * skipped, never as passed.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeBatch, encodeBatch } from "../codec/record-batch.ts";
import { RECORD_CAPS, type RecordCaps } from "../codec/record-caps.ts";
import type { GroupHeartbeatResponse } from "../groups/group-types.ts";
import type { LogRecord } from "../record.ts";
import type {
  GroupStateStore,
  LogStore,
  PrivateStateStore,
  StreamStore,
  TopicMetadata,
  TopicPartition,
} from "../store.ts";
import { openJsonStreamState } from "../store-kit/stream-state.ts";
import { DEFAULT_TOPIC_CONFIG, type TopicConfig } from "../topic-config.ts";
import { expectEdgeLogError, makeBatch, makeRecords, readAll } from "./helpers.ts";
import { describeStreamState } from "./stream-state-conformance.ts";

/**
 * The host-side parts of the contract a store implements (`StorageEngine`). Every one defaults to `true`, so a
 * store that lacks one says so here, as unstorage's and hono's shared suites have drivers declare what they lack.
 */
export interface StoreCapabilities {
  /** `GroupStateStore`: versioned, compare-and-set group state. */
  readonly groupState?: boolean;
  /** `StreamStore`: Durable Streams commands inside the append transaction. */
  readonly streams?: boolean;
  /** `PrivateStateStore`: versioned documents in a key space of their own (the offline outbox's state). */
  readonly privateState?: boolean;
  /**
   * `append(…, { checkRecordCaps: false })` stores a copy of history over the record caps. A store reached over
   * HTTP cannot: the server caps every write.
   */
  readonly uncheckedCopies?: boolean;
  /**
   * `offsets(tp, { includeSize: true })` answers `sizeBytes`, the retained bytes. A store over HTTP does not: the
   * server reports sizes in its topic description instead.
   */
  readonly sizes?: boolean;
}

/** Lowered deployment limits for {@link LogStoreConformanceOptions.createLimitedStore}. */
export interface StoreLimits {
  readonly maxTopics: number;
  readonly maxGroupMembers: number;
}

export interface LogStoreConformanceOptions {
  /** What the store implements beyond `LogStore`; default: everything (a `StorageEngine`). */
  readonly capabilities?: StoreCapabilities;
  /** A fresh, empty store for each test. */
  createStore(): LogStore | Promise<LogStore>;
  /**
   * A fresh, empty store whose deployment limits (`MAX_TOPICS`, `MAX_GROUP_MEMBERS`) are lowered to `limits`, so
   * the limit tests need not create 10,000 topics. Stores that cannot lower them leave it out (and test the real
   * limit on their own); the limit tests are then skipped.
   */
  createLimitedStore?(limits: StoreLimits): LogStore | Promise<LogStore>;
  /** Disposes of a store after its test (default: `store.close()`). */
  destroyStore?(store: LogStore): Promise<void>;
  /**
   * Opens the persisted data of `store` as a new store instance (after closing or abandoning the old one).
   * Stores that persist give this; the restart tests run only when it is there.
   */
  reopenStore?(store: LogStore): Promise<LogStore>;
  /** Multiplies the suite's waits, for runtimes with slow timers. Default 1. */
  timeScale?: number;
}

const text = new TextDecoder();
const valuesOf = (records: readonly { value: Uint8Array | null }[]): (string | null)[] =>
  records.map((r) => (r.value === null ? null : text.decode(r.value)));

type StoreUnderTest = LogStore & Partial<GroupStateStore & StreamStore & PrivateStateStore>;

/** The store as a `GroupStateStore`; fails the test when a store that declared the capability lacks it. */
function groupStateOf(store: StoreUnderTest): LogStore & GroupStateStore {
  if (store.getGroupState === undefined || store.putGroupState === undefined) {
    throw new Error("the store declares groupState but has no getGroupState/putGroupState");
  }
  return store as LogStore & GroupStateStore;
}

/** The store as a `PrivateStateStore`; fails the test when a store that declared the capability lacks it. */
function privateStateOf(store: StoreUnderTest): LogStore & PrivateStateStore {
  if (store.getPrivateState === undefined || store.putPrivateState === undefined) {
    throw new Error("the store declares privateState but has no getPrivateState/putPrivateState");
  }
  return store as LogStore & PrivateStateStore;
}

export function runLogStoreConformance(name: string, options: LogStoreConformanceOptions): void {
  const scale = options.timeScale ?? 1;
  const hasGroupState = options.capabilities?.groupState ?? true;
  const hasStreams = options.capabilities?.streams ?? true;
  const hasPrivateState = options.capabilities?.privateState ?? true;
  const hasUncheckedCopies = options.capabilities?.uncheckedCopies ?? true;
  const hasSizes = options.capabilities?.sizes ?? true;

  describe(`LogStore conformance: ${name}`, () => {
    let store: StoreUnderTest;
    const open: LogStore[] = [];

    beforeEach(async () => {
      store = await options.createStore();
      open.push(store);
    });

    afterEach(async () => {
      for (const s of open.splice(0)) {
        await (options.destroyStore ? options.destroyStore(s) : s.close()).catch(() => undefined);
      }
    });

    const createTopic = (
      topic: string,
      partitions = 1,
      config: Partial<TopicConfig> = {},
    ): Promise<TopicMetadata> =>
      store.createTopic({ name: topic, partitions, config: { ...DEFAULT_TOPIC_CONFIG, ...config } });

    describe("topics", () => {
      it("creates, describes and lists topics in name order", async () => {
        const created = await createTopic("orders", 3, { "retention.ms": 1000 });
        expect(created).toMatchObject({ name: "orders", partitions: 3 });
        expect(created.config["retention.ms"]).toBe(1000);
        expect(created.topicId).toMatch(/.+/);
        expect(typeof created.createdAt).toBe("number");
        await createTopic("alpha");
        expect(await store.getTopic("orders")).toEqual(created);
        expect((await store.listTopics()).map((t) => t.name)).toEqual(["alpha", "orders"]);
      });

      it("refuses min.insync.replicas above the copies it keeps of each partition (one, unless replicated)", async () => {
        await expectEdgeLogError(createTopic("strict", 1, { "min.insync.replicas": 2 }), "INVALID_CONFIG");
        expect(await store.getTopic("strict")).toBeNull();
        const created = await createTopic("one", 1, { "min.insync.replicas": 1 });
        expect(created.config["min.insync.replicas"]).toBe(1);
      });

      it("refuses a second topic of the same name", async () => {
        await createTopic("orders");
        await expectEdgeLogError(createTopic("orders"), "TOPIC_ALREADY_EXISTS");
      });

      it("refuses names differing only by '.' and '_' even when created at once: exactly one wins", async () => {
        const results = await Promise.allSettled([createTopic("a.x"), createTopic("a_x")]);
        expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
        const refused = results.find((r) => r.status === "rejected");
        expect((refused as PromiseRejectedResult | undefined)?.reason).toMatchObject({
          code: "INVALID_TOPIC",
        });
        const winners = (await store.listTopics()).map((t) => t.name);
        expect(winners).toHaveLength(1);
        const loser = winners[0] === "a.x" ? "a_x" : "a.x";
        await expectEdgeLogError(createTopic(loser), "INVALID_TOPIC");
        await createTopic("a-x");
      });

      it("answers null for an unknown topic and UNKNOWN_TOPIC_OR_PARTITION when one is needed", async () => {
        expect(await store.getTopic("nope")).toBeNull();
        await expectEdgeLogError(store.deleteTopic("nope"), "UNKNOWN_TOPIC_OR_PARTITION");
        await expectEdgeLogError(
          store.append({ topic: "nope", partition: 0 }, makeBatch(1)),
          "UNKNOWN_TOPIC_OR_PARTITION",
        );
        await expectEdgeLogError(
          store.read({ topic: "nope", partition: 0 }, { offset: 0 }),
          "UNKNOWN_TOPIC_OR_PARTITION",
        );
        await expectEdgeLogError(
          store.offsets({ topic: "nope", partition: 0 }),
          "UNKNOWN_TOPIC_OR_PARTITION",
        );
      });

      it("rejects partitions outside the topic", async () => {
        await createTopic("orders", 2);
        for (const partition of [2, -1, 1.5]) {
          await expectEdgeLogError(
            store.append({ topic: "orders", partition }, makeBatch(1)),
            "UNKNOWN_TOPIC_OR_PARTITION",
          );
          await expectEdgeLogError(
            store.offsets({ topic: "orders", partition }),
            "UNKNOWN_TOPIC_OR_PARTITION",
          );
        }
      });

      it("deletes a topic with its data; a re-created topic starts empty with a new id", async () => {
        const first = await createTopic("orders");
        await store.append({ topic: "orders", partition: 0 }, makeBatch(5));
        await store.deleteTopic("orders");
        expect(await store.getTopic("orders")).toBeNull();
        expect(await store.listTopics()).toEqual([]);
        const second = await createTopic("orders");
        expect(second.topicId).not.toBe(first.topicId);
        expect(await store.offsets({ topic: "orders", partition: 0 })).toEqual({
          logStartOffset: 0,
          highWatermark: 0,
        });
      });

      it("grows a topic's partitions and never shrinks them", async () => {
        await createTopic("orders", 2);
        await store.append({ topic: "orders", partition: 1 }, makeBatch(2));
        const grown = await store.createPartitions("orders", 4);
        expect(grown.partitions).toBe(4);
        expect((await store.getTopic("orders"))?.partitions).toBe(4);
        expect(await store.offsets({ topic: "orders", partition: 3 })).toEqual({
          logStartOffset: 0,
          highWatermark: 0,
        });
        expect((await store.offsets({ topic: "orders", partition: 1 })).highWatermark).toBe(2);
        await store.append({ topic: "orders", partition: 3 }, makeBatch(1));
        await expectEdgeLogError(store.createPartitions("orders", 4), "INVALID_PARTITIONS");
        await expectEdgeLogError(store.createPartitions("orders", 1), "INVALID_PARTITIONS");
        await expectEdgeLogError(store.createPartitions("nope", 3), "UNKNOWN_TOPIC_OR_PARTITION");
      });

      it("changes a topic's config: named settings set, null ones reset, the rest kept; a bad change is refused whole", async () => {
        const created = await createTopic("state", 2, { "retention.ms": 1000 });
        const altered = await store.alterTopicConfig("state", {
          "cleanup.policy": "compact",
          "delete.retention.ms": "5000",
          "retention.ms": null,
        });
        expect(altered).toMatchObject({ name: "state", topicId: created.topicId, partitions: 2 });
        const config = { ...DEFAULT_TOPIC_CONFIG, "cleanup.policy": "compact", "delete.retention.ms": 5000 };
        expect(altered.config).toEqual(config);
        expect((await store.getTopic("state"))?.config).toEqual(config);
        for (const bad of [
          { "retention.ms": 1, "segment.ms": 1 },
          { partitions: 3 },
          { "min.insync.replicas": 2 },
        ]) {
          await expectEdgeLogError(store.alterTopicConfig("state", bad), "INVALID_CONFIG");
        }
        expect((await store.getTopic("state"))?.config).toEqual(config);
        await expectEdgeLogError(
          store.alterTopicConfig("nope", { "retention.ms": 1 }),
          "UNKNOWN_TOPIC_OR_PARTITION",
        );
        // The partitions follow at once: a compacted topic refuses records without a key.
        const keyless = encodeBatch([{ key: null, value: null, headers: [], timestamp: 1_700_000_000_000 }]);
        await expectEdgeLogError(store.append({ topic: "state", partition: 1 }, keyless), "INVALID_RECORD");
      });

      it("applies two config changes made at once to the config as each finds it: both stay", async () => {
        await createTopic("both");
        await Promise.all([
          store.alterTopicConfig("both", { "retention.ms": 7000 }),
          store.alterTopicConfig("both", { "max.message.bytes": 4096 }),
        ]);
        expect((await store.getTopic("both"))?.config).toMatchObject({
          "retention.ms": 7000,
          "max.message.bytes": 4096,
        });
      });
    });

    describe("append and read", () => {
      const tp: TopicPartition = { topic: "events", partition: 0 };
      beforeEach(async () => {
        await createTopic("events", 2);
      });

      it("assigns dense offsets batch after batch and reads records back exactly", async () => {
        const a = await store.append(tp, makeBatch(3, "a"));
        const b = await store.append(tp, makeBatch(2, "b"));
        expect(a).toMatchObject({
          baseOffset: 0,
          lastOffset: 2,
          duplicate: false,
          logStartOffset: 0,
          highWatermark: 3,
        });
        expect(b).toMatchObject({ baseOffset: 3, lastOffset: 4, duplicate: false, highWatermark: 5 });
        expect(typeof a.logAppendTime).toBe("number");
        const records = await readAll(store, tp);
        expect(records.map((r) => r.offset)).toEqual([0, 1, 2, 3, 4]);
        expect(valuesOf(records)).toEqual(["a-0", "a-1", "a-2", "b-0", "b-1"]);
        const expected = makeRecords(3, "a");
        expect(records.slice(0, 3).map(({ offset: _o, ...r }) => r)).toEqual(expected);
      });

      it("keeps keys, null values, ordered repeated headers and timestamps byte for byte", async () => {
        const enc = new TextEncoder();
        const record = {
          key: null,
          value: null,
          headers: [
            { key: "h", value: enc.encode("1") },
            { key: "h", value: null },
            { key: "ü🙂", value: new Uint8Array([0, 255]) },
          ],
          timestamp: 0,
        };
        await store.append(tp, encodeBatch([record, { ...record, key: new Uint8Array(), timestamp: 5 }]));
        const [first, second] = await readAll(store, tp);
        expect(first).toEqual({ ...record, offset: 0 });
        expect(second).toEqual({ ...record, key: new Uint8Array(), timestamp: 5, offset: 1 });
      });

      it("returns whole batches: the one holding the offset first", async () => {
        await store.append(tp, makeBatch(10, "a"));
        await store.append(tp, makeBatch(10, "b"));
        const result = await store.read(tp, { offset: 15 });
        expect(result.batches.map((b) => b.baseOffset)).toEqual([10]);
        expect(result.batches[0]).toMatchObject({ baseOffset: 10, lastOffset: 19, recordCount: 10 });
        expect(result.highWatermark).toBe(20);
        const middle = await store.read(tp, { offset: 5 });
        expect(middle.batches.map((b) => b.baseOffset)).toEqual([0, 10]);
      });

      it("keeps to the byte budget but always returns the batch holding the offset", async () => {
        for (let i = 0; i < 5; i++) await store.append(tp, makeBatch(20, `b${i}`));
        const size = (await store.listBatches(tp))[0]?.sizeBytes ?? 0;
        expect(size).toBeGreaterThan(0);
        expect((await store.read(tp, { offset: 0, maxBytes: 1 })).batches).toHaveLength(1);
        expect((await store.read(tp, { offset: 0, maxBytes: size * 2 + 1 })).batches).toHaveLength(2);
        expect((await store.read(tp, { offset: 0, maxBytes: 10 * 1024 * 1024 })).batches).toHaveLength(5);
      });

      it("returns nothing at the high watermark and OFFSET_OUT_OF_RANGE outside the log", async () => {
        await store.append(tp, makeBatch(3));
        const atEnd = await store.read(tp, { offset: 3 });
        expect(atEnd).toEqual({ batches: [], logStartOffset: 0, highWatermark: 3 });
        const beyond = await expectEdgeLogError(store.read(tp, { offset: 4 }), "OFFSET_OUT_OF_RANGE");
        expect(beyond.context).toMatchObject({ topic: "events", partition: 0, highWatermark: 3 });
        await store.deleteRecords(tp, 2);
        await expectEdgeLogError(store.read(tp, { offset: 1 }), "OFFSET_OUT_OF_RANGE");
      });

      it("refuses corrupt batches and writes nothing", async () => {
        await store.append(tp, makeBatch(2));
        const corrupt = makeBatch(3);
        corrupt[corrupt.length - 1] = (corrupt[corrupt.length - 1] ?? 0) ^ 0xff;
        await expectEdgeLogError(store.append(tp, corrupt), "CORRUPT_MESSAGE");
        await expectEdgeLogError(store.append(tp, new Uint8Array([1, 2, 3])), "CORRUPT_MESSAGE");
        expect((await store.offsets(tp)).highWatermark).toBe(2);
      });

      it("refuses a batch over the topic's max.message.bytes with MESSAGE_TOO_LARGE and writes nothing", async () => {
        await createTopic("small", 1, { "max.message.bytes": 200 });
        const small: TopicPartition = { topic: "small", partition: 0 };
        await store.append(small, makeBatch(1));
        const error = await expectEdgeLogError(store.append(small, makeBatch(50)), "MESSAGE_TOO_LARGE");
        expect(error.context).toMatchObject({ topic: "small", maxBytes: 200 });
        expect(error.retriable).toBe(false);
        expect((await store.offsets(small)).highWatermark).toBe(1);
      });

      it("gives concurrent appends disjoint, dense offset ranges", async () => {
        const results = await Promise.all(
          Array.from({ length: 40 }, (_, i) => store.append(tp, makeBatch((i % 5) + 1, `c${i}`))),
        );
        const ranges = results.map((r) => [r.baseOffset, r.lastOffset] as const).sort((x, y) => x[0] - y[0]);
        let next = 0;
        for (const [base, last] of ranges) {
          expect(base).toBe(next);
          next = last + 1;
        }
        expect((await store.offsets(tp)).highWatermark).toBe(next);
        const records = await readAll(store, tp);
        expect(records).toHaveLength(next);
        results.forEach((result, i) => {
          expect(valuesOf(records.slice(result.baseOffset, result.lastOffset + 1))).toEqual(
            valuesOf(makeRecords((i % 5) + 1, `c${i}`)),
          );
        });
      });

      it("answers acks=1 and acks=all alike on an unreplicated partition: one commit, the same offsets", async () => {
        await createTopic("acks");
        const tp = { topic: "acks", partition: 0 };
        const one = await store.append(tp, makeBatch(2, "a"), { acks: 1 });
        const all = await store.append(tp, makeBatch(1, "b"), { acks: "all" });
        const none = await store.append(tp, makeBatch(1, "c"));
        expect([one, all, none].map((r) => [r.baseOffset, r.highWatermark])).toEqual([
          [0, 2],
          [2, 3],
          [3, 4],
        ]);
        expect((await readAll(store, tp)).map((r) => r.offset)).toEqual([0, 1, 2, 3]);
      });

      it("keeps partitions independent", async () => {
        await store.append({ topic: "events", partition: 1 }, makeBatch(4, "p1"));
        await store.append(tp, makeBatch(1, "p0"));
        expect((await store.offsets(tp)).highWatermark).toBe(1);
        expect(valuesOf(await readAll(store, { topic: "events", partition: 1 }))).toEqual([
          "p1-0",
          "p1-1",
          "p1-2",
          "p1-3",
        ]);
      });

      it("is not changed by callers mutating the buffers they passed in or got back", async () => {
        const batch = makeBatch(2, "x");
        await store.append(tp, batch);
        batch.fill(0);
        const first = await store.read(tp, { offset: 0 });
        first.batches[0]?.payload.fill(0);
        expect(valuesOf(await readAll(store, tp))).toEqual(["x-0", "x-1"]);
      });
    });

    describe("record caps (RECORD_CAPS)", () => {
      const tp: TopicPartition = { topic: "capped", partition: 1 };
      const bytes = (n: number) => new Uint8Array(n).fill(0x61);
      const base = makeRecords(1)[0] as LogRecord;
      const headers = (count: number, valueBytes = 0) =>
        Array.from({ length: count }, (_, i) => ({ key: `h${i}`, value: bytes(valueBytes) }));
      const overCaps: [keyof RecordCaps, LogRecord][] = [
        ["maxHeaders", { ...base, headers: headers(RECORD_CAPS.maxHeaders + 1) }],
        [
          "maxHeaderNameBytes",
          { ...base, headers: [{ key: "n".repeat(RECORD_CAPS.maxHeaderNameBytes + 1), value: null }] },
        ],
        ["maxHeaderValueBytes", { ...base, headers: headers(1, RECORD_CAPS.maxHeaderValueBytes + 1) }],
        ["maxHeadersBytes", { ...base, headers: headers(9, RECORD_CAPS.maxHeaderValueBytes) }],
        ["maxKeyBytes", { ...base, key: bytes(RECORD_CAPS.maxKeyBytes + 1) }],
      ];
      beforeEach(async () => {
        await createTopic("capped", 2);
      });

      it("refuses a batch with a record over any cap with INVALID_RECORD, naming it, and writes nothing", async () => {
        await store.append(tp, makeBatch(2));
        for (const [cap, record] of overCaps) {
          const batch = encodeBatch([base, record]);
          const error = await expectEdgeLogError(store.append(tp, batch), "INVALID_RECORD");
          expect(error.context).toMatchObject({ topic: "capped", partition: 1, offsetDelta: 1, cap });
          expect(error.context.limit).toBe(RECORD_CAPS[cap]);
          expect(error.retriable).toBe(false);
        }
        expect((await store.offsets(tp)).highWatermark).toBe(2);
      });

      it("accepts a record at the count, name, total and key caps at once", async () => {
        const nameBytes = RECORD_CAPS.maxHeaderNameBytes;
        const perHeader = RECORD_CAPS.maxHeadersBytes / RECORD_CAPS.maxHeaders;
        const atCaps: LogRecord = {
          ...base,
          key: bytes(RECORD_CAPS.maxKeyBytes),
          headers: Array.from({ length: RECORD_CAPS.maxHeaders }, (_, i) => ({
            key: `${i}`.padStart(nameBytes, "n"),
            value: bytes(perHeader - nameBytes),
          })),
        };
        const result = await store.append(tp, encodeBatch([atCaps]));
        expect(result.baseOffset).toBe(0);
        const [back] = await readAll(store, tp);
        expect(back?.headers).toHaveLength(RECORD_CAPS.maxHeaders);
        expect(back?.key?.length).toBe(RECORD_CAPS.maxKeyBytes);
      });

      it("fails only the capped batch among concurrent appends (one group commit)", async () => {
        const tooManyHeaders: LogRecord = { ...base, headers: headers(RECORD_CAPS.maxHeaders + 1) };
        const settled = await Promise.allSettled([
          store.append(tp, makeBatch(2, "a")),
          store.append(tp, encodeBatch([base, tooManyHeaders])),
          store.append(tp, makeBatch(3, "b")),
        ]);
        expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
        expect(settled[1]).toMatchObject({
          reason: { code: "INVALID_RECORD", context: { cap: "maxHeaders" } },
        });
        expect(valuesOf(await readAll(store, tp)).sort()).toEqual(["a-0", "a-1", "b-0", "b-1", "b-2"]);
      });

      it.skipIf(!hasUncheckedCopies)(
        "appends a copy of history over the caps with checkRecordCaps: false",
        async () => {
          const copy = encodeBatch(overCaps.map(([, record]) => record));
          const result = await store.append(tp, copy, { checkRecordCaps: false });
          expect(result).toMatchObject({ baseOffset: 0, lastOffset: overCaps.length - 1 });
          const back = await readAll(store, tp);
          expect(back.map((r) => r.headers.length)).toEqual(overCaps.map(([, r]) => r.headers.length));
          // The option is per call: the next new write is capped again.
          await expectEdgeLogError(store.append(tp, copy), "INVALID_RECORD");
        },
      );
    });

    describe.skipIf(options.createLimitedStore === undefined)("deployment limits", () => {
      const config = { ...DEFAULT_TOPIC_CONFIG };
      /** Opened per test (a second `beforeEach` here would read as a duplicate of the suite's). */
      const openLimited = async (): Promise<StoreUnderTest> => {
        const limited = (await options.createLimitedStore?.({
          maxTopics: 3,
          maxGroupMembers: 2,
        })) as StoreUnderTest;
        open.push(limited);
        return limited;
      };

      it("refuses a topic past the deployment's limit with POLICY_VIOLATION; a deletion makes room", async () => {
        const limited = await openLimited();
        for (const name of ["a", "b", "c"]) await limited.createTopic({ name, partitions: 1, config });
        const error = await expectEdgeLogError(
          limited.createTopic({ name: "d", partitions: 1, config }),
          "POLICY_VIOLATION",
        );
        expect(error.context).toMatchObject({ topic: "d", limit: 3, actual: 3 });
        expect(error.retriable).toBe(false);
        // An existing name is still that error, not the limit's.
        await expectEdgeLogError(
          limited.createTopic({ name: "a", partitions: 1, config }),
          "TOPIC_ALREADY_EXISTS",
        );
        expect((await limited.listTopics()).map((t) => t.name)).toEqual(["a", "b", "c"]);
        await limited.deleteTopic("b");
        await limited.createTopic({ name: "d", partitions: 1, config });
        expect((await limited.listTopics()).map((t) => t.name)).toEqual(["a", "c", "d"]);
      });

      it("lets exactly as many concurrent creates through as there is room for", async () => {
        const limited = await openLimited();
        await limited.createTopic({ name: "a", partitions: 1, config });
        const settled = await Promise.allSettled(
          ["b", "c", "d", "e"].map((name) => limited.createTopic({ name, partitions: 1, config })),
        );
        expect(settled.filter((s) => s.status === "fulfilled")).toHaveLength(2);
        for (const s of settled)
          if (s.status === "rejected") expect(s.reason).toMatchObject({ code: "POLICY_VIOLATION" });
        expect(await limited.listTopics()).toHaveLength(3);
      });

      it("refuses a new member past the group's limit with GROUP_MAX_SIZE_REACHED; rejoins and leaves work", async () => {
        const limited = await openLimited();
        await limited.createTopic({ name: "t", partitions: 2, config });
        const join = (memberId: string) =>
          limited.groupHeartbeat("g", { memberId, memberEpoch: 0, topics: ["t"] });
        const a = await join("a");
        await join("b");
        const error = await expectEdgeLogError(join("c"), "GROUP_MAX_SIZE_REACHED");
        expect(error.context).toMatchObject({ groupId: "g", memberId: "c", limit: 2, actual: 2 });
        expect(error.retriable).toBe(false);
        // A member already in the group rejoins (epoch 0) and heartbeats whatever the count.
        const again = await join("a");
        expect(again.memberEpoch).toBeGreaterThan(a.memberEpoch);
        await limited.groupHeartbeat("g", { memberId: "a", memberEpoch: again.memberEpoch });
        await limited.groupHeartbeat("g", { memberId: "b", memberEpoch: -1 });
        await join("c");
        const described = await limited.describeGroup("g");
        expect(described.members.map((m) => m.memberId).sort()).toEqual(["a", "c"]);
      });
    });

    describe("long-poll", () => {
      const tp: TopicPartition = { topic: "live", partition: 0 };
      beforeEach(async () => {
        await createTopic("live");
      });

      it("wakes a read waiting at the high watermark as soon as a batch is appended", async () => {
        await store.append(tp, makeBatch(2));
        const started = Date.now();
        const pending = store.read(tp, { offset: 2, maxWaitMs: 10_000 * scale });
        await new Promise((r) => setTimeout(r, 20 * scale));
        await store.append(tp, makeBatch(3, "late"));
        const result = await pending;
        expect(Date.now() - started).toBeLessThan(5_000 * scale);
        expect(result.batches.map((b) => b.baseOffset)).toEqual([2]);
        expect(valuesOf(decodeBatch(result.batches[0]?.payload ?? new Uint8Array()).records)).toEqual([
          "late-0",
          "late-1",
          "late-2",
        ]);
      });

      it("returns an empty result when the wait times out", async () => {
        const started = Date.now();
        const result = await store.read(tp, { offset: 0, maxWaitMs: 100 * scale });
        expect(result.batches).toEqual([]);
        expect(Date.now() - started).toBeGreaterThanOrEqual(90 * scale);
      });

      it("does not wait when data is already there", async () => {
        await store.append(tp, makeBatch(1));
        const started = Date.now();
        const result = await store.read(tp, { offset: 0, maxWaitMs: 10_000 * scale });
        expect(result.batches).toHaveLength(1);
        expect(Date.now() - started).toBeLessThan(5_000 * scale);
      });

      it("rejects with the signal's reason when the wait is aborted", async () => {
        const controller = new AbortController();
        const pending = store.read(tp, { offset: 0, maxWaitMs: 10_000 * scale, signal: controller.signal });
        setTimeout(() => controller.abort(new Error("seek")), 20 * scale);
        await expect(pending).rejects.toThrow("seek");
      });

      it("rejects waiting reads with UNKNOWN_TOPIC_OR_PARTITION when the topic is deleted", async () => {
        // Attach the expectation first: a remote store may reject the read before deleteTopic returns.
        const rejected = expectEdgeLogError(
          store.read(tp, { offset: 0, maxWaitMs: 10_000 * scale }),
          "UNKNOWN_TOPIC_OR_PARTITION",
        );
        await new Promise((r) => setTimeout(r, 20 * scale));
        await store.deleteTopic("live");
        await rejected;
      });

      it("wakes every waiter of the partition, and only of that partition", async () => {
        await createTopic("other");
        const waiters = [0, 1, 2].map(() => store.read(tp, { offset: 0, maxWaitMs: 10_000 * scale }));
        const other = store.read({ topic: "other", partition: 0 }, { offset: 0, maxWaitMs: 300 * scale });
        await new Promise((r) => setTimeout(r, 20 * scale));
        await store.append(tp, makeBatch(1));
        for (const result of await Promise.all(waiters)) expect(result.batches).toHaveLength(1);
        expect((await other).batches).toEqual([]);
      });
    });

    describe("offsets, timestamps and retention hooks", () => {
      const tp: TopicPartition = { topic: "t", partition: 0 };
      beforeEach(async () => {
        await createTopic("t");
      });

      it("reports the log start and high watermark", async () => {
        expect(await store.offsets(tp)).toEqual({ logStartOffset: 0, highWatermark: 0 });
        await store.append(tp, makeBatch(7));
        expect(await store.offsets(tp)).toEqual({ logStartOffset: 0, highWatermark: 7 });
      });

      it("finds the earliest offset whose timestamp is at or after a time, even when timestamps go backwards", async () => {
        const at = (timestamp: number) => ({ key: null, value: null, headers: [], timestamp });
        await store.append(tp, encodeBatch([at(100), at(300), at(200)])); // offsets 0,1,2
        await store.append(tp, encodeBatch([at(250), at(400)])); // offsets 3,4
        expect(await store.offsetForTimestamp(tp, 0)).toBe(0);
        expect(await store.offsetForTimestamp(tp, 100)).toBe(0);
        expect(await store.offsetForTimestamp(tp, 101)).toBe(1);
        expect(await store.offsetForTimestamp(tp, 300)).toBe(1);
        expect(await store.offsetForTimestamp(tp, 301)).toBe(4);
        expect(await store.offsetForTimestamp(tp, 400)).toBe(4);
        expect(await store.offsetForTimestamp(tp, 401)).toBeNull();
      });

      it("answers a timestamp inside a batch straddling the log start with the first retained offset at most", async () => {
        const at = (timestamp: number) => ({ key: null, value: null, headers: [], timestamp });
        await store.append(tp, encodeBatch([at(100), at(300), at(200)])); // offsets 0,1,2
        await store.append(tp, encodeBatch([at(250), at(400)])); // offsets 3,4
        await store.deleteRecords(tp, 2); // the first batch straddles the log start
        expect(await store.offsetForTimestamp(tp, 0)).toBe(2);
        // Offset 1 (300) is the first match, but below the log start: the first retained offset answers.
        expect(await store.offsetForTimestamp(tp, 250)).toBe(2);
        expect(await store.offsetForTimestamp(tp, 301)).toBe(4);
        expect(await store.offsetForTimestamp(tp, 401)).toBeNull();
      });

      it("applies retention.bytes after appends (at once, or from the store's own housekeeping)", async () => {
        const size = makeBatch(5, "b0").byteLength;
        const bytes: TopicPartition = { topic: "bytes", partition: 0 };
        await createTopic("bytes", 1, { "retention.ms": -1, "retention.bytes": size * 2 });
        for (let i = 0; i < 5; i++) await store.append(bytes, makeBatch(5, `b${i}`));
        // A Durable Object applies retention from its alarm, due at once: give it a bounded number of turns.
        for (let turn = 0; turn < 200 && (await store.offsets(bytes)).logStartOffset < 15; turn++) {
          await new Promise((resolve) => setTimeout(resolve, 10 * scale));
        }
        expect(await store.offsets(bytes)).toEqual({ logStartOffset: 15, highWatermark: 25 });
        expect((await store.listBatches(bytes)).map((b) => b.baseOffset)).toEqual([15, 20]);
        expect(valuesOf(await readAll(store, bytes))).toEqual([
          ...["b3-0", "b3-1", "b3-2", "b3-3", "b3-4"],
          ...["b4-0", "b4-1", "b4-2", "b4-3", "b4-4"],
        ]);
      });

      it("lists batch metadata without payloads", async () => {
        await store.append(tp, makeBatch(3));
        await store.append(tp, makeBatch(2));
        const batches = await store.listBatches(tp);
        expect(batches.map((b) => [b.baseOffset, b.lastOffset, b.recordCount])).toEqual([
          [0, 2, 3],
          [3, 4, 2],
        ]);
        expect(batches[0]?.maxTimestamp).toBe(1_700_000_000_002);
        expect(batches[0]).not.toHaveProperty("payload");
        expect((await store.listBatches(tp, { fromOffset: 4 })).map((b) => b.baseOffset)).toEqual([3]);
        expect(await store.listBatches(tp, { limit: 1 })).toHaveLength(1);
      });

      it("advances the log start with deleteRecords, dropping only whole batches", async () => {
        await store.append(tp, makeBatch(3, "a"));
        await store.append(tp, makeBatch(3, "b"));
        await store.append(tp, makeBatch(3, "c"));
        expect(await store.deleteRecords(tp, 4)).toEqual({ logStartOffset: 4, highWatermark: 9 });
        expect(await store.offsets(tp)).toEqual({ logStartOffset: 4, highWatermark: 9 });
        expect((await store.listBatches(tp)).map((b) => b.baseOffset)).toEqual([3, 6]);
        expect(valuesOf(await readAll(store, tp))).toEqual(["b-1", "b-2", "c-0", "c-1", "c-2"]);
        expect(await store.offsetForTimestamp(tp, 0)).toBe(4);
        await expectEdgeLogError(store.deleteRecords(tp, 10), "OFFSET_OUT_OF_RANGE");
        await store.deleteRecords(tp, 9);
        expect(await store.offsets(tp)).toEqual({ logStartOffset: 9, highWatermark: 9 });
        expect(await store.listBatches(tp)).toEqual([]);
        await store.append(tp, makeBatch(1, "d"));
        expect(valuesOf(await readAll(store, tp))).toEqual(["d-0"]);
        expect((await store.offsets(tp)).highWatermark).toBe(10);
      });

      it.skipIf(!hasSizes)(
        "reports the retained bytes when asked: the stored batches' sizes, less what deleteRecords dropped",
        async () => {
          await createTopic("sized", 2);
          const p0 = { topic: "sized", partition: 0 };
          const sized = () => store.offsets(p0, { includeSize: true });
          expect(await sized()).toEqual({ logStartOffset: 0, highWatermark: 0, sizeBytes: 0 });
          const batches = [makeBatch(3, "a"), makeBatch(1, "b"), makeBatch(5, "c")];
          for (const batch of batches) await store.append(p0, batch);
          const stored = (await store.listBatches(p0)).map((b) => b.sizeBytes);
          expect(stored).toEqual(batches.map((b) => b.byteLength));
          const total = stored.reduce((sum, n) => sum + n, 0);
          expect(await sized()).toEqual({ logStartOffset: 0, highWatermark: 9, sizeBytes: total });
          // Offset 3 is the second batch: the first goes whole; a batch the log start only cuts into stays.
          await store.deleteRecords(p0, 3);
          expect((await sized()).sizeBytes).toBe(total - (stored[0] ?? 0));
          await store.deleteRecords(p0, 5);
          expect((await sized()).sizeBytes).toBe(stored[2]);
          // The partition beside it counts its own bytes only.
          expect(
            (await store.offsets({ topic: "sized", partition: 1 }, { includeSize: true })).sizeBytes,
          ).toBe(0);
        },
      );
    });

    describe("idempotent producer", () => {
      const tp: TopicPartition = { topic: "idem", partition: 0 };
      const stamp = (baseSequence: number, producerEpoch = 0, producerId = "producer-1") => ({
        producerId,
        producerEpoch,
        baseSequence,
      });
      beforeEach(async () => {
        await createTopic("idem", 2);
      });

      it("appends a new producer's first batch and then consecutive sequences", async () => {
        expect(await store.append(tp, makeBatch(3, "a", stamp(0)))).toMatchObject({
          baseOffset: 0,
          duplicate: false,
        });
        expect(await store.append(tp, makeBatch(2, "b", stamp(3)))).toMatchObject({
          baseOffset: 3,
          duplicate: false,
        });
        expect((await store.offsets(tp)).highWatermark).toBe(5);
      });

      it("answers a retried batch with its original offsets and writes nothing", async () => {
        const batch = makeBatch(3, "a", stamp(0));
        const first = await store.append(tp, batch);
        await store.append(tp, makeBatch(1, "b", stamp(3)));
        const retry = await store.append(tp, batch);
        expect(retry).toMatchObject({ baseOffset: 0, lastOffset: 2, duplicate: true, highWatermark: 4 });
        expect(retry.logAppendTime).toBe(first.logAppendTime);
        expect(valuesOf(await readAll(store, tp))).toEqual(["a-0", "a-1", "a-2", "b-0"]);
      });

      it("remembers the last five batches for dedupe, not more", async () => {
        const batches = Array.from({ length: 6 }, (_, i) => makeBatch(1, `s${i}`, stamp(i)));
        for (const batch of batches) await store.append(tp, batch);
        expect(await store.append(tp, batches[1] as Uint8Array)).toMatchObject({
          baseOffset: 1,
          duplicate: true,
        });
        await expectEdgeLogError(store.append(tp, batches[0] as Uint8Array), "OUT_OF_ORDER_SEQUENCE_NUMBER");
        expect((await store.offsets(tp)).highWatermark).toBe(6);
      });

      it("deduplicates the same batch sent twice at once: one append, one duplicate", async () => {
        const batch = makeBatch(4, "twice", stamp(0));
        const results = await Promise.all([store.append(tp, batch), store.append(tp, batch)]);
        expect(results.map((r) => r.duplicate).sort()).toEqual([false, true]);
        expect(results.map((r) => r.baseOffset)).toEqual([0, 0]);
        expect((await store.offsets(tp)).highWatermark).toBe(4);
      });

      it("checks a producer's batches that arrive together against each other (one group commit)", async () => {
        const first = makeBatch(3, "a", stamp(0));
        const settled = await Promise.allSettled([
          store.append(tp, first),
          store.append(tp, makeBatch(2, "b", stamp(3))),
          store.append(tp, first),
          store.append(tp, makeBatch(1, "gap", stamp(9))),
          store.append(tp, makeBatch(1, "c", stamp(5))),
        ]);
        const summary = settled.map((s) =>
          s.status === "fulfilled"
            ? [s.value.baseOffset, s.value.duplicate]
            : [(s.reason as { code?: string }).code, null],
        );
        expect(summary).toEqual([
          [0, false],
          [3, false],
          [0, true],
          ["OUT_OF_ORDER_SEQUENCE_NUMBER", null],
          [5, false],
        ]);
        expect(valuesOf(await readAll(store, tp))).toEqual(["a-0", "a-1", "a-2", "b-0", "b-1", "c-0"]);
        // The state the group left behind dedupes a later retry of its middle batch.
        expect(await store.append(tp, makeBatch(2, "b", stamp(3)))).toMatchObject({
          baseOffset: 3,
          duplicate: true,
        });
      });

      it.skipIf(!hasStreams)(
        "keeps a producer's sequence across stream appends to its partition, and refuses stamped stream batches",
        async () => {
          const streams = store.stream?.bind(store);
          if (streams === undefined) throw new Error("the store declares streams but has no stream()");
          await store.append(tp, makeBatch(2, "p", stamp(0)));
          const state = openJsonStreamState(1_700_000_000_000);
          await streams(tp, { kind: "create", state, batches: [makeBatch(1, "s")] });
          const streamAppend = (batch: Uint8Array) =>
            streams(tp, {
              kind: "append",
              batches: [batch],
              contentType: "application/json",
              streamSeq: null,
              producer: null,
              close: false,
            });
          expect(await streamAppend(makeBatch(2, "t"))).toMatchObject({
            verdict: { kind: "ok" },
            highWatermark: 5,
          });
          await expectEdgeLogError(streamAppend(makeBatch(1, "x", stamp(2))), "INVALID_RECORD");
          expect((await store.offsets(tp)).highWatermark).toBe(5);
          expect(await store.append(tp, makeBatch(1, "q", stamp(2)))).toMatchObject({
            baseOffset: 5,
            duplicate: false,
          });
          expect(await store.append(tp, makeBatch(2, "p", stamp(0)))).toMatchObject({
            baseOffset: 0,
            duplicate: true,
          });
          expect(valuesOf(await readAll(store, tp))).toEqual(["p-0", "p-1", "s-0", "t-0", "t-1", "q-0"]);
        },
      );

      it("refuses a gap with OUT_OF_ORDER_SEQUENCE_NUMBER and says which sequence it expected", async () => {
        await store.append(tp, makeBatch(3, "a", stamp(0)));
        const error = await expectEdgeLogError(
          store.append(tp, makeBatch(1, "b", stamp(5))),
          "OUT_OF_ORDER_SEQUENCE_NUMBER",
        );
        expect(error.context).toMatchObject({
          expectedSequence: 3,
          receivedSequence: 5,
          producerId: "producer-1",
        });
        expect(error.retriable).toBe(false);
        expect((await store.offsets(tp)).highWatermark).toBe(3);
      });

      it("fences an older epoch and lets a newer epoch start over at sequence 0", async () => {
        await store.append(tp, makeBatch(2, "e0", stamp(0, 0)));
        await store.append(tp, makeBatch(1, "e1", stamp(0, 1)));
        await expectEdgeLogError(
          store.append(tp, makeBatch(1, "old", stamp(2, 0))),
          "INVALID_PRODUCER_EPOCH",
        );
        await expectEdgeLogError(
          store.append(tp, makeBatch(1, "e2", stamp(4, 2))),
          "OUT_OF_ORDER_SEQUENCE_NUMBER",
        );
        await store.append(tp, makeBatch(1, "e1b", stamp(1, 1)));
        expect(valuesOf(await readAll(store, tp))).toEqual(["e0-0", "e0-1", "e1-0", "e1b-0"]);
      });

      it("refuses a producer it does not know that starts past sequence 0", async () => {
        await expectEdgeLogError(store.append(tp, makeBatch(1, "x", stamp(7))), "UNKNOWN_PRODUCER_ID");
        expect((await store.offsets(tp)).highWatermark).toBe(0);
      });

      it("keeps sequences per partition and per producer", async () => {
        await store.append(tp, makeBatch(2, "a", stamp(0)));
        await store.append({ topic: "idem", partition: 1 }, makeBatch(1, "b", stamp(0)));
        await store.append(tp, makeBatch(1, "c", stamp(0, 0, "producer-2")));
        await store.append(tp, makeBatch(1, "d", stamp(2)));
        expect(valuesOf(await readAll(store, tp))).toEqual(["a-0", "a-1", "c-0", "d-0"]);
      });

      it("mixes with batches that carry no producer", async () => {
        await store.append(tp, makeBatch(1, "p", stamp(0)));
        await store.append(tp, makeBatch(1, "anon"));
        await store.append(tp, makeBatch(1, "anon"));
        expect(await store.append(tp, makeBatch(1, "q", stamp(1)))).toMatchObject({
          baseOffset: 3,
          duplicate: false,
        });
      });

      it("forgets a producer once retention removed all the data it protected", async () => {
        await store.append(tp, makeBatch(2, "a", stamp(0)));
        await store.append(tp, makeBatch(1, "anon"));
        await store.deleteRecords(tp, 1); // offset 1 of the producer's batch is still there: it is remembered
        await store.append(tp, makeBatch(1, "b", stamp(2)));
        await store.deleteRecords(tp, 4);
        await expectEdgeLogError(store.append(tp, makeBatch(1, "c", stamp(3))), "UNKNOWN_PRODUCER_ID");
      });

      it("forgets producers with the topic", async () => {
        await store.append(tp, makeBatch(2, "a", stamp(0)));
        await store.deleteTopic("idem");
        await createTopic("idem", 2);
        expect(await store.append(tp, makeBatch(2, "a", stamp(0)))).toMatchObject({
          duplicate: false,
          baseOffset: 0,
        });
      });
    });

    describe("consumer groups", () => {
      beforeEach(async () => {
        await createTopic("a", 2);
        await createTopic("b", 1);
      });

      it("commits and fetches offsets, each replacing the last, ordered by topic and partition", async () => {
        await store.commitOffsets("g", [
          { topic: "b", partition: 0, offset: 5, metadata: null },
          { topic: "a", partition: 1, offset: 3, metadata: "m" },
        ]);
        await store.commitOffsets("g", [{ topic: "a", partition: 0, offset: 1, metadata: null }]);
        await store.commitOffsets("g", [{ topic: "a", partition: 1, offset: 4, metadata: null }]);
        expect(await store.fetchOffsets("g")).toEqual([
          { topic: "a", partition: 0, offset: 1, metadata: null },
          { topic: "a", partition: 1, offset: 4, metadata: null },
          { topic: "b", partition: 0, offset: 5, metadata: null },
        ]);
        expect((await store.fetchOffsets("g", ["b"])).map((o) => o.topic)).toEqual(["b"]);
        expect(await store.fetchOffsets("unknown-group")).toEqual([]);
      });

      it("commits all or nothing: an unknown partition fails the whole commit", async () => {
        await expectEdgeLogError(
          store.commitOffsets("g", [
            { topic: "a", partition: 0, offset: 1, metadata: null },
            { topic: "a", partition: 9, offset: 1, metadata: null },
          ]),
          "UNKNOWN_TOPIC_OR_PARTITION",
        );
        await expectEdgeLogError(
          store.commitOffsets("g", [{ topic: "zzz", partition: 0, offset: 1, metadata: null }]),
          "UNKNOWN_TOPIC_OR_PARTITION",
        );
        expect(await store.fetchOffsets("g")).toEqual([]);
      });

      it.skipIf(!hasGroupState)("stores group state with compare-and-set versions", async () => {
        const engine = groupStateOf(store);
        expect(await engine.getGroupState("g")).toBeNull();
        expect(await engine.putGroupState("g", { members: ["m1"] }, null)).toBe(1);
        await expectEdgeLogError(engine.putGroupState("g", { members: [] }, null), "CONCURRENT_TRANSACTIONS");
        expect(await engine.putGroupState("g", { members: ["m1", "m2"] }, 1)).toBe(2);
        const stale = await expectEdgeLogError(engine.putGroupState("g", {}, 1), "CONCURRENT_TRANSACTIONS");
        expect(stale.retriable).toBe(true);
        const read = await engine.getGroupState("g");
        expect(read).toEqual({ state: { members: ["m1", "m2"] }, version: 2 });
        (read?.state as { members: string[] } | undefined)?.members.push("mutated");
        expect((await engine.getGroupState("g"))?.state).toEqual({ members: ["m1", "m2"] });
      });

      it("lists groups with members or offsets and deletes them", async () => {
        await store.groupHeartbeat("g2", { memberId: "m", memberEpoch: 0, topics: ["a"] });
        await store.commitOffsets("g1", [{ topic: "a", partition: 0, offset: 1, metadata: null }]);
        expect(await store.listGroups()).toEqual(["g1", "g2"]);
        await store.deleteGroup("g1");
        expect(await store.listGroups()).toEqual(["g2"]);
        expect(await store.fetchOffsets("g1")).toEqual([]);
        await expectEdgeLogError(store.deleteGroup("g1"), "GROUP_ID_NOT_FOUND");
        await store.groupHeartbeat("g2", { memberId: "m", memberEpoch: -1 });
        await store.deleteGroup("g2");
        expect(await store.listGroups()).toEqual([]);
        await expectEdgeLogError(store.describeGroup("g2"), "GROUP_ID_NOT_FOUND");
      });

      it.skipIf(!hasGroupState)("lists and deletes a group that has only state", async () => {
        const engine = groupStateOf(store);
        await engine.putGroupState("g2", { x: 1 }, null);
        expect(await store.listGroups()).toEqual(["g2"]);
        await store.deleteGroup("g2");
        expect(await engine.getGroupState("g2")).toBeNull();
        await expectEdgeLogError(store.deleteGroup("g2"), "GROUP_ID_NOT_FOUND");
      });

      it("coordinates members: join, hand-over, describe, leave (KIP-848 heartbeats)", async () => {
        const a = await store.groupHeartbeat("cg", { memberId: "a", memberEpoch: 0, topics: ["a", "b"] });
        expect(a.memberEpoch).toBeGreaterThan(0);
        expect(a.assignment).toEqual([
          { topic: "a", partitions: [0, 1] },
          { topic: "b", partitions: [0] },
        ]);
        const b = await store.groupHeartbeat("cg", { memberId: "b", memberEpoch: 0, topics: ["a"] });
        expect(b.assignment).toEqual([]); // a still owns everything
        const revoking = await store.groupHeartbeat("cg", {
          memberId: "a",
          memberEpoch: a.memberEpoch,
          ownedPartitions: a.assignment,
        });
        expect(revoking.memberEpoch).toBe(a.memberEpoch);
        const released = await store.groupHeartbeat("cg", {
          memberId: "a",
          memberEpoch: a.memberEpoch,
          ownedPartitions: revoking.assignment,
        });
        expect(released.memberEpoch).toBeGreaterThan(a.memberEpoch);
        const b2 = await store.groupHeartbeat("cg", { memberId: "b", memberEpoch: b.memberEpoch });
        const owned = [...released.assignment, ...b2.assignment].flatMap((tp) =>
          tp.partitions.map((p) => `${tp.topic}/${p}`),
        );
        expect(owned.sort()).toEqual(["a/0", "a/1", "b/0"]);
        const described = await store.describeGroup("cg");
        expect(described).toMatchObject({ groupId: "cg", state: "Stable" });
        expect(described.members.map((m) => [m.memberId, m.memberEpoch])).toEqual([
          ["a", released.memberEpoch],
          ["b", b2.memberEpoch],
        ]);
        await expectEdgeLogError(
          store.groupHeartbeat("cg", { memberId: "a", memberEpoch: released.memberEpoch + 1 }),
          "FENCED_MEMBER_EPOCH",
        );
        await expectEdgeLogError(
          store.groupHeartbeat("cg", { memberId: "zz", memberEpoch: 1 }),
          "UNKNOWN_MEMBER_ID",
        );
        expect(await store.groupHeartbeat("cg", { memberId: "a", memberEpoch: -1 })).toMatchObject({
          memberEpoch: -1,
          assignment: [],
        });
        expect((await store.describeGroup("cg")).members.map((m) => m.memberId)).toEqual(["b"]);
        expect(await store.listGroups()).toContain("cg");
      });

      it("checks commits against the member's epoch; an admin commits only to an empty group", async () => {
        const m = await store.groupHeartbeat("cg", { memberId: "m", memberEpoch: 0, topics: ["a"] });
        const offsets = [{ topic: "a", partition: 0, offset: 3, metadata: null }];
        await store.commitOffsets("cg", offsets, { memberId: "m", memberEpoch: m.memberEpoch });
        await expectEdgeLogError(
          store.commitOffsets("cg", offsets, { memberId: "m", memberEpoch: m.memberEpoch - 1 }),
          "STALE_MEMBER_EPOCH",
        );
        await expectEdgeLogError(
          store.commitOffsets("cg", offsets, { memberId: "x", memberEpoch: 1 }),
          "UNKNOWN_MEMBER_ID",
        );
        await expectEdgeLogError(store.commitOffsets("cg", offsets), "NON_EMPTY_GROUP");
        await expectEdgeLogError(store.deleteGroup("cg"), "NON_EMPTY_GROUP");
        await store.groupHeartbeat("cg", { memberId: "m", memberEpoch: -1 });
        await store.commitOffsets("cg", [{ topic: "a", partition: 0, offset: 5, metadata: null }]);
        expect(await store.fetchOffsets("cg")).toEqual([
          { topic: "a", partition: 0, offset: 5, metadata: null },
        ]);
        expect((await store.describeGroup("cg")).state).toBe("Empty");
        await store.deleteGroup("cg");
        await expectEdgeLogError(store.describeGroup("cg"), "GROUP_ID_NOT_FOUND");
      });

      it("keeps members and topics named like Object.prototype properties apart", async () => {
        const names = ["__proto__", "constructor", "valueOf"];
        for (const name of names) await createTopic(name, 2);
        const joined: GroupHeartbeatResponse[] = [];
        for (const memberId of names) {
          joined.push(await store.groupHeartbeat("__proto__", { memberId, memberEpoch: 0, topics: names }));
        }
        // Heartbeat until the group settles: every partition owned by exactly one member.
        let owned: string[] = [];
        for (let round = 0; round < 10; round++) {
          owned = [];
          for (const [i, memberId] of names.entries()) {
            const previous = joined[i] as GroupHeartbeatResponse;
            const next = await store.groupHeartbeat("__proto__", {
              memberId,
              memberEpoch: previous.memberEpoch,
              ownedPartitions: previous.assignment,
            });
            joined[i] = next;
            owned.push(...next.assignment.flatMap((tp) => tp.partitions.map((p) => `${tp.topic}/${p}`)));
          }
          if (owned.length === names.length * 2) break;
        }
        expect(owned.sort()).toEqual(names.flatMap((n) => [`${n}/0`, `${n}/1`]).sort());
        const described = await store.describeGroup("__proto__");
        expect(described.members.map((m) => m.memberId).sort()).toEqual([...names].sort());
        expect(await store.listGroups()).toEqual(["__proto__"]);
      });

      it("describes a group that only has offsets as Empty", async () => {
        await store.commitOffsets("og", [{ topic: "a", partition: 0, offset: 1, metadata: null }]);
        expect(await store.describeGroup("og")).toMatchObject({ groupId: "og", state: "Empty", members: [] });
      });

      it("drops a deleted topic's committed offsets", async () => {
        await store.commitOffsets("g", [
          { topic: "a", partition: 0, offset: 1, metadata: null },
          { topic: "b", partition: 0, offset: 2, metadata: null },
        ]);
        await store.deleteTopic("a");
        expect((await store.fetchOffsets("g")).map((o) => o.topic)).toEqual(["b"]);
      });
    });

    describe("private state (PrivateStateStore)", () => {
      it.skipIf(!hasPrivateState)(
        "is compare-and-set, hands out copies, and is a key space of its own",
        async () => {
          const engine = privateStateOf(store);
          expect(await engine.getPrivateState("outbox")).toBeNull();
          expect(await engine.putPrivateState("outbox", { epoch: 0 }, null)).toBe(1);
          const stale = await expectEdgeLogError(
            engine.putPrivateState("outbox", {}, null),
            "CONCURRENT_TRANSACTIONS",
          );
          expect(stale.retriable).toBe(true);
          expect(await engine.putPrivateState("outbox", { epoch: 1 }, 1)).toBe(2);
          const read = await engine.getPrivateState("outbox");
          expect(read).toEqual({ state: { epoch: 1 }, version: 2 });
          (read?.state as { epoch: number }).epoch = 99;
          expect((await engine.getPrivateState("outbox"))?.state).toEqual({ epoch: 1 });
          if (hasGroupState) {
            // A group of the same name is another thing entirely.
            expect(await groupStateOf(store).getGroupState("outbox")).toBeNull();
          }
        },
      );

      it.skipIf(!hasPrivateState)("is never listed, described or deleted by the group calls", async () => {
        const engine = privateStateOf(store);
        await createTopic("a");
        await engine.putPrivateState("__edgelog_outbox", { plan: "in flight" }, null);
        await store.commitOffsets("g", [{ topic: "a", partition: 0, offset: 1, metadata: null }]);
        expect(await store.listGroups()).toEqual(["g"]);
        await expectEdgeLogError(store.describeGroup("__edgelog_outbox"), "GROUP_ID_NOT_FOUND");
        await expectEdgeLogError(store.deleteGroup("__edgelog_outbox"), "GROUP_ID_NOT_FOUND");
        for (const groupId of await store.listGroups()) await store.deleteGroup(groupId);
        expect(await engine.getPrivateState("__edgelog_outbox")).toEqual({
          state: { plan: "in flight" },
          version: 1,
        });
      });
    });

    describe("lifecycle", () => {
      it("rejects with STORE_CLOSED a read that was on its way to waiting when the store closed", async () => {
        // The close lands at a different moment of the read each time: before it looked, while it looks for data
        // (inside a store's transaction or call), or once it waits. Whenever it lands, the read ends at once.
        for (const turns of [0, 1, 2, 3, 5, 8, 13]) {
          const subject = await options.createStore();
          open.push(subject);
          await subject.createTopic({ name: "t", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
          const pending = subject.read({ topic: "t", partition: 0 }, { offset: 0, maxWaitMs: 600_000 });
          for (let turn = 0; turn < turns; turn++) await new Promise((r) => setTimeout(r, 0));
          const closed = subject.close();
          await expectEdgeLogError(pending, "STORE_CLOSED");
          await closed;
        }
      });

      it("rejects waiting reads and later calls with STORE_CLOSED once closed", async () => {
        await createTopic("t");
        const pending = store.read({ topic: "t", partition: 0 }, { offset: 0, maxWaitMs: 10_000 * scale });
        await new Promise((r) => setTimeout(r, 20 * scale));
        await store.close();
        await expectEdgeLogError(pending, "STORE_CLOSED");
        await expectEdgeLogError(store.listTopics(), "STORE_CLOSED");
        await expectEdgeLogError(store.append({ topic: "t", partition: 0 }, makeBatch(1)), "STORE_CLOSED");
        if (hasPrivateState) {
          await expectEdgeLogError(privateStateOf(store).putPrivateState("k", {}, null), "STORE_CLOSED");
        }
      });
    });

    describeStreamState(hasStreams ? () => store : null, scale, options.reopenStore);

    const reopenStore = options.reopenStore;
    if (reopenStore !== undefined) {
      describe("restart", () => {
        it("keeps topics, records, offsets, producer state and groups across a reopen", async () => {
          const tp = { topic: "durable", partition: 1 };
          const meta = await createTopic("durable", 2, { "retention.ms": -1 });
          const producerBatch = makeBatch(3, "p", { producerId: "p1", producerEpoch: 0, baseSequence: 0 });
          await store.append(tp, producerBatch);
          await store.append(tp, makeBatch(2, "q"));
          await store.deleteRecords(tp, 1);
          await store.commitOffsets("g", [{ topic: "durable", partition: 1, offset: 2, metadata: "x" }]);
          if (hasGroupState) await groupStateOf(store).putGroupState("gs", { epoch: 3 }, null);
          if (hasPrivateState) await privateStateOf(store).putPrivateState("ps", { plan: 7 }, null);

          const reopened = await reopenStore(store);
          open.push(reopened);
          expect(await reopened.getTopic("durable")).toEqual(meta);
          expect(await reopened.offsets(tp)).toEqual({ logStartOffset: 1, highWatermark: 5 });
          expect(valuesOf(await readAll(reopened, tp))).toEqual(["p-1", "p-2", "q-0", "q-1"]);
          expect(await reopened.append(tp, producerBatch)).toMatchObject({ baseOffset: 0, duplicate: true });
          expect(await reopened.fetchOffsets("g")).toEqual([
            { topic: "durable", partition: 1, offset: 2, metadata: "x" },
          ]);
          if (hasGroupState) {
            expect(await groupStateOf(reopened).getGroupState("gs")).toEqual({
              state: { epoch: 3 },
              version: 1,
            });
          }
          if (hasPrivateState) {
            expect(await privateStateOf(reopened).getPrivateState("ps")).toEqual({
              state: { plan: 7 },
              version: 1,
            });
          }
          expect(await reopened.append(tp, makeBatch(1, "r"))).toMatchObject({ baseOffset: 5 });
        });
      });
    }
  });
}
