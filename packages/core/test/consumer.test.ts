/**
 * `Consumer` over the memory store: reading back what producers wrote (in order, per partition and key),
 * starting positions, `eachBatch` and offset resolution, seek, pause/resume, stop and restart, handler retries
 * and crashes, resets after deleted records, topic and partition discovery, concurrency, and deleted topics.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type Batch,
  type Consumer,
  type ConsumerConfig,
  type ConsumerCrashEvent,
  decodeText,
  EdgeLog,
  EdgeLogError,
  type KafkaMessage,
  MemoryStore,
  type Message,
  partitionForKey,
} from "../src/index.ts";
import { expectEdgeLogError } from "../src/testing/index.ts";
import { FlakyStore } from "./support/flaky-store.ts";

const FAST_RETRY = { retries: 2, initialRetryTime: 1, maxRetryTime: 5 };
/** Long enough for a wrongly delivered message to show up, short enough to keep the suite fast. */
const QUIET_MS = 80;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` until it holds; fails with `what` after `timeoutMs`. */
async function waitFor(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

/** A promise with its resolver, to hold a handler until the test lets it go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

interface Seen {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly value: string | null;
}

const text = (message: KafkaMessage): string | null => decodeText(message.value);

describe("Consumer", () => {
  let store: MemoryStore;
  let log: EdgeLog;
  let consumers: Consumer[];

  beforeEach(async () => {
    store = new MemoryStore();
    log = new EdgeLog({ store });
    consumers = [];
    await log.admin().createTopics({
      topics: [
        { topic: "t", numPartitions: 3 },
        { topic: "one", numPartitions: 1 },
      ],
    });
  });

  afterEach(async () => {
    await Promise.all(consumers.map((c) => c.stop()));
    await store.close();
  });

  function consumer(config: ConsumerConfig = {}, on: EdgeLog = log): Consumer {
    const created = on.consumer({ maxWaitTimeInMs: 50, retry: FAST_RETRY, ...config });
    consumers.push(created);
    return created;
  }

  async function produce(topic: string, messages: Message[]): Promise<void> {
    await log.producer().send({ topic, messages });
  }

  /** `count` messages `${prefix}${i}` to one partition. */
  async function produceTo(topic: string, partition: number, count: number, prefix = "m"): Promise<void> {
    await produce(
      topic,
      Array.from({ length: count }, (_, i) => ({ value: `${prefix}${i}`, partition })),
    );
  }

  /** Runs `c` with an `eachMessage` that records what it sees. */
  async function collect(c: Consumer, seen: Seen[], extra: { partitionsConsumedConcurrently?: number } = {}) {
    await c.run({
      ...extra,
      eachMessage: async ({ topic, partition, message }) => {
        seen.push({ topic, partition, offset: message.offset, value: text(message) });
      },
    });
  }

  describe("reading", () => {
    it("reads back exactly what a producer sent, in order per partition and per key", async () => {
      const PARTITIONS = 3;
      const KEYS = 50;
      const RECORDS = 2000;
      const seen: { partition: number; message: KafkaMessage }[] = [];
      const c = consumer();
      await c.subscribe({ topics: ["t"], fromBeginning: true });
      await c.run({
        partitionsConsumedConcurrently: PARTITIONS,
        eachMessage: async ({ partition, message }) => {
          seen.push({ partition, message });
        },
      });

      const producer = log.producer({ lingerMs: 1 });
      const sends: Promise<unknown>[] = [];
      for (let start = 0; start < RECORDS; start += 100) {
        const messages = Array.from({ length: 100 }, (_, i) => {
          const n = start + i;
          return { key: `key-${n % KEYS}`, value: `${n}`, headers: { n: `${n}` } };
        });
        sends.push(producer.send({ topic: "t", messages }));
        if (start % 500 === 0) await sleep(1);
      }
      await Promise.all(sends);
      await waitFor(() => seen.length >= RECORDS, `${RECORDS} messages`);
      await sleep(QUIET_MS);
      expect(seen).toHaveLength(RECORDS);

      const encoder = new TextEncoder();
      const nextOffset = new Map<number, number>();
      const lastOfKey = new Map<string, number>();
      const values = new Set<number>();
      for (const { partition, message } of seen) {
        const key = decodeText(message.key) ?? "";
        const n = Number(text(message));
        expect(partition).toBe(partitionForKey(encoder.encode(key), PARTITIONS));
        expect(message.offset).toBe(nextOffset.get(partition) ?? 0);
        nextOffset.set(partition, message.offset + 1);
        expect(n).toBeGreaterThan(lastOfKey.get(key) ?? -1);
        expect(n % KEYS).toBe(Number(key.slice(4)));
        lastOfKey.set(key, n);
        expect(decodeText(message.headers[0]?.value ?? null)).toBe(`${n}`);
        expect(message.attributes).toBe(0);
        expect(message.timestamp).toEqual(expect.any(Number));
        values.add(n);
      }
      expect(values.size).toBe(RECORDS);
      expect(lastOfKey.size).toBe(KEYS);
      const offsets = await log.admin().fetchTopicOffsets("t");
      expect(offsets.map((o) => o.high)).toEqual([0, 1, 2].map((p) => nextOffset.get(p) ?? 0));
    });

    it("with fromBeginning false sees only messages written after run", async () => {
      await produceTo("t", 0, 3, "old");
      await produceTo("t", 2, 2, "old");
      const seen: Seen[] = [];
      const c = consumer();
      await c.subscribe({ topics: ["t"] });
      await collect(c, seen);
      await produceTo("t", 0, 2, "new");
      await produceTo("t", 1, 1, "new");
      await waitFor(() => seen.length >= 3, "the new messages");
      await sleep(QUIET_MS);
      expect(seen.map((s) => [s.partition, s.offset, s.value]).sort()).toEqual([
        [0, 3, "new0"],
        [0, 4, "new1"],
        [1, 0, "new0"],
      ]);
    });

    it("fixes the start of a fromBeginning: false consumer before run resolves, even with a slow store", async () => {
      const flaky = new FlakyStore(store);
      const flakyLog = new EdgeLog({ store: flaky });
      await produceTo("one", 0, 2, "old");
      flaky.offsetsDelayMs = 30;
      const seen: Seen[] = [];
      const c = consumer({}, flakyLog);
      await c.subscribe({ topics: ["one"] });
      await collect(c, seen);
      await produceTo("one", 0, 1, "new");
      await waitFor(() => seen.length >= 1, "the new message", 1000);
      expect(seen.map((s) => s.value)).toEqual(["new0"]);
    });

    it("with fromBeginning true starts at the log start", async () => {
      await produceTo("one", 0, 4);
      await log.admin().deleteTopicRecords({ topic: "one", partitions: [{ partition: 0, offset: 1 }] });
      const seen: Seen[] = [];
      const c = consumer();
      await c.subscribe({ topic: "one", fromBeginning: true });
      await collect(c, seen);
      await waitFor(() => seen.length >= 3, "three messages");
      expect(seen.map((s) => [s.offset, s.value])).toEqual([
        [1, "m1"],
        [2, "m2"],
        [3, "m3"],
      ]);
    });

    it("reports its assignment with positions", async () => {
      await produceTo("t", 1, 2);
      const seen: Seen[] = [];
      const c = consumer();
      await c.subscribe({ topics: ["t"], fromBeginning: true });
      await collect(c, seen);
      await waitFor(() => seen.length >= 2, "two messages");
      await waitFor(() => c.assignment().find((a) => a.partition === 1)?.position === 2, "position 2");
      expect(c.assignment().sort((a, b) => a.partition - b.partition)).toEqual([
        { topic: "t", partition: 0, position: 0 },
        { topic: "t", partition: 1, position: 2 },
        { topic: "t", partition: 2, position: 0 },
      ]);
    });
  });

  describe("eachBatch", () => {
    it("hands out batches and resolves them automatically", async () => {
      await produceTo("one", 0, 5);
      const batches: { offsets: number[]; batch: Batch }[] = [];
      const c = consumer();
      await c.subscribe({ topics: ["one"], fromBeginning: true });
      await c.run({
        eachBatch: async ({ batch, isRunning, isStale }) => {
          expect(isRunning()).toBe(true);
          expect(isStale()).toBe(false);
          batches.push({ offsets: batch.messages.map((m) => m.offset), batch });
        },
      });
      await waitFor(() => batches.flatMap((b) => b.offsets).length >= 5, "five messages");
      await produceTo("one", 0, 2, "more");
      await waitFor(() => batches.flatMap((b) => b.offsets).length >= 7, "seven messages");
      await sleep(QUIET_MS);
      expect(batches.flatMap((b) => b.offsets)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      const first = batches[0]?.batch;
      expect(first?.topic).toBe("one");
      expect(first?.partition).toBe(0);
      expect(first?.highWatermark).toBe(5);
      expect(first?.firstOffset()).toBe(0);
      expect(first?.lastOffset()).toBe(4);
      expect(first?.offsetLag()).toBe(0);
      expect(first?.offsetLagLow()).toBe(4);
      expect(first?.isEmpty()).toBe(false);
    });

    it("after resolveOffset and a throw, continues right after the resolved offset", async () => {
      await produceTo("one", 0, 10);
      const calls: number[][] = [];
      const c = consumer();
      await c.subscribe({ topics: ["one"], fromBeginning: true });
      await c.run({
        eachBatch: async ({ batch, resolveOffset }) => {
          calls.push(batch.messages.map((m) => m.offset));
          if (calls.length === 1) {
            for (const message of batch.messages.slice(0, 4)) resolveOffset(message.offset);
            throw new Error("failed at the fifth message");
          }
        },
      });
      await waitFor(() => calls.length >= 2, "a second batch");
      await sleep(QUIET_MS);
      expect(calls).toEqual([
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [4, 5, 6, 7, 8, 9],
      ]);
    });

    it("without auto-resolve, a batch nobody resolved is handed out again", async () => {
      await produceTo("one", 0, 3);
      const calls: number[][] = [];
      const c = consumer();
      await c.subscribe({ topics: ["one"], fromBeginning: true });
      await c.run({
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset }) => {
          calls.push(batch.messages.map((m) => m.offset));
          if (calls.length === 2) resolveOffset(batch.lastOffset());
        },
      });
      await waitFor(() => calls.length >= 2, "a second batch");
      await sleep(QUIET_MS);
      expect(calls).toEqual([
        [0, 1, 2],
        [0, 1, 2],
      ]);
    });
  });

  describe("event loop", () => {
    it("a handler that resolves nothing gets its batch again without starving timers", async () => {
      await produceTo("one", 0, 2);
      let calls = 0;
      let starved = false;
      let timerFired = false;
      setTimeout(() => {
        timerFired = true;
      }, 1);
      const started = Date.now();
      const c = consumer();
      await c.subscribe({ topics: ["one"], fromBeginning: true });
      await c.run({
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch }) => {
          expect(batch.firstOffset()).toBe(0);
          calls++;
          if (!timerFired && Date.now() - started > 500) {
            starved = true;
            c.pause([{ topic: "one" }]); // park the loop so that the test can report instead of hanging
          }
        },
      });
      await waitFor(() => timerFired && calls >= 3, "the timer and three deliveries");
      expect(starved).toBe(false);
    });

    it("with maxWaitTimeInMs 0 polls without starving timers", async () => {
      const flaky = new FlakyStore(store);
      let timerFired = false;
      let reads = 0;
      flaky.onRead = () => {
        reads++;
        if (!timerFired && reads > 10_000)
          throw new EdgeLogError("UNKNOWN_SERVER_ERROR", "starved: no timer ran");
      };
      const crashes: unknown[] = [];
      const seen: Seen[] = [];
      const c = consumer({ maxWaitTimeInMs: 0 }, new EdgeLog({ store: flaky }));
      c.on("consumer.crash", (event) => crashes.push(event));
      await c.subscribe({ topics: ["one"] });
      await collect(c, seen);
      setTimeout(() => {
        timerFired = true;
      }, 1);
      await waitFor(() => timerFired, "the timer");
      await produceTo("one", 0, 1);
      await waitFor(() => seen.length >= 1 || crashes.length > 0, "the message");
      expect(crashes).toEqual([]);
      expect(seen.map((s) => s.value)).toEqual(["m0"]);
    });
  });

  describe("seek", () => {
    it("rewinds a running partition", async () => {
      await produceTo("one", 0, 5);
      const seen: Seen[] = [];
      const c = consumer();
      await c.subscribe({ topics: ["one"], fromBeginning: true });
      await collect(c, seen);
      await waitFor(() => seen.length >= 5, "five messages");
      c.seek({ topic: "one", partition: 0, offset: "2" });
      await waitFor(() => seen.length >= 8, "the rewound messages");
      await sleep(QUIET_MS);
      expect(seen.map((s) => s.offset)).toEqual([0, 1, 2, 3, 4, 2, 3, 4]);
    });

    it("before run sets where the partition starts", async () => {
      await produceTo("t", 0, 5);
      await produceTo("t", 1, 2);
      const seen: Seen[] = [];
      const c = consumer();
      await c.subscribe({ topics: ["t"], fromBeginning: true });
      c.seek({ topic: "t", partition: 0, offset: 3 });
      await collect(c, seen);
      await waitFor(() => seen.length >= 4, "four messages");
      await sleep(QUIET_MS);
      expect(seen.filter((s) => s.partition === 0).map((s) => s.offset)).toEqual([3, 4]);
      expect(seen.filter((s) => s.partition === 1).map((s) => s.offset)).toEqual([0, 1]);
    });

    it("right after run resolves (KafkaJS's documented pattern) is not overridden by the starting offset", async () => {
      await produceTo("one", 0, 5);
      const seen: Seen[] = [];
      const c = consumer();
      await c.subscribe({ topics: ["one"] });
      await collect(c, seen);
      c.seek({ topic: "one", partition: 0, offset: 1 });
      await waitFor(() => seen.length >= 4, "four messages", 1000);
      await sleep(QUIET_MS);
      expect(seen.map((s) => s.offset)).toEqual([1, 2, 3, 4]);
    });

    it("from inside a handler drops the rest of the fetched messages", async () => {
      await produceTo("one", 0, 6);
      const seen: number[] = [];
      let sought = false;
      const c = consumer();
      await c.subscribe({ topics: ["one"], fromBeginning: true });
      await c.run({
        eachMessage: async ({ message }) => {
          seen.push(message.offset);
          if (message.offset === 2 && !sought) {
            sought = true;
            c.seek({ topic: "one", partition: 0, offset: 0 });
          }
        },
      });
      await waitFor(() => seen.length >= 9, "nine deliveries");
      await sleep(QUIET_MS);
      expect(seen).toEqual([0, 1, 2, 0, 1, 2, 3, 4, 5]);
    });

    it("outside the log resets per fromBeginning; a bad offset is refused", async () => {
      await produceTo("one", 0, 3);
      const seen: Seen[] = [];
      const c = consumer();
      await c.subscribe({ topics: ["one"], fromBeginning: true });
      await collect(c, seen);
      await waitFor(() => seen.length >= 3, "three messages");
      c.seek({ topic: "one", partition: 0, offset: 100 });
      await waitFor(() => seen.length >= 6, "the messages again from the log start");
      expect(seen.map((s) => s.offset)).toEqual([0, 1, 2, 0, 1, 2]);
      expect(() => c.seek({ topic: "one", partition: 0, offset: -1 })).toThrow(
        expect.objectContaining({ code: "OFFSET_OUT_OF_RANGE" }),
      );
      expect(() => c.seek({ topic: "one", partition: 0, offset: "x" })).toThrow(
        expect.objectContaining({ code: "OFFSET_OUT_OF_RANGE" }),
      );
    });
  });

  describe("pause and resume", () => {
    it("delivers nothing for a paused topic until it is resumed", async () => {
      const seen: Seen[] = [];
      const c = consumer();
      await c.subscribe({ topics: ["t"], fromBeginning: true });
      await collect(c, seen);
      c.pause([{ topic: "t" }]);
      expect(c.paused()).toEqual([{ topic: "t", partitions: [0, 1, 2] }]);
      await produceTo("t", 0, 2);
      await produceTo("t", 2, 1);
      await sleep(QUIET_MS);
      expect(seen).toEqual([]);
      c.resume([{ topic: "t" }]);
      expect(c.paused()).toEqual([]);
      await waitFor(() => seen.length >= 3, "three messages");
      expect(seen.map((s) => [s.partition, s.offset]).sort()).toEqual([
        [0, 0],
        [0, 1],
        [2, 0],
      ]);
    });

    it("pausing one partition leaves the others flowing", async () => {
      const seen: Seen[] = [];
      const c = consumer();
      await c.subscribe({ topics: ["t"], fromBeginning: true });
      await collect(c, seen);
      c.pause([{ topic: "t", partitions: [1] }]);
      expect(c.paused()).toEqual([{ topic: "t", partitions: [1] }]);
      await produceTo("t", 1, 2, "p1-");
      await produceTo("t", 0, 2, "p0-");
      await waitFor(() => seen.length >= 2, "partition 0");
      await sleep(QUIET_MS);
      expect(seen.map((s) => s.value)).toEqual(["p0-0", "p0-1"]);
      c.resume([{ topic: "t", partitions: [1] }]);
      await waitFor(() => seen.length >= 4, "partition 1");
      expect(seen.slice(2).map((s) => s.value)).toEqual(["p1-0", "p1-1"]);
    });

    it("the handler's pause() stops the partition after the current message; its return value resumes it", async () => {
      await produceTo("one", 0, 5);
      const seen: number[] = [];
      const resumers: (() => void)[] = [];
      const c = consumer();
      await c.subscribe({ topics: ["one"], fromBeginning: true });
      await c.run({
        eachMessage: async ({ message, pause }) => {
          seen.push(message.offset);
          if (message.offset === 1 && resumers.length === 0) resumers.push(pause());
        },
      });
      await waitFor(() => seen.length >= 2, "two messages");
      await sleep(QUIET_MS);
      expect(seen).toEqual([0, 1]);
      expect(c.paused()).toEqual([{ topic: "one", partitions: [0] }]);
      expect(resumers).toHaveLength(1);
      for (const resume of resumers) resume();
      await waitFor(() => seen.length >= 5, "the rest");
      expect(seen).toEqual([0, 1, 2, 3, 4]);
    });

    it("a partition paused while it waits for a handler slot gets no batch", async () => {
      await produceTo("t", 0, 1);
      await produceTo("t", 1, 1);
      const hold = gate();
      const calls: number[] = [];
      const c = consumer();
      await c.subscribe({ topics: ["t"], fromBeginning: true });
      await c.run({
        partitionsConsumedConcurrently: 1,
        eachBatch: async ({ batch }) => {
          calls.push(batch.partition);
          if (calls.length === 1) await hold.promise;
        },
      });
      await waitFor(() => calls.length === 1, "the first batch");
      const first = calls[0] ?? -1;
      const other = first === 0 ? 1 : 0;
      await sleep(20); // the other partition has fetched and waits for the only handler slot
      c.pause([{ topic: "t", partitions: [other] }]);
      hold.open();
      await sleep(QUIET_MS);
      expect(calls).toEqual([first]);
      c.resume([{ topic: "t", partitions: [other] }]);
      await waitFor(() => calls.length >= 2, "the resumed partition");
      expect(calls).toEqual([first, other]);
    });
  });

  describe("stop and run again", () => {
    it("stop ends the loops; a second run continues where the first stopped", async () => {
      await produceTo("t", 0, 3, "a");
      await produceTo("t", 1, 2, "a");
      const seen: Seen[] = [];
      const stops: unknown[] = [];
      const c = consumer();
      c.on("consumer.stop", (event) => stops.push(event));
      await c.subscribe({ topics: ["t"], fromBeginning: true });
      await collect(c, seen);
      await waitFor(() => seen.length >= 5, "five messages");
      await c.stop();
      expect(stops).toEqual([{ type: "consumer.stop" }]);
      await c.stop(); // a second stop is a no-op
      expect(stops).toHaveLength(1);

      await produceTo("t", 0, 2, "b");
      await produceTo("t", 2, 1, "b");
      await sleep(QUIET_MS);
      expect(seen).toHaveLength(5);

      await collect(c, seen);
      await waitFor(() => seen.length >= 8, "the messages written while stopped");
      await sleep(QUIET_MS);
      expect(
        seen
          .slice(5)
          .map((s) => [s.partition, s.offset, s.value])
          .sort(),
      ).toEqual([
        [0, 3, "b0"],
        [0, 4, "b1"],
        [2, 0, "b0"],
      ]);
    });

    it("a partition waiting for a handler slot when stop is called gets no batch", async () => {
      await produceTo("t", 0, 1);
      await produceTo("t", 1, 1);
      const hold = gate();
      const calls: number[] = [];
      const c = consumer();
      await c.subscribe({ topics: ["t"], fromBeginning: true });
      const options = {
        partitionsConsumedConcurrently: 1,
        eachBatch: async ({ batch }: { batch: Batch }) => {
          calls.push(batch.partition);
          if (calls.length === 1) await hold.promise;
        },
      };
      await c.run(options);
      await waitFor(() => calls.length === 1, "the first batch");
      const first = calls[0] ?? -1;
      await sleep(20); // the other partition has fetched and waits for the only handler slot
      const stopping = c.stop();
      hold.open();
      await stopping;
      await sleep(QUIET_MS);
      expect(calls).toEqual([first]);
      await c.run(options);
      await waitFor(() => calls.length >= 2, "the other partition after a new run");
      expect(calls).toEqual([first, first === 0 ? 1 : 0]);
    });

    it("stop waits for a handler in progress and hands out nothing after it", async () => {
      await produceTo("one", 0, 3);
      const hold = gate();
      const seen: number[] = [];
      const c = consumer();
      await c.subscribe({ topics: ["one"], fromBeginning: true });
      await c.run({
        eachMessage: async ({ message }) => {
          seen.push(message.offset);
          await hold.promise;
        },
      });
      await waitFor(() => seen.length === 1, "the first message");
      let stopped = false;
      const stopping = c.stop().then(() => {
        stopped = true;
      });
      await sleep(20);
      expect(stopped).toBe(false);
      hold.open();
      await stopping;
      await sleep(QUIET_MS);
      expect(seen).toEqual([0]);
    });
  });

  describe("failing handlers", () => {
    it("retries a failing handler and redelivers the message", async () => {
      await produceTo("one", 0, 3);
      const seen: number[] = [];
      const crashes: unknown[] = [];
      let failed = false;
      const c = consumer();
      c.on("consumer.crash", (event) => crashes.push(event));
      await c.subscribe({ topics: ["one"], fromBeginning: true });
      await c.run({
        eachMessage: async ({ message }) => {
          seen.push(message.offset);
          if (message.offset === 1 && !failed) {
            failed = true;
            throw new Error("transient");
          }
        },
      });
      await waitFor(() => seen.length >= 4, "four deliveries");
      await sleep(QUIET_MS);
      expect(seen).toEqual([0, 1, 1, 2]);
      expect(crashes).toEqual([]);
    });

    it("emits consumer.crash once a handler failed more often than retries allow, and stops", async () => {
      await produceTo("one", 0, 2);
      const attempts: number[] = [];
      const crashes: ConsumerCrashEvent[] = [];
      const stops: unknown[] = [];
      const c = consumer({ retry: { retries: 2, initialRetryTime: 1 } });
      c.on("consumer.crash", (event) => crashes.push(event as ConsumerCrashEvent));
      c.on("consumer.stop", (event) => stops.push(event));
      await c.subscribe({ topics: ["one"], fromBeginning: true });
      const failure = new Error("always");
      await c.run({
        eachMessage: async ({ message }) => {
          attempts.push(message.offset);
          throw failure;
        },
      });
      await waitFor(() => crashes.length > 0 && stops.length > 0, "the crash");
      expect(attempts).toEqual([0, 0, 0]);
      expect(crashes).toEqual([{ type: "consumer.crash", error: failure }]);
      await produceTo("one", 0, 1);
      await sleep(QUIET_MS);
      expect(attempts).toHaveLength(3);
    });

    it("a listener can be removed", async () => {
      await produceTo("one", 0, 1);
      const crashes: unknown[] = [];
      const c = consumer({ retry: { retries: 0 } });
      const off = c.on("consumer.crash", (event) => crashes.push(event));
      const stops: unknown[] = [];
      c.on("consumer.stop", (event) => stops.push(event));
      off();
      await c.subscribe({ topics: ["one"], fromBeginning: true });
      await c.run({
        eachMessage: async () => {
          throw new Error("no");
        },
      });
      await waitFor(() => stops.length > 0, "the stop after the crash");
      expect(crashes).toEqual([]);
    });
  });

  describe("deleted records", () => {
    it("a position below the log start (records deleted) resets to the earliest offset", async () => {
      await produceTo("one", 0, 3);
      const seen: Seen[] = [];
      const c = consumer();
      await c.subscribe({ topics: ["one"], fromBeginning: true });
      await collect(c, seen);
      await waitFor(() => seen.length >= 3, "three messages");
      await c.stop();
      await produceTo("one", 0, 7, "later");
      await log.admin().deleteTopicRecords({ topic: "one", partitions: [{ partition: 0, offset: 6 }] });
      await collect(c, seen);
      await waitFor(() => seen.length >= 7, "the retained messages");
      await sleep(QUIET_MS);
      expect(seen.slice(3).map((s) => [s.offset, s.value])).toEqual([
        [6, "later3"],
        [7, "later4"],
        [8, "later5"],
        [9, "later6"],
      ]);
    });

    it("without fromBeginning the reset goes to the latest offset (auto.offset.reset=latest)", async () => {
      const seen: Seen[] = [];
      const c = consumer();
      await c.subscribe({ topics: ["one"] });
      await collect(c, seen);
      await produceTo("one", 0, 1, "first");
      await waitFor(() => seen.length >= 1, "the first message");
      await c.stop();
      await produceTo("one", 0, 4, "gap");
      await log.admin().deleteTopicRecords({ topic: "one", partitions: [{ partition: 0, offset: 3 }] });
      await collect(c, seen);
      await produceTo("one", 0, 1, "after");
      await waitFor(() => seen.length >= 2, "the message after the reset");
      await sleep(QUIET_MS);
      expect(seen.map((s) => s.value)).toEqual(["first0", "after0"]);
    });
  });

  describe("discovery", () => {
    it("a RegExp subscription picks up a matching topic created later, from its start", async () => {
      await log.admin().createTopics({ topics: [{ topic: "events-a" }] });
      const seen: Seen[] = [];
      const c = consumer({ metadataMaxAge: 20 });
      await c.subscribe({ topics: [/^events-/], fromBeginning: true });
      await collect(c, seen);
      await log
        .admin()
        .createTopics({ topics: [{ topic: "events-b", numPartitions: 2 }, { topic: "other" }] });
      await produce("events-b", [{ value: "b0", partition: 1 }]);
      await produce("other", [{ value: "nope" }]);
      await produce("events-a", [{ value: "a0" }]);
      await waitFor(() => seen.length >= 2, "both topics");
      await sleep(QUIET_MS);
      expect(seen.map((s) => [s.topic, s.partition, s.value]).sort()).toEqual([
        ["events-a", 0, "a0"],
        ["events-b", 1, "b0"],
      ]);
      expect(
        c
          .assignment()
          .map((a) => `${a.topic}/${a.partition}`)
          .sort(),
      ).toEqual(["events-a/0", "events-b/0", "events-b/1"]);
    });

    it("consumes a partition added while running", async () => {
      const seen: Seen[] = [];
      const c = consumer({ metadataMaxAge: 20 });
      await c.subscribe({ topics: ["one"] });
      await collect(c, seen);
      await log.admin().createPartitions({ topicPartitions: [{ topic: "one", count: 2 }] });
      await produce("one", [{ value: "new partition", partition: 1 }]);
      await waitFor(() => seen.length >= 1, "the new partition");
      expect(seen).toEqual([{ topic: "one", partition: 1, offset: 0, value: "new partition" }]);
    });

    it("subscribe while running adds the topic", async () => {
      const seen: Seen[] = [];
      const c = consumer();
      await c.subscribe({ topics: ["one"] });
      await collect(c, seen);
      await produce("t", [{ value: "early", partition: 2 }]);
      await c.subscribe({ topics: ["t"], fromBeginning: true });
      await waitFor(() => seen.length >= 1, "the added topic");
      expect(seen).toEqual([{ topic: "t", partition: 2, offset: 0, value: "early" }]);
    });
  });

  describe("validation", () => {
    it("refuses unknown topics, bad names and bad subscriptions", async () => {
      const c = consumer();
      await expectEdgeLogError(c.subscribe({ topics: ["missing"] }), "UNKNOWN_TOPIC_OR_PARTITION");
      await expectEdgeLogError(c.subscribe({ topics: ["a/b"] }), "INVALID_TOPIC");
      await expectEdgeLogError(c.subscribe({ topics: [] }), "INVALID_REQUEST");
      await expectEdgeLogError(c.subscribe({ topics: [42 as unknown as string] }), "INVALID_REQUEST");
      await expectEdgeLogError(c.subscribe({}), "INVALID_REQUEST");
    });

    it("refuses an invalid groupId", () => {
      expect(() => log.consumer({ groupId: "" })).toThrow(
        expect.objectContaining({ code: "INVALID_GROUP_ID" }),
      );
    });

    it("refuses a bad run", async () => {
      const c = consumer();
      const eachMessage = async (): Promise<void> => {};
      await expectEdgeLogError(c.run({ eachMessage }), "INVALID_REQUEST");
      await c.subscribe({ topics: ["one"] });
      await expectEdgeLogError(c.run({}), "INVALID_REQUEST");
      await expectEdgeLogError(c.run({ eachMessage, eachBatch: async () => {} }), "INVALID_REQUEST");
      await expectEdgeLogError(c.run({ eachMessage, partitionsConsumedConcurrently: 0 }), "INVALID_REQUEST");
      await c.run({ eachMessage });
      await expectEdgeLogError(c.run({ eachMessage }), "INVALID_REQUEST");
    });
  });

  describe("concurrency", () => {
    /** Highest number of handlers seen running at once, overall and for one partition. */
    async function maxConcurrency(concurrency: number, barrierMs: number) {
      for (let p = 0; p < 3; p++) await produceTo("t", p, 4);
      let active = 0;
      let global = 0;
      let perPartition = 0;
      const activeByPartition = [0, 0, 0];
      let handled = 0;
      const c = consumer();
      await c.subscribe({ topics: ["t"], fromBeginning: true });
      await c.run({
        partitionsConsumedConcurrently: concurrency,
        eachMessage: async ({ partition, message }) => {
          active++;
          activeByPartition[partition] = (activeByPartition[partition] ?? 0) + 1;
          global = Math.max(global, active);
          perPartition = Math.max(perPartition, ...activeByPartition);
          // Hold each partition's first message until every partition has a handler running, or barrierMs passed.
          const deadline = Date.now() + (message.offset === 0 ? barrierMs : 0);
          do await sleep(1);
          while (active < 3 && Date.now() < deadline);
          activeByPartition[partition] = (activeByPartition[partition] ?? 0) - 1;
          active--;
          handled++;
        },
      });
      await waitFor(() => handled >= 12, "every message");
      return { global, perPartition };
    }

    it("with partitionsConsumedConcurrently > 1 runs partitions in parallel, never one partition twice", async () => {
      expect(await maxConcurrency(3, 2000)).toEqual({ global: 3, perPartition: 1 });
    });

    it("by default runs one handler at a time", async () => {
      expect(await maxConcurrency(1, 20)).toEqual({ global: 1, perPartition: 1 });
    });
  });

  describe("deleted topics", () => {
    it("drops a deleted topic's partitions without crashing, and keeps reading the others", async () => {
      const seen: Seen[] = [];
      const crashes: unknown[] = [];
      const c = consumer({ metadataMaxAge: 20 });
      c.on("consumer.crash", (event) => crashes.push(event));
      await c.subscribe({ topics: ["t", "one"], fromBeginning: true });
      await collect(c, seen);
      await produce("t", [{ value: "before", partition: 0 }]);
      await waitFor(() => seen.length >= 1, "the first message");
      await log.admin().deleteTopics({ topics: ["t"] });
      await sleep(QUIET_MS);
      await produce("one", [{ value: "still here" }]);
      await waitFor(() => seen.length >= 2, "the other topic");
      expect(crashes).toEqual([]);
      expect(seen.map((s) => s.value)).toEqual(["before", "still here"]);
      expect(c.assignment()).toEqual([{ topic: "one", partition: 0, position: 1 }]);
    });
  });
});
