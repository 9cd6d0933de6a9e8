/**
 * @module
 * Issue 12's findings from trying to break the API, each pinned by a test over `createApp` + `MemoryStore`:
 * bounded heartbeats and waits, names that are JavaScript object properties, internal errors kept inside.
 */
import { describe, expect, it } from "vitest";
import { MAX_HEARTBEAT_BYTES } from "../src/routes/groups.ts";
import { expectError, setup } from "./helpers.ts";

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
