/**
 * @module
 * The conformance suite of share groups (`ShareGroupStore`, KIP-932), run by every store that has them: the memory
 * store in Node, the Durable Object store in workerd, the IndexedDB store, and `HttpLogStore` against the server.
 * It checks the client-facing contract — share sessions, acquisition one member at a time, accept / release /
 * reject, lock expiry, the delivery limit and the dead-letter topic, the bounded window, long-polls, config,
 * describe / list / delete, refusals of bad input — and, when the store can be reopened, that acquired records
 * survive a restart; when the store can compact, share groups over a compacted topic's gaps. The locks that run
 * out are 200 ms long, and every wait is a long-poll that ends on the condition, never a sleep.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeBatch, encodeBatch } from "../codec/record-batch.ts";
import type { LogRecord } from "../record.ts";
import { DEAD_LETTER_HEADERS } from "../share/dead-letter.ts";
import { isShareGroupStore } from "../share/share-request.ts";
import type { ShareAcknowledgementBatch, ShareFetchResponse } from "../share/share-types.ts";
import type { LogStore, ShareGroupStore } from "../store.ts";
import { DEFAULT_TOPIC_CONFIG } from "../topic-config.ts";
import { expectEdgeLogError, readAll } from "./helpers.ts";

export interface ShareGroupConformanceOptions {
  /** A fresh, empty store for each test. */
  createStore(): LogStore | Promise<LogStore>;
  /** Disposes of a store after its test (default: `store.close()`). */
  destroyStore?(store: LogStore): Promise<void>;
  /** Opens the persisted data of `store` as a new instance; the restart test runs only when it is there. */
  reopenStore?(store: LogStore): Promise<LogStore>;
  /**
   * Runs one compaction pass of a compacted topic's partition now and waits for it; the tests of share groups over
   * compacted topics (gaps between batches) run only when it is there.
   */
  compact?(store: LogStore, tp: { readonly topic: string; readonly partition: number }): Promise<void>;
}

type ShareStore = LogStore & ShareGroupStore;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const LOCK_MS = 200;

/** What a member got: each acquired record's partition, offset, value and delivery count. */
interface Got {
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
  readonly deliveryCount: number;
}

