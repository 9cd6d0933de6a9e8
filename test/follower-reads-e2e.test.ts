/**
 * Reads near the reader end to end: the real Worker (`wrangler dev`) with `REGIONS` of three and the fault switch,
 * a topic replicated in all three. `?region=` on the JSON fetch, the binary fetch and the SSE tail reads from
 * that region's replica: the same records at the same offsets as the leader, never past the high watermark; an
 * SSE tail on a follower gets each new record without waiting for the next write; with the leader's region cut
 * off a reader naming a follower's region still reads; after an election reads by region keep working (the old
 * leader now follows); a consumer group reading near its region commits offsets that hold across the election.
 */
import { createClient } from "@edgelog/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalWorker, startLocalWorker } from "./support/local-worker.ts";

interface RecordJson {
  readonly offset: number;
  readonly value: unknown;
}

describe("reads near the reader against the local Worker", () => {
  let worker: LocalWorker;

  beforeAll(async () => {
    worker = await startLocalWorker({ vars: { REGIONS: "wnam,weur,apac", EDGELOG_FAULTS: "true" } });
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${worker.url}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { "Content-Type": "application/json" } }),
    });
    const text = await res.text();
    return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
  };
  const produce = (topic: string, values: unknown[]) =>
    call("POST", `/v1/topics/${topic}/records`, { records: values.map((value) => ({ value })) });
  const fetchRecords = (topic: string, query: string) =>
    call("GET", `/v1/topics/${topic}/partitions/0/records?${query}`);

  it("reads the leader's records from a follower by ?region= (JSON and binary), never past the high watermark", async () => {
    const created = await call("POST", "/v1/topics", {
      name: "near",
      partitions: 1,
      replicas: ["wnam", "weur", "apac"],
    });
    expect(created.status).toBe(201);
    for (let i = 0; i < 5; i++) expect((await produce("near", [i * 2, i * 2 + 1])).status).toBe(200);
    const leader = await fetchRecords("near", "offset=0");
    expect(leader.body.highWatermark).toBe(10);
    for (const region of ["weur", "apac", "wnam"]) {
      const near = await fetchRecords("near", `offset=0&region=${region}`);
      expect(near.status).toBe(200);
      // A follower learned the high watermark one commit behind at most: a prefix of the leader's log.
      expect(near.body.highWatermark).toBeGreaterThanOrEqual(8);
      expect(near.body.highWatermark).toBeLessThanOrEqual(10);
      const records = near.body.records as RecordJson[];
      expect(records.length).toBe(near.body.highWatermark);
      expect(records).toEqual((leader.body.records as RecordJson[]).slice(0, records.length));
    }
    const binary = await fetch(`${worker.url}/v1/topics/near/partitions/0/batches?offset=0&region=apac`);
    expect(binary.status).toBe(200);
    expect(Number(binary.headers.get("edgelog-high-watermark"))).toBeGreaterThanOrEqual(8);
    expect((await binary.arrayBuffer()).byteLength).toBeGreaterThan(0);
    // Not a region of this deployment: refused, whatever the route.
    for (const path of ["records?region=eeur", "batches?region=eeur", "records?region=__proto__"]) {
      const refused = await call("GET", `/v1/topics/near/partitions/0/${path}`);
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe("INVALID_REQUEST");
    }
  });

  it("tails a follower over SSE: each new record arrives without waiting for the next write", async () => {
    await call("POST", "/v1/topics", { name: "tail", partitions: 1, replicas: ["wnam", "weur", "apac"] });
    const controller = new AbortController();
    const res = await fetch(`${worker.url}/v1/topics/tail/partitions/0/records?region=weur&offset=0`, {
      headers: { Accept: "text/event-stream" },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    const nextRecords = async (): Promise<RecordJson[]> => {
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = event.split("\n").find((line) => line.startsWith("data: "));
          if (event.includes("event: records") && data !== undefined) {
            return (JSON.parse(data.slice(6)) as { records: RecordJson[] }).records;
          }
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("the tail ended");
        buffer += decoder.decode(value);
      }
    };
    try {
      for (let i = 0; i < 3; i++) {
        // One write at a time, and the tail must show it before the next: the follower is pushed the new high
        // watermark, it does not wait for a later write to learn it.
        expect((await produce("tail", [`v${i}`])).status).toBe(200);
        const records = await nextRecords();
        expect(records.map((r) => [r.offset, r.value])).toEqual([[i, `v${i}`]]);
      }
    } finally {
      controller.abort();
      await reader.cancel().catch(() => undefined);
    }
  });

  it("keeps reading from a follower while the leader's region is cut off; by region through an election", async () => {
    await call("POST", "/v1/topics", { name: "cut", partitions: 1, replicas: ["wnam", "weur", "apac"] });
    for (let i = 0; i < 3; i++) await produce("cut", [i]);
    expect((await call("PUT", "/v1/faults/regions/wnam", { unreachable: true })).status).toBe(200);
    try {
      const near = await fetchRecords("cut", "offset=0&region=weur");
      expect(near.status).toBe(200);
      expect((near.body.records as RecordJson[]).map((r) => r.value)).toEqual(
        [0, 1, 2].slice(0, near.body.highWatermark),
      );
      expect(near.body.highWatermark).toBeGreaterThanOrEqual(2);
      // The leader's region is cut off: nothing can be sent there (LEADER_NOT_AVAILABLE, retriable).
      const viaLeader = await fetchRecords("cut", "offset=0");
      expect(viaLeader.status).toBe(503);
    } finally {
      await call("PUT", "/v1/faults/regions/wnam", { unreachable: false });
    }
    const elected = await call("POST", "/v1/topics/cut/partitions/0/elect", { region: "weur" });
    expect(elected.body).toMatchObject({ leader: "weur", leaderEpoch: 1 });
    await produce("cut", [3]);
    const fromNew = await fetchRecords("cut", "offset=0&region=weur");
    const fromOld = await fetchRecords("cut", "offset=0&region=wnam");
    expect(fromNew.body.highWatermark).toBe(4);
    expect((fromNew.body.records as RecordJson[]).map((r) => r.value)).toEqual([0, 1, 2, 3]);
    expect(fromOld.status).toBe(200);
    expect(fromOld.body.records).toEqual(
      (fromNew.body.records as RecordJson[]).slice(0, fromOld.body.highWatermark),
    );
  });

  it("lets a consumer group read near its region across an election, each record once, offsets committed", async () => {
    await call("POST", "/v1/topics", { name: "group", partitions: 1, replicas: ["wnam", "weur", "apac"] });
    const log = createClient({ url: worker.url, region: "apac" });
    const seen: string[] = [];
    const consume = async (until: number) => {
      const consumer = log.consumer({ groupId: "near-readers", maxWaitTimeInMs: 1_000 });
      await consumer.subscribe({ topic: "group", fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            eachMessage: async ({ message }) => {
              seen.push(`${message.offset}:${String(message.value)}`);
              if (seen.length >= until) resolve();
            },
          })
          .catch(reject);
      });
      await consumer.stop();
    };
    const producer = log.producer();
    await producer.send({ topic: "group", messages: [0, 1, 2].map((i) => ({ value: `m${i}` })) });
    await consume(3);
    await call("POST", "/v1/topics/group/partitions/0/elect", { region: "weur" });
    await producer.send({ topic: "group", messages: [3, 4].map((i) => ({ value: `m${i}` })) });
    await consume(5);
    expect(seen).toEqual(["0:m0", "1:m1", "2:m2", "3:m3", "4:m4"]);
    const [committed] = await log.admin().fetchOffsets({ groupId: "near-readers", topics: ["group"] });
    expect(committed?.partitions[0]?.offset).toBe(5);
    await log.close();
  });
});
