/**
 * @module
 * Compacted topics over HTTP: `PATCH /v1/topics/{topic}` (changing configs after creation), keyless records
 * refused, fetches over the gaps a pass leaves (JSON, and an SSE tail resuming in a gap and open across a pass),
 * group offsets committed in a gap, lookups by time, and what `/ds` makes of a compacted topic.
 */
import { DEFAULT_TOPIC_CONFIG } from "@edgelog/core";
import { describe, expect, it } from "vitest";
import { expectError, setup } from "./helpers.ts";

describe("PATCH /v1/topics/{topic}", () => {
  it("changes the named settings, resets null ones, keeps the rest, and answers the description", async () => {
    const { json, createTopic } = setup();
    await createTopic("t", 2, { "retention.ms": 1000 });
    const res = await json("PATCH", "/v1/topics/t", {
      config: { "cleanup.policy": "compact,delete", "delete.retention.ms": "60000", "retention.ms": null },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: "t", partitions: [{ partition: 0 }, { partition: 1 }] });
    expect(res.body.config).toEqual({
      ...DEFAULT_TOPIC_CONFIG,
      "cleanup.policy": "compact,delete",
      "delete.retention.ms": 60_000,
    });
    expect((await json("GET", "/v1/topics/t")).body.config).toEqual(res.body.config);
  });

  it("refuses what Kafka refuses with 400 INVALID_CONFIG and changes nothing", async () => {
    const { json, createTopic } = setup();
    await createTopic("t");
    const before = (await json("GET", "/v1/topics/t")).body.config;
    for (const config of [
      { "segment.ms": 1 },
      { partitions: 4 },
      { "replication.factor": 3 },
      { "cleanup.policy": "never" },
      { "min.compaction.lag.ms": 10, "max.compaction.lag.ms": 5 },
      { "retention.ms": 1, constructor: 1 },
      JSON.parse('{"__proto__": {"retention.ms": 1}}'),
    ]) {
      expectError(await json("PATCH", "/v1/topics/t", { config }), 400, "INVALID_CONFIG");
    }
    expect((await json("GET", "/v1/topics/t")).body.config).toEqual(before);
  });

  it("refuses a malformed body with 400 INVALID_REQUEST and an unknown topic with 404", async () => {
    const { json, createTopic } = setup();
    await createTopic("t");
    for (const body of [{}, { config: {} }, { config: [1] }, { config: "compact" }, "{"]) {
      expectError(await json("PATCH", "/v1/topics/t", body), 400, "INVALID_REQUEST");
    }
    expectError(
      await json("PATCH", "/v1/topics/missing", { config: { "retention.ms": 1 } }),
      404,
      "UNKNOWN_TOPIC_OR_PARTITION",
    );
  });

  it("refuses to compact a topic holding a Durable Stream: its messages have no keys", async () => {
    const { json, call } = setup();
    const created = await call("PUT", "/ds/notes", "[1]", { "Content-Type": "application/json" });
    expect(created.status).toBe(201);
    expectError(
      await json("PATCH", "/v1/topics/notes", { config: { "cleanup.policy": "compact" } }),
      400,
      "INVALID_CONFIG",
    );
    // Other settings still change.
    expect((await json("PATCH", "/v1/topics/notes", { config: { "max.message.bytes": 4096 } })).status).toBe(
      200,
    );
  });
});

describe("a compacted topic over HTTP", () => {
  async function compactedTopic() {
    const harness = setup();
    const res = await harness.json("POST", "/v1/topics", {
      name: "state",
      config: { "cleanup.policy": "compact", "delete.retention.ms": 0 },
    });
    expect(res.status).toBe(201);
    expect(res.body.config["cleanup.policy"]).toBe("compact");
    return harness;
  }

  it("refuses a keyless record with 400 INVALID_RECORD and writes nothing", async () => {
    const { produce, json } = await compactedTopic();
    const refused = expectError(
      await produce("state", { records: [{ key: "a", value: 1 }, { value: 2 }] }),
      400,
      "INVALID_RECORD",
    );
    expect(refused).toMatchObject({ topic: "state", index: 1 });
    expect((await json("GET", "/v1/topics/state")).body.partitions[0].highWatermark).toBe(0);
  });

  it("refuses the whole request when one partition's share holds a keyless record: no partition is written", async () => {
    const { json, produce } = setup();
    await json("POST", "/v1/topics", { name: "two", partitions: 2, config: { "cleanup.policy": "compact" } });
    const records = [
      { key: "a", value: 1, partition: 0 },
      { value: 2, partition: 1 },
    ];
    expect(expectError(await produce("two", { records }), 400, "INVALID_RECORD")).toMatchObject({ index: 1 });
    const partitions = (await json("GET", "/v1/topics/two")).body.partitions;
    expect(partitions.map((p: { highWatermark: number }) => p.highWatermark)).toEqual([0, 0]);
  });

  it("fetches over the gaps a pass leaves: offsets stay, nextOffset moves past removed ones", async () => {
    const { produce, json, store } = await compactedTopic();
    const values = ["a", "b", "a", "a", "b", "c"].map((key, i) => ({ key, value: i }));
    expect((await produce("state", { records: values })).status).toBe(200);
    await store.compact({ topic: "state", partition: 0 });
    const all = await json("GET", "/v1/topics/state/partitions/0/records?offset=0");
    expect(all.body.records.map((r: { offset: number; key: string }) => [r.offset, r.key])).toEqual([
      [3, "a"],
      [4, "b"],
      [5, "c"],
    ]);
    expect(all.body).toMatchObject({ nextOffset: 6, highWatermark: 6, logStartOffset: 0 });
    // From a removed offset: the next survivor; with a limit, nextOffset is after the last record returned.
    const page = await json("GET", "/v1/topics/state/partitions/0/records?offset=1&limit=1");
    expect(page.body.records.map((r: { offset: number }) => r.offset)).toEqual([3]);
    expect(page.body.nextOffset).toBe(4);
  });

  it("reads as a Durable Stream with its gaps, and refuses /ds appends (they have no key)", async () => {
    const { produce, call, store } = await compactedTopic();
    await produce("state", { records: ["a", "a", "b"].map((key, i) => ({ key, value: i })) });
    await store.compact({ topic: "state", partition: 0 });
    const read = await call("GET", "/ds/state?offset=-1");
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual([1, 2]);
    expect(read.headers.get("Stream-Next-Offset")).toBe("0000000000000000_0000000000000003");
    const append = await call("POST", "/ds/state", "[3]", { "Content-Type": "application/json" });
    expect(append.status).toBe(400);
  });
});

