/**
 * @module
 * Issue 12's findings from trying to break the API, each pinned by a test over `createApp` + `MemoryStore`:
 * bounded heartbeats and waits, names that are JavaScript object properties, internal errors kept inside.
 */
import {
  DEFAULT_TOPIC_CONFIG,
  EdgeLogError,
  MemoryStore,
  type PartitionOffsets,
  type ReadOptions,
  type ReadResult,
  type TopicPartition,
} from "@edgelog/core";
import { describe, expect, it, vi } from "vitest";
import { createApp } from "../src/app.ts";
import { MAX_HEARTBEAT_BYTES } from "../src/routes/groups.ts";
import { expectError, NOW, setup } from "./helpers.ts";

/** A memory store that counts the per-partition calls a route makes. */
class CountingStore extends MemoryStore {
  offsetsCalls = 0;
  readCalls = 0;
  override async offsets(tp: TopicPartition): Promise<PartitionOffsets> {
    this.offsetsCalls++;
    return super.offsets(tp);
  }
  override async read(tp: TopicPartition, options: ReadOptions): Promise<ReadResult> {
    this.readCalls++;
    return super.read(tp, options);
  }
}

function countingSetup() {
  const store = new CountingStore({ now: () => NOW });
  const app = createApp({ auth: "none", store: () => store, now: () => NOW, random: () => 0 });
  const post = async (path: string, body: unknown) => {
    const res = await app.request(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return { store, post };
}

describe("heartbeat bounds (finding 1)", () => {
  it("refuses a subscription of more than 1,000 topics with 400 INVALID_REQUEST and stores no member", async () => {
    const { json } = setup();
    const topics = Array.from({ length: 1_001 }, (_, i) => `t-${i}`);
    const res = await json("POST", "/v1/groups/g/heartbeat", { memberId: "m", memberEpoch: 0, topics });
    expectError(res, 400, "INVALID_REQUEST");
    expectError(await json("GET", "/v1/groups/g"), 404, "GROUP_ID_NOT_FOUND");
  });

  it("refuses a heartbeat body over its byte limit with 413 before parsing it", async () => {
    const { call } = setup();
    const body = JSON.stringify({
      memberId: "m",
      memberEpoch: 0,
      topics: ["a"],
      clientId: "x".repeat(MAX_HEARTBEAT_BYTES),
    });
    const res = await call("POST", "/v1/groups/g/heartbeat", body, { "Content-Type": "application/json" });
    expect(res.status).toBe(413);
  });
});

describe("/v1/wait amplification (finding 5)", () => {
  it("looks each partition up once however often it is named, and answers it once", async () => {
    const { store, post } = countingSetup();
    expect((await post("/v1/topics", { name: "a", partitions: 2 })).status).toBe(201);
    expect((await post("/v1/topics/a/records", { records: [{ value: 1, partition: 0 }] })).status).toBe(200);
    store.offsetsCalls = 0;
    const partitions = Array.from({ length: 1_000 }, (_, i) => ({ topic: "a", partition: i % 2, offset: 0 }));
    const res = await post("/v1/wait", { partitions, wait: 0 });
    expect(res).toEqual({ status: 200, body: { ready: [{ topic: "a", partition: 0 }] } });
    expect(store.offsetsCalls).toBe(2);
  });

  it("waits on a partition named at several offsets from the lowest, with one read", async () => {
    const { store, post } = countingSetup();
    expect((await post("/v1/topics", { name: "a", partitions: 1 })).status).toBe(201);
    expect((await post("/v1/topics/a/records", { records: [{ value: 1 }, { value: 2 }] })).status).toBe(200);
    // At its end (offset 2) and behind it (offset 0): the lowest, 0, has records to read, so it is ready now.
    const res = await post("/v1/wait", {
      partitions: [2, 0, 2].map((offset) => ({ topic: "a", partition: 0, offset })),
      wait: 0,
    });
    expect(res).toEqual({ status: 200, body: { ready: [{ topic: "a", partition: 0 }] } });
    // All at the end: one parked read for the partition, not one per copy.
    store.readCalls = 0;
    const waiting = post("/v1/wait", {
      partitions: Array.from({ length: 500 }, () => ({ topic: "a", partition: 0, offset: 2 })),
      wait: 5_000,
    });
    await vi.waitFor(() => expect(store.readCalls).toBeGreaterThan(0));
    expect((await post("/v1/topics/a/records", { records: [{ value: 3 }] })).status).toBe(200);
    expect(await waiting).toEqual({ status: 200, body: { ready: [{ topic: "a", partition: 0 }] } });
    expect(store.readCalls).toBe(1);
  });

  it("still refuses more than 1,000 entries", async () => {
    const { post } = countingSetup();
    const partitions = Array.from({ length: 1_001 }, (_, i) => ({ topic: "a", partition: i, offset: 0 }));
    expect((await post("/v1/wait", { partitions })).status).toBe(400);
  });
});

describe("small ones (finding 8)", () => {
  it("answers a negative commit offset with 400 INVALID_REQUEST, not 416", async () => {
    const { json, createTopic } = setup();
    await createTopic("t");
    const res = await json("POST", "/v1/groups/g/offsets", {
      offsets: [{ topic: "t", partition: 0, offset: -1 }],
    });
    expectError(res, 400, "INVALID_REQUEST");
  });

  it("labels every JSON answer application/json; charset=utf-8", async () => {
    const { call, createTopic } = setup();
    await createTopic("t");
    const answers = [
      await call("GET", "/v1/health"),
      await call("GET", "/v1/topics"),
      await call("GET", "/v1/topics/t"),
      await call("POST", "/v1/topics/t/records", JSON.stringify({ records: [{ value: 1 }] }), {
        "Content-Type": "application/json",
      }),
      await call("GET", "/v1/topics/t/partitions/0/records?offset=0"),
      await call("GET", "/v1/topics/nope"),
    ];
    for (const res of answers)
      expect(res.headers.get("Content-Type")).toBe("application/json; charset=utf-8");
  });

  it("refuses keys, headers and text values with lone surrogates (they cannot be stored as UTF-8)", async () => {
    const { produce, createTopic } = setup();
    await createTopic("t");
    expectError(await produce("t", { records: [{ key: "a\ud800", value: 1 }] }), 400, "INVALID_RECORD");
    expectError(
      await produce("t", { records: [{ value: 1, headers: { h: "\udc00" } }] }),
      400,
      "INVALID_RECORD",
    );
    expectError(
      await produce("t", { records: [{ value: 1, headers: { "\ud83d": "v" } }] }),
      400,
      "INVALID_RECORD",
    );
    expectError(
      await produce("t", { valueFormat: "text", records: [{ value: "x\ud800y" }] }),
      400,
      "INVALID_RECORD",
    );
  });

  it("keeps what is well formed: surrogate pairs, and lone surrogates inside JSON values (escaped, they round-trip)", async () => {
    const { produce, json, createTopic } = setup();
    await createTopic("t");
    const res = await produce("t", {
      records: [{ key: "😀", value: { s: "a\ud800b" }, headers: { "😀": "😀" } }],
    });
    expect(res.status).toBe(200);
    const fetched = await json("GET", "/v1/topics/t/partitions/0/records?offset=0");
    expect(fetched.body.records[0]).toMatchObject({
      key: "😀",
      value: { s: "a\ud800b" },
      headers: { "😀": "😀" },
    });
  });
});

describe("internal errors (finding 6)", () => {
  /** A store whose topic listing fails as a storage fault would: raw, or already wrapped by an RPC layer. */
  function failingSetup(error: unknown) {
    const store = new MemoryStore({ now: () => NOW });
    store.listTopics = async () => {
      throw error;
    };
    store.read = async () => {
      throw error;
    };
    const app = createApp({ auth: "none", store: () => store, now: () => NOW, random: () => 0 });
    return { app, store };
  }

  const secret = "SQLITE_CANTOPEN: /var/lib/secret/partition.sqlite";
  const cases: [string, unknown][] = [
    ["a raw exception", new TypeError(secret)],
    [
      "an UNKNOWN_SERVER_ERROR carried back from a Durable Object",
      new EdgeLogError("UNKNOWN_SERVER_ERROR", secret),
    ],
  ];

  for (const [name, error] of cases) {
    it(`logs ${name} once with its route and answers a generic 500`, async () => {
      const { app } = failingSetup(error);
      const log = vi.spyOn(console, "error").mockImplementation(() => undefined);
      try {
        const res = await app.request("/v1/topics");
        expect(res.status).toBe(500);
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error).toEqual({ code: "UNKNOWN_SERVER_ERROR", message: "internal error" });
        expect(JSON.stringify(body)).not.toContain("SQLITE");
        expect(log).toHaveBeenCalledTimes(1);
        expect(log.mock.calls[0]?.join(" ")).toContain("GET /v1/topics");
        expect(log.mock.calls[0]).toContain(error);
      } finally {
        log.mockRestore();
      }
    });
  }

  it("sends an SSE tail's internal failure as a generic error event, logged once", async () => {
    const { app, store } = failingSetup(new EdgeLogError("UNKNOWN_SERVER_ERROR", secret));
    await store.createTopic({ name: "t", partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    const log = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const res = await app.request("/v1/topics/t/partitions/0/records?offset=0", {
        headers: { Accept: "text/event-stream" },
      });
      const text = await res.text();
      expect(text).toContain("event: error");
      expect(text).not.toContain("SQLITE");
      expect(log).toHaveBeenCalledTimes(1);
    } finally {
      log.mockRestore();
    }
  });
});

describe("names that are JavaScript object properties (finding 2)", () => {
  const PROPERTY_NAMES = ["valueOf", "toString", "constructor", "__proto__", "hasOwnProperty"];

  it("a member id that is an Object.prototype property commits only as a member, like any unknown id", async () => {
    const { json, createTopic } = setup();
    await createTopic("t");
    const joined = await json("POST", "/v1/groups/g/heartbeat", {
      memberId: "real",
      memberEpoch: 0,
      topics: ["t"],
    });
    expect(joined.status).toBe(200);
    for (const memberId of PROPERTY_NAMES) {
      for (const memberEpoch of [0, 1, joined.body.memberEpoch, 99]) {
        const res = await json("POST", "/v1/groups/g/offsets", {
          memberId,
          memberEpoch,
          offsets: [{ topic: "t", partition: 0, offset: 0 }],
        });
        expectError(res, 404, "UNKNOWN_MEMBER_ID");
      }
    }
    const described = await json("GET", "/v1/groups/g");
    expect(described.body.offsets).toEqual([]);
  });

  it("each such name joins as a member of its own and is stored", async () => {
    const { json, createTopic } = setup();
    await createTopic("t", 5);
    for (const memberId of PROPERTY_NAMES) {
      const res = await json("POST", "/v1/groups/g/heartbeat", { memberId, memberEpoch: 0, topics: ["t"] });
      expect(res.status).toBe(200);
      expect(res.body.memberId).toBe(memberId);
    }
    const described = await json("GET", "/v1/groups/g");
    expect(described.body.members.map((m: { memberId: string }) => m.memberId).sort()).toEqual(
      [...PROPERTY_NAMES].sort(),
    );
  });

  it("a member subscribed to such a topic before it exists keeps heartbeating once it is created", async () => {
    const { json } = setup();
    for (const topic of ["constructor", "__proto__", "toString"]) {
      const group = `g-${topic}`;
      const joined = await json("POST", `/v1/groups/${group}/heartbeat`, {
        memberId: "m",
        memberEpoch: 0,
        topics: [topic],
      });
      expect(joined.status).toBe(200);
      expect(joined.body.assignment).toEqual([]);
      expect((await json("POST", "/v1/topics", { name: topic, partitions: 2 })).status).toBe(201);
      const beat = await json("POST", `/v1/groups/${group}/heartbeat`, {
        memberId: "m",
        memberEpoch: joined.body.memberEpoch,
      });
      expect(beat.status).toBe(200);
      const again = await json("POST", `/v1/groups/${group}/heartbeat`, {
        memberId: "m",
        memberEpoch: beat.body.memberEpoch,
      });
      expect(again.status).toBe(200);
      expect(again.body.assignment).toEqual([{ topic, partitions: [0, 1] }]);
      const commit = await json("POST", `/v1/groups/${group}/offsets`, {
        memberId: "m",
        memberEpoch: again.body.memberEpoch,
        offsets: [{ topic, partition: 1, offset: 0 }],
      });
      expect(commit.status).toBe(204);
    }
  });

  it("a record header named __proto__ comes back in JSON fetch", async () => {
    const { produce, json, createTopic } = setup();
    await createTopic("t");
    expect(
      (
        await produce("t", {
          records: [{ value: 1, headers: JSON.parse('{"__proto__":"p","constructor":"c"}') }],
        })
      ).status,
    ).toBe(200);
    const fetched = await json("GET", "/v1/topics/t/partitions/0/records?offset=0");
    expect(Object.entries(fetched.body.records[0].headers)).toEqual([
      ["__proto__", "p"],
      ["constructor", "c"],
    ]);
  });
});

describe("partition maximum (finding 4)", () => {
  it("creates 1,000 partitions and refuses 1,001 with 400 INVALID_PARTITIONS", async () => {
    const { json } = setup();
    expectError(
      await json("POST", "/v1/topics", { name: "over", partitions: 1_001 }),
      400,
      "INVALID_PARTITIONS",
    );
    expect((await json("POST", "/v1/topics", { name: "max", partitions: 1_000 })).status).toBe(201);
    expectError(await json("POST", "/v1/topics/max/partitions", { count: 1_001 }), 400, "INVALID_PARTITIONS");
  });
});
