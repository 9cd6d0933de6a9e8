// OutboxSync, the executing half of a sync, against a fake upstream (a MemoryStore behind a script that answers,
// loses responses, refuses or fails) and a MemoryStore as the local outbox: the plans it persists, the stamps it
// sends, and exactly-once delivery across each kind of failure.
import {
  DEFAULT_TOPIC_CONFIG,
  decodeBatch,
  decodeText,
  EdgeLogError,
  type ErrorCode,
  encodeBatch,
  type LogRecord,
  MemoryStore,
  type TopicPartition,
  toBytes,
} from "@edgelog/core";
import { expectEdgeLogError } from "@edgelog/core/testing";
import { describe, expect, it } from "vitest";
import {
  counterOf,
  loadOutboxState,
  localTp,
  OUTBOX_PREFIX,
  type OutboxStore,
  REFUSED_PREFIX,
  type SyncPlan,
} from "../src/outbox-state.ts";
import { isUnexpectedFailure, toSyncError } from "../src/sync-error.ts";
import { OutboxSync, type PlanOutcome, type SyncUpstream } from "../src/sync-runner.ts";

/**
 * What the fake upstream does with the next batch: store and answer, store and lose the answer, throw before writing
 * anything (an `Error`), or store it and then throw (`{ stored: error }`: written on a leader that then lost
 * leadership).
 */
type Act = "answer" | "lose" | Error | { readonly stored: Error };

interface Sent {
  readonly partition: number;
  readonly epoch: number;
  readonly baseSequence: number;
  readonly values: string[];
  readonly bytes: Uint8Array;
}

async function fakeUpstream(partitions: number, script: (sent: Sent) => Act = () => "answer") {
  const store = new MemoryStore();
  await store.createTopic({ name: "clicks", partitions, config: DEFAULT_TOPIC_CONFIG });
  const sent: Sent[] = [];
  const upstream: SyncUpstream = {
    async append(tp: TopicPartition, bytes: Uint8Array) {
      const { header, records } = decodeBatch(bytes);
      const one: Sent = {
        partition: tp.partition,
        epoch: header.producerEpoch,
        baseSequence: header.baseSequence,
        values: records.map((r) => decodeText(r.value) ?? ""),
        bytes,
      };
      sent.push(one);
      const act = script(one);
      if (act instanceof Error) throw act; // answered before writing anything
      const result = await store.append(tp, bytes);
      if (act === "lose") throw new EdgeLogError("REQUEST_TIMED_OUT", "response lost", { retriable: true });
      if (act !== "answer") throw act.stored;
      return result;
    },
    getTopic: (name) => store.getTopic(name),
  };
  /** Values stored upstream, per partition. */
  const stored = async (): Promise<string[][]> => {
    const out: string[][] = [];
    for (let p = 0; p < partitions; p++) {
      const { batches } = await store.read(
        { topic: "clicks", partition: p },
        { offset: 0, maxBytes: 1 << 24 },
      );
      out.push(batches.flatMap((b) => decodeBatch(b.payload).records.map((r) => decodeText(r.value) ?? "")));
    }
    return out;
  };
  return { store, upstream, sent, stored };
}

/** A local outbox holding `values` for topic clicks, all with key `key` (one upstream partition). */
async function localOutbox(values: string[], key: string | null = "a") {
  const store = new MemoryStore();
  await store.createTopic({ name: `${OUTBOX_PREFIX}clicks`, partitions: 1, config: DEFAULT_TOPIC_CONFIG });
  const append = async (more: string[]) => {
    const records: LogRecord[] = more.map((v) => ({
      key: toBytes(key),
      value: toBytes(v),
      headers: [],
      timestamp: 1,
    }));
    await store.append(localTp("clicks"), encodeBatch(records));
  };
  if (values.length > 0) await append(values);
  return { store, append };
}

function syncOf(store: OutboxStore, upstream: SyncUpstream) {
  const outcomes: PlanOutcome[] = [];
  const sync = new OutboxSync({
    store,
    upstream,
    ensureLocalTopic: async (name) => {
      if ((await store.getTopic(name)) === null)
        await store.createTopic({ name, partitions: 1, config: DEFAULT_TOPIC_CONFIG });
    },
    isClosed: () => false,
    onPlanDone: (outcome) => outcomes.push(outcome),
    random: () => 0,
  });
  return { sync, outcomes };
}

