/**
 * Clients through leader changes, end to end: the real Worker (`wrangler dev`, three regions, the development fault
 * switch on) and `@edgelog/client` producers and consumers, each with its own connection. Every scenario runs while
 * partition leadership moves away from a region that went down and back once it returns (`support/failover.ts`:
 * the trigger is one function, today the fault switch and an admin election, later the controller's own failover).
 *
 * What must hold, in Kafka's words: every record a producer got an acknowledgement for (`acks: "all"`, the
 * replicated topic's default) is in the partition exactly once, at the offset it was acknowledged with, in per-key
 * order, and live tails showed exactly that; a consumer group's committed offsets never move back, nothing is
 * skipped, a record is redelivered only if its offset was not committed yet, and every delivery is the record stored
 * at its offset; the offline outbox in real Chromium (records queued offline, a lost answer, a reload mid-sync)
 * delivers each record once in per-key order and its follower's replica equals upstream. Each scenario prints what
 * the clients were answered (the leader change as they saw it) and how long failover and failback took.
 */
import { CLIENT_RETRY, createClient, type EdgeLog, HttpLogStore } from "@edgelog/client";
import {
  EdgeLog as CoreLog,
  decodeBatch,
  decodeJson,
  isEdgeLogError,
  type RecordMetadata,
} from "@edgelog/core";
import { cuttableStore } from "@edgelog/core/testing";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { bundleApiPage, serveApiPage } from "./support/api-page.ts";
import { CHROMIUM_LAUNCH_OPTIONS } from "./support/chromium.ts";
import {
  createReplicatedTopic,
  FAILOVER_VARS,
  failBack,
  failover,
  healAllRegions,
  leadership,
} from "./support/failover.ts";
import { type LocalWorker, startLocalWorker } from "./support/local-worker.ts";

/** How long the old leader's region stays down: past `FAILOVER_LAG_MS`, so it leaves the in-sync set meanwhile. */
const DOWN_MS = 4_000;
/**
 * The clients' retry budget: createClient's default (CLIENT_RETRY, about 13–26 s of backoff) with more retries at its
 * 5 s cap. An election here takes about a second, but on a machine loaded by other tests one has taken over ten
 * (the controller's messages to the new leader timing out and the election retried): these scenarios check what is
 * delivered, not how fast.
 */
const OUTAGE_RETRY = { ...CLIENT_RETRY, retries: 20 };

/** A scenario waits on progress, not fixed times: on a loaded machine it may take minutes. */
const SCENARIO_TIMEOUT_MS = 240_000;
/** Acknowledged records a producer test waits for in each phase (before, during and after the outage). */
const PHASE_RECORDS = 30;

let worker: LocalWorker;
const logs: EdgeLog[] = [];

beforeAll(async () => {
  worker = await startLocalWorker({ vars: FAILOVER_VARS });
});

afterEach(async () => {
  await healAllRegions(worker.url);
});

afterAll(async () => {
  for (const log of logs) await log.close().catch(() => undefined);
  await worker?.stop();
});

/** The longest any client request took (a long-poll's wait included), for the scenarios' reports. */
let slowestMs = 0;

/**
 * What a client's requests were answered: `200`, or an error's status and code (the leader change as the client
 * sees it), with `appended` when the server said the batch was written on the old leader.
 */
function countingFetch(answers: Map<string, number>): typeof fetch {
  return async (input, init) => {
    const started = Date.now();
    const response = await fetch(input, init);
    slowestMs = Math.max(slowestMs, Date.now() - started);
    let answer = String(response.status);
    if (!response.ok) {
      const body = (await response
        .clone()
        .json()
        .catch(() => ({}))) as { error?: { code?: string; appended?: boolean } };
      answer += ` ${body.error?.code}${body.error?.appended === true ? " appended" : ""}`;
    }
    answers.set(answer, (answers.get(answer) ?? 0) + 1);
    return response;
  };
}

