// Producers over HTTP through a leader change, against the real server app in-process: the first append is
// answered as a replicated partition answers it during an election (written on the old leader or not, then
// refused), and what the producer does next must store each record exactly once — or, for a batch it cannot
// resend safely, refuse rather than store it twice.
import { DEFAULT_TOPIC_CONFIG, EdgeLog, EdgeLogError, MemoryStore } from "@edgelog/core";
import { expectEdgeLogError, makeBatch, readAll } from "@edgelog/core/testing";
import { createApp } from "@edgelog/server";
import { afterEach, describe, expect, it, vi } from "vitest";
import { appendFailure } from "../src/http-errors.ts";
import { CLIENT_RETRY, createClient, HttpLogStore } from "../src/index.ts";

type Refusal = "NOT_LEADER_OR_FOLLOWER" | "NOT_ENOUGH_REPLICAS_AFTER_APPEND" | "FENCED_LEADER_EPOCH";

/**
 * A server whose first produce is refused with `code`: when `written`, after the batch reached the partition (the
 * old leader had written it and the new one holds it too); otherwise before anything was stored.
 */
async function electionServer(code: Refusal, written: boolean, appended = written) {
  const memory = new MemoryStore();
  await memory.createTopic({ name: "t", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
  const app = createApp({ auth: "none", store: () => memory });
  const posts: Uint8Array[] = [];
  let refused = false;
  const store = new HttpLogStore({
    url: "http://edgelog.test",
    fetch: async (input, init) => {
      const request = new Request(input, init);
      if (request.method !== "POST" || !request.url.includes("/batches")) return app.fetch(request, {});
      posts.push(new Uint8Array(await request.clone().arrayBuffer()));
      if (refused) return app.fetch(request, {});
      refused = true;
      if (written) await app.fetch(request, {});
      const body = { error: { code, message: "leadership moved", ...(appended ? { appended: true } : {}) } };
      return new Response(JSON.stringify(body), {
        status: code === "FENCED_LEADER_EPOCH" ? 409 : 503,
        headers: { "content-type": "application/json" },
      });
    },
  });
  const stored = async () =>
    (await readAll(memory, { topic: "t", partition: 0 })).map((r) =>
      new TextDecoder().decode(r.value ?? new Uint8Array()),
    );
  return { store, posts, stored };
}

const RETRY = { retries: 3, initialRetryTime: 1, maxRetryTime: 5 };

describe("an idempotent producer through a leader change", () => {
  for (const code of ["NOT_LEADER_OR_FOLLOWER", "NOT_ENOUGH_REPLICAS_AFTER_APPEND"] as const) {
    it(`resends a batch refused with ${code} after it was written: answered duplicate, stored once`, async () => {
      const server = await electionServer(code, true);
      const producer = new EdgeLog({ store: server.store }).producer({ retry: RETRY });
      const [meta] = await producer.send({ topic: "t", messages: [{ value: "a" }] });
      await producer.send({ topic: "t", messages: [{ value: "b" }] });
      expect(meta?.baseOffset).toBe(0);
      expect(await server.stored()).toEqual(["a", "b"]);
      // The resend is the same bytes (same stamp), which is what lets the partition recognise it.
      expect(server.posts[1]).toEqual(server.posts[0]);
      await server.store.close();
    });
  }

  it("resends a batch written on an old leader that the new one lacks (truncated there): stored once", async () => {
    const server = await electionServer("NOT_LEADER_OR_FOLLOWER", false, true);
    const producer = new EdgeLog({ store: server.store }).producer({ retry: RETRY });
    await producer.send({ topic: "t", messages: [{ value: "a" }] });
    expect(await server.stored()).toEqual(["a"]);
    expect(server.posts).toHaveLength(2);
    await server.store.close();
  });
});

describe("a producer without idempotence through a leader change", () => {
  it("does not resend a batch the server says was written: the send fails, the record is stored once", async () => {
    for (const code of ["NOT_LEADER_OR_FOLLOWER", "NOT_ENOUGH_REPLICAS_AFTER_APPEND"] as const) {
      const server = await electionServer(code, true);
      const producer = new EdgeLog({ store: server.store }).producer({ idempotent: false, retry: RETRY });
      const error = await expectEdgeLogError(producer.send({ topic: "t", messages: [{ value: "a" }] }), code);
      expect(error.retriable).toBe(false);
      expect(server.posts).toHaveLength(1);
      expect(await server.stored()).toEqual(["a"]);
      await server.store.close();
    }
  });

  it("resends what was refused before anything was written (a stale leader, a fenced epoch)", async () => {
    for (const code of ["NOT_LEADER_OR_FOLLOWER", "FENCED_LEADER_EPOCH"] as const) {
      const server = await electionServer(code, false);
      const producer = new EdgeLog({ store: server.store }).producer({ idempotent: false, retry: RETRY });
      await producer.send({ topic: "t", messages: [{ value: "a" }] });
      expect(server.posts).toHaveLength(2);
      expect(await server.stored()).toEqual(["a"]);
      await server.store.close();
    }
  });
});

describe("createClient's retry budget", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A server that refuses the first `refusals` produces as a partition whose region is down (nothing written). */
  async function regionDown(refusals: number) {
    const memory = new MemoryStore();
    await memory.createTopic({ name: "t", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    const app = createApp({ auth: "none", store: () => memory });
    let posts = 0;
    const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      if (request.method === "POST" && request.url.includes("/batches") && posts++ < refusals) {
        const error = { code: "REQUEST_TIMED_OUT", message: "region wnam is unreachable" };
        return new Response(JSON.stringify({ error }), { status: 504 });
      }
      return app.fetch(request, {});
    };
    return { fetch, posts: () => posts, memory };
  }

  it("outlasts a leader change by default: more retries than core's, over about 13–26 s", async () => {
    vi.useFakeTimers();
    const server = await regionDown(CLIENT_RETRY.retries);
    const log = createClient({ url: "http://edgelog.test", fetch: server.fetch });
    let outcome: unknown;
    void log
      .producer()
      .send({ topic: "t", messages: [{ value: "a" }] })
      .then(
        () => (outcome = "sent"),
        (error: unknown) => (outcome = error),
      );
    let waitedMs = 0;
    while (outcome === undefined && waitedMs < 60_000) {
      await vi.advanceTimersByTimeAsync(100);
      waitedMs += 100;
    }
    expect(outcome).toBe("sent");
    expect(server.posts()).toBe(CLIENT_RETRY.retries + 1);
    // Equal jitter: at least half of each capped step.
    expect(waitedMs).toBeGreaterThanOrEqual(13_000);
    await log.close();
  });

  it("is the client's `retry` option, and a producer's own `retry` wins", async () => {
    const fast = { retries: 3, initialRetryTime: 1, maxRetryTime: 1 };
    const server = await regionDown(3);
    const log = createClient({ url: "http://edgelog.test", fetch: server.fetch, retry: fast });
    await log.producer().send({ topic: "t", messages: [{ value: "a" }] });
    expect(server.posts()).toBe(4);
    const again = await regionDown(3);
    const other = createClient({ url: "http://edgelog.test", fetch: again.fetch, retry: fast });
    const producer = other.producer({ retry: { retries: 1, initialRetryTime: 1 } });
    await expectEdgeLogError(producer.send({ topic: "t", messages: [{ value: "a" }] }), "REQUEST_TIMED_OUT");
    expect(again.posts()).toBe(2);
    await Promise.all([log.close(), other.close()]);
  });
});

describe("appendFailure", () => {
  const written = new EdgeLogError("NOT_LEADER_OR_FOLLOWER", "moved", { context: { appended: true } });
  const stamp = { producerId: "p", producerEpoch: 0, baseSequence: 0 };

  it("keeps the server's error for a stamped batch, and for one refused before it was written", () => {
    expect(appendFailure(written, makeBatch(1, "v", stamp))).toBe(written);
    const before = new EdgeLogError("NOT_LEADER_OR_FOLLOWER", "moved");
    expect(appendFailure(before, makeBatch(1))).toBe(before);
    const timeout = new EdgeLogError("REQUEST_TIMED_OUT", "slow");
    expect(appendFailure(timeout, makeBatch(1))).toBe(timeout);
  });

  it("makes it final, keeping its code and context, for an unstamped or unreadable batch", () => {
    for (const batch of [makeBatch(1), new Uint8Array([1, 2, 3])]) {
      const failure = appendFailure(written, batch);
      expect(failure).toMatchObject({ code: "NOT_LEADER_OR_FOLLOWER", retriable: false });
      expect((failure as EdgeLogError).context.appended).toBe(true);
    }
  });
});