const stampsOf = (sent: Sent[]) => sent.map((s) => [s.partition, s.epoch, s.baseSequence, s.values.length]);
const refusal = (code: ErrorCode) => new EdgeLogError(code, `refused: ${code}`);

describe("OutboxSync", () => {
  it("an answering upstream: one stamped batch per partition, committed, sequences kept, local records deleted", async () => {
    const up = await fakeUpstream(3);
    const local = await localOutbox([]);
    for (const key of ["a", "b", "c", "d"]) {
      const records = [1, 2].map((n) => ({
        key: toBytes(key),
        value: toBytes(`${key}${n}`),
        headers: [],
        timestamp: 1,
      }));
      await local.store.append(localTp("clicks"), encodeBatch(records));
    }
    const { sync, outcomes } = syncOf(local.store, up.upstream);
    await sync.drain();
    const { state } = await loadOutboxState(local.store);
    expect(state.plan).toBeNull();
    expect(counterOf(state.committed, "clicks")).toBe(8);
    expect(up.sent.every((s) => s.epoch === 0 && s.baseSequence === 0)).toBe(true);
    for (const s of up.sent)
      expect(counterOf(state.sequences, `clicks/${s.partition}`)).toBe(s.values.length);
    expect((await up.stored()).flat().sort()).toEqual(["a1", "a2", "b1", "b2", "c1", "c2", "d1", "d2"]);
    expect(outcomes).toEqual([{ topic: "clicks", sent: 8, refusal: null }]);
    expect(await local.store.offsets(localTp("clicks"))).toEqual({ logStartOffset: 8, highWatermark: 8 });

    // The next plan continues each partition's sequence in the same epoch.
    await local.append(["a3"]);
    await sync.drain();
    const last = up.sent.at(-1);
    expect(last).toMatchObject({ epoch: 0, values: ["a3"] });
    const before = up.sent
      .slice(0, -1)
      .filter((s) => s.partition === last?.partition)
      .reduce((n, s) => n + s.values.length, 0);
    expect(before).toBeGreaterThanOrEqual(2); // a1, a2 (and any key sharing the partition)
    expect(last?.baseSequence).toBe(before);
  });

  it("a lost response: the plan stays persisted with its stamp, and the resend is bit-identical and deduped", async () => {
    let lose = 1;
    const up = await fakeUpstream(1, () => (lose-- > 0 ? "lose" : "answer"));
    const local = await localOutbox(["v1", "v2", "v3"]);
    const { sync, outcomes } = syncOf(local.store, up.upstream);
    await expectEdgeLogError(sync.drain(), "REQUEST_TIMED_OUT");
    const { state } = await loadOutboxState(local.store);
    expect(state.plan).toMatchObject({
      topic: "clicks",
      localFrom: 0,
      localTo: 3,
      batches: [{ partition: 0, epoch: 0, baseSequence: 0, offsets: [0, 1, 2], status: "pending" }],
    });
    expect(outcomes).toEqual([]);
    expect(await local.store.offsets(localTp("clicks"))).toEqual({ logStartOffset: 0, highWatermark: 3 });

    await sync.drain();
    expect(up.sent).toHaveLength(2);
    expect(up.sent[1]?.bytes).toEqual(up.sent[0]?.bytes);
    expect(await up.stored()).toEqual([["v1", "v2", "v3"]]);
    expect(outcomes).toEqual([{ topic: "clicks", sent: 3, refusal: null }]);
  });

  it("a leader change: every error of one leaves the plan as it is; the identical batch is stored once", async () => {
    const moved = (appended: boolean) =>
      new EdgeLogError("NOT_LEADER_OR_FOLLOWER", "leadership moved", {
        context: appended ? { appended: true } : {},
      });
    // What an upload meets while a partition's leadership moves, in turn: the region unreachable, the old leader
    // (nothing written), a fenced epoch, too few in sync, then written on the old leader before it learned, then
    // written but the in-sync set shrank; finally the new leader's answer.
    const acts: Act[] = [
      new EdgeLogError("REQUEST_TIMED_OUT", "region wnam is unreachable"),
      moved(false),
      new EdgeLogError("FENCED_LEADER_EPOCH", "older epoch"),
      new EdgeLogError("NOT_ENOUGH_REPLICAS", "1 in sync, 2 required"),
      { stored: moved(true) },
      { stored: new EdgeLogError("NOT_ENOUGH_REPLICAS_AFTER_APPEND", "the in-sync set shrank") },
    ];
    const up = await fakeUpstream(1, () => acts.shift() ?? "answer");
    const local = await localOutbox(["v1", "v2", "v3"]);
    const { sync, outcomes } = syncOf(local.store, up.upstream);
    for (const code of [
      "REQUEST_TIMED_OUT",
      "NOT_LEADER_OR_FOLLOWER",
      "FENCED_LEADER_EPOCH",
      "NOT_ENOUGH_REPLICAS",
      "NOT_LEADER_OR_FOLLOWER",
      "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
    ] as const) {
      const error = await expectEdgeLogError(sync.drain(), code);
      expect(error.retriable).toBe(true);
      expect((await loadOutboxState(local.store)).state.plan?.batches[0]?.status).toBe("pending");
    }
    await sync.drain();
    // One stamp, resent bit for bit: no epoch bump, no re-plan; the partition stored it once.
    expect(up.sent).toHaveLength(7);
    for (const s of up.sent) expect(s.bytes).toEqual(up.sent[0]?.bytes);
    expect((await loadOutboxState(local.store)).state.epoch).toBe(0);
    expect(await up.stored()).toEqual([["v1", "v2", "v3"]]);
    expect(outcomes).toEqual([{ topic: "clicks", sent: 3, refusal: null }]);
  });

  it("a refusal: the batch is split into singles, the bad record set aside, later ones renumbered", async () => {
    const up = await fakeUpstream(1, (s) =>
      s.values.includes("poison") ? refusal("INVALID_RECORD") : "answer",
    );
    const local = await localOutbox(["v1", "poison", "v2"]);
    const { sync, outcomes } = syncOf(local.store, up.upstream);
    await sync.drain();
    // [partition, epoch, baseSequence, records]: the whole batch, then v1 at 0, poison at 1 (refused), v2 at 1.
    expect(stampsOf(up.sent)).toEqual([
      [0, 0, 0, 3],
      [0, 0, 0, 1],
      [0, 0, 1, 1],
      [0, 0, 1, 1],
    ]);
    expect(await up.stored()).toEqual([["v1", "v2"]]);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]?.sent).toBe(2);
    expect(outcomes[0]?.refusal).toMatchObject({ code: "INVALID_RECORD", retriable: false });
    const { batches } = await local.store.read(
      { topic: `${REFUSED_PREFIX}clicks`, partition: 0 },
      { offset: 0 },
    );
    const [aside] = batches.flatMap((b) => decodeBatch(b.payload).records);
    const header = (key: string) => decodeText(aside?.headers.find((h) => h.key === key)?.value ?? null);
    expect(decodeText(aside?.value ?? null)).toBe("poison");
    expect([header("edgelog-error-code"), header("edgelog-local-offset")]).toEqual(["INVALID_RECORD", "1"]);
    const { state } = await loadOutboxState(local.store);
    expect(counterOf(state.sequences, "clicks/0")).toBe(2);
    expect(counterOf(state.committed, "clicks")).toBe(3);
  });

  it("a sequence error bumps the epoch once per pass and restarts sequences at 0; a second one backs off", async () => {
    let forget = 2;
    const up = await fakeUpstream(1, () => (forget-- > 0 ? refusal("UNKNOWN_PRODUCER_ID") : "answer"));
    const local = await localOutbox(["v1", "v2"]);
    const { sync } = syncOf(local.store, up.upstream);
    await expectEdgeLogError(sync.drain(), "UNKNOWN_PRODUCER_ID");
    const { state } = await loadOutboxState(local.store);
    expect(state.epoch).toBe(1);
    expect(state.plan?.batches).toMatchObject([{ epoch: 1, baseSequence: 0, status: "pending" }]);
    await sync.drain();
    expect(stampsOf(up.sent)).toEqual([
      [0, 0, 0, 2],
      [0, 1, 0, 2],
      [0, 1, 0, 2],
    ]);
    expect(await up.stored()).toEqual([["v1", "v2"]]);
  });

  it("an upstream that does not have the topic: every record is refused before sending", async () => {
    const up = await fakeUpstream(1);
    await up.store.deleteTopic("clicks");
    const local = await localOutbox(["v1", "v2"]);
    const { sync, outcomes } = syncOf(local.store, up.upstream);
    await sync.drain();
    expect(up.sent).toEqual([]);
    expect(outcomes[0]?.refusal?.code).toBe("UNKNOWN_TOPIC_OR_PARTITION");
    expect(await local.store.offsets({ topic: `${REFUSED_PREFIX}clicks`, partition: 0 })).toMatchObject({
      highWatermark: 2,
    });
  });

  it("two syncs racing on one store: compare-and-set lets one plan win, and nothing is sent twice", async () => {
    const up = await fakeUpstream(2);
    const local = await localOutbox(["v1", "v2", "v3"]);
    const a = syncOf(local.store, up.upstream).sync;
    const b = syncOf(local.store, up.upstream).sync;
    const results = await Promise.allSettled([a.drain(), b.drain()]);
    for (const r of results)
      if (r.status === "rejected") expect(r.reason).toMatchObject({ code: "CONCURRENT_TRANSACTIONS" });
    await a.drain();
    expect((await up.stored()).flat()).toEqual(["v1", "v2", "v3"]);
  });

  it("an ack the local store fails to persist is a local failure: unexpected, and the resend dedupes", async () => {
    const up = await fakeUpstream(1);
    const local = await localOutbox(["v1", "v2"]);
    let writes = 0;
    const bug = new TypeError("cannot read properties of undefined");
    const faulty = new Proxy(local.store, {
      get(target, prop) {
        if (prop === "putPrivateState")
          return (...args: Parameters<MemoryStore["putPrivateState"]>) =>
            ++writes === 2 ? Promise.reject(bug) : target.putPrivateState(...args);
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const { sync } = syncOf(faulty, up.upstream);
    // Write 1 persists the plan, write 2 (the ack) fails: it comes out as itself (the offline log classifies
    // it as local, so unexpected), never as a network failure of the upstream call.
    await expect(sync.drain()).rejects.toBe(bug);
    expect(isUnexpectedFailure(toSyncError(bug, "local"))).toBe(true);
    expect((await loadOutboxState(local.store)).state.plan?.batches).toMatchObject([{ status: "pending" }]);
    await sync.drain();
    expect(up.sent.map((s) => s.bytes)).toEqual([up.sent[0]?.bytes, up.sent[0]?.bytes]);
    expect(await up.stored()).toEqual([["v1", "v2"]]);
  });

  it("classifies failures: a network TypeError is a retriable timeout, anything else unexpected and final", async () => {
    const bug = new RangeError("a bug");
    let next: Error = new TypeError("Failed to fetch");
    const up = await fakeUpstream(1, () => next);
    const local = await localOutbox(["v1"]);
    const { sync } = syncOf(local.store, up.upstream);
    const network = await expectEdgeLogError(sync.drain(), "REQUEST_TIMED_OUT");
    expect(network.retriable).toBe(true);
    expect(isUnexpectedFailure(network)).toBe(false);
    next = bug;
    const unexpected = await expectEdgeLogError(sync.drain(), "UNKNOWN_SERVER_ERROR");
    expect(unexpected).toMatchObject({ retriable: false, cause: bug });
    expect(isUnexpectedFailure(unexpected)).toBe(true);
    // Neither touched the plan: the batch is still pending with its stamp.
    const plan = (await loadOutboxState(local.store)).state.plan as SyncPlan;
    expect(plan.batches).toMatchObject([{ status: "pending", epoch: 0, baseSequence: 0 }]);
  });
});
