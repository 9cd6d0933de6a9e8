/**
 * Following upstream into a local replica: live copying, upstream offsets kept, resuming after a restart without
 * gaps or repeats, and going on after the network returns.
 */
import { DEFAULT_TOPIC_CONFIG, decodeBatch, encodeBatch, MemoryStore, RECORD_CAPS } from "@edgelog/core";
import { createApp } from "@edgelog/server";
import { describe, expect, it } from "vitest";
import { openOfflineLog, REPLICA_PREFIX } from "../src/index.ts";

const enc = new TextEncoder();
const text = new TextDecoder();

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** An upstream server in-process; `intercept` may answer a request in its place (an upstream in a leader change). */
function world(intercept: (request: Request) => Response | undefined = () => undefined) {
  const upstream = new MemoryStore();
  const app = createApp({ auth: "none", store: () => upstream });
  let offline = false;
  const fetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    if (offline) return Promise.reject(new TypeError("Failed to fetch"));
    const request = new Request(input, init);
    const answer = intercept(request);
    return Promise.resolve(answer ?? app.fetch(request, { PARTITIONS: {}, TOPICS: {}, GROUPS: {} }));
  };
  const produce = async (partition: number, values: string[]) =>
    upstream.append(
      { topic: "news", partition },
      encodeBatch(
        values.map((v) => ({ key: null, value: enc.encode(v), headers: [], timestamp: Date.now() })),
      ),
    );
  return {
    upstream,
    fetch,
    produce,
    setOffline: (value: boolean) => {
      offline = value;
    },
  };
}