describe("readers and groups in the gaps, over HTTP", () => {
  async function compacted() {
    const harness = setup();
    await harness.json("POST", "/v1/topics", {
      name: "state",
      config: { "cleanup.policy": "compact" },
    });
    // Offsets 0..5: a b a a b c, stamped 1000 + offset; the pass leaves a3, b4, c5.
    const records = ["a", "b", "a", "a", "b", "c"].map((key, i) => ({ key, value: i, timestamp: 1000 + i }));
    expect((await harness.produce("state", { records })).status).toBe(200);
    await harness.store.compact({ topic: "state", partition: 0 });
    return harness;
  }

  it("an SSE tail from a removed offset (or Last-Event-ID in a gap) starts at the next survivor; a pass under it repeats nothing", async () => {
    const { call, produce, store } = await compacted();
    const records = "/v1/topics/state/partitions/0/records";
    const sse = { Accept: "text/event-stream" };
    const resumed = await call("GET", `${records}?offset=0`, undefined, { ...sse, "Last-Event-ID": "1" });
    const fromGap = await call("GET", `${records}?offset=2`, undefined, sse);
    const readers = [resumed, fromGap].map((res) => {
      expect(res.status).toBe(200);
      return eventsOf(res);
    });
    for (const events of readers) {
      const first = await events.next();
      expect(first.offsets).toEqual([3, 4, 5]);
      expect(first.id).toBe("6");
    }
    // Superseded while the tails wait at the end: the pass rewrites what they read, they see only what is new.
    expect(
      (
        await produce("state", {
          records: [
            { key: "a", value: 6 },
            { key: "b", value: 7 },
          ],
        })
      ).status,
    ).toBe(200);
    for (const events of readers) expect((await events.next()).offsets).toEqual([6, 7]);
    await store.compact({ topic: "state", partition: 0 });
    expect((await produce("state", { records: [{ key: "d", value: 8 }] })).status).toBe(200);
    for (const events of readers) {
      const next = await events.next();
      expect(next.offsets).toEqual([8]);
      expect(next.id).toBe("9");
      await events.cancel();
    }
  });

  it("a group offset committed in a gap reads on from the next survivor; lag counts offsets; lookups by time land on survivors", async () => {
    const { json } = await compacted();
    expect(
      (await json("POST", "/v1/groups/g/offsets", { offsets: [{ topic: "state", partition: 0, offset: 1 }] }))
        .status,
    ).toBe(204);
    const committed = await json("GET", "/v1/groups/g/offsets?topic=state");
    expect(committed.body.offsets).toEqual([
      expect.objectContaining({ topic: "state", partition: 0, offset: 1, lag: 5 }),
    ]);
    const read = await json("GET", "/v1/topics/state/partitions/0/records?offset=1");
    expect(read.body.records.map((r: { offset: number }) => r.offset)).toEqual([3, 4, 5]);
    expect(read.body.nextOffset).toBe(6);
    // Stamped 1001 and 1002, both removed: the earliest survivor at or after either is a3.
    for (const timestamp of [1001, 1002]) {
      const found = await json("GET", `/v1/topics/state/partitions/0/offsets?timestamp=${timestamp}`);
      expect(found.body).toMatchObject({ offset: 3, found: true });
    }
  });
});

/** The `records` events of an SSE tail: each one's offsets and id. */
function eventsOf(res: Response) {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  return {
    async next(): Promise<{ offsets: number[]; id: string | undefined }> {
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split("\n");
          if (!lines.includes("event: records")) continue;
          const data = lines.find((line) => line.startsWith("data: "))?.slice(6) ?? "{}";
          const id = lines.find((line) => line.startsWith("id: "))?.slice(4);
          return { offsets: JSON.parse(data).records.map((r: { offset: number }) => r.offset), id };
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        buffer += decoder.decode(value, { stream: true });
      }
    },
    cancel: () => reader.cancel(),
  };
}
