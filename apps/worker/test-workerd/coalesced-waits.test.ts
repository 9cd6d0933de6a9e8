/**
 * Sharing across requests in the Worker's own workerd (issue 16), each reader its own request to the deployed entry
 * (`SELF.fetch`): long-polls at one offset of one partition share one parked call into the partition's object and
 * one append answers them all; identical catch-up misses share one read. In workerd I/O belongs to the request that
 * began it, so these are the cases where a request could touch another's: the request that made the shared call
 * leaving (its client aborts) while others wait on it, readers that outlast the call they joined, and a crowd
 * arriving after earlier requests ended. Every reader is answered 200 with exactly the records it asked for, never a
 * 500. Calls into the objects are counted, never timed.
 */
import { SELF, env as testEnv } from "cloudflare:test";
import { DEFAULT_TOPIC_CONFIG } from "@edgelog/core";
import {
  DurableObjectLogStore,
  type EdgeLogEnv,
  PartitionObject,
  partitionObjectName,
  TopicsObject,
} from "@edgelog/durable-objects";
import { afterEach, describe, expect, it, vi } from "vitest";

afterEach(() => vi.restoreAllMocks());

const env = testEnv as unknown as EdgeLogEnv;
const BASE = "http://edgelog.test";
let counter = 0;

/** Counts `PartitionObject.read` calls (the parked waits among them). */
function countReads(): { readonly count: number } {
  const counted = { count: 0 };
  const prototype = PartitionObject.prototype;
  const original = prototype.read;
  vi.spyOn(prototype, "read").mockImplementation(function (this: PartitionObject, ...args) {
    counted.count++;
    return original.apply(this, args);
  });
  return counted;
}

async function createTopic(): Promise<string> {
  const name = `coalesce-${Date.now()}-${counter++}`;
  const res = await SELF.fetch(`${BASE}/v1/topics`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, partitions: 1 }),
  });
  expect(res.status).toBe(201);
  return name;
}

async function produce(topic: string, values: string[]): Promise<void> {
  const res = await SELF.fetch(`${BASE}/v1/topics/${topic}/records`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ records: values.map((value) => ({ value, partition: 0 })) }),
  });
  expect(res.status).toBe(200);
}

/** The partition object of `topic`'s partition 0, as the Worker's store (no prefix, one region) names it. */
async function partitionOf(topic: string) {
  const res = await SELF.fetch(`${BASE}/v1/topics/${topic}`);
  const { topicId } = (await res.json()) as { topicId: string };
  return env.PARTITIONS.get(env.PARTITIONS.idFromName(partitionObjectName("", topicId, 0, "wnam")));
}

/** A long-poll of the JSON fetch, as its own request to the Worker. */
function longPoll(topic: string, offset: number, waitMs: number, signal?: AbortSignal) {
  return SELF.fetch(
    `${BASE}/v1/topics/${topic}/partitions/0/records?offset=${offset}&wait=${waitMs}&valueFormat=text`,
    signal === undefined ? {} : { signal },
  );
}

/** What a long-poll answered: its status and the records' offsets and values (text), or its error body. */
async function answerOf(response: Response) {
  const text = await response.text();
  if (response.status !== 200) return { status: response.status, error: text };
  const { records } = JSON.parse(text) as { records: { offset: number; value: string }[] };
  return { status: 200, records: records.map((r) => [r.offset, JSON.parse(r.value) as unknown]) };
}