function client(answers: Map<string, number>): EdgeLog {
  const log = createClient({ url: worker.url, fetch: countingFetch(answers) });
  logs.push(log);
  return log;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A record as the test reads it back: its place and what it says. */
interface Stored {
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
  readonly value: { producer: number; n: number };
}

/** Every record of `topic` from the leader (the high watermark is what every in-sync replica holds). */
async function readTopic(topic: string): Promise<Stored[]> {
  const store = new HttpLogStore({ url: worker.url });
  const out: Stored[] = [];
  try {
    for (const { partition, highWatermark } of await leadership(worker.url, topic)) {
      for (let offset = 0; offset < highWatermark; ) {
        const { batches } = await store.read({ topic, partition }, { offset, maxBytes: 1024 * 1024 });
        for (const batch of batches) {
          decodeBatch(batch.payload).records.forEach((record, i) => {
            const at = batch.baseOffset + i;
            if (at < offset) return;
            out.push({
              partition,
              offset: at,
              key: new TextDecoder().decode(record.key ?? new Uint8Array()),
              value: decodeJson(record.value) as Stored["value"],
            });
          });
          offset = batch.lastOffset + 1;
        }
      }
    }
  } finally {
    await store.close();
  }
  return out;
}

describe("producers through a failover and back", () => {
  it(
    "lands every acknowledged record exactly once at its acknowledged offset, in per-key order",
    async () => {
      const topic = "failover-produce";
      await createReplicatedTopic(worker.url, topic, 2);
      // SSE live tails of both partitions, from the start, reconnecting through it all: what a reader was shown.
      const tails = new HttpLogStore({ url: worker.url });
      const stopTails = new AbortController();
      const tailed: Stored[] = [];
      const tailing = [0, 1].map(async (partition) => {
        const records = tails.tail(
          { topic, partition },
          {
            offset: "earliest",
            signal: stopTails.signal,
            retry: { initialRetryTime: 50, maxRetryTime: 500 },
          },
        );
        for await (const batch of records)
          for (const record of batch)
            tailed.push({
              partition,
              offset: record.offset,
              key: new TextDecoder().decode(record.key ?? new Uint8Array()),
              value: decodeJson(record.value) as Stored["value"],
            });
      });
      const answers = new Map<string, number>();
      slowestMs = 0;
      const PRODUCERS = 3;
      const KEYS = 4;
      const acked = new Map<string, RecordMetadata & { key: string }>();
      const failed: unknown[] = [];
      let running = true;
      const producing = Array.from({ length: PRODUCERS }, async (_, producer) => {
        const send = client(answers).producer({ retry: OUTAGE_RETRY });
        for (let n = 0; running; n++) {
          const key = `p${producer}-k${n % KEYS}`;
          try {
            const [meta] = await send.send({
              topic,
              messages: [{ key, value: JSON.stringify({ producer, n }) }],
            });
            acked.set(`${producer}/${n}`, { ...(meta as RecordMetadata), key });
          } catch (error) {
            failed.push(error);
          }
        }
      });
      // Each phase lasts until the producers got PHASE_RECORDS more acknowledgements (and the outage DOWN_MS).
      await waitUntil(() => acked.size >= PHASE_RECORDS, 30_000, "acknowledgements before the failover");
      const before = acked.size;
      const moved = await failover(worker.url, topic);
      await sleep(DOWN_MS);
      await waitUntil(
        () => acked.size >= before + PHASE_RECORDS,
        30_000,
        "acknowledgements with a region down",
      );
      const during = acked.size;
      const backMs = await failBack(worker.url, topic, moved);
      await waitUntil(
        () => acked.size >= during + PHASE_RECORDS,
        30_000,
        "acknowledgements after failing back",
      );
      running = false;
      await Promise.all(producing);

      expect(failed.map((e) => (isEdgeLogError(e) ? `${e.code}: ${e.message}` : String(e)))).toEqual([]);
      expect(before).toBeGreaterThan(0);
      expect(during).toBeGreaterThan(before); // produces went on with the old leader's region down
      expect(acked.size).toBeGreaterThan(during);

      const stored = await readTopic(topic);
      const at = new Map(stored.map((s) => [`${s.partition}/${s.offset}`, s]));
      for (const [id, meta] of acked) {
        const record = at.get(`${meta.partition}/${meta.baseOffset}`);
        expect(record && `${record.value.producer}/${record.value.n}`, `acknowledged ${id}`).toBe(id);
      }
      // Nothing but acknowledged records (every send was acknowledged), and each once.
      expect(stored).toHaveLength(acked.size);
      const lastN = new Map<string, number>();
      for (const record of stored) {
        const previous = lastN.get(record.key) ?? -1;
        expect(record.value.n, `order of ${record.key}`).toBeGreaterThan(previous);
        lastN.set(record.key, record.value.n);
      }
      // The tails showed each partition's records once, in offset order, exactly as stored.
      await waitUntil(() => tailed.length >= stored.length, 20_000, "the tails to catch up");
      stopTails.abort();
      await Promise.all(tailing);
      await tails.close();
      const byPartition = (records: Stored[], partition: number) =>
        records.filter((r) => r.partition === partition);
      for (const partition of [0, 1])
        expect(byPartition(tailed, partition)).toEqual(byPartition(stored, partition));
      const final = await leadership(worker.url, topic);
      for (const partition of final) {
        expect(partition.leader).toBe(moved.down);
        expect(partition.leaderEpoch).toBe(2);
      }
      console.log(
        `producers through a failover: ${acked.size} records acknowledged (${before} before, ${during - before} ` +
          `with ${moved.down} down), failover ${moved.tookMs} ms, failback ${backMs} ms, answers ` +
          `${JSON.stringify(Object.fromEntries(answers))}, slowest request ${slowestMs} ms`,
      );
    },
    SCENARIO_TIMEOUT_MS,
  );
});

describe("a consumer group through a failover and back", () => {
  it(
    "never moves a committed offset back, skips nothing, and redelivers only uncommitted records",
    async () => {
      const topic = "failover-group";
      const groupId = "failover-billing";
      const PARTITIONS = 4;
      await createReplicatedTopic(worker.url, topic, PARTITIONS);
      const answers = new Map<string, number>();
      const producer = client(answers).producer({ retry: OUTAGE_RETRY });
      let producing = true;
      let produced = 0;
      const writer = (async () => {
        for (let n = 0; producing; n++) {
          const messages = Array.from({ length: 5 }, (_, i) => ({
            key: `k${(5 * n + i) % 16}`,
            value: JSON.stringify({ producer: 0, n: 5 * n + i }),
          }));
          await producer.send({ topic, messages });
          produced += messages.length;
        }
      })();

      // The committed offsets as the coordinator answers them, watched all along: none may ever move back.
      const committed = new Map<number, number>();
      const movedBack: string[] = [];
      let watching = true;
      const watcher = (async () => {
        while (watching) {
          const response = await fetch(`${worker.url}/v1/groups/${groupId}/offsets?topic=${topic}`);
          if (response.ok) {
            const { offsets } = (await response.json()) as {
              offsets: { partition: number; offset: number }[];
            };
            for (const { partition, offset } of offsets) {
              const before = committed.get(partition) ?? -1;
              if (offset < before) movedBack.push(`${partition}: ${before} → ${offset}`);
              committed.set(partition, Math.max(before, offset));
            }
          }
          await sleep(50);
        }
      })();

      /** Every delivery: who, where, and the committed offset the watcher knew then. */
      const deliveries: {
        member: string;
        partition: number;
        offset: number;
        n: number;
        committedThen: number;
      }[] = [];
      const crashes: unknown[] = [];
      const member = (name: string, store: ReturnType<typeof cuttableStore>["store"]) => {
        const consumer = new CoreLog({ store }).consumer({
          groupId,
          sessionTimeout: 3_000,
          maxWaitTimeInMs: 500,
          retry: OUTAGE_RETRY,
        });
        consumer.on("consumer.crash", (event) => crashes.push({ name, event }));
        return consumer;
      };
      // a waits on all its partitions in one shared long-poll (`POST /v1/wait`), b with one long-poll each.
      const a = member(
        "a",
        new HttpLogStore({ url: worker.url, fetch: countingFetch(answers), live: "shared" }),
      );
      const bConnection = cuttableStore(new HttpLogStore({ url: worker.url, fetch: countingFetch(answers) }));
      const b = member("b", bConnection.store);
      for (const [name, consumer] of [
        ["a", a],
        ["b", b],
      ] as const) {
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          autoCommitInterval: 100,
          eachMessage: async ({ partition, message }) => {
            deliveries.push({
              member: name,
              partition,
              offset: message.offset,
              n: (decodeJson(message.value) as Stored["value"]).n,
              committedThen: committed.get(partition) ?? 0,
            });
          },
        });
      }
      await waitUntil(
        () => new Set(deliveries.map((d) => d.member)).size === 2,
        20_000,
        "both members consuming",
      );
      const moved = await failover(worker.url, topic);
      await sleep(DOWN_MS / 2);
      // b vanishes mid-outage (no leave, no last commit): after its session a takes its partitions over from
      // their committed offsets, redelivering what b processed and had not committed yet.
      bConnection.cut();
      await sleep(DOWN_MS / 2);
      const backMs = await failBack(worker.url, topic, moved);
      await sleep(1_000);
      producing = false;
      await writer;

      const ends = new Map((await leadership(worker.url, topic)).map((p) => [p.partition, p.highWatermark]));
      expect([...ends.values()].reduce((sum, hw) => sum + hw, 0)).toBe(produced);
      await waitUntil(
        () => [...ends].every(([partition, end]) => committed.get(partition) === end),
        60_000,
        "a to commit every partition's end",
      );
      watching = false;
      await watcher;
      await a.stop();
      await b.stop().catch(() => undefined);

      expect(movedBack).toEqual([]);
      expect(crashes.filter((c) => (c as { name: string }).name === "a")).toEqual([]);
      const seen = new Map<string, number>();
      for (const d of deliveries) {
        const id = `${d.partition}/${d.offset}`;
        const times = (seen.get(id) ?? 0) + 1;
        seen.set(id, times);
        // A redelivery is of a record whose offset was not committed when it came again.
        if (times > 1) expect(d.offset, `redelivered ${id}`).toBeGreaterThanOrEqual(d.committedThen);
      }
      for (const [partition, end] of ends)
        for (let offset = 0; offset < end; offset++)
          expect(seen.has(`${partition}/${offset}`), `delivered ${partition}/${offset}`).toBe(true);
      // No offset ever held two different records for a reader: every delivery is what the partition holds there.
      const stored = new Map((await readTopic(topic)).map((r) => [`${r.partition}/${r.offset}`, r.value.n]));
      for (const d of deliveries)
        expect(d.n, `delivered ${d.partition}/${d.offset}`).toBe(stored.get(`${d.partition}/${d.offset}`));
      const redelivered = [...seen.values()].filter((times) => times > 1).length;
      console.log(
        `consumer group through a failover: ${produced} records, ${deliveries.length} deliveries ` +
          `(${redelivered} redelivered after b vanished), failover ${moved.tookMs} ms, failback ${backMs} ms, ` +
          `answers ${JSON.stringify(Object.fromEntries(answers))}`,
      );
    },
    SCENARIO_TIMEOUT_MS,
  );
});

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe("the offline outbox in Chromium through a failover and back", () => {
  let browser: Browser;
  let bundle: string;

  beforeAll(async () => {
    [bundle, browser] = await Promise.all([bundleApiPage(), chromium.launch(CHROMIUM_LAUNCH_OPTIONS)]);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it(
    "syncs records queued offline exactly once, in per-key order, while leadership moves; the follower keeps up",
    async () => {
      const topic = "failover-outbox";
      await createReplicatedTopic(worker.url, topic, 2);
      const context = await browser.newContext();
      await serveApiPage(context, worker.url, bundle);
      const answers = new Map<string, number>();
      context.on("response", (response) => {
        if (!response.url().includes(`/v1/topics/${topic}/`) || response.request().method() !== "POST")
          return;
        // A refusal with how long it took; an acknowledgement, and whether it was of a batch already stored.
        const took = response.ok()
          ? ""
          : ` after ${Math.round(response.request().timing().responseStart)} ms`;
        void response
          .json()
          .catch(() => ({}))
          .then((body: { duplicate?: boolean }) => {
            const answer = `${response.status()}${took}${body.duplicate === true ? " duplicate" : ""}`;
            answers.set(answer, (answers.get(answer) ?? 0) + 1);
          });
      });
      const page = await context.newPage();
      await page.goto(`${worker.url}/__test/index.html`);
      await openOutbox(page, topic, {});

      // Queued offline: nothing reaches the server.
      await context.setOffline(true);
      expect(await appendInPage(page, topic, OFFLINE_RECORDS)).toBe(OFFLINE_RECORDS);
      expect(await pendingIn(page)).toBe(OFFLINE_RECORDS);

      // Back online. The first upload is stored (and replicated), but its answer is held while the region that led
      // goes down and leadership moves, then lost: the outbox must resend the identical batch to the new leader,
      // which knows it from the replicated producer state and answers `duplicate`.
      let uploadStored: () => void = () => undefined;
      const firstStored = new Promise<void>((resolve) => {
        uploadStored = resolve;
      });
      let movedAway: () => void = () => undefined;
      const leadershipMoved = new Promise<void>((resolve) => {
        movedAway = resolve;
      });
      let held = 0;
      await context.route(`${worker.url}/v1/topics/${topic}/partitions/*/batches`, async (route) => {
        if (route.request().method() !== "POST" || held > 0) return route.continue();
        held++;
        const answer = await route.fetch();
        expect(answer.status()).toBe(200);
        uploadStored();
        await leadershipMoved;
        await route.abort("connectionreset");
      });
      let writer = writeInPage(page, topic); // appends go on all along, each starting a sync pass
      await context.setOffline(false);
      await firstStored;
      const moved = await failover(worker.url, topic);
      movedAway();
      await sleep(DOWN_MS / 2);
      // The page reloads with the region still down, mid-sync: the new page resends the persisted plan's batches.
      let appended = OFFLINE_RECORDS + (await stopWriting(page, writer));
      const next = await page.evaluate(() => (globalThis as unknown as { state: OutboxPage }).state.next);
      const pendingAtReload = await pendingIn(page);
      await page.reload();
      await openOutbox(page, topic, next);
      writer = writeInPage(page, topic);
      await sleep(DOWN_MS / 2);
      const backMs = await failBack(worker.url, topic, moved);
      await sleep(1_000);
      appended += await stopWriting(page, writer);
      await waitUntilAsync(async () => (await pendingIn(page)) === 0, 60_000, "the outbox to drain");

      // Upstream: every record once, and each key's records in the order they were appended.
      const stored = await readTopic(topic);
      expect(stored).toHaveLength(appended);
      const byKey = new Map<string, number[]>();
      for (const record of stored) byKey.set(record.key, [...(byKey.get(record.key) ?? []), record.value.n]);
      for (const [key, ns] of byKey)
        expect(ns, `order of ${key}`).toEqual(Array.from({ length: ns.length }, (_, i) => i));

      // The follower read the upstream through it all and holds it exactly: same offsets, same records.
      const partitions = await leadership(worker.url, topic);
      await waitUntilAsync(
        async () => {
          const counts = await Promise.all(partitions.map((p) => replicaIn(page, topic, p.partition)));
          return counts.every((records, i) => records.length === partitions[i]?.highWatermark);
        },
        30_000,
        "the follower to catch up",
      );
      for (const { partition } of partitions) {
        const replica = await replicaIn(page, topic, partition);
        const upstream = stored.filter((s) => s.partition === partition);
        expect(replica).toEqual(upstream.map((s) => ({ offset: s.offset, key: s.key, n: s.value.n })));
      }
      const following = await page.evaluate(async () => {
        const state = (globalThis as unknown as { state: OutboxPage }).state;
        state.follow.abort();
        return state.following;
      });
      expect(following).toBeNull();
      expect(held).toBe(1);
      // The upload whose answer was lost was stored: its resend (to the new leader) was answered as a duplicate.
      expect(answers.get("200 duplicate")).toBeGreaterThanOrEqual(1);
      const codes = await page.evaluate(() => (globalThis as unknown as { state: OutboxPage }).state.codes);
      console.log(
        `outbox through a failover: ${appended} records (${OFFLINE_RECORDS} queued offline, ${pendingAtReload} ` +
          `pending at the reload), failover ${moved.tookMs} ms, failback ${backMs} ms, uploads answered ` +
          `${JSON.stringify(Object.fromEntries(answers))}, sync errors seen ${JSON.stringify(codes)}`,
      );
      await page.evaluate(() => (globalThis as unknown as { state: OutboxPage }).state.log.close());
      await context.close();
    },
    SCENARIO_TIMEOUT_MS,
  );
});

/** Records queued while offline, on `OUTBOX_KEYS` keys. */
const OFFLINE_RECORDS = 2_000;
const OUTBOX_KEYS = 8;

/** The page's side of the outbox test. */
interface OutboxPage {
  log: {
    append(topic: string, record: { key: string; value: unknown }): Promise<void>;
    pending(): number;
    readReplica(
      topic: string,
      partition: number,
      fromOffset?: number,
      limit?: number,
    ): Promise<{ offset: number; key: Uint8Array | null; value: Uint8Array | null }[]>;
    follow(topic: string, options: { signal: AbortSignal; maxWaitMs: number }): Promise<void>;
    onSync(callback: (event: { lastError: { code: string } | null }) => void): () => void;
    close(): Promise<void>;
  };
  /** The next sequence number of each key. */
  next: Record<string, number>;
  follow: AbortController;
  following: Promise<string | null> | null;
  writing: boolean;
  codes: string[];
}

/** Opens the offline log in the page (again, after a reload), following `topic`; `next` continues each key's count. */
async function openOutbox(page: Page, topic: string, next: Record<string, number>): Promise<void> {
  await page.evaluate(
    async ({ topic, next }) => {
      const scope = globalThis as unknown as {
        edgelog: { openOfflineLog(options: unknown): Promise<OutboxPage["log"]> };
        state: OutboxPage;
      };
      const log = await scope.edgelog.openOfflineLog({
        name: "failover",
        upstream: { url: location.origin },
        // A leader change is over in seconds: retry soon, not after the default minute-long backoff.
        retry: { initialMs: 100, maxMs: 1_000 },
      });
      const follow = new AbortController();
      const state: OutboxPage = { log, next, follow, following: null, writing: false, codes: [] };
      log.onSync((event) => {
        if (event.lastError !== null) state.codes.push(event.lastError.code);
      });
      state.following = log.follow(topic, { signal: follow.signal, maxWaitMs: 1_000 }).then(
        () => null,
        (error: { code?: string }) => error.code ?? String(error),
      );
      scope.state = state;
    },
    { topic, next },
  );
}

/** Ends `writeInPage`; resolves with how many records it appended. */
async function stopWriting(page: Page, writer: Promise<number>): Promise<number> {
  await page.evaluate(() => {
    (globalThis as unknown as { state: OutboxPage }).state.writing = false;
  });
  return writer;
}

/** Appends `count` records in the page, round-robin over the keys, each `{ producer, n }` with n its key's sequence. */
function appendInPage(page: Page, topic: string, count: number): Promise<number> {
  return page.evaluate(
    async ({ topic, count, keys }) => {
      const state = (globalThis as unknown as { state: OutboxPage }).state;
      for (let i = 0; i < count; i++) {
        const producer = i % keys;
        const n = state.next[`k${producer}`] ?? 0;
        state.next[`k${producer}`] = n + 1;
        await state.log.append(topic, { key: `k${producer}`, value: { producer, n } });
      }
      return count;
    },
    { topic, count, keys: OUTBOX_KEYS },
  );
}

/** Appends in the page every 10 ms until `state.writing` is cleared; resolves with how many. */
function writeInPage(page: Page, topic: string): Promise<number> {
  return page.evaluate(
    async ({ topic, keys }) => {
      const state = (globalThis as unknown as { state: OutboxPage }).state;
      state.writing = true;
      let count = 0;
      while (state.writing) {
        const producer = count % keys;
        const n = state.next[`k${producer}`] ?? 0;
        state.next[`k${producer}`] = n + 1;
        await state.log.append(topic, { key: `k${producer}`, value: { producer, n } });
        count++;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return count;
    },
    { topic, keys: OUTBOX_KEYS },
  );
}

const pendingIn = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { state: OutboxPage }).state.log.pending());

/** The follower's local replica of a partition, as offset, key and sequence. */
function replicaIn(page: Page, topic: string, partition: number) {
  return page.evaluate(
    async ({ topic, partition }) => {
      const state = (globalThis as unknown as { state: OutboxPage }).state;
      const records = await state.log.readReplica(topic, partition, 0, 100_000);
      const text = new TextDecoder();
      return records.map((r) => ({
        offset: r.offset,
        key: text.decode(r.key ?? new Uint8Array()),
        n: (JSON.parse(text.decode(r.value ?? new Uint8Array())) as { n: number }).n,
      }));
    },
    { topic, partition },
  );
}

async function waitUntilAsync(
  condition: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
