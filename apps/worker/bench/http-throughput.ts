/**
 * One repetition of the edge throughput benchmarks, driven over HTTP against the peers of peers.ts, each figure
 * recorded under a key so the orchestrator (apps/bench) can take medians and pair ratios across repetitions:
 *   - produce, JSON batches (`edge.produce.json.<bytes>.<target>`): edgelog, the bare Durable Object storing
 *     one row per request (`do-request`) and one row per record (`do-record`), the Durable Streams reference
 *     server in memory and file-backed (`ds-memory`, `ds-file`), Cloudflare Queues `sendBatch` of 100
 *     (`queues-batch`) and `send` one at a time (`queues-send`);
 *   - produce, binary batches (`edge.produce.binary.<bytes>.<target>`): edgelog's fast path vs one row per request;
 *   - catch-up read of what was produced (`edge.read.json…`, `edge.read.binary…`);
 *   - single-record requests from 1 and N concurrent clients (`edge.single.<clients>.<target>`).
 * Each target gets its own topic, object or stream per repetition, so a read reads exactly what was produced.
 */
import { encodeBatch, type LogRecord } from "../../../packages/core/src/index.ts";
import type { Peers } from "./peers.ts";

export interface Sink {
  record(key: string, value: number): void;
  progress(text: string): void;
  note(text: string): void;
}

export interface SizePlan {
  readonly valueBytes: number;
  readonly recordsPerBatch: number;
  readonly batches: number;
}

export interface ThroughputPlan {
  readonly sizes: readonly SizePlan[];
  /** Single-record requests per target from one client, and from `concurrency` clients. */
  readonly singlesSequential: number;
  readonly singlesConcurrent: number;
  readonly concurrency: number;
  /** Records per JSON fetch (edgelog `limit`, the per-record baseline's page). */
  readonly readLimit: number;
}

/** Queues refuses batches over 256 KB and messages over 128 KB: `sendBatch(100)` is compared up to this size. */
export const QUEUES_MAX_VALUE_BYTES = 1024;
/** `send()` one at a time is slow (one round trip to the queue each): compared at 100 B with fewer batches. */
const QUEUES_SEND_BATCH_FRACTION = 0.2;

const encoder = new TextEncoder();

async function ok(response: Response): Promise<Response> {
  if (!response.ok) throw new Error(`${response.url}: ${response.status} ${await response.text()}`);
  return response;
}

const post = (url: string, body: BodyInit, type: string): Promise<Response> =>
  fetch(url, { method: "POST", body, headers: { "content-type": type } }).then(ok);

/** Records per second of `run`, which returns how many records it moved. */
async function rate(run: () => Promise<number>): Promise<number> {
  const started = performance.now();
  const count = await run();
  return count / ((performance.now() - started) / 1000);
}

