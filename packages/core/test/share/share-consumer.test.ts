// `log.shareConsumer`: several consumers working one queue — every record handled and accepted once, a failing
// handler's record delivered again, explicit acknowledgements, the dead-letter topic, stop releasing what was not
// handled, and the refusal of a store without share groups.
import { afterEach, describe, expect, it } from "vitest";
import type { ShareConsumer, ShareMessagePayload } from "../../src/consumer/share-consumer.ts";
import { EdgeLog } from "../../src/edge-log.ts";
import { MemoryStore } from "../../src/memory/memory-store.ts";
import { DEAD_LETTER_HEADERS } from "../../src/share/dead-letter.ts";
import type { LogStore } from "../../src/store.ts";
import { expectEdgeLogError, readAll } from "../../src/testing/helpers.ts";

const consumers: ShareConsumer[] = [];
afterEach(async () => {
  for (const consumer of consumers.splice(0)) await consumer.stop();
});

async function setUp(config: Record<string, string | number> = {}) {
  const log = new EdgeLog();
  await log.admin().createTopics({
    topics: [
      { topic: "jobs", numPartitions: 2 },
      { topic: "jobs.dlq", numPartitions: 1 },
    ],
  });
  await log.admin().alterShareGroupConfig("workers", { "share.auto.offset.reset": "earliest", ...config });
  const start = async (eachMessage: (p: ShareMessagePayload) => Promise<void>, options = {}) => {
    const consumer = log.shareConsumer({ groupId: "workers", maxWaitTimeInMs: 100, ...options });
    consumers.push(consumer);
    await consumer.subscribe({ topics: ["jobs"] });
    await consumer.run({ eachMessage });
    return consumer;
  };
  const produce = (values: string[]) =>
    log.producer().send({ topic: "jobs", messages: values.map((value, i) => ({ key: `k${i}`, value })) });
  return { log, start, produce };
}

/** Resolves once `check` holds, polling on timers (the consumers run on them too). */
async function until(check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("ShareConsumer", () => {
  it("shares one queue among consumers: every record is handled and accepted once", async () => {
    const { log, start, produce } = await setUp();
    const handled = new Map<string, string[]>();
    const handler =
      (name: string) =>
      async ({ message }: ShareMessagePayload) => {
        handled.set(name, [...(handled.get(name) ?? []), String(message.value)]);
      };
    await start(handler("a"), { maxRecords: 5 });
    await start(handler("b"), { maxRecords: 5 });
    await start(handler("c"), { maxRecords: 5 });
    const values = Array.from({ length: 60 }, (_, i) => `v${i}`);
    await produce(values);
    await until(async () => {
      const { groups } = await log.admin().describeShareGroups(["workers"]);
      const parts = groups[0]?.partitions ?? [];
      return parts.length === 2 && parts.every((p) => p.startOffset === p.endOffset && p.endOffset > 0);
    });
    const all = [...handled.values()].flat().sort();
    expect(all).toEqual([...values].sort());
    expect([...handled.keys()].length).toBeGreaterThan(1);
  });

  it("delivers a record again when its handler throws, with a higher delivery count", async () => {
    const { start, produce } = await setUp();
    const seen: [string, number][] = [];
    await start(async ({ message, deliveryCount }) => {
      seen.push([String(message.value), deliveryCount]);
      if (deliveryCount === 1) throw new Error("not yet");
    });
    await produce(["once"]);
    await until(() => seen.length >= 2);
    expect(seen.slice(0, 2)).toEqual([
      ["once", 1],
      ["once", 2],
    ]);
  });

  it("copies a record its handler always fails to the dead-letter topic, with the handler's error", async () => {
    const { log, start, produce } = await setUp({
      "share.delivery.count.limit": 2,
      "errors.deadletterqueue.topic.name": "jobs.dlq",
    });
    await start(async () => {
      throw new Error("poison pill");
    });
    await produce(["bad"]);
    await until(
      async () => (await log.store.offsets({ topic: "jobs.dlq", partition: 0 })).highWatermark === 1,
    );
    const [copy] = await readAll(log.store, { topic: "jobs.dlq", partition: 0 });
    const error = copy?.headers.find((h) => h.key === DEAD_LETTER_HEADERS.error)?.value;
    expect(new TextDecoder().decode(error ?? new Uint8Array())).toBe("poison pill");
  });

  it("takes a handler's own acknowledgement over the default", async () => {
    const { log, start, produce } = await setUp({ "errors.deadletterqueue.topic.name": "jobs.dlq" });
    const consumer = await start(async ({ message, acknowledge }) => {
      if (String(message.value) === "reject-me") acknowledge("reject", "unparseable");
      else acknowledge("accept");
      // A second word on the same record is refused.
      expect(() => acknowledge("accept")).toThrow(/already acknowledged/);
    });
    await produce(["fine", "reject-me"]);
    await until(
      async () => (await log.store.offsets({ topic: "jobs.dlq", partition: 0 })).highWatermark === 1,
    );
    expect(await consumer.commit()).toEqual([]);
  });

  it("on stop, lets the handler in progress finish and releases what it had not handed out", async () => {
    const { log, start, produce } = await setUp();
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handled: string[] = [];
    const slow = await start(
      async ({ message }) => {
        handled.push(String(message.value));
        await gate;
      },
      { maxRecords: 10 },
    );
    await produce(Array.from({ length: 10 }, (_, i) => `v${i}`));
    await until(() => handled.length === 1);
    const stopping = slow.stop();
    release();
    await stopping;
    expect(handled).toHaveLength(1);
    // The other nine are free at once (the session closed), not after a lock runs out.
    const rest: string[] = [];
    await start(async ({ message }) => {
      rest.push(String(message.value));
    });
    await until(() => rest.length === 9);
    const { groups } = await log.admin().describeShareGroups(["workers"]);
    expect(groups[0]?.members).toHaveLength(1);
  });

  it("refuses to make a share consumer over a store without share groups", () => {
    const plain = new MemoryStore();
    const bare = new Proxy(plain, {
      get: (target, name) =>
        String(name).includes("Share") || name === "shareFetch" ? undefined : Reflect.get(target, name),
    }) as LogStore;
    const log = new EdgeLog({ store: bare });
    let code = "ok";
    try {
      log.shareConsumer({ groupId: "g" });
    } catch (error) {
      code = (error as { code?: string }).code ?? "other";
    }
    expect(code).toBe("UNSUPPORTED_VERSION");
  });

  it("refuses run before subscribe, and a bad acknowledgement type", async () => {
    const { log } = await setUp();
    const consumer = log.shareConsumer({ groupId: "workers" });
    await expectEdgeLogError(consumer.run({ eachMessage: async () => {} }), "INVALID_REQUEST");
    expect(() => consumer.acknowledge({ topic: "jobs", partition: 0, offset: 0 }, "keep" as never)).toThrow();
    await expectEdgeLogError(consumer.subscribe({ topics: ["nope"] }), "UNKNOWN_TOPIC_OR_PARTITION");
  });
});
