// HttpLogStore against stub fetches: request shapes, error mapping (and its retriability), timeouts, aborts.
import { EdgeLogError } from "@edgelog/core";
import { encodeFrames } from "@edgelog/core/store-kit";
import { expectEdgeLogError, makeBatch } from "@edgelog/core/testing";
import { describe, expect, it } from "vitest";
import { HttpLogStore } from "../src/http-log-store.ts";

interface Seen {
  method: string;
  url: string;
  headers: Headers;
  body: Uint8Array;
}

/** A store whose fetch records each request and answers with `respond`. */
function stub(respond: (seen: Seen) => Response | Promise<Response>, options: { timeoutMs?: number } = {}) {
  const requests: Seen[] = [];
  const store = new HttpLogStore({
    url: "https://edgelog.test/",
    headers: { authorization: "Bearer t" },
    ...options,
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const seen = {
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: new Uint8Array(await request.arrayBuffer()),
      };
      requests.push(seen);
      return respond(seen);
    },
  });
  return { store, requests };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const tp = { topic: "or ders", partition: 1 };
const config = {
  "retention.ms": 1000,
  "retention.bytes": -1,
  "max.message.bytes": 100,
  "cleanup.policy": "delete" as const,
};

describe("HttpLogStore requests", () => {
  it("creates a topic with its config and reads the partition count from either shape", async () => {
    const { store, requests } = stub(() => json({ name: "t", partitions: 2, topicId: "id", config }, 201));
    expect(await store.createTopic({ name: "t", partitions: 2, config })).toEqual({
      name: "t",
      partitions: 2,
      topicId: "id",
      config,
      createdAt: 0,
    });
    expect(requests[0]?.method).toBe("POST");
    expect(requests[0]?.url).toBe("https://edgelog.test/v1/topics");
    expect(requests[0]?.headers.get("authorization")).toBe("Bearer t");
    expect(JSON.parse(new TextDecoder().decode(requests[0]?.body))).toEqual({
      name: "t",
      partitions: 2,
      config,
    });
  });

  it("turns a 404 for getTopic into null and counts the described partitions", async () => {
    const { store } = stub((seen) =>
      seen.url.endsWith("/missing")
        ? json({ error: { code: "UNKNOWN_TOPIC_OR_PARTITION", message: "no" } }, 404)
        : json({ name: "t", topicId: "i", config, partitions: [{ partition: 0 }, { partition: 1 }] }),
    );
    expect(await store.getTopic("missing")).toBeNull();
    expect((await store.getTopic("t"))?.partitions).toBe(2);
  });

  it("appends the batch bytes unchanged with the batch content type", async () => {
    const result = {
      baseOffset: 4,
      lastOffset: 5,
      duplicate: false,
      logAppendTime: 9,
      logStartOffset: 0,
      highWatermark: 6,
    };
    const { store, requests } = stub(() => json({ partition: 1, ...result }));
    const batch = makeBatch(2);
    expect(await store.append(tp, batch)).toEqual(result);
    expect(requests[0]?.url).toBe("https://edgelog.test/v1/topics/or%20ders/partitions/1/batches");
    expect(requests[0]?.headers.get("content-type")).toBe("application/vnd.edgelog.batch");
    expect(requests[0]?.body).toEqual(batch);
  });

  it("reads frames and bounds from the binary fetch, passing offset, maxBytes and wait", async () => {
    const payload = makeBatch(2);
    const { store, requests } = stub(
      () =>
        new Response(encodeFrames([{ baseOffset: 10, payload }]), {
          headers: { "edgelog-high-watermark": "12", "edgelog-log-start-offset": "3" },
        }),
    );
    const result = await store.read(tp, { offset: 11, maxBytes: 500, maxWaitMs: 250 });
    expect(result.highWatermark).toBe(12);
    expect(result.logStartOffset).toBe(3);
    expect(result.batches[0]).toMatchObject({ baseOffset: 10, lastOffset: 11, payload });
    const url = new URL(requests[0]?.url ?? "");
    expect(Object.fromEntries(url.searchParams)).toEqual({ offset: "11", maxBytes: "500", wait: "250" });
  });

  it("echoes a partition's tail cursor on its next long-poll, never on a read that does not wait", async () => {
    let cursor = 0;
    const { store, requests } = stub(
      () =>
        new Response(new Uint8Array(), {
          headers: {
            "edgelog-high-watermark": "6",
            "edgelog-log-start-offset": "0",
            "edgelog-cursor": `${++cursor}`,
          },
        }),
    );
    const other = { topic: "other", partition: 1 };
    await store.read(tp, { offset: 5, maxWaitMs: 100 });
    await store.read(tp, { offset: 5, maxWaitMs: 100 });
    await store.read(other, { offset: 5, maxWaitMs: 100 });
    await store.read(tp, { offset: 5 });
    await store.read(tp, { offset: 5, maxWaitMs: 100, region: "weur" });
    const cursors = requests.map((r) => new URL(r.url).searchParams.get("cursor"));
    expect(cursors).toEqual([null, "1", null, null, null]);
  });

  it("maps offsetForTimestamp's found:false to null", async () => {
    const { store } = stub((seen) => json({ offset: 7, found: seen.url.includes("timestamp=1") }));
    expect(await store.offsetForTimestamp(tp, 1)).toBe(7);
    expect(await store.offsetForTimestamp(tp, 2)).toBeNull();
  });

  it("calls a headers function on every request", async () => {
    let n = 0;
    const seen: string[] = [];
    const store = new HttpLogStore({
      url: "https://x",
      headers: () => ({ authorization: `t${++n}` }),
      fetch: async (input, init) => {
        seen.push(new Request(input, init).headers.get("authorization") ?? "");
        return json({ logStartOffset: 0, highWatermark: 0 });
      },
    });
    await store.offsets(tp);
    await store.offsets(tp);
    expect(seen).toEqual(["t1", "t2"]);
  });

  it("never addresses another route with a dot-segment topic name", async () => {
    const { store, requests } = stub(() => json({ topics: [] }));
    expect(await store.getTopic("..")).toBeNull();
    await expectEdgeLogError(store.offsets({ topic: ".", partition: 0 }), "INVALID_TOPIC");
    expect(requests).toEqual([]);
  });

  it("fails a tail at once when the server does not answer with an event stream", async () => {
    const { store } = stub(() => json({ records: [] }));
    const tail = store.tail(tp, { offset: 0 });
    await expectEdgeLogError(tail.next(), "UNSUPPORTED_VERSION");
  });

  it("checks group ids locally", async () => {
    const { store } = stub(() => json({}));
    await expectEdgeLogError(store.describeGroup(".."), "INVALID_GROUP_ID");
    await expectEdgeLogError(store.groupHeartbeat("g", { memberId: "", memberEpoch: 0 }), "INVALID_REQUEST");
  });
});