async function concurrently(
  total: number,
  clients: number,
  request: () => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const client = async (): Promise<void> => {
    while (next < total) {
      next++;
      await request();
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return total;
}

/** Rotates the order targets run in from one repetition to the next, so drift on a shared machine evens out. */
function rotated<T>(items: readonly T[], by: number): T[] {
  const k = by % Math.max(1, items.length);
  return [...items.slice(k), ...items.slice(0, k)];
}

interface Bodies {
  readonly json: string;
  readonly dsJson: string;
  readonly binary: ArrayBuffer;
}

function bodies(size: SizePlan): Bodies {
  const value = "x".repeat(size.valueBytes);
  const plain = Array.from({ length: size.recordsPerBatch }, (_, i) => ({ key: `user-${i % 100}`, value }));
  const records: LogRecord[] = plain.map((r) => ({
    key: encoder.encode(r.key),
    value: encoder.encode(r.value),
    headers: [],
    timestamp: Date.now(),
  }));
  return {
    json: JSON.stringify({ valueFormat: "text", records: plain }),
    dsJson: JSON.stringify(plain),
    // A plain ArrayBuffer-backed copy: what `fetch` accepts as a body in every runtime's types.
    binary: new Uint8Array(encodeBatch(records)).buffer,
  };
}

interface Target {
  readonly name: string;
  run(): Promise<number>;
}

async function measureAll(sink: Sink, prefix: string, unit: string, targets: readonly Target[], rep: number) {
  const shown: string[] = [];
  for (const target of rotated(targets, rep)) {
    const value = await rate(() => target.run());
    sink.record(`${prefix}.${target.name}`, value);
    shown.push(`${target.name} ${Math.round(value).toLocaleString("en-US")}`);
  }
  sink.progress(`${prefix}: ${shown.join(" · ")} ${unit}`);
}

async function createTopic(peers: Peers, name: string): Promise<void> {
  await post(`${peers.edgelog.url}/v1/topics`, JSON.stringify({ name, partitions: 1 }), "application/json");
}

async function createStream(url: string): Promise<void> {
  await fetch(url, { method: "PUT", headers: { "content-type": "application/json" } }).then(ok);
}

/** Reads a Durable Streams JSON stream from the start until it says it is up to date; returns the messages. */
async function readDurableStream(url: string): Promise<number> {
  let offset = "-1";
  let count = 0;
  for (;;) {
    const response = await fetch(`${url}?offset=${offset}`).then(ok);
    count += ((await response.json()) as unknown[]).length;
    offset = response.headers.get("stream-next-offset") ?? offset;
    if (response.headers.get("stream-up-to-date") === "true") return count;
  }
}

export async function throughputRepetition(peers: Peers, plan: ThroughputPlan, rep: number, sink: Sink) {
  const { edgelog, durableObject: base, queues } = peers;
  for (const size of plan.sizes) {
    const b = bodies(size);
    const total = size.batches * size.recordsPerBatch;
    const tag = `${size.valueBytes}-r${rep}`;
    const jsonTopic = `bench-json-${tag}`;
    const binaryTopic = `bench-binary-${tag}`;
    await createTopic(peers, jsonTopic);
    await createTopic(peers, binaryTopic);
    const dsMemory = `${peers.dsMemory.url}/bench/json-${tag}`;
    const dsFile = `${peers.dsFile.url}/bench/json-${tag}`;
    await createStream(dsMemory);
    await createStream(dsFile);
    const batches = async (send: () => Promise<unknown>, count = size.batches): Promise<number> => {
      for (let i = 0; i < count; i++) await send();
      return count * size.recordsPerBatch;
    };

    const produceJson: Target[] = [
      {
        name: "edgelog",
        run: () =>
          batches(() => post(`${edgelog.url}/v1/topics/${jsonTopic}/records`, b.json, "application/json")),
      },
      {
        name: "do-request",
        run: () => batches(() => post(`${base.url}/append?name=json-${tag}`, b.json, "application/json")),
      },
      {
        name: "do-record",
        run: () =>
          batches(() => post(`${base.url}/append-records?name=rec-${tag}`, b.json, "application/json")),
      },
      { name: "ds-memory", run: () => batches(() => post(dsMemory, b.dsJson, "application/json")) },
      { name: "ds-file", run: () => batches(() => post(dsFile, b.dsJson, "application/json")) },
    ];
    if (size.valueBytes <= QUEUES_MAX_VALUE_BYTES) {
      produceJson.push({
        name: "queues-batch",
        run: () => batches(() => post(`${queues.url}/send-batch`, b.json, "application/json")),
      });
    }
    if (size.valueBytes <= 100) {
      const few = Math.max(1, Math.round(size.batches * QUEUES_SEND_BATCH_FRACTION));
      produceJson.push({
        name: "queues-send",
        run: () => batches(() => post(`${queues.url}/send`, b.json, "application/json"), few),
      });
    }
    await measureAll(sink, `edge.produce.json.${size.valueBytes}`, "records/s", produceJson, rep);

    await measureAll(
      sink,
      `edge.produce.binary.${size.valueBytes}`,
      "records/s",
      [
        {
          name: "edgelog",
          run: () =>
            batches(() =>
              post(
                `${edgelog.url}/v1/topics/${binaryTopic}/partitions/0/batches`,
                b.binary,
                "application/vnd.edgelog.batch",
              ),
            ),
        },
        {
          name: "do-request",
          run: () =>
            batches(() =>
              post(`${base.url}/append?name=binary-${tag}`, b.binary, "application/octet-stream"),
            ),
        },
      ],
      rep,
    );

    const expect = (what: string, count: number, wanted: number): number => {
      if (count !== wanted) throw new Error(`${what}: read ${count} records, expected ${wanted}`);
      return count;
    };
    await measureAll(
      sink,
      `edge.read.json.${size.valueBytes}`,
      "records/s",
      [
        {
          name: "edgelog",
          run: async () => {
            let offset = 0;
            let count = 0;
            while (count < total) {
              const response = await fetch(
                `${edgelog.url}/v1/topics/${jsonTopic}/partitions/0/records?offset=${offset}&limit=${plan.readLimit}&valueFormat=text`,
              ).then(ok);
              const body = (await response.json()) as { records: unknown[]; nextOffset: number };
              if (body.records.length === 0) break;
              count += body.records.length;
              offset = body.nextOffset;
            }
            return expect("edgelog JSON", count, total);
          },
        },
        {
          name: "do-request",
          run: async () => {
            let count = 0;
            for (let id = 1; id <= size.batches; id++) {
              const response = await fetch(`${base.url}/read?name=json-${tag}&id=${id}`).then(ok);
              count += (JSON.parse(await response.text()) as { records: unknown[] }).records.length;
            }
            return expect("do-request JSON", count, total);
          },
        },
        {
          name: "do-record",
          run: async () => {
            let from = 1;
            let count = 0;
            while (count < total) {
              const response = await fetch(
                `${base.url}/read-records?name=rec-${tag}&from=${from}&limit=${plan.readLimit}`,
              ).then(ok);
              const body = (await response.json()) as { records: unknown[]; next: number };
              if (body.records.length === 0) break;
              count += body.records.length;
              from = body.next;
            }
            return expect("do-record", count, total);
          },
        },
        { name: "ds-memory", run: async () => expect("ds-memory", await readDurableStream(dsMemory), total) },
        { name: "ds-file", run: async () => expect("ds-file", await readDurableStream(dsFile), total) },
      ],
      rep,
    );

    await measureAll(
      sink,
      `edge.read.binary.${size.valueBytes}`,
      "records/s",
      [
        {
          name: "edgelog",
          run: async () => {
            let offset = 0;
            while (offset < total) {
              const response = await fetch(
                `${edgelog.url}/v1/topics/${binaryTopic}/partitions/0/batches?offset=${offset}&maxBytes=1048576`,
              ).then(ok);
              const bytes = new DataView(await response.arrayBuffer());
              if (bytes.byteLength === 0) break;
              // Frames: u64 base offset (LE, two u32), u32 length, then the encoded batch.
              for (let at = 0; at < bytes.byteLength; ) {
                const baseOffset = bytes.getUint32(at, true) + bytes.getUint32(at + 4, true) * 2 ** 32;
                const length = bytes.getUint32(at + 8, true);
                at += 12 + length;
                offset = baseOffset + size.recordsPerBatch;
              }
            }
            return expect("edgelog binary", offset, total);
          },
        },
        {
          name: "do-request",
          run: async () => {
            for (let id = 1; id <= size.batches; id++)
              await (await fetch(`${base.url}/read?name=binary-${tag}&id=${id}`).then(ok)).arrayBuffer();
            return total;
          },
        },
      ],
      rep,
    );
  }

  // Single-record requests: 100-byte values, one record per request, from 1 and from N clients.
  const value = "x".repeat(100);
  const single = JSON.stringify({ valueFormat: "text", records: [{ key: "user-1", value }] });
  const dsSingle = JSON.stringify([{ key: "user-1", value }]);
  for (const clients of [1, plan.concurrency]) {
    const total = clients === 1 ? plan.singlesSequential : plan.singlesConcurrent;
    const tag = `single-${clients}-r${rep}`;
    await createTopic(peers, `bench-${tag}`);
    const dsMemory = `${peers.dsMemory.url}/bench/${tag}`;
    const dsFile = `${peers.dsFile.url}/bench/${tag}`;
    await createStream(dsMemory);
    await createStream(dsFile);
    const each = (request: () => Promise<unknown>) => () => concurrently(total, clients, request);
    await measureAll(
      sink,
      `edge.single.${clients}`,
      "requests/s",
      [
        {
          name: "edgelog",
          run: each(() => post(`${edgelog.url}/v1/topics/bench-${tag}/records`, single, "application/json")),
        },
        {
          name: "do-request",
          run: each(() => post(`${base.url}/append?name=${tag}`, single, "application/json")),
        },
        { name: "ds-memory", run: each(() => post(dsMemory, dsSingle, "application/json")) },
        { name: "ds-file", run: each(() => post(dsFile, dsSingle, "application/json")) },
        { name: "queues-send", run: each(() => post(`${queues.url}/send`, single, "application/json")) },
      ],
      rep,
    );
  }
}
