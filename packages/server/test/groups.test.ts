/**
 * @module
 * Consumer groups: joining, server-computed assignments, fencing, leaving, session expiry, commits and lag.
 */

import { DEFAULT_COORDINATOR_CONFIG } from "@edgelog/core/store-kit";
import { describe, expect, it } from "vitest";
import { expectError, NOW, setup } from "./helpers.ts";

const SESSION_TIMEOUT_MS = DEFAULT_COORDINATOR_CONFIG.sessionTimeoutMs;

function groupSetup() {
  let now = NOW;
  const harness = setup({ now: () => now });
  const beat = (group: string, body: unknown) => harness.json("POST", `/v1/groups/${group}/heartbeat`, body);
  return { ...harness, beat, advance: (ms: number) => (now += ms) };
}

type Assignment = { topic: string; partitions: number[] }[];
const partitionsOf = (assignment: Assignment) =>
  assignment.flatMap((a) => a.partitions.map((p) => `${a.topic}:${p}`));

describe("POST /v1/groups/{group}/heartbeat", () => {
  it("joins with epoch 0 and gets every partition when alone", async () => {
    const { beat, createTopic } = groupSetup();
    await createTopic("orders", 3);
    const res = await beat("g", { memberId: "m-1", memberEpoch: 0, topics: ["orders"] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      memberId: "m-1",
      memberEpoch: expect.any(Number),
      heartbeatIntervalMs: 3000,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      assignment: [{ topic: "orders", partitions: [0, 1, 2] }],
    });
    expect(res.body.memberEpoch).toBeGreaterThan(0);
  });

  it("splits partitions among members once the group settles, each exactly once and never twice", async () => {
    const { beat, json, createTopic } = groupSetup();
    await createTopic("orders", 3);
    const a = await beat("g", { memberId: "a", memberEpoch: 0, topics: ["orders"] });
    const b = await beat("g", { memberId: "b", memberEpoch: 0, topics: ["orders"] });
    expect(b.body.assignment).toEqual([]); // a still owns all three
    // a is asked to release one; its epoch stays until it has (its next heartbeat says what it owns).
    const a2 = await beat("g", {
      memberId: "a",
      memberEpoch: a.body.memberEpoch,
      ownedPartitions: a.body.assignment,
    });
    expect(a2.body.memberEpoch).toBe(a.body.memberEpoch);
    expect(partitionsOf(a2.body.assignment)).toHaveLength(2);
    expect((await json("GET", "/v1/groups/g")).body.state).toBe("Reconciling");
    const a3 = await beat("g", {
      memberId: "a",
      memberEpoch: a.body.memberEpoch,
      ownedPartitions: a2.body.assignment,
    });
    expect(a3.body.memberEpoch).toBeGreaterThan(a.body.memberEpoch);
    const b2 = await beat("g", { memberId: "b", memberEpoch: b.body.memberEpoch });
    const all = [...partitionsOf(a3.body.assignment), ...partitionsOf(b2.body.assignment)].sort();
    expect(all).toEqual(["orders:0", "orders:1", "orders:2"]);
    expect((await json("GET", "/v1/groups/g")).body.state).toBe("Stable");
    const a4 = await beat("g", { memberId: "a", memberEpoch: a3.body.memberEpoch });
    expect(a4.body.memberEpoch).toBe(a3.body.memberEpoch); // steady: no change
  });

  it("fences a stale epoch (409) and an unknown member (404)", async () => {
    const { beat, createTopic } = groupSetup();
    await createTopic("t");
    await beat("g", { memberId: "a", memberEpoch: 0, topics: ["t"] });
    expectError(await beat("g", { memberId: "a", memberEpoch: 7 }), 409, "FENCED_MEMBER_EPOCH");
    expectError(await beat("g", { memberId: "zz", memberEpoch: 1 }), 404, "UNKNOWN_MEMBER_ID");
  });

  it("leaves with -1, and a member past its session timeout is removed and its partitions move", async () => {
    const { beat, createTopic, advance } = groupSetup();
    await createTopic("t", 2);
    await beat("g", { memberId: "a", memberEpoch: 0, topics: ["t"] });
    const b = await beat("g", { memberId: "b", memberEpoch: 0, topics: ["t"] });
    expect(b.body.assignment).toEqual([]);
    advance(SESSION_TIMEOUT_MS / 2);
    const b1 = await beat("g", { memberId: "b", memberEpoch: b.body.memberEpoch });
    advance(SESSION_TIMEOUT_MS / 2 + 1); // a has been silent past its session; b has not
    const b2 = await beat("g", { memberId: "b", memberEpoch: b1.body.memberEpoch });
    expect(b2.body.assignment).toEqual([{ topic: "t", partitions: [0, 1] }]);
    const left = await beat("g", { memberId: "b", memberEpoch: -1 });
    expect(left.body).toMatchObject({ memberEpoch: -1, assignment: [] });
    expectError(
      await beat("g", { memberId: "b", memberEpoch: b2.body.memberEpoch }),
      404,
      "UNKNOWN_MEMBER_ID",
    );
  });

  it("validates the body", async () => {
    const { beat, createTopic } = groupSetup();
    await createTopic("t");
    expectError(await beat("g", { memberId: "a", memberEpoch: "0", topics: ["t"] }), 400, "INVALID_REQUEST");
    expectError(await beat("g", { memberId: "a", memberEpoch: -2 }), 400, "INVALID_REQUEST");
    expectError(await beat("g", { memberId: "a", memberEpoch: 0 }), 400, "INVALID_REQUEST");
    expectError(await beat("g", { memberId: "a", memberEpoch: 0, topics: [1] }), 400, "INVALID_REQUEST");
    expectError(await beat("g", { memberEpoch: 3 }), 400, "INVALID_REQUEST");
    expectError(
      await beat("g", { memberId: "a", memberEpoch: 0, topics: ["t"], serverAssignor: "x" }),
      400,
      "INVALID_REQUEST",
    );
    expectError(await beat("g", { memberId: "a", memberEpoch: 0, topics: ["a/b"] }), 400, "INVALID_TOPIC");
    expectError(await beat("g", "{"), 400, "INVALID_REQUEST");
    const joined = await beat("g", { memberEpoch: 0, topics: ["t"] });
    expect(typeof joined.body.memberId).toBe("string");
  });
});