describe("HttpLogStore errors", () => {
  it("keeps the server's code and context", async () => {
    const { store } = stub(() =>
      json(
        { error: { code: "OUT_OF_ORDER_SEQUENCE_NUMBER", message: "gap", expectedSequence: 3, topic: "t" } },
        409,
      ),
    );
    const error = await expectEdgeLogError(store.append(tp, makeBatch(1)), "OUT_OF_ORDER_SEQUENCE_NUMBER");
    expect(error.message).toBe("gap");
    expect(error.context).toMatchObject({ expectedSequence: 3, topic: "t" });
    expect(error.retriable).toBe(false);
  });

  it("makes every 5xx retriable: the outcome is unknown and retrying the same batch is safe", async () => {
    const bodies = [
      json({ error: { code: "UNKNOWN_SERVER_ERROR", message: "boom" } }, 500),
      new Response("<html>bad gateway</html>", { status: 502 }),
      new Response(null, { status: 503 }),
    ];
    const { store } = stub(() => bodies.shift() ?? json({}));
    for (let i = 0; i < 3; i++) {
      const error = await expectEdgeLogError(store.append(tp, makeBatch(1)), "UNKNOWN_SERVER_ERROR");
      expect(error.retriable).toBe(true);
    }
  });

  it("classifies bodiless 4xx by status", async () => {
    const statuses = [429, 413, 401, 404];
    const { store } = stub(
      () => new Response("nope", { status: statuses.shift() ?? 400, headers: { "retry-after": "2" } }),
    );
    const throttled = await expectEdgeLogError(store.offsets(tp), "THROTTLING_QUOTA_EXCEEDED");
    expect(throttled.retriable).toBe(true);
    expect(throttled.context.retryAfterMs).toBe(2_000);
    await expectEdgeLogError(store.offsets(tp), "MESSAGE_TOO_LARGE");
    await expectEdgeLogError(store.offsets(tp), "AUTHENTICATION_FAILED");
    await expectEdgeLogError(store.offsets(tp), "NOT_FOUND");
  });

  it("turns network failures and timeouts into retriable REQUEST_TIMED_OUT", async () => {
    const failing = new HttpLogStore({
      url: "https://x",
      fetch: async () => {
        throw new TypeError("fetch failed");
      },
    });
    const network = await expectEdgeLogError(failing.offsets(tp), "REQUEST_TIMED_OUT");
    expect(network.retriable).toBe(true);
    expect(network.cause).toBeInstanceOf(TypeError);
    const { store } = stub(() => new Promise<Response>(() => {}), { timeoutMs: 20 });
    const slow = await expectEdgeLogError(store.offsets(tp), "REQUEST_TIMED_OUT");
    expect(slow.message).toMatch(/timed out/);
  });

  it("rejects with the caller's abort reason and with STORE_CLOSED on close, even if fetch ignores signals", async () => {
    const { store } = stub(() => new Promise<Response>(() => {}));
    const controller = new AbortController();
    const read = store.read(tp, { offset: 0, maxWaitMs: 10_000, signal: controller.signal });
    const reason = new Error("seek");
    controller.abort(reason);
    await expect(read).rejects.toBe(reason);
    await expect(store.read(tp, { offset: 0, signal: controller.signal })).rejects.toBe(reason);
    const parked = store.read(tp, { offset: 0, maxWaitMs: 10_000 });
    await store.close();
    await expectEdgeLogError(parked, "STORE_CLOSED");
    await expectEdgeLogError(store.listTopics(), "STORE_CLOSED");
    expect(EdgeLogError).toBeDefined();
  });
});

