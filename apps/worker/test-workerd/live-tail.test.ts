/**
 * The WebSocket live tail through the deployed Worker entry (`SELF`, wrangler.toml's bindings): the upgrade on the
 * records path reaches the partition's object and carries pushes of what HTTP produces; everything the Worker can
 * refuse is refused with its status and JSON error before any upgrade.
 */
import { SELF } from "cloudflare:test";
import { decodeLiveRecords, parseLiveServerMessage } from "@edgelog/core/store-kit";
import { describe, expect, it } from "vitest";

const BASE = "http://edgelog.test";
let counter = 0;

async function createTopic(partitions = 1): Promise<string> {
  const name = `live-${Date.now()}-${counter++}`;
  const res = await SELF.fetch(`${BASE}/v1/topics`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, partitions }),
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

function upgrade(path: string): Promise<Response> {
  return SELF.fetch(`${BASE}${path}`, { headers: { Upgrade: "websocket" } });
}

describe("GET …/records with Upgrade: websocket, through the Worker", () => {
  it("upgrades, catches up and pushes what is produced over HTTP", async () => {
    const topic = await createTopic();
    await produce(topic, ["a", "b"]);
    const res = await upgrade(`/v1/topics/${topic}/partitions/0/records?offset=1`);
    expect(res.status).toBe(101);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const socket = res.webSocket as WebSocket;
    socket.binaryType = "arraybuffer";
    const offsets: number[] = [];
    const control: string[] = [];
    let next = 1;
    const caughtUp = (to: number) =>
      new Promise<void>((resolve) => {
        const check = () => next >= to && resolve();
        socket.addEventListener("message", check);
        check();
      });
    socket.addEventListener("message", (event) => {
      if (typeof event.data === "string") {
        control.push(parseLiveServerMessage(event.data).type);
        return;
      }
      for (const batch of decodeLiveRecords(new Uint8Array(event.data as ArrayBuffer)).batches) {
        for (let o = Math.max(batch.baseOffset, next); o <= batch.lastOffset; o++) offsets.push(o);
        next = batch.lastOffset + 1;
      }
    });
    socket.accept();
    await caughtUp(2);
    await produce(topic, ["c", "d", "e"]);
    await caughtUp(5);
    expect(offsets).toEqual([1, 2, 3, 4]);
    expect(control).toEqual(["ready"]);
    socket.close(1000);
  });

  it("refuses before the upgrade with the error's status and body", async () => {
    const topic = await createTopic();
    const cases: [string, number, string][] = [
      ["/v1/topics/nope/partitions/0/records", 404, "UNKNOWN_TOPIC_OR_PARTITION"],
      [`/v1/topics/${topic}/partitions/3/records`, 404, "UNKNOWN_TOPIC_OR_PARTITION"],
      [`/v1/topics/${topic}/partitions/x/records`, 400, "INVALID_REQUEST"],
      [`/v1/topics/${topic}/partitions/0/records?offset=soon`, 400, "INVALID_REQUEST"],
      [`/v1/topics/${topic}/partitions/0/records?offset=7`, 416, "OFFSET_OUT_OF_RANGE"],
      [`/v1/topics/${topic}/partitions/0/records?region=mars`, 400, "INVALID_REQUEST"],
    ];
    for (const [path, status, code] of cases) {
      const res = await upgrade(path);
      expect(res.status, path).toBe(status);
      expect(res.webSocket, path).toBeNull();
      expect(((await res.json()) as { error: { code: string } }).error.code, path).toBe(code);
    }
  });
});
