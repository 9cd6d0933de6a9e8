/**
 * @module
 * Partition offsets: bounds, lookup by timestamp and DeleteRecords.
 */
import { describe, expect, it } from "vitest";
import { expectError, setup } from "./helpers.ts";

async function seeded() {
  const harness = setup();
  await harness.createTopic("t");
  await harness.produce("t", {
    records: [100, 200, 300].map((timestamp) => ({ value: timestamp, timestamp })),
  });
  return harness;
}
const offsets = "/v1/topics/t/partitions/0/offsets";
const deleteRecords = "/v1/topics/t/partitions/0/delete-records";

describe("GET …/offsets", () => {
  it("answers the bounds without a timestamp", async () => {
    const { json } = await seeded();
    const res = await json("GET", offsets);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ logStartOffset: 0, highWatermark: 3 });
  });

  it("finds the earliest offset whose timestamp is ≥ T, else the high watermark", async () => {
    const { json } = await seeded();
    expect((await json("GET", `${offsets}?timestamp=150`)).body).toEqual({ offset: 1, found: true });
    expect((await json("GET", `${offsets}?timestamp=0`)).body).toEqual({ offset: 0, found: true });
    expect((await json("GET", `${offsets}?timestamp=301`)).body).toEqual({ offset: 3, found: false });
  });

  it("rejects a bad timestamp with 400 INVALID_TIMESTAMP, unknown partitions with 404", async () => {
    const { json } = await seeded();
    expectError(await json("GET", `${offsets}?timestamp=x`), 400, "INVALID_TIMESTAMP");
    expectError(await json("GET", `${offsets}?timestamp=-5`), 400, "INVALID_TIMESTAMP");
    expectError(await json("GET", "/v1/topics/t/partitions/1/offsets"), 404, "UNKNOWN_TOPIC_OR_PARTITION");
  });
});

describe("POST …/delete-records", () => {
  it("advances the log start", async () => {
    const { json } = await seeded();
    const res = await json("POST", deleteRecords, { beforeOffset: 2 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ logStartOffset: 2, highWatermark: 3 });
  });

  it("-1 deletes up to the high watermark", async () => {
    const { json } = await seeded();
    expect((await json("POST", deleteRecords, { beforeOffset: -1 })).body).toEqual({
      logStartOffset: 3,
      highWatermark: 3,
    });
  });

  it("rejects out-of-range offsets (416) and wrong types (400)", async () => {
    const { json } = await seeded();
    expectError(await json("POST", deleteRecords, { beforeOffset: 4 }), 416, "OFFSET_OUT_OF_RANGE");
    expectError(await json("POST", deleteRecords, { beforeOffset: -2 }), 416, "OFFSET_OUT_OF_RANGE");
    expectError(await json("POST", deleteRecords, { beforeOffset: "1" }), 400, "INVALID_REQUEST");
    expectError(await json("POST", deleteRecords, {}), 400, "INVALID_REQUEST");
    expectError(await json("POST", deleteRecords, "nope"), 400, "INVALID_REQUEST");
  });
});