describe("HttpLogStore leader election", () => {
  it("posts the region to …/elect and answers the new leadership; the controller's refusals keep their codes", async () => {
    const leadership = { leader: "weur", replicas: ["wnam", "weur"], isr: ["wnam", "weur"], leaderEpoch: 1 };
    const { store, requests } = stub(() => json({ topic: tp.topic, partition: 1, ...leadership }));
    expect(await store.electLeader(tp, "weur")).toEqual(leadership);
    expect(requests[0]?.method).toBe("POST");
    expect(requests[0]?.url).toBe("https://edgelog.test/v1/topics/or%20ders/partitions/1/elect");
    expect(JSON.parse(new TextDecoder().decode(requests[0]?.body))).toEqual({ region: "weur" });
    const refused = stub(() =>
      json({ error: { code: "ELECTION_NOT_NEEDED", message: "weur already leads" } }, 409),
    );
    await expectEdgeLogError(refused.store.electLeader(tp, "weur"), "ELECTION_NOT_NEEDED");
  });

  it("keeps NOT_LEADER_OR_FOLLOWER retriable for a stamped batch, so a producer retries through an election", async () => {
    const { store } = stub(() =>
      json(
        { error: { code: "NOT_LEADER_OR_FOLLOWER", message: "moved", leader: "weur", appended: true } },
        503,
      ),
    );
    const stamp = { producerId: "p", producerEpoch: 0, baseSequence: 0 };
    const error = await store.append(tp, makeBatch(1, "v", stamp)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EdgeLogError);
    expect(error).toMatchObject({
      code: "NOT_LEADER_OR_FOLLOWER",
      retriable: true,
      context: { appended: true },
    });
  });
});

describe("HttpLogStore content types", () => {
  it("sends every POST as JSON or the batch type (the server refuses anything else), and reads 415 back", async () => {
    const { store, requests } = stub(() => new Response("unsupported", { status: 415 }));
    const writes: Promise<unknown>[] = [
      store.createTopic({ name: "t", partitions: 1, config }),
      store.createPartitions("t", 2),
      store.append(tp, makeBatch(1)),
      store.deleteRecords(tp, 1),
      store.groupHeartbeat("g", { memberId: "m", memberEpoch: 0, topics: ["t"] }),
      store.commitOffsets("g", [{ topic: "t", partition: 0, offset: 1, metadata: null }]),
      store.deleteTopic("t"),
      store.deleteGroup("g"),
    ];
    for (const write of writes) await expectEdgeLogError(write, "UNSUPPORTED_MEDIA_TYPE");
    expect(requests).toHaveLength(writes.length);
    for (const { method, url, headers, body } of requests) {
      const type = headers.get("content-type");
      if (method === "POST") {
        const expected = url.endsWith("/batches") ? "application/vnd.edgelog.batch" : "application/json";
        expect(type, url).toBe(expected);
      } else {
        // A bodiless DELETE needs no type.
        expect(body.byteLength, url).toBe(0);
      }
    }
  });
});
