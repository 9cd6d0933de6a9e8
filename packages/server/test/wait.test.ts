/**
 * @module
 * `POST /v1/wait`: one long-poll for many partitions — ready at once when any has records (or an error to show),
 * woken by the first append, empty when the wait runs out, and strict about its body.
 */
import { describe, expect, it } from "vitest";
import { expectError, setup } from "./helpers.ts";

describe("POST /v1/wait", () => {
  it("answers at once with the partitions that have records past the offset", async () => {
    const { json, createTopic, produce } = setup();
    await createTopic("a", 2);
    await produce("a", { records: [{ value: 1, partition: 1 }] });
    const res = await json("POST", "/v1/wait", {
      partitions: [
        { topic: "a", partition: 0, offset: 0 },
        { topic: "a", partition: 1, offset: 0 },
      ],
      wait: 5_000,
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ready: [{ topic: "a", partition: 1 }] });
  });

  it("waits for the first append to any of them, and ends empty when the wait runs out", async () => {
    const { json, createTopic, produce } = setup();
    await createTopic("a", 3);
    const partitions = [0, 1, 2].map((partition) => ({ topic: "a", partition, offset: 0 }));
    const started = Date.now();
    const waiting = json("POST", "/v1/wait", { partitions, wait: 10_000 });
    await new Promise((r) => setTimeout(r, 30));
    await produce("a", { records: [{ value: "x", partition: 2 }] });
    const res = await waiting;
    expect(res.body).toEqual({ ready: [{ topic: "a", partition: 2 }] });
    expect(Date.now() - started).toBeLessThan(5_000);
    const empty = await json("POST", "/v1/wait", { partitions: partitions.slice(0, 2), wait: 30 });
    expect(empty.body).toEqual({ ready: [] });
  });

  it("counts an unknown topic or an offset out of range as ready, so the client's read shows the error", async () => {
    const { json, createTopic } = setup();
    await createTopic("a");
    const res = await json("POST", "/v1/wait", {
      partitions: [
        { topic: "gone", partition: 0, offset: 0 },
        { topic: "a", partition: 0, offset: 5 },
        { topic: "a", partition: 0, offset: 0 },
      ],
      wait: 1_000,
    });
    expect(res.body).toEqual({
      ready: [
        { topic: "gone", partition: 0 },
        { topic: "a", partition: 0 },
      ],
    });
  });

  it("validates the body", async () => {
    const { json } = setup();
    expectError(await json("POST", "/v1/wait", { partitions: [] }), 400, "INVALID_REQUEST");
    expectError(
      await json("POST", "/v1/wait", { partitions: [{ topic: "a", partition: 0 }] }),
      400,
      "INVALID_REQUEST",
    );
    expectError(
      await json("POST", "/v1/wait", { partitions: [{ topic: "a", partition: 0, offset: 0 }], wait: -1 }),
      400,
      "INVALID_REQUEST",
    );
    expectError(await json("GET", "/v1/wait"), 405, "METHOD_NOT_ALLOWED");
  });
});
