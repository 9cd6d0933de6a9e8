/**
 * @module
 * Round trips through `HttpLogStore` and `createClient` against the real Worker app in-process: what only a store
 * over HTTP has — the server's error context carried across, produce → consume through `createClient`,
 * idempotent retries after a lost response, shared SSE feeds, the multi-partition poll and its fallback, the SSE
 * tail. The client-facing contract itself is the shared store conformance suite (worker-app.test.ts).
 */
import { decodeText, type EdgeLog, encodeBatch, type MemoryStore, partitionForKey } from "@edgelog/core";
import { expectEdgeLogError, makeBatch, readAll } from "@edgelog/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { HttpLogStore, type HttpLogStoreOptions } from "../../src/http-log-store.ts";
import { createClient } from "../../src/index.ts";

export interface ServerUnderTest {
  /** A fresh server over `store`, reached through the returned `fetch`. */
  fetchFor(store: MemoryStore): typeof fetch;
  createStore(): MemoryStore;
}

const URL_BASE = "http://edgelog.test";
const text = (bytes: Uint8Array | null): string | null => decodeText(bytes);

export function runRoundTrips(name: string, server: ServerUnderTest): void {
  describe(`HttpLogStore round trips: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => undefined);
    });

    const setup = (
      options: Partial<HttpLogStoreOptions> & { wrap?: (f: typeof fetch) => typeof fetch } = {},
    ) => {
      const memory = server.createStore();
      const base = server.fetchFor(memory);
      const fetch = options.wrap ? options.wrap(base) : base;
      const store = new HttpLogStore({ url: URL_BASE, fetch, ...options });
      cleanups.push(
        () => store.close(),
        () => memory.close(),
      );
      return { memory, store, fetch };
    };
    const client = (serverFetch: typeof fetch): EdgeLog => {
      const log = createClient({ url: URL_BASE, fetch: serverFetch });
      cleanups.push(() => log.close());
      return log;
    };
    const config = {
      "retention.ms": -1,
      "retention.bytes": -1,
      "max.message.bytes": 1024 * 1024,
      "cleanup.policy": "delete" as const,
    };

    it("surfaces the server's error codes and context", async () => {
      const { store } = setup();
      await store.createTopic({ name: "t", partitions: 1, config });
      const tp = { topic: "t", partition: 0 };
      await expectEdgeLogError(
        store.append({ topic: "nope", partition: 0 }, makeBatch(1)),
        "UNKNOWN_TOPIC_OR_PARTITION",
      );
      const corrupt = makeBatch(1);
      corrupt[corrupt.length - 1] = (corrupt.at(-1) ?? 0) ^ 0xff;
      await expectEdgeLogError(store.append(tp, corrupt), "CORRUPT_MESSAGE");
      const stamp = { producerId: "p", producerEpoch: 0, baseSequence: 0 };
      await store.append(tp, makeBatch(2, "v", stamp));
      const gap = await expectEdgeLogError(
        store.append(tp, makeBatch(1, "v", { ...stamp, baseSequence: 5 })),
        "OUT_OF_ORDER_SEQUENCE_NUMBER",
      );
      expect(gap.retriable).toBe(false);
      expect(gap.context.expectedSequence).toBe(2);
      await store.append(tp, makeBatch(1, "v", { ...stamp, producerEpoch: 1 }));
      await expectEdgeLogError(
        store.append(tp, makeBatch(1, "v", { ...stamp, baseSequence: 2 })),
        "INVALID_PRODUCER_EPOCH",
      );
    });

    it("round-trips keyed messages across partitions through createClient", async () => {
      const { fetch } = setup();
      const log = client(fetch);
      await log.admin().createTopics({ topics: [{ topic: "orders", numPartitions: 3 }] });
      const producer = log.producer();
      const messages = Array.from({ length: 30 }, (_, i) => ({ key: `user-${i % 7}`, value: `order-${i}` }));
      await producer.send({ topic: "orders", messages });
      const seen: { partition: number; key: string | null; value: string | null; offset: number }[] = [];
      const consumer = log.consumer({ maxWaitTimeInMs: 50 });
      await consumer.subscribe({ topic: "orders", fromBeginning: true });
      const done = new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ partition, message }) => {
            seen.push({
              partition,
              key: text(message.key),
              value: text(message.value),
              offset: Number(message.offset),
            });
            if (seen.length === messages.length) resolve();
          },
        });
      });
      await done;
      await consumer.stop();
      for (const m of seen)
        expect(m.partition).toBe(partitionForKey(new TextEncoder().encode(m.key ?? ""), 3));
      // Per key, values arrive in send order.
      for (let k = 0; k < 7; k++) {
        const values = seen.filter((m) => m.key === `user-${k}`).map((m) => m.value);
        expect(values).toEqual(messages.filter((m) => m.key === `user-${k}`).map((m) => m.value));
      }
    });

    it("retries a batch whose response was lost, and the server drops the duplicate", async () => {
      let drop = 1;
      let appends = 0;
      const { fetch, memory } = setup({
        wrap: (inner) => async (input, init) => {
          const response = await inner(input, init);
          if (init?.method === "POST" && String(input).endsWith("/batches")) {
            appends++;
            // The request reached the server and was applied; only the answer is lost.
            if (drop-- > 0) throw new TypeError("network connection lost");
          }
          return response;
        },
      });
      const log = client(fetch);
      await log.admin().createTopics({ topics: [{ topic: "t" }] });
      const producer = log.producer({ retry: { initialRetryTime: 1, retries: 3 } });
      const [meta] = await producer.send({ topic: "t", messages: [{ value: "once" }, { value: "twice?" }] });
      expect(meta).toMatchObject({ baseOffset: 0, lastOffset: 1 });
      await producer.send({ topic: "t", messages: [{ value: "next" }] });
      expect(appends).toBe(3);
      const stored = await readAll(memory, { topic: "t", partition: 0 });
      expect(stored.map((r) => text(r.value))).toEqual(["once", "twice?", "next"]);
    });

    it("serves waiting reads from one shared SSE feed per partition with live: sse", async () => {
      let feeds = 0;
      const { store } = setup({
        live: "sse",
        wrap: (inner) => async (input, init) => {
          if (String(input).includes("/records")) feeds++;
          return inner(input, init);
        },
      });
      await store.createTopic({ name: "t", partitions: 1, config });
      const tp = { topic: "t", partition: 0 };
      for (let round = 0; round < 3; round++) {
        const started = Date.now();
        const waiting = store.read(tp, { offset: round, maxWaitMs: 5_000 });
        await new Promise((r) => setTimeout(r, 20));
        await store.append(tp, makeBatch(1, `r${round}`));
        const result = await waiting;
        expect(Date.now() - started).toBeLessThan(2_000);
        expect(result.batches.map((b) => b.baseOffset)).toEqual([round]);
        expect(result.batches[0]?.payload).toEqual(makeBatch(1, `r${round}`));
      }
      expect(feeds).toBe(1);
      // Data already there is fetched at once; an empty wait times out; an abort and a close end a wait.
      expect((await store.read(tp, { offset: 0, maxWaitMs: 5_000 })).batches).toHaveLength(3);
      expect((await store.read(tp, { offset: 3, maxWaitMs: 30 })).batches).toEqual([]);
      const controller = new AbortController();
      const aborted = store.read(tp, { offset: 3, maxWaitMs: 5_000, signal: controller.signal });
      controller.abort(new Error("seek"));
      await expect(aborted).rejects.toThrow("seek");
      const parked = store.read(tp, { offset: 3, maxWaitMs: 5_000 });
      await new Promise((r) => setTimeout(r, 10));
      await store.close();
      await expectEdgeLogError(parked, "STORE_CLOSED");
    });

    it("runs a consumer on live: sse", async () => {
      const { fetch } = setup();
      const log = createClient({ url: URL_BASE, fetch, live: "sse" });
      cleanups.push(() => log.close());
      await log.admin().createTopics({ topics: [{ topic: "live", numPartitions: 2 }] });
      const seen: string[] = [];
      const consumer = log.consumer({ maxWaitTimeInMs: 5_000 });
      await consumer.subscribe({ topic: "live" });
      const done = new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            seen.push(text(message.value) ?? "");
            if (seen.length === 4) resolve();
          },
        });
      });
      await new Promise((r) => setTimeout(r, 30));
      await log
        .producer()
        .send({ topic: "live", messages: ["a", "b", "c", "d"].map((value) => ({ key: value, value })) });
      await done;
      await consumer.stop();
      expect(seen.sort()).toEqual(["a", "b", "c", "d"]);
    });

    it.each([
      { server: "with /v1/wait", hasWait: true },
      { server: "without /v1/wait (an older Worker)", hasWait: false },
    ])(
      "parks every waiting read in one multi-partition poll with live: shared, $server",
      async ({ hasWait }) => {
        let pollsAnswered = 0;
        let pollsOpen = 0;
        let mostOpen = 0;
        let perPartitionWaits = 0;
        const { store } = setup({
          live: "shared",
          wrap: (inner) => async (input, init) => {
            const url = String(input);
            if (url.includes("/batches") && url.includes("wait=")) perPartitionWaits++;
            if (!url.endsWith("/v1/wait")) return inner(input, init);
            if (!hasWait) {
              return new Response(
                JSON.stringify({ error: { code: "NOT_FOUND", message: "no such route" } }),
                {
                  status: 404,
                  headers: { "content-type": "application/json" },
                },
              );
            }
            // A poll is open until it is answered or aborted (a browser frees the connection on abort).
            let open = true;
            const close = () => {
              if (open) pollsOpen--;
              open = false;
            };
            mostOpen = Math.max(mostOpen, ++pollsOpen);
            init?.signal?.addEventListener("abort", close, { once: true });
            try {
              const response = await inner(input, init);
              if (response.ok) pollsAnswered++;
              return response;
            } finally {
              close();
            }
          },
        });
        await store.createTopic({ name: "t", partitions: 8, config });
        const partitions = Array.from({ length: 8 }, (_, partition) => ({ topic: "t", partition }));
        const started = Date.now();
        const waiting = partitions.map((tp) => store.read(tp, { offset: 0, maxWaitMs: 5_000 }));
        const outcomes = Promise.allSettled(waiting);
        await new Promise((r) => setTimeout(r, 50));
        await store.append({ topic: "t", partition: 5 }, makeBatch(1, "five"));
        await store.append({ topic: "t", partition: 2 }, makeBatch(1, "two"));
        const [two, five] = await Promise.all([waiting[2], waiting[5]]);
        expect(Date.now() - started).toBeLessThan(3_000);
        expect(two?.batches[0]?.payload).toEqual(makeBatch(1, "two"));
        expect(five?.batches[0]?.payload).toEqual(makeBatch(1, "five"));
        if (hasWait) {
          expect(pollsAnswered).toBeGreaterThan(0);
          expect(mostOpen).toBe(1);
          expect(perPartitionWaits).toBe(0);
        } else {
          expect(pollsAnswered).toBe(0);
          expect(perPartitionWaits).toBeGreaterThanOrEqual(8); // the server has no /v1/wait: long-polls it is
        }
        // An empty wait times out; an abort and a close end a wait.
        expect(
          (await store.read({ topic: "t", partition: 0 }, { offset: 0, maxWaitMs: 30 })).batches,
        ).toEqual([]);
        const controller = new AbortController();
        const aborted = store.read(
          { topic: "t", partition: 0 },
          { offset: 0, maxWaitMs: 5_000, signal: controller.signal },
        );
        await new Promise((r) => setTimeout(r, 10));
        controller.abort(new Error("seek"));
        await expect(aborted).rejects.toThrow("seek");
        await store.close();
        for (const [i, outcome] of (await outcomes).entries()) {
          if (i === 2 || i === 5) continue;
          expect(outcome.status).toBe("rejected");
          expect((outcome as PromiseRejectedResult).reason).toMatchObject({ code: "STORE_CLOSED" });
        }
      },
    );

    it("tails a partition over SSE, resuming after a dropped stream without gaps", async () => {
      let connections = 0;
      const { store } = setup({
        wrap: (inner) => async (input, init) => {
          const response = await inner(input, init);
          if (!String(input).includes("/records")) return response;
          connections++;
          if (connections > 1 || response.body === null) return response;
          // The first connection dies after its first chunk: the tail must reconnect from the event id.
          const reader = response.body.getReader();
          const body = new ReadableStream<Uint8Array>({
            async pull(controller) {
              const { value, done } = await reader.read();
              if (done || value === undefined) return controller.close();
              controller.enqueue(value);
              if (new TextDecoder().decode(value).includes("event: records")) {
                await reader.cancel();
                controller.error(new TypeError("connection reset"));
              }
            },
          });
          return new Response(body, { status: response.status, headers: response.headers });
        },
      });
      await store.createTopic({ name: "t", partitions: 1, config });
      const tp = { topic: "t", partition: 0 };
      const binary = new Uint8Array([0, 1, 2, 255]);
      await store.append(tp, encodeBatch([{ key: null, value: binary, headers: [], timestamp: 1 }]));
      const controller = new AbortController();
      const got: (string | null)[] = [];
      const tail = (async () => {
        for await (const records of store.tail(tp, {
          offset: 0,
          signal: controller.signal,
          retry: { initialRetryTime: 1 },
        })) {
          for (const r of records) {
            got.push(r.offset === 0 ? Array.from(r.value ?? []).join(",") : text(r.value));
            if (r.offset === 0) {
              expect(r.key).toBeNull();
              expect(r.timestamp).toBe(1);
            }
          }
          if (got.length === 3) controller.abort();
        }
      })();
      await new Promise((r) => setTimeout(r, 30));
      await store.append(tp, makeBatch(2, "live"));
      await tail;
      expect(got).toEqual(["0,1,2,255", "live-0", "live-1"]);
      expect(connections).toBe(2);
    });
  });
}
