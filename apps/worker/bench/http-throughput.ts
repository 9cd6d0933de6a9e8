/**
 * Throughput of edgelog through the local Worker (`wrangler dev`, the same runtime as `npm start`) against a bare
 * Worker + SQLite Durable Object that stores the same request bodies as single rows (baseline/worker.ts), both
 * started and measured in the same run, so the result reads as ratios:
 *   - produce: JSON batches of 1,000 records of 100 bytes, and the binary fast path (one encoded batch per POST);
 *   - catch-up read of everything produced, JSON and binary;
 *   - single-record produce requests from 32 concurrent clients.
 * Run: `node apps/worker/bench/http-throughput.ts [--batches N] [--singles N]` (Node ≥ 22.18).
 */
import { encodeBatch, type LogRecord } from "../../../packages/core/src/index.ts";
import { startLocalWorker } from "../../../test/support/local-worker.ts";

const args = new Map<string, string>();
for (let i = 2; i + 1 < process.argv.length; i += 2)
  args.set(process.argv[i] ?? "", process.argv[i + 1] ?? "");
const BATCHES = Number(args.get("--batches") ?? 100);
const SINGLES = Number(args.get("--singles") ?? 2_000);
const RECORDS_PER_BATCH = 1_000;
const VALUE_BYTES = 100;
const CONCURRENCY = 32;

const value = "x".repeat(VALUE_BYTES);
const jsonBody = JSON.stringify({
  valueFormat: "text",
  records: Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ key: `user-${i % 100}`, value })),
});
const encoder = new TextEncoder();
const records: LogRecord[] = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({
  key: encoder.encode(`user-${i % 100}`),
  value: encoder.encode(value),
  headers: [],
  timestamp: Date.now(),
}));
// A plain ArrayBuffer-backed copy: what `fetch` accepts as a body in every runtime's types.
const binaryBody = new Uint8Array(encodeBatch(records)).buffer;
const singleBody = JSON.stringify({ valueFormat: "text", records: [{ key: "user-1", value }] });

async function ok(response: Response): Promise<Response> {
  if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
  return response;
}

async function timed(run: () => Promise<number>): Promise<number> {
  const started = performance.now();
  const count = await run();
  return count / ((performance.now() - started) / 1000);
}

async function concurrently(total: number, request: () => Promise<unknown>): Promise<number> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      next++;
      await request();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return total;
}

const edgelog = await startLocalWorker();
const baseline = await startLocalWorker({
  config: "apps/worker/bench/baseline/wrangler.toml",
  readyPath: "/health",
});
try {
  const post = (url: string, body: BodyInit, type: string) =>
    fetch(url, { method: "POST", body, headers: { "content-type": type } }).then(ok);
  for (const name of ["bench-json", "bench-binary", "bench-single"]) {
    await post(`${edgelog.url}/v1/topics`, JSON.stringify({ name, partitions: 1 }), "application/json");
  }
  const results: [string, number, number, string][] = [];
  const compare = async (
    name: string,
    unit: string,
    ours: () => Promise<number>,
    base: () => Promise<number>,
  ) => {
    const baseRate = await timed(base);
    const ourRate = await timed(ours);
    results.push([name, ourRate, baseRate, unit]);
    console.log(
      `${name.padEnd(40)} edgelog ${Math.round(ourRate).toLocaleString("en-US").padStart(10)}  baseline ${Math.round(baseRate).toLocaleString("en-US").padStart(10)} ${unit}  ratio ${(ourRate / baseRate).toFixed(2)}×`,
    );
  };

  await compare(
    "produce, JSON batches of 1,000",
    "records/s",
    async () => {
      for (let b = 0; b < BATCHES; b++)
        await post(`${edgelog.url}/v1/topics/bench-json/records`, jsonBody, "application/json");
      return BATCHES * RECORDS_PER_BATCH;
    },
    async () => {
      for (let b = 0; b < BATCHES; b++) await post(`${baseline.url}/append`, jsonBody, "application/json");
      return BATCHES * RECORDS_PER_BATCH;
    },
  );

  await compare(
    "produce, binary batches of 1,000",
    "records/s",
    async () => {
      for (let b = 0; b < BATCHES; b++) {
        await post(
          `${edgelog.url}/v1/topics/bench-binary/partitions/0/batches`,
          binaryBody,
          "application/vnd.edgelog.batch",
        );
      }
      return BATCHES * RECORDS_PER_BATCH;
    },
    async () => {
      for (let b = 0; b < BATCHES; b++)
        await post(`${baseline.url}/append`, binaryBody, "application/octet-stream");
      return BATCHES * RECORDS_PER_BATCH;
    },
  );

  await compare(
    "catch-up read, JSON (limit 1,000)",
    "records/s",
    async () => {
      let offset = 0;
      let count = 0;
      while (count < BATCHES * RECORDS_PER_BATCH) {
        const response = await fetch(
          `${edgelog.url}/v1/topics/bench-json/partitions/0/records?offset=${offset}&limit=1000&valueFormat=text`,
        ).then(ok);
        const body = (await response.json()) as { records: unknown[]; nextOffset: number };
        count += body.records.length;
        offset = body.nextOffset;
      }
      return count;
    },
    async () => {
      for (let id = 1; id <= BATCHES; id++) {
        const response = await fetch(`${baseline.url}/read?id=${id}`).then(ok);
        JSON.parse(await response.text());
      }
      return BATCHES * RECORDS_PER_BATCH;
    },
  );

  await compare(
    "catch-up read, binary (1 MiB fetches)",
    "records/s",
    async () => {
      let offset = 0;
      while (offset < BATCHES * RECORDS_PER_BATCH) {
        const response = await fetch(
          `${edgelog.url}/v1/topics/bench-binary/partitions/0/batches?offset=${offset}&maxBytes=1048576`,
        ).then(ok);
        const bytes = new DataView(await response.arrayBuffer());
        for (let at = 0; at < bytes.byteLength; ) {
          const base = bytes.getUint32(at, true) + bytes.getUint32(at + 4, true) * 2 ** 32;
          const length = bytes.getUint32(at + 8, true);
          at += 12 + length;
          offset = base + RECORDS_PER_BATCH;
        }
      }
      return offset;
    },
    async () => {
      for (let id = BATCHES + 1; id <= 2 * BATCHES; id++)
        await (await fetch(`${baseline.url}/read?id=${id}`).then(ok)).arrayBuffer();
      return BATCHES * RECORDS_PER_BATCH;
    },
  );

  await compare(
    `single-record POSTs, ${CONCURRENCY} concurrent`,
    "requests/s",
    () =>
      concurrently(SINGLES, () =>
        post(`${edgelog.url}/v1/topics/bench-single/records`, singleBody, "application/json"),
      ),
    () => concurrently(SINGLES, () => post(`${baseline.url}/append`, singleBody, "application/json")),
  );

  console.log(
    JSON.stringify({
      results: results.map(([name, ours, base, unit]) => ({ name, ours, base, unit, ratio: ours / base })),
    }),
  );
} finally {
  await Promise.all([edgelog.stop(), baseline.stop()]);
}