describe("long-polls of separate requests at one offset", { timeout: 30_000 }, () => {
  it("share one parked call, and one append answers them all", async () => {
    const topic = await createTopic();
    await produce(topic, ["a"]);
    const stub = await partitionOf(topic);
    const reads = countReads();
    const readers = Array.from({ length: 20 }, () => longPoll(topic, 1, 10_000));
    await vi.waitFor(() => expect(reads.count).toBeGreaterThan(0));
    await vi.waitFor(async () => expect((await stub.stats()).waiters).toBe(1));
    await produce(topic, ["b", "c"]);
    const answers = await Promise.all(readers.map(async (r) => answerOf(await r)));
    for (const answer of answers)
      expect(answer).toEqual({
        status: 200,
        records: [
          [1, "b"],
          [2, "c"],
        ],
      });
    expect(reads.count).toBe(1);
  });

  it("go on with a call of their own when the request that made the shared call leaves", async () => {
    const topic = await createTopic();
    await produce(topic, ["a"]);
    const stub = await partitionOf(topic);
    const reads = countReads();
    const maker = new AbortController();
    const first = longPoll(topic, 1, 10_000, maker.signal).catch((error: unknown) => error);
    await vi.waitFor(async () => expect((await stub.stats()).waiters).toBe(1));
    const joiners = Array.from({ length: 10 }, () => longPoll(topic, 1, 10_000));
    // Joined, not parked: the partition still holds one wait.
    await vi.waitFor(async () => expect((await stub.stats()).waiters).toBe(1));
    expect(reads.count).toBe(1);
    maker.abort(new Error("the maker's client went away"));
    await first;
    // At once (not after the call's time and grace): one of the joiners parks a call of its own, the rest join it.
    await vi.waitFor(() => expect(reads.count).toBe(2), { timeout: 5_000 });
    await produce(topic, ["b"]);
    const answers = await Promise.all(joiners.map(async (r) => answerOf(await r)));
    for (const answer of answers) expect(answer).toEqual({ status: 200, records: [[1, "b"]] });
    expect(reads.count).toBe(2);
  });

  it("answer later crowds too: a call whose requests ended is never joined", async () => {
    const topic = await createTopic();
    await produce(topic, ["a"]);
    const stub = await partitionOf(topic);
    for (let round = 1; round <= 3; round++) {
      // Some readers leave mid-wait, as a benchmark's readers do between repetitions.
      const leaving = Array.from({ length: 3 }, () => new AbortController());
      const left = leaving.map((c) => longPoll(topic, round, 10_000, c.signal).catch((e: unknown) => e));
      const readers = Array.from({ length: 10 }, () => longPoll(topic, round, 10_000));
      await vi.waitFor(async () => expect((await stub.stats()).waiters).toBeGreaterThan(0));
      for (const c of leaving) c.abort(new Error("gone"));
      await Promise.all(left);
      await vi.waitFor(async () => expect((await stub.stats()).waiters).toBeGreaterThan(0));
      await produce(topic, [`r${round}`]);
      const answers = await Promise.all(readers.map(async (r) => answerOf(await r)));
      for (const answer of answers) expect(answer).toEqual({ status: 200, records: [[round, `r${round}`]] });
    }
  });

  it("a joiner whose wait outlasts the shared call's waits on with its own, and sees what arrives then", async () => {
    const topic = await createTopic();
    await produce(topic, ["a"]);
    const stub = await partitionOf(topic);
    const short = longPoll(topic, 1, 300);
    await vi.waitFor(async () => expect((await stub.stats()).waiters).toBe(1));
    // It joins the short call (which ends before it would), and parks a call of its own once that one ends empty.
    const long = longPoll(topic, 1, 10_000);
    expect(await answerOf(await short)).toEqual({ status: 200, records: [] });
    await vi.waitFor(async () => expect((await stub.stats()).waiters).toBe(1));
    await produce(topic, ["b"]);
    expect(await answerOf(await long)).toEqual({ status: 200, records: [[1, "b"]] });
  });
});

describe("identical catch-up misses of separate requests", { timeout: 30_000 }, () => {
  /** Holds the first `PartitionObject.read` until `release()`; counts every read. */
  function holdFirstRead() {
    const counted = { count: 0 };
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const original = PartitionObject.prototype.read;
    vi.spyOn(PartitionObject.prototype, "read").mockImplementation(async function (
      this: PartitionObject,
      ...args
    ) {
      counted.count++;
      if (counted.count === 1) await gate;
      return original.apply(this, args);
    });
    return { counted, release };
  }

  const catchUp = (topic: string, signal?: AbortSignal) =>
    SELF.fetch(
      `${BASE}/v1/topics/${topic}/partitions/0/records?offset=0&limit=2&valueFormat=text`,
      signal === undefined ? {} : { signal },
    );

  it("share one read of the partition, each answered in its own request", async () => {
    const topic = await createTopic();
    await produce(topic, ["a", "b", "c"]);
    const { counted, release } = holdFirstRead();
    const first = catchUp(topic);
    await vi.waitFor(() => expect(counted.count).toBe(1));
    const others = Array.from({ length: 20 }, () => catchUp(topic));
    release();
    const answers = await Promise.all([first, ...others].map(async (r) => answerOf(await r)));
    for (const answer of answers)
      expect(answer).toEqual({
        status: 200,
        records: [
          [0, "a"],
          [1, "b"],
        ],
      });
    expect(counted.count).toBe(1);
  });

  it("read for themselves at once when the request whose read they share leaves", async () => {
    const topic = await createTopic();
    await produce(topic, ["a", "b", "c"]);
    const { counted, release } = holdFirstRead();
    const maker = new AbortController();
    const first = catchUp(topic, maker.signal).catch((error: unknown) => error);
    await vi.waitFor(() => expect(counted.count).toBe(1));
    const others = Array.from({ length: 5 }, () => catchUp(topic));
    maker.abort(new Error("the maker's client went away"));
    await first;
    // Each joiner reads for itself at once (not after SHARED_MISS_PATIENCE_MS).
    await vi.waitFor(() => expect(counted.count).toBe(6), { timeout: 5_000 });
    const answers = await Promise.all(others.map(async (r) => answerOf(await r)));
    for (const answer of answers)
      expect(answer).toEqual({
        status: 200,
        records: [
          [0, "a"],
          [1, "b"],
        ],
      });
    release();
  });
});

describe("metadata lookups of separate requests", () => {
  it("requests that find no fresh metadata at once ask the controller once", async () => {
    // Created past the Worker (a store of the test's own, over the same objects): the Worker's store has never seen
    // it, so every request below must look its metadata up.
    const topic = `meta-${Date.now()}`;
    await new DurableObjectLogStore(env).createTopic({
      name: topic,
      partitions: 1,
      config: DEFAULT_TOPIC_CONFIG,
    });
    const counted = { count: 0 };
    const original = TopicsObject.prototype.describeTopic;
    vi.spyOn(TopicsObject.prototype, "describeTopic").mockImplementation(async function (
      this: TopicsObject,
      ...args
    ) {
      counted.count++;
      return original.apply(this, args);
    });
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => SELF.fetch(`${BASE}/v1/topics/${topic}/partitions/0/offsets`)),
    );
    for (const answer of answers) expect(answer.status).toBe(200);
    expect(counted.count).toBe(1);
  });
});
