/**
 * @module
 * Share groups over HTTP (docs/http-api.md "Share groups"): the JSON records an acquisition answers, the batches
 * format, acknowledge, describe with lag, config, bad input answered with the documented codes, and a store
 * without share groups refused clearly.
 */
import { MemoryStore } from "@edgelog/core";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import { expectError, setup } from "./helpers.ts";

async function shareSetup() {
  const harness = setup();
  await harness.createTopic("jobs", 2);
  const configured = await harness.json("PATCH", "/v1/share-groups/g/config", {
    config: { "share.auto.offset.reset": "earliest" },
  });
  expect(configured.status).toBe(200);
  const fetch = (body: unknown) => harness.json("POST", "/v1/share-groups/g/fetch", body);
  return { ...harness, fetch };
}

describe("POST /v1/share-groups/{group}/fetch", () => {
  it("answers the acquired records as JSON, with where they are from and their delivery count", async () => {
    const { fetch, produce } = await shareSetup();
    await produce("jobs", {
      records: [
        { key: "k", value: { n: 1 }, headers: { h: "v" }, partition: 0, timestamp: 5 },
        { value: "plain", partition: 1, timestamp: 6 },
      ],
    });
    const res = await fetch({ sessionEpoch: 0, topics: ["jobs"], maxRecords: 10 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      sessionEpoch: 1,
      acquisitionLockTimeoutMs: 30_000,
      acknowledgeErrors: [],
    });
    // No memberId on open: the server made one up.
    expect(res.body.memberId).toMatch(/.+/);
    expect(res.body.records).toEqual([
      {
        topic: "jobs",
        partition: 0,
        offset: 0,
        key: "k",
        value: { n: 1 },
        headers: { h: "v" },
        timestamp: 5,
        deliveryCount: 1,
      },
      {
        topic: "jobs",
        partition: 1,
        offset: 0,
        key: null,
        value: "plain",
        headers: {},
        timestamp: 6,
        deliveryCount: 1,
      },
    ]);
  });

  it("answers stored batches (base64) and acquired ranges in format batches", async () => {
    const { fetch, produce } = await shareSetup();
    await produce("jobs", {
      records: [
        { value: 1, partition: 0 },
        { value: 2, partition: 0 },
      ],
    });
    const res = await fetch({
      memberId: "m",
      sessionEpoch: 0,
      topics: ["jobs"],
      maxRecords: 1,
      format: "batches",
    });
    expect(res.status).toBe(200);
    expect(res.body.partitions).toEqual([
      {
        topic: "jobs",
        partition: 0,
        acquired: [{ firstOffset: 0, lastOffset: 0, deliveryCount: 1 }],
        batches: [{ baseOffset: 0, lastOffset: 1, payload: expect.any(String) }],
      },
    ]);
  });

  it("applies acknowledgements, alone on /acknowledge, and describes the group with lag", async () => {
    const { fetch, json, produce } = await shareSetup();
    await produce("jobs", {
      records: [
        { value: 1, partition: 0 },
        { value: 2, partition: 0 },
        { value: 3, partition: 0 },
      ],
    });
    const got = await fetch({ memberId: "m", sessionEpoch: 0, topics: ["jobs"], maxRecords: 2 });
    const ack = await json("POST", "/v1/share-groups/g/acknowledge", {
      memberId: "m",
      sessionEpoch: got.body.sessionEpoch,
      acknowledgements: [
        { topic: "jobs", partition: 0, firstOffset: 0, lastOffset: 0, type: "accept" },
        { topic: "jobs", partition: 1, firstOffset: 0, lastOffset: 0, type: "accept" },
      ],
    });
    expect(ack.status).toBe(200);
    expect(ack.body).toEqual({
      memberId: "m",
      sessionEpoch: got.body.sessionEpoch + 1,
      acknowledgeErrors: [
        expect.objectContaining({ topic: "jobs", partition: 1, code: "INVALID_RECORD_STATE" }),
      ],
    });
    const described = await json("GET", "/v1/share-groups/g");
    expect(described.status).toBe(200);
    expect(described.body).toMatchObject({
      group: "g",
      state: "Stable",
      config: { "share.auto.offset.reset": "earliest" },
    });
    expect(described.body.partitions).toEqual([
      expect.objectContaining({
        topic: "jobs",
        partition: 0,
        startOffset: 1,
        endOffset: 2,
        highWatermark: 3,
        lag: 2,
        inFlight: { available: 0, acquired: 1, acknowledged: 0, archived: 0 },
      }),
    ]);
    expect((await json("GET", "/v1/share-groups")).body).toEqual({ groups: [{ group: "g" }] });
  });

  it("refuses bad requests with their codes, before anything changes", async () => {
    const { fetch, json } = await shareSetup();
    expectError(await fetch({ sessionEpoch: 3, topics: ["jobs"] }), 400, "INVALID_REQUEST");
    expectError(
      await fetch({ memberId: "m", sessionEpoch: 0, topics: ["jobs"], format: "xml" }),
      400,
      "INVALID_REQUEST",
    );
    expectError(
      await fetch({ memberId: "m", sessionEpoch: 0, topics: ["jobs"], wait: -1 }),
      400,
      "INVALID_REQUEST",
    );
    expectError(await fetch({ memberId: "m", sessionEpoch: 0, topics: "jobs" }), 400, "INVALID_REQUEST");
    expectError(
      await fetch({ memberId: "m", sessionEpoch: 0, acknowledgements: {} }),
      400,
      "INVALID_REQUEST",
    );
    expectError(
      await fetch({ memberId: "m", sessionEpoch: 4, topics: ["jobs"] }),
      404,
      "SHARE_SESSION_NOT_FOUND",
    );
    await fetch({ memberId: "m", sessionEpoch: 0, topics: ["jobs"] });
    expectError(
      await fetch({ memberId: "m", sessionEpoch: 9, topics: ["jobs"] }),
      409,
      "INVALID_SHARE_SESSION_EPOCH",
    );
    expectError(await json("POST", "/v1/share-groups/g/fetch", "{"), 400, "INVALID_REQUEST");
    expectError(
      await json("PATCH", "/v1/share-groups/g/config", { config: { "share.delivery.count.limit": 99 } }),
      400,
      "INVALID_CONFIG",
    );
    expectError(await json("PATCH", "/v1/share-groups/g/config", { config: [] }), 400, "INVALID_REQUEST");
    expectError(await json("GET", "/v1/share-groups/nope"), 404, "GROUP_ID_NOT_FOUND");
    expectError(await json("DELETE", "/v1/share-groups/g"), 409, "NON_EMPTY_GROUP");
    expectError(await json("PUT", "/v1/share-groups/g"), 405, "METHOD_NOT_ALLOWED");
    const big = { memberId: "m", sessionEpoch: 1, topics: ["jobs"], pad: "x".repeat(5 * 1024 * 1024) };
    expectError(await fetch(big), 413, "MESSAGE_TOO_LARGE");
  });

  it("answers UNSUPPORTED_VERSION over a store without share groups", async () => {
    const memory = new MemoryStore();
    const bare = new Proxy(memory, {
      get: (target, name) =>
        typeof name === "string" && /share/i.test(name) ? undefined : Reflect.get(target, name, target),
    });
    const app = createApp({ auth: "none", store: () => bare });
    const res = await app.request("/v1/share-groups/g", {}, {});
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("UNSUPPORTED_VERSION");
  });
});
