/**
 * @module
 * The consumer-group scenario every store must survive, written once and run against the memory store (core's
 * tests) and the local Worker over HTTP (the end-to-end tests): members join a group reading a topic that a
 * producer keeps writing to, one leaves cleanly, one goes silent without leaving (its store connection is cut),
 * and the rest take over. Every record must be processed at least once; with commits on revocation and on
 * stop, none twice before the silent member's crash.
 */
import { expect } from "vitest";
import type { Consumer } from "../consumer/consumer.ts";
import { EdgeLog } from "../edge-log.ts";
import { EdgeLogError } from "../errors.ts";
import { decodeText } from "../record.ts";
import type { LogStore } from "../store.ts";

export interface ConsumerGroupScenarioOptions {
  /** A store for one participant (producer, admin, each consumer); the same store may be handed out each time. */
  readonly storeFor: (participant: string) => LogStore | Promise<LogStore>;
  readonly topic: string;
  readonly groupId: string;
  readonly partitions?: number;
  /** Session timeout the members ask for (the coordinator's minimum is 1 s). */
  readonly sessionTimeoutMs?: number;
  readonly recordsPerPhase?: number;
  readonly timeoutMs?: number;
}

/** A store whose every call fails like a lost network (retriable) once `cut` is called: a member that vanished. */
export function cuttableStore(inner: LogStore): { store: LogStore; cut(): void } {
  let cut = false;
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) =>
        cut
          ? Promise.reject(new EdgeLogError("REQUEST_TIMED_OUT", "connection cut by the test"))
          : (value as (...a: unknown[]) => unknown).apply(target, args);
    },
  });
  return { store, cut: () => (cut = true) };
}

const MAX_WAIT_MS = 200;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runConsumerGroupScenario(options: ConsumerGroupScenarioOptions): Promise<void> {
  const { topic, groupId } = options;
  const partitions = options.partitions ?? 6;
  const sessionTimeout = options.sessionTimeoutMs ?? 1_500;
  const perPhase = options.recordsPerPhase ?? 300;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const admin = new EdgeLog({ store: await options.storeFor("admin") }).admin();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
  const producer = new EdgeLog({ store: await options.storeFor("producer") }).producer({ idempotent: true });

  /** Times each record (by its value) was processed, and by whom last. */
  const processed = new Map<string, number>();
  const byMember = new Map<string, Set<string>>();
  let produced = 0;
  const produce = async (count: number) => {
    const messages = Array.from({ length: count }, () => {
      const value = `r${produced++}`;
      return { key: `k${produced % 17}`, value };
    });
    await producer.send({ topic, messages });
  };

  const members = new Map<string, { consumer: Consumer; cut: () => void }>();
  const join = async (name: string) => {
    const { store, cut } = cuttableStore(await options.storeFor(name));
    const consumer = new EdgeLog({ store }).consumer({
      groupId,
      sessionTimeout,
      maxWaitTimeInMs: MAX_WAIT_MS,
    });
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const seen = new Set<string>();
    byMember.set(name, seen);
    await consumer.run({
      autoCommitInterval: 200,
      eachMessage: async ({ message }) => {
        const value = decodeText(message.value) ?? "";
        processed.set(value, (processed.get(value) ?? 0) + 1);
        seen.add(value);
      },
    });
    members.set(name, { consumer, cut });
  };
  const allProcessed = async (what: string) => {
    const deadline = Date.now() + timeoutMs;
    while (processed.size < produced) {
      if (Date.now() > deadline)
        throw new Error(`timed out (${what}): ${processed.size} of ${produced} processed`);
      await sleep(50);
    }
  };
  /** Waits until the group is stable with `count` members, each owning something: the hand-over is done. */
  const settled = async (count: number) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [group] = (await admin.describeGroups([groupId])).groups;
      const members = group?.members ?? [];
      if (
        group?.state === "Stable" &&
        members.length === count &&
        members.every((m) => m.assignment.length > 0)
      ) {
        return;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} settled members`);
      await sleep(50);
    }
  };
  const duplicates = () => [...processed].filter(([, n]) => n > 1).map(([v]) => v);

  // Phase 1: one member, then two more join while records keep arriving.
  await join("a");
  await produce(perPhase);
  await join("b");
  await produce(perPhase);
  await join("c");
  await produce(perPhase);
  await settled(3);
  await produce(perPhase);
  await allProcessed("three members");
  for (const name of ["a", "b", "c"])
    expect(byMember.get(name)?.size, `${name} processed some`).toBeGreaterThan(0);

  // Phase 2: b leaves cleanly; its partitions move with its committed positions: nothing is processed twice.
  await members.get("b")?.consumer.stop();
  await produce(perPhase);
  await settled(2);
  await produce(perPhase);
  await allProcessed("after a clean leave");
  expect(duplicates(), "records processed twice in the normal path").toEqual([]);

  // Phase 3: c vanishes without leaving (after its long-polls in flight have returned, so it really stops
  // reading); after its session timeout a takes everything over.
  const before = byMember.get("a")?.size ?? 0;
  members.get("c")?.cut();
  await sleep(MAX_WAIT_MS * 2);
  await produce(perPhase);
  await allProcessed("after a member vanished");
  await settled(1);
  expect(byMember.get("a")?.size ?? 0).toBeGreaterThan(before);
  for (let i = 0; i < produced; i++) expect(processed.has(`r${i}`), `r${i} processed`).toBe(true);
  await members.get("a")?.consumer.stop();
  await members.get("c")?.consumer.stop();
}
