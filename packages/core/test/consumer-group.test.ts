// Consumers in a group over the memory store: the shared scenario (joins, a clean leave, a member that
// vanishes), starting positions from committed offsets, manual commits, and the admin's view of the group.
import { describe, expect, it } from "vitest";
import { EdgeLog, MemoryStore } from "../src/index.ts";
import { expectEdgeLogError, runConsumerGroupScenario } from "../src/testing/index.ts";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe("consumer groups over the memory store", () => {
  it("shares a topic among members, hands partitions over without duplicates, survives a vanished member", async () => {
    const store = new MemoryStore();
    await runConsumerGroupScenario({ storeFor: () => store, topic: "orders", groupId: "billing" });
  }, 60_000);

  it("resumes from the committed offset, starts per fromBeginning without one, and commits by hand", async () => {
    const log = new EdgeLog();
    const admin = log.admin();
    await admin.createTopics({ topics: [{ topic: "t", numPartitions: 1 }] });
    const producer = log.producer();
    await producer.send({ topic: "t", messages: ["a", "b", "c"].map((value) => ({ value })) });

    const seen: string[] = [];
    const first = log.consumer({ groupId: "g", sessionTimeout: 3_000 });
    await first.subscribe({ topics: ["t"], fromBeginning: true });
    await first.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        seen.push(String(message.value && new TextDecoder().decode(message.value)));
      },
    });
    await until(() => seen.length === 3, "three messages");
    await first.commitOffsets([{ topic: "t", partition: 0, offset: 2 }]);
    expect(await admin.fetchOffsets({ groupId: "g", topics: ["t"] })).toEqual([
      { topic: "t", partitions: [{ partition: 0, offset: 2, metadata: null, high: 3, lag: 1 }] },
    ]);
    const described = await admin.describeGroups(["g"]);
    expect(described.groups[0]).toMatchObject({ groupId: "g", state: "Stable" });
    await expectEdgeLogError(
      admin.setOffsets({ groupId: "g", topic: "t", partitions: [] }),
      "NON_EMPTY_GROUP",
    );
    await expectEdgeLogError(admin.deleteGroups(["g"]), "NON_EMPTY_GROUP");
    await first.stop(); // autoCommit false: the manual commit (2) stays

    const again: string[] = [];
    const second = log.consumer({ groupId: "g", sessionTimeout: 3_000 });
    await second.subscribe({ topics: ["t"] });
    await second.run({
      eachMessage: async ({ message }) => {
        again.push(new TextDecoder().decode(message.value ?? new Uint8Array()));
      },
    });
    await until(() => again.length === 1, "the uncommitted message");
    expect(again).toEqual(["c"]);
    await second.stop(); // auto-commit on stop
    expect((await admin.fetchOffsets({ groupId: "g" }))[0]?.partitions[0]).toMatchObject({
      offset: 3,
      lag: 0,
    });

    await admin.resetOffsets({ groupId: "g", topic: "t", earliest: true });
    expect((await admin.fetchOffsets({ groupId: "g" }))[0]?.partitions[0]?.offset).toBe(0);
    await admin.setOffsets({ groupId: "g", topic: "t", partitions: [{ partition: 0, offset: 1 }] });
    expect((await admin.listGroups()).groups).toEqual([{ groupId: "g", protocolType: "consumer" }]);
    expect((await admin.describeGroups(["g"])).groups[0]?.state).toBe("Empty");
    await admin.deleteGroups(["g"]);
    await expectEdgeLogError(admin.describeGroups(["g"]), "GROUP_ID_NOT_FOUND");
  });

  it("a new member without committed offsets starts at the end unless fromBeginning", async () => {
    const log = new EdgeLog();
    await log.admin().createTopics({ topics: [{ topic: "t" }] });
    await log.producer().send({ topic: "t", messages: [{ value: "old" }] });
    const seen: string[] = [];
    const consumer = log.consumer({ groupId: "late", sessionTimeout: 3_000 });
    await consumer.subscribe({ topics: ["t"] });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(new TextDecoder().decode(message.value ?? new Uint8Array()));
      },
    });
    await log.producer().send({ topic: "t", messages: [{ value: "new" }] });
    await until(() => seen.length === 1, "the new message");
    await sleep(50);
    expect(seen).toEqual(["new"]);
    await consumer.stop();
  });

  it("keeps its membership through a handler longer than the session timeout, and commits from eachBatch", async () => {
    const log = new EdgeLog();
    const admin = log.admin();
    await admin.createTopics({ topics: [{ topic: "slow" }] });
    await log.producer().send({ topic: "slow", messages: [{ value: "a" }, { value: "b" }] });
    const consumer = log.consumer({ groupId: "patient", sessionTimeout: 1_000 });
    await consumer.subscribe({ topics: ["slow"], fromBeginning: true });
    let done = false;
    await consumer.run({
      eachBatch: async ({ batch, heartbeat, resolveOffset, commitOffsetsIfNecessary }) => {
        for (let i = 0; i < 12; i++) {
          await sleep(200);
          await heartbeat();
        }
        resolveOffset(batch.lastOffset());
        await commitOffsetsIfNecessary();
        done = true;
      },
    });
    await until(() => done, "the slow batch", 10_000);
    const [group] = (await admin.describeGroups(["patient"])).groups;
    expect(group?.members).toHaveLength(1);
    expect((await admin.fetchOffsets({ groupId: "patient" }))[0]?.partitions[0]?.offset).toBe(2);
    await consumer.stop();
  });
});