function received(answer: ShareFetchResponse): Got[] {
  const got: Got[] = [];
  for (const p of answer.partitions) {
    const values = new Map<number, string>();
    for (const batch of p.batches) {
      decodeBatch(batch.payload).records.forEach((record, i) => {
        values.set(batch.baseOffset + i, record.value === null ? "" : decoder.decode(record.value));
      });
    }
    for (const range of p.acquired) {
      for (let offset = range.firstOffset; offset <= range.lastOffset; offset++) {
        got.push({
          partition: p.partition,
          offset,
          value: values.get(offset) ?? "?",
          deliveryCount: range.deliveryCount,
        });
      }
    }
  }
  return got.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** Acknowledgements of `got` (one range per record: simple and exact). */
function acks(
  topic: string,
  got: readonly Got[],
  type: "accept" | "release" | "reject",
  error?: string,
): ShareAcknowledgementBatch[] {
  return got.map((g) => ({
    topic,
    partition: g.partition,
    firstOffset: g.offset,
    lastOffset: g.offset,
    type,
    ...(error === undefined ? {} : { error }),
  }));
}

export function runShareGroupConformance(name: string, options: ShareGroupConformanceOptions): void {
  describe(`share-group conformance: ${name}`, () => {
    let store: ShareStore;
    const open: LogStore[] = [];

    const fresh = async (): Promise<ShareStore> => {
      const created = await options.createStore();
      open.push(created);
      if (!isShareGroupStore(created)) throw new Error(`${name} does not implement ShareGroupStore`);
      return created;
    };

    beforeEach(async () => {
      store = await fresh();
    });

    afterEach(async () => {
      for (const s of open.splice(0)) {
        await (options.destroyStore ? options.destroyStore(s) : s.close()).catch(() => undefined);
      }
    });

    const createTopic = (topic: string, partitions = 1) =>
      store.createTopic({ name: topic, partitions, config: DEFAULT_TOPIC_CONFIG });

    const produce = async (topic: string, partition: number, values: readonly string[], headers = {}) => {
      const records: LogRecord[] = values.map((value, i) => ({
        key: null,
        value: encoder.encode(value),
        headers: Object.entries(headers).map(([key, v]) => ({ key, value: encoder.encode(String(v)) })),
        timestamp: 1_700_000_000_000 + i,
      }));
      await store.append({ topic, partition }, encodeBatch(records));
    };

    /**
     * A group reading from the log start. Its locks outlast any test (a slow runtime must not see them run out);
     * the lock-expiry test shortens them to {@link LOCK_MS}.
     */
    const configure = (group: string, more: Record<string, unknown> = {}) =>
      store.alterShareGroupConfig(group, {
        "share.auto.offset.reset": "earliest",
        "share.record.lock.duration.ms": 60_000,
        ...more,
      });

    /** A member with its session epoch; each call sends the acknowledgements given and moves the epoch. */
    const member = (
      group: string,
      memberId: string,
      topics: readonly string[],
      on: () => ShareStore = () => store,
    ) => {
      let epoch = 0;
      return {
        get epoch() {
          return epoch;
        },
        async fetch(
          maxRecords: number,
          acknowledgements: ShareAcknowledgementBatch[] = [],
          maxWaitMs = 0,
        ): Promise<ShareFetchResponse> {
          const answer = await on().shareFetch(group, {
            memberId,
            sessionEpoch: epoch,
            topics,
            maxRecords,
            maxWaitMs,
            acknowledgements,
          });
          epoch = answer.sessionEpoch;
          return answer;
        },
        async close(acknowledgements: ShareAcknowledgementBatch[] = []): Promise<ShareFetchResponse> {
          const answer = await on().shareFetch(group, { memberId, sessionEpoch: -1, acknowledgements });
          epoch = 0;
          return answer;
        },
      };
    };

    it("acquires each record for one member at a time; accepted records move the start offset", async () => {
      await createTopic("jobs");
      await configure("g");
      await produce("jobs", 0, ["a", "b", "c", "d", "e", "f"]);
      const one = member("g", "one", ["jobs"]);
      const two = member("g", "two", ["jobs"]);
      const first = received(await one.fetch(4));
      expect(first.map((g) => [g.offset, g.value, g.deliveryCount])).toEqual([
        [0, "a", 1],
        [1, "b", 1],
        [2, "c", 1],
        [3, "d", 1],
      ]);
      expect(one.epoch).toBe(1);
      const second = await two.fetch(10);
      expect(second.acquisitionLockTimeoutMs).toBe(60_000);
      expect(received(second).map((g) => g.value)).toEqual(["e", "f"]);
      expect(received(await one.fetch(0, acks("jobs", first, "accept")))).toEqual([]);
      const described = await store.describeShareGroup("g");
      expect(described.state).toBe("Stable");
      expect(described.members.map((m) => m.memberId)).toEqual(["one", "two"]);
      expect(described.partitions).toEqual([
        expect.objectContaining({
          topic: "jobs",
          partition: 0,
          startOffset: 4,
          endOffset: 6,
          inFlight: { available: 0, acquired: 2, acknowledged: 0, archived: 0 },
        }),
      ]);
    });

    it("gives a released record back with a higher delivery count, and at the limit copies it to the dead-letter topic", async () => {
      await createTopic("jobs");
      await createTopic("jobs.dlq");
      await configure("g", {
        "share.delivery.count.limit": 2,
        "errors.deadletterqueue.topic.name": "jobs.dlq",
      });
      await produce("jobs", 0, ["poison"], { source: "web" });
      const one = member("g", "one", ["jobs"]);
      const first = received(await one.fetch(1));
      expect(first).toEqual([{ partition: 0, offset: 0, value: "poison", deliveryCount: 1 }]);
      const again = received(await one.fetch(1, acks("jobs", first, "release", "first try")));
      expect(again).toEqual([{ partition: 0, offset: 0, value: "poison", deliveryCount: 2 }]);
      const last = await one.fetch(1, acks("jobs", again, "release", "boom"));
      expect(last.acknowledgeErrors).toEqual([]);
      expect(received(last)).toEqual([]);
      const [copy] = await readAll(store, { topic: "jobs.dlq", partition: 0 });
      expect(copy === undefined ? null : decoder.decode(copy.value ?? new Uint8Array())).toBe("poison");
      const headers = Object.fromEntries(
        (copy?.headers ?? []).map((h) => [h.key, h.value === null ? null : decoder.decode(h.value)]),
      );
      expect(headers).toEqual({
        source: "web",
        [DEAD_LETTER_HEADERS.topic]: "jobs",
        [DEAD_LETTER_HEADERS.partition]: "0",
        [DEAD_LETTER_HEADERS.offset]: "0",
        [DEAD_LETTER_HEADERS.group]: "g",
        [DEAD_LETTER_HEADERS.deliveryCount]: "2",
        [DEAD_LETTER_HEADERS.outcome]: "failed",
        [DEAD_LETTER_HEADERS.error]: "boom",
      });
      const described = await store.describeShareGroup("g");
      expect(described.partitions[0]).toMatchObject({ startOffset: 1, pendingDeadLetters: 0 });
    });

    it("archives a rejected record at once and copies it to the dead-letter topic; without one it is only archived", async () => {
      await createTopic("jobs");
      await createTopic("dlq");
      await configure("g", { "errors.deadletterqueue.topic.name": "dlq" });
      await configure("plain");
      await produce("jobs", 0, ["x", "y"]);
      const one = member("g", "one", ["jobs"]);
      const got = received(await one.fetch(1));
      await one.fetch(0, acks("jobs", got, "reject"));
      const copies = await readAll(store, { topic: "dlq", partition: 0 });
      expect(copies).toHaveLength(1);
      const outcome = copies[0]?.headers.find((h) => h.key === DEAD_LETTER_HEADERS.outcome)?.value;
      expect(outcome === undefined || outcome === null ? null : decoder.decode(outcome)).toBe("rejected");
      // The other group reads the same records on its own, with no dead-letter topic.
      const other = member("plain", "one", ["jobs"]);
      const mine = received(await other.fetch(1));
      expect(mine.map((g) => g.value)).toEqual(["x"]);
      await other.fetch(0, acks("jobs", mine, "reject"));
      expect(await readAll(store, { topic: "dlq", partition: 0 })).toHaveLength(1);
      expect((await store.describeShareGroup("plain")).partitions[0]).toMatchObject({ startOffset: 1 });
    });

    it("gives a record back when its lock runs out; the late acknowledgement is refused", async () => {
      await createTopic("jobs");
      await configure("g", { "share.record.lock.duration.ms": LOCK_MS });
      await produce("jobs", 0, ["slow"]);
      const one = member("g", "one", ["jobs"]);
      const two = member("g", "two", ["jobs"]);
      const held = received(await one.fetch(1));
      // Nothing to give now; the long-poll ends when one's lock runs out.
      const redelivered = received(await two.fetch(1, [], 10_000));
      expect(redelivered).toEqual([{ partition: 0, offset: 0, value: "slow", deliveryCount: 2 }]);
      const late = await one.fetch(0, acks("jobs", held, "accept"));
      expect(late.acknowledgeErrors).toEqual([
        expect.objectContaining({ topic: "jobs", partition: 0, code: "INVALID_RECORD_STATE" }),
      ]);
      const accepted = await two.fetch(0, acks("jobs", redelivered, "accept"));
      expect(accepted.acknowledgeErrors).toEqual([]);
    });

    it("answers a waiting fetch as soon as a record arrives", async () => {
      await createTopic("jobs");
      await configure("g");
      const one = member("g", "one", ["jobs"]);
      expect(received(await one.fetch(5))).toEqual([]);
      const waiting = one.fetch(5, [], 10_000);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await produce("jobs", 0, ["late"]);
      expect(received(await waiting).map((g) => g.value)).toEqual(["late"]);
    });

    it("ends a waiting fetch when its signal aborts", async () => {
      await createTopic("jobs");
      await configure("g");
      const controller = new AbortController();
      const waiting = store.shareFetch(
        "g",
        { memberId: "one", sessionEpoch: 0, topics: ["jobs"], maxRecords: 1, maxWaitMs: 20_000 },
        controller.signal,
      );
      setTimeout(() => controller.abort(new Error("gave up")), 50);
      const started = Date.now();
      await expect(waiting).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it("checks share session epochs; a new session releases what the old one held, closing releases too", async () => {
      await createTopic("jobs");
      await configure("g");
      await produce("jobs", 0, ["a", "b"]);
      const one = member("g", "one", ["jobs"]);
      const two = member("g", "two", ["jobs"]);
      expect(received(await one.fetch(2))).toHaveLength(2);
      await expectEdgeLogError(
        store.shareFetch("g", { memberId: "one", sessionEpoch: 7, topics: ["jobs"] }),
        "INVALID_SHARE_SESSION_EPOCH",
      );
      await expectEdgeLogError(
        store.shareFetch("g", { memberId: "nobody", sessionEpoch: 3, topics: ["jobs"] }),
        "SHARE_SESSION_NOT_FOUND",
      );
      // "one" restarts with a new session: what it held is given again at once.
      const reopened = await store.shareFetch("g", {
        memberId: "one",
        sessionEpoch: 0,
        topics: ["jobs"],
        maxRecords: 0,
      });
      expect(reopened.sessionEpoch).toBe(1);
      const taken = received(await two.fetch(5));
      expect(taken.map((g) => [g.value, g.deliveryCount])).toEqual([
        ["a", 2],
        ["b", 2],
      ]);
      const closed = await two.close(acks("jobs", taken.slice(0, 1), "accept"));
      expect(closed.sessionEpoch).toBe(-1);
      expect(closed.acknowledgeErrors).toEqual([]);
      await expectEdgeLogError(
        store.shareFetch("g", { memberId: "two", sessionEpoch: 2, topics: ["jobs"] }),
        "SHARE_SESSION_NOT_FOUND",
      );
      const left = received(await member("g", "three", ["jobs"]).fetch(5));
      expect(left.map((g) => [g.value, g.deliveryCount])).toEqual([["b", 3]]);
    });

    it("checks acknowledgements per partition: one refused partition leaves the others applied", async () => {
      await createTopic("jobs", 2);
      await configure("g");
      await produce("jobs", 0, ["p0"]);
      await produce("jobs", 1, ["p1"]);
      const one = member("g", "one", ["jobs"]);
      const two = member("g", "two", ["jobs"]);
      const mine = received(await one.fetch(5));
      expect(mine.map((g) => g.value)).toEqual(["p0", "p1"]);
      // "two" acknowledges what "one" holds on partition 0, and nothing it holds: refused.
      const refused = await two.fetch(0, acks("jobs", mine.slice(0, 1), "accept"));
      expect(refused.acknowledgeErrors).toEqual([
        expect.objectContaining({ partition: 0, code: "INVALID_RECORD_STATE" }),
      ]);
      // "one": partition 1's accept and a bogus partition-0 offset: partition 0 refused whole, 1 applied.
      const mixed = await one.fetch(0, [
        ...acks("jobs", mine, "accept"),
        { topic: "jobs", partition: 0, firstOffset: 5, lastOffset: 5, type: "accept" },
      ]);
      expect(mixed.acknowledgeErrors.map((e) => e.partition)).toEqual([0]);
      // The same offset twice in one request (overlapping ranges) is refused too, not applied twice.
      const twice = await one.fetch(0, [
        { topic: "jobs", partition: 0, firstOffset: 0, lastOffset: 0, type: "release" },
        { topic: "jobs", partition: 0, firstOffset: 0, lastOffset: 0, type: "accept" },
      ]);
      expect(twice.acknowledgeErrors).toEqual([
        expect.objectContaining({ partition: 0, code: "INVALID_RECORD_STATE" }),
      ]);
      const parts = (await store.describeShareGroup("g")).partitions;
      expect(parts.map((p) => [p.partition, p.startOffset, p.inFlight.acquired])).toEqual([
        [0, 0, 1],
        [1, 1, 0],
      ]);
    });

    it("keeps at most share.partition.max.record.locks records in flight per partition", async () => {
      await createTopic("jobs");
      await configure("g", { "share.partition.max.record.locks": 3 });
      await produce("jobs", 0, ["0", "1", "2", "3", "4"]);
      const one = member("g", "one", ["jobs"]);
      const first = received(await one.fetch(10));
      expect(first.map((g) => g.value)).toEqual(["0", "1", "2"]);
      expect(received(await member("g", "two", ["jobs"]).fetch(10))).toEqual([]);
      const next = received(await one.fetch(10, acks("jobs", first.slice(0, 2), "accept")));
      expect(next.map((g) => g.value)).toEqual(["3", "4"]);
    });

    it("starts a partition at its end by default (share.auto.offset.reset = latest)", async () => {
      await createTopic("jobs");
      await produce("jobs", 0, ["before"]);
      const one = member("g", "one", ["jobs"]);
      expect(received(await one.fetch(5))).toEqual([]);
      await produce("jobs", 0, ["after"]);
      expect(received(await one.fetch(5)).map((g) => g.value)).toEqual(["after"]);
    });

    it("validates config, restores defaults with null, and creates no group for a refused change", async () => {
      await expectEdgeLogError(store.alterShareGroupConfig("g", { "share.nope": 1 }), "INVALID_CONFIG");
      await expectEdgeLogError(
        store.alterShareGroupConfig("g", { "share.delivery.count.limit": 1 }),
        "INVALID_CONFIG",
      );
      await expectEdgeLogError(
        store.alterShareGroupConfig("g", { "share.auto.offset.reset": "middle" }),
        "INVALID_CONFIG",
      );
      await expectEdgeLogError(
        store.alterShareGroupConfig("g", { "errors.deadletterqueue.topic.name": "bad name!" }),
        "INVALID_CONFIG",
      );
      await expectEdgeLogError(store.describeShareGroup("g"), "GROUP_ID_NOT_FOUND");
      const set = await store.alterShareGroupConfig("g", { "share.delivery.count.limit": "3" });
      expect(set["share.delivery.count.limit"]).toBe(3);
      expect(set["share.record.lock.duration.ms"]).toBe(30_000);
      const reset = await store.alterShareGroupConfig("g", { "share.delivery.count.limit": null });
      expect(reset["share.delivery.count.limit"]).toBe(5);
      expect((await store.describeShareGroup("g")).config).toEqual(reset);
    });

    it("lists and deletes share groups; a group with members is not deleted", async () => {
      await createTopic("jobs");
      await configure("b");
      await configure("a");
      expect(await store.listShareGroups()).toEqual(["a", "b"]);
      const one = member("a", "one", ["jobs"]);
      await one.fetch(1);
      await expectEdgeLogError(store.deleteShareGroup("a"), "NON_EMPTY_GROUP");
      await one.close();
      await store.deleteShareGroup("a");
      await expectEdgeLogError(store.deleteShareGroup("a"), "GROUP_ID_NOT_FOUND");
      await expectEdgeLogError(store.describeShareGroup("a"), "GROUP_ID_NOT_FOUND");
      expect(await store.listShareGroups()).toEqual(["b"]);
    });

    it("refuses malformed requests before anything changes", async () => {
      await createTopic("jobs");
      const base = { memberId: "one", sessionEpoch: 0, topics: ["jobs"] };
      const bad: unknown[] = [
        { ...base, memberId: "" },
        { ...base, sessionEpoch: -2 },
        { ...base, sessionEpoch: 1.5 },
        { ...base, topics: undefined },
        { ...base, maxRecords: 10_001 },
        { ...base, maxWaitMs: -1 },
        {
          ...base,
          acknowledgements: [{ topic: "jobs", partition: 0, firstOffset: 5, lastOffset: 4, type: "accept" }],
        },
        {
          ...base,
          acknowledgements: [{ topic: "jobs", partition: 0, firstOffset: 0, lastOffset: 0, type: "keep" }],
        },
        {
          ...base,
          acknowledgements: [
            { topic: "jobs", partition: 0, firstOffset: 0, lastOffset: 2 ** 52, type: "accept" },
          ],
        },
        {
          ...base,
          acknowledgements: [
            {
              topic: "jobs",
              partition: 0,
              firstOffset: 0,
              lastOffset: 0,
              type: "reject",
              error: "x".repeat(513),
            },
          ],
        },
      ];
      for (const request of bad) {
        await expectEdgeLogError(store.shareFetch("g", request as never), "INVALID_REQUEST");
      }
      await expectEdgeLogError(store.shareFetch("g", { ...base, topics: ["bad name!"] }), "INVALID_TOPIC");
      await expectEdgeLogError(store.shareFetch("", base), "INVALID_GROUP_ID");
      await expectEdgeLogError(store.describeShareGroup("g"), "GROUP_ID_NOT_FOUND");
    });

    it("treats names that are Object.prototype keys as names", async () => {
      await createTopic("constructor");
      await configure("__proto__");
      await produce("constructor", 0, ["v"]);
      const proto = member("__proto__", "toString", ["constructor"]);
      const got = received(await proto.fetch(1));
      expect(got.map((g) => g.value)).toEqual(["v"]);
      expect((await proto.fetch(0, acks("constructor", got, "accept"))).acknowledgeErrors).toEqual([]);
      const described = await store.describeShareGroup("__proto__");
      expect(described.members.map((m) => m.memberId)).toEqual(["toString"]);
      expect(described.partitions.map((p) => [p.topic, p.startOffset])).toEqual([["constructor", 1]]);
      expect(await store.listShareGroups()).toEqual(["__proto__"]);
    });

    /** Keyed records (`key=value`, a `null` value for `key=`), one batch. */
    const produceKeyed = async (topic: string, entries: readonly string[]) => {
      const records: LogRecord[] = entries.map((entry, i) => {
        const [key, value] = entry.split("=") as [string, string];
        return {
          key: encoder.encode(key),
          value: value === "" ? null : encoder.encode(value),
          headers: [],
          timestamp: 1_700_000_000_000 + i,
        };
      });
      await store.append({ topic, partition: 0 }, encodeBatch(records));
    };
    const createCompacted = (topic: string) =>
      store.createTopic({
        name: topic,
        partitions: 1,
        config: { ...DEFAULT_TOPIC_CONFIG, "cleanup.policy": "compact" },
      });
    const compact = (topic: string) => options.compact?.(store, { topic, partition: 0 });

    describe.runIf(options.compact !== undefined)("over a compacted topic", () => {
      it("acquires the survivors across the gaps; the start offset moves over the gaps", async () => {
        await createCompacted("state");
        await configure("g");
        await produceKeyed("state", ["k0=a", "k1=a", "k0=b"]);
        await produceKeyed("state", ["k2=a"]);
        await produceKeyed("state", ["k1=b", "k2=b"]);
        await compact("state");
        expect((await readAll(store, { topic: "state", partition: 0 })).map((r) => r.offset)).toEqual([
          2, 4, 5,
        ]);
        const one = member("g", "one", ["state"]);
        const two = member("g", "two", ["state"]);
        const first = received(await one.fetch(2));
        expect(first.map((g) => [g.offset, g.value, g.deliveryCount])).toEqual([
          [2, "b", 1],
          [4, "b", 1],
        ]);
        const second = received(await two.fetch(5));
        expect(second.map((g) => [g.offset, g.value])).toEqual([[5, "b"]]);
        expect((await one.fetch(0, acks("state", first, "accept"))).acknowledgeErrors).toEqual([]);
        expect((await store.describeShareGroup("g")).partitions[0]).toMatchObject({
          startOffset: 5,
          endOffset: 6,
        });
        expect((await two.fetch(0, acks("state", second, "accept"))).acknowledgeErrors).toEqual([]);
        expect((await store.describeShareGroup("g")).partitions[0]).toMatchObject({
          startOffset: 6,
          inFlight: { available: 0, acquired: 0, acknowledged: 0, archived: 0 },
        });
      });

      it("drops a record compacted away while it waited to be given again; one held can still be acknowledged", async () => {
        await createCompacted("state");
        await configure("g");
        await produceKeyed("state", ["a=1", "b=1"]);
        const one = member("g", "one", ["state"]);
        const held = received(await one.fetch(2));
        expect(held.map((g) => g.offset)).toEqual([0, 1]);
        // a@0 comes back (Available), b@1 stays held; then both are superseded and compacted away.
        expect((await one.fetch(0, acks("state", held.slice(0, 1), "release"))).acknowledgeErrors).toEqual(
          [],
        );
        await produceKeyed("state", ["a=2", "b=2"]);
        await compact("state");
        expect((await readAll(store, { topic: "state", partition: 0 })).map((r) => r.offset)).toEqual([2, 3]);
        const two = member("g", "two", ["state"]);
        const next = received(await two.fetch(10));
        expect(next.map((g) => [g.offset, g.value, g.deliveryCount])).toEqual([
          [2, "2", 1],
          [3, "2", 1],
        ]);
        expect((await one.fetch(0, acks("state", held.slice(1), "accept"))).acknowledgeErrors).toEqual([]);
        expect((await two.fetch(0, acks("state", next, "accept"))).acknowledgeErrors).toEqual([]);
        // Nothing waits on offset 0, which no longer exists.
        expect((await store.describeShareGroup("g")).partitions[0]).toMatchObject({
          startOffset: 4,
          inFlight: { available: 0, acquired: 0, acknowledged: 0, archived: 0 },
        });
      });

      it("a lock that runs out on a record compacted away ends its delivery; a survivor at the limit goes to the dead-letter topic", async () => {
        await createCompacted("state");
        await createTopic("state.dlq");
        await configure("g", {
          "share.record.lock.duration.ms": LOCK_MS,
          "share.delivery.count.limit": 2,
          "errors.deadletterqueue.topic.name": "state.dlq",
        });
        await produceKeyed("state", ["a=1", "b=1"]);
        const one = member("g", "one", ["state"]);
        expect(received(await one.fetch(2)).map((g) => g.offset)).toEqual([0, 1]);
        await produceKeyed("state", ["a=2"]);
        await compact("state");
        // a@0 is gone; b@1 survives. Both locks run out: b comes back, a does not.
        const two = member("g", "two", ["state"]);
        const fresh = received(await two.fetch(10));
        expect(fresh.map((g) => g.offset)).toEqual([2]);
        const again = received(await two.fetch(10, acks("state", fresh, "accept"), 10_000));
        expect(again.map((g) => [g.offset, g.value, g.deliveryCount])).toEqual([[1, "1", 2]]);
        expect((await two.fetch(0, acks("state", again, "release", "boom"))).acknowledgeErrors).toEqual([]);
        const copies = await readAll(store, { topic: "state.dlq", partition: 0 });
        expect(copies.map((c) => decoder.decode(c.value ?? new Uint8Array()))).toEqual(["1"]);
        expect((await store.describeShareGroup("g")).partitions[0]).toMatchObject({
          startOffset: 3,
          pendingDeadLetters: 0,
          inFlight: { available: 0, acquired: 0, acknowledged: 0, archived: 0 },
        });
      });

      it("archives a record at the delivery limit that a pass removed with no copy: nothing is left to copy", async () => {
        await createCompacted("state");
        await createTopic("state.dlq");
        await configure("g", {
          "share.delivery.count.limit": 2,
          "errors.deadletterqueue.topic.name": "state.dlq",
        });
        await produceKeyed("state", ["a=1"]);
        const one = member("g", "one", ["state"]);
        const first = received(await one.fetch(1));
        const again = received(await one.fetch(1, acks("state", first, "release")));
        expect(again.map((g) => [g.offset, g.deliveryCount])).toEqual([[0, 2]]);
        await produceKeyed("state", ["a=2"]);
        await compact("state");
        const last = await one.fetch(0, acks("state", again, "release", "boom"));
        expect(last.acknowledgeErrors).toEqual([]);
        expect(await readAll(store, { topic: "state.dlq", partition: 0 })).toEqual([]);
        expect((await store.describeShareGroup("g")).partitions[0]).toMatchObject({
          startOffset: 1,
          pendingDeadLetters: 0,
        });
      });
    });

    it.runIf(options.reopenStore !== undefined)(
      "keeps acquired records, sessions and acknowledgements across a restart",
      async () => {
        await createTopic("jobs");
        await configure("g");
        await produce("jobs", 0, ["a", "b", "c"]);
        const one = member("g", "one", ["jobs"], () => store);
        const held = received(await one.fetch(2));
        await one.fetch(0, acks("jobs", held.slice(0, 1), "accept"));
        store = (await options.reopenStore?.(store)) as ShareStore;
        open.push(store);
        // Still locked to "one": another member gets only what was never given.
        expect(received(await member("g", "two", ["jobs"]).fetch(5)).map((g) => g.value)).toEqual(["c"]);
        const after = await one.fetch(0, acks("jobs", held.slice(1), "accept"));
        expect(after.acknowledgeErrors).toEqual([]);
        expect((await store.describeShareGroup("g")).partitions[0]).toMatchObject({ startOffset: 2 });
      },
    );
  });
}