describe("follow: an upstream topic into a local replica", () => {
  it("copies live, keeps upstream offsets, and resumes after a restart without gaps or repeats", async () => {
    const { upstream, fetch, produce, setOffline } = world();
    await upstream.createTopic({ name: "news", partitions: 2, config: DEFAULT_TOPIC_CONFIG });
    await produce(0, ["a", "b"]);
    await produce(1, ["x"]);
    await upstream.deleteRecords({ topic: "news", partition: 0 }, 1); // upstream log starts at 1 on partition 0
    const local = new MemoryStore();
    const options = {
      name: "follow-test",
      store: local,
      upstream: { url: "http://edgelog.test", fetch },
      syncIntervalMs: 0,
    };

    const first = await openOfflineLog(options);
    const stop = new AbortController();
    const following = first.follow("news", { signal: stop.signal, maxWaitMs: 200 });
    await waitFor(async () => (await first.readReplica("news", 0)).length === 1);
    await produce(0, ["c", "d"]);
    await waitFor(async () => (await first.readReplica("news", 0)).length === 3);
    const replica = await first.readReplica("news", 0);
    expect(replica.map((r) => [r.offset, text.decode(r.value ?? new Uint8Array())])).toEqual([
      [1, "b"],
      [2, "c"],
      [3, "d"],
    ]);
    expect(replica[0]?.headers).toEqual([]);
    expect((await first.readReplica("news", 1)).map((r) => r.offset)).toEqual([0]);
    expect((await first.readReplica("news", 0, 3)).map((r) => r.offset)).toEqual([3]);
    stop.abort();
    await following;
    await first.close();

    // Written while nobody followed, and while the network was down for a moment after restarting.
    await produce(0, ["e"]);
    setOffline(true);
    const second = await openOfflineLog(options);
    const again = second.follow("news", { maxWaitMs: 200 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    setOffline(false);
    await waitFor(async () => (await second.readReplica("news", 0)).length === 4, 20_000);
    expect((await second.readReplica("news", 0)).map((r) => r.offset)).toEqual([1, 2, 3, 4]);
    const localBatches = await local.listBatches({ topic: `${REPLICA_PREFIX}news`, partition: 0 });
    expect(localBatches.reduce((n, b) => n + b.recordCount, 0)).toBe(4);
    await second.close();
    await again;
  }, 30_000);

  it("copies records at a cap, and records stored upstream before the caps existed, although the copy is over them", async () => {
    const { upstream, fetch } = world();
    await upstream.createTopic({ name: "news", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    const headers = (count: number) =>
      Array.from({ length: count }, (_, i) => ({ key: `h${i}`, value: null }));
    const tp = { topic: "news", partition: 0 };
    // At the header cap: the replica's offset header makes it one over.
    await upstream.append(
      tp,
      encodeBatch([
        { key: null, value: enc.encode("full"), headers: headers(RECORD_CAPS.maxHeaders), timestamp: 1 },
      ]),
    );
    // Accepted before the caps (as an older deployment did): over them upstream already.
    const legacy = {
      key: new Uint8Array(RECORD_CAPS.maxKeyBytes + 1),
      value: enc.encode("legacy"),
      headers: headers(40),
      timestamp: 2,
    };
    await upstream.append(tp, encodeBatch([legacy]), { checkRecordCaps: false });
    const local = new MemoryStore();
    const log = await openOfflineLog({
      name: "follow-caps",
      store: local,
      upstream: { url: "http://edgelog.test", fetch },
      syncIntervalMs: 0,
    });
    const stop = new AbortController();
    const following = log.follow("news", { signal: stop.signal, maxWaitMs: 100 });
    await waitFor(async () => (await log.readReplica("news", 0)).length === 2);
    const replica = await log.readReplica("news", 0);
    expect(replica.map((r) => [r.offset, r.headers.length])).toEqual([
      [0, RECORD_CAPS.maxHeaders],
      [1, 40],
    ]);
    expect(replica[1]?.key?.length).toBe(RECORD_CAPS.maxKeyBytes + 1);
    // Stored locally with the upstream offset header: one over the header cap.
    const stored = await local.read({ topic: `${REPLICA_PREFIX}news`, partition: 0 }, { offset: 0 });
    const copies = stored.batches.flatMap((b) => decodeBatch(b.payload).records);
    expect(copies.map((r) => r.headers.length)).toEqual([RECORD_CAPS.maxHeaders + 1, 41]);
    stop.abort();
    await following;
    await log.close();
  });

  it("skips to the log start when upstream retention passed it, and holds its place when upstream is behind it", async () => {
    // Upstream answers the first read at offset 3 "out of range" as if its log ended at 1: a replica behind the one
    // that answered before (a leader change), or a log that lost its tail.
    let refused = 0;
    const { upstream, produce, fetch, setOffline } = world((request) => {
      const url = new URL(request.url);
      if (!url.pathname.endsWith("/batches") || url.searchParams.get("offset") !== "3" || refused > 0)
        return undefined;
      refused++;
      const error = {
        code: "OFFSET_OUT_OF_RANGE",
        message: "out of range",
        offset: 3,
        logStartOffset: 0,
        highWatermark: 1,
      };
      return new Response(JSON.stringify({ error }), {
        status: 416,
        headers: { "content-type": "application/json" },
      });
    });
    await upstream.createTopic({ name: "news", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    await produce(0, ["a", "b", "c"]);
    const log = await openOfflineLog({
      name: "follow-out-of-range",
      store: new MemoryStore(),
      upstream: { url: "http://edgelog.test", fetch },
      syncIntervalMs: 0,
    });
    const stop = new AbortController();
    const following = log.follow("news", { signal: stop.signal, maxWaitMs: 50 });
    await waitFor(async () => refused === 1);
    // Rewinding to the log start would copy a, b and c a second time: it waits where it is instead.
    await produce(0, ["d"]);
    await waitFor(async () => (await log.readReplica("news", 0)).length >= 4, 10_000);
    expect((await log.readReplica("news", 0)).map((r) => r.offset)).toEqual([0, 1, 2, 3]);

    // Away while retention removes what it has not copied yet: it goes on from the new log start.
    setOffline(true);
    await new Promise((resolve) => setTimeout(resolve, 150)); // the long-poll in flight returns
    await produce(0, ["e", "f"]);
    await upstream.deleteRecords({ topic: "news", partition: 0 }, 5);
    setOffline(false);
    await waitFor(async () => (await log.readReplica("news", 0)).length === 5, 10_000);
    expect(
      (await log.readReplica("news", 0)).map((r) => [r.offset, text.decode(r.value ?? new Uint8Array())]),
    ).toEqual([
      [0, "a"],
      [1, "b"],
      [2, "c"],
      [3, "d"],
      [5, "f"],
    ]);
    stop.abort();
    await following;
    await log.close();
  }, 30_000);

  it("rejects an unknown upstream topic", async () => {
    const { fetch } = world();
    const log = await openOfflineLog({
      name: "follow-unknown",
      store: new MemoryStore(),
      upstream: { url: "http://edgelog.test", fetch },
      syncIntervalMs: 0,
    });
    await expect(log.follow("missing")).rejects.toMatchObject({ code: "UNKNOWN_TOPIC_OR_PARTITION" });
    await log.close();
  });

  it("keeps a compacted replica of a compacted topic: the latest record per key, resumable, tombstones honoured", async () => {
    const { upstream, fetch } = world();
    const config = {
      ...DEFAULT_TOPIC_CONFIG,
      "cleanup.policy": "compact" as const,
      "delete.retention.ms": 60_000,
    };
    await upstream.createTopic({ name: "news", partitions: 1, config });
    const tp = { topic: "news", partition: 0 };
    const put = (key: string, value: string | null) =>
      upstream.append(
        tp,
        encodeBatch([
          {
            key: enc.encode(key),
            value: value === null ? null : enc.encode(value),
            headers: [],
            timestamp: 1,
          },
        ]),
      );
    const local = new MemoryStore();
    const replicaTp = { topic: `${REPLICA_PREFIX}news`, partition: 0 };
    const options = {
      name: "follow-compacted",
      store: local,
      upstream: { url: "http://edgelog.test", fetch },
      syncIntervalMs: 0,
    };
    const replicated = async (log: Awaited<ReturnType<typeof openOfflineLog>>) =>
      (await log.readReplica("news", 0)).map((r) => [
        r.offset,
        text.decode(r.key ?? new Uint8Array()),
        r.value === null ? null : text.decode(r.value),
      ]);
    const lastCopied = async (log: Awaited<ReturnType<typeof openOfflineLog>>) =>
      (await log.readReplica("news", 0)).at(-1)?.offset;
    await put("theme", "dark");
    await put("lang", "en");
    await put("theme", "light");
    const log = await openOfflineLog(options);
    const stop = new AbortController();
    const following = log.follow("news", { signal: stop.signal, maxWaitMs: 100 });
    await waitFor(async () => (await lastCopied(log)) === 2);
    await put("lang", null); // a tombstone: the key is deleted
    await put("beta", "on");
    await waitFor(async () => (await lastCopied(log)) === 4);
    expect((await local.getTopic(replicaTp.topic))?.config).toMatchObject({
      "cleanup.policy": "compact",
      "delete.retention.ms": 60_000,
      "retention.ms": -1,
    });
    await local.compact(replicaTp);
    expect(await replicated(log)).toEqual([
      [2, "theme", "light"],
      [3, "lang", null],
      [4, "beta", "on"],
    ]);
    stop.abort();
    await following;
    await log.close();
    // Resumes after the last record kept, which compaction never removes: nothing copied twice.
    await put("theme", "auto");
    const again = await openOfflineLog(options);
    const stopAgain = new AbortController();
    const followingAgain = again.follow("news", { signal: stopAgain.signal, maxWaitMs: 100 });
    await waitFor(async () => (await lastCopied(again)) === 5);
    await local.compact(replicaTp);
    expect((await replicated(again)).map(([offset]) => offset)).toEqual([3, 4, 5]);
    stopAgain.abort();
    await followingAgain;
    await again.close();
  }, 30_000);

  it("keeps a compacted replica of an uncompacted topic when asked, passing over keyless records", async () => {
    const { upstream, fetch, produce } = world();
    await upstream.createTopic({ name: "news", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    await produce(0, ["keyless"]);
    await upstream.append(
      { topic: "news", partition: 0 },
      encodeBatch(
        ["a", "a", "b"].map((key, i) => ({
          key: enc.encode(key),
          value: enc.encode(`${i}`),
          headers: [],
          timestamp: 1,
        })),
      ),
    );
    const local = new MemoryStore();
    const log = await openOfflineLog({
      name: "follow-asked",
      store: local,
      upstream: { url: "http://edgelog.test", fetch },
      syncIntervalMs: 0,
    });
    const stop = new AbortController();
    const following = log.follow("news", { signal: stop.signal, maxWaitMs: 100, compact: true });
    const replicaTp = { topic: `${REPLICA_PREFIX}news`, partition: 0 };
    await waitFor(async () => (await log.readReplica("news", 0)).at(-1)?.offset === 3);
    await local.compact(replicaTp);
    expect((await log.readReplica("news", 0)).map((r) => r.offset)).toEqual([2, 3]);
    stop.abort();
    await following;
    await log.close();
  });
});