describe("group offsets and description", () => {
  it("commits as a member, reads back with lag, and shows -1 for never-committed partitions", async () => {
    const { beat, json, createTopic, produce } = groupSetup();
    await createTopic("orders", 2);
    await produce("orders", { records: [1, 2, 3].map((value) => ({ value, partition: 0 })) });
    const m = await beat("g", { memberId: "m-1", memberEpoch: 0, topics: ["orders"] });
    const commit = await json("POST", "/v1/groups/g/offsets", {
      memberId: "m-1",
      memberEpoch: m.body.memberEpoch,
      offsets: [{ topic: "orders", partition: 0, offset: 2 }],
    });
    expect(commit.status).toBe(204);
    const res = await json("GET", "/v1/groups/g/offsets?topic=orders");
    expect(res.body).toEqual({
      offsets: [
        { topic: "orders", partition: 0, offset: 2, lag: 1, metadata: null },
        { topic: "orders", partition: 1, offset: -1, lag: -1, metadata: null },
      ],
    });
    const group = await json("GET", "/v1/groups/g");
    expect(group.body).toMatchObject({
      group: "g",
      state: "Stable",
      members: [
        {
          memberId: "m-1",
          memberEpoch: m.body.memberEpoch,
          assignment: [{ topic: "orders", partitions: [0, 1] }],
        },
      ],
      offsets: [{ topic: "orders", partition: 0, offset: 2, lag: 1 }],
    });
  });

  it("admin commits only for a group without members; members must match their epoch", async () => {
    const { beat, json, createTopic } = groupSetup();
    await createTopic("t");
    const commit = (body: unknown) => json("POST", "/v1/groups/g/offsets", body);
    expect((await commit({ offsets: [{ topic: "t", partition: 0, offset: 0 }] })).status).toBe(204);
    await beat("g", { memberId: "a", memberEpoch: 0, topics: ["t"] });
    expectError(await commit({ offsets: [{ topic: "t", partition: 0, offset: 0 }] }), 409, "NON_EMPTY_GROUP");
    expectError(
      await commit({ memberId: "a", memberEpoch: 99, offsets: [{ topic: "t", partition: 0, offset: 0 }] }),
      409,
      "FENCED_MEMBER_EPOCH",
    );
    expectError(
      await commit({ memberId: "a", memberEpoch: 1, offsets: [{ topic: "t", partition: 0, offset: 0 }] }),
      409,
      "STALE_MEMBER_EPOCH",
    );
    expectError(
      await commit({ memberId: "a", offsets: [{ topic: "t", partition: 0, offset: 0 }] }),
      400,
      "INVALID_REQUEST",
    );
    expectError(await json("DELETE", "/v1/groups/g"), 409, "NON_EMPTY_GROUP");
    expectError(
      await commit({ memberId: "x", memberEpoch: 1, offsets: [{ topic: "t", partition: 0, offset: 0 }] }),
      404,
      "UNKNOWN_MEMBER_ID",
    );
  });

  it("validates commits", async () => {
    const { json, createTopic } = groupSetup();
    await createTopic("t");
    const commit = (offsets: unknown) => json("POST", "/v1/groups/g/offsets", { offsets });
    expectError(await commit([]), 400, "INVALID_REQUEST");
    expectError(await commit([{ partition: 0, offset: 0 }]), 400, "INVALID_REQUEST");
    expectError(await commit([{ topic: "t", partition: 1, offset: 0 }]), 404, "UNKNOWN_TOPIC_OR_PARTITION");
    expectError(await commit([{ topic: "x", partition: 0, offset: 0 }]), 404, "UNKNOWN_TOPIC_OR_PARTITION");
    expectError(await commit([{ topic: "t", partition: 0, offset: -1 }]), 400, "INVALID_REQUEST");
  });

  it("an unknown group → 404 GROUP_ID_NOT_FOUND", async () => {
    const { json } = groupSetup();
    expectError(await json("GET", "/v1/groups/nobody"), 404, "GROUP_ID_NOT_FOUND");
    expectError(await json("DELETE", "/v1/groups/nobody"), 404, "GROUP_ID_NOT_FOUND");
  });

  it("lists groups and deletes an empty one", async () => {
    const { beat, json, createTopic } = groupSetup();
    await createTopic("t");
    const m = await beat("g1", { memberId: "a", memberEpoch: 0, topics: ["t"] });
    await json("POST", "/v1/groups/g2/offsets", { offsets: [{ topic: "t", partition: 0, offset: 0 }] });
    expect((await json("GET", "/v1/groups")).body).toEqual({ groups: [{ group: "g1" }, { group: "g2" }] });
    await beat("g1", { memberId: "a", memberEpoch: -1 });
    expect(m.status).toBe(200);
    expect((await json("GET", "/v1/groups/g1")).body).toMatchObject({ state: "Empty", members: [] });
    expect((await json("DELETE", "/v1/groups/g1")).status).toBe(204);
    expect((await json("GET", "/v1/groups")).body).toEqual({ groups: [{ group: "g2" }] });
  });

  it("accepts a subscription to a topic that does not exist yet and assigns it once it does (as Kafka)", async () => {
    const { beat, createTopic } = groupSetup();
    const m = await beat("g", { memberId: "a", memberEpoch: 0, topics: ["later"] });
    expect(m.body.assignment).toEqual([]);
    await createTopic("later", 2);
    const again = await beat("g", { memberId: "a", memberEpoch: m.body.memberEpoch });
    expect(again.body.assignment).toEqual([{ topic: "later", partitions: [0, 1] }]);
  });
});
