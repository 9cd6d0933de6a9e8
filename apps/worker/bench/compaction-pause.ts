/**
 * @module
 * How long appends wait behind compaction, through the local Worker (`wrangler dev`): a partition is filled with
 * batches of 16 keys that each supersede the last (about 3 MiB), then made compacted, so its PartitionObject runs a
 * pass from its alarm, one slice of at most 256 KiB of batches per alarm; meanwhile single-record appends go to the
 * same partition one after another. Prints their latency (median, p99, worst) beside the same appends with no pass
 * running, and how long the pass took. Run:
 *
 *   node --conditions=@edgelog/source apps/worker/bench/compaction-pause.ts [--port P]
 *
 * (`--port` serves on P with wrangler's inspector on P+1; default: a free port.)
 */
import { parseArgs } from "node:util";
import { encodeBatch } from "../../../packages/core/src/index.ts";
import { startLocalWorker } from "../../../test/support/local-worker.ts";

const KEYS = 16;
const VALUE_BYTES = 1024;
const BATCHES = 200;
const SAMPLES = 200;

const { values } = parseArgs({ options: { port: { type: "string" } } });
const worker = await startLocalWorker(values.port === undefined ? {} : { port: Number(values.port) });
const encoder = new TextEncoder();

async function call(
  method: string,
  path: string,
  body?: unknown,
  type = "application/json",
): Promise<Response> {
  const response = await fetch(`${worker.url}${path}`, {
    method,
    headers: { "Content-Type": type },
    ...(body === undefined
      ? {}
      : { body: body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response;
}

/** Latencies of `SAMPLES` sequential one-record appends, in ms, sorted. */
async function appendLatencies(topic: string, round: string): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const started = performance.now();
    await call("POST", `/v1/topics/${topic}/records`, { records: [{ key: `probe-${i % 4}`, value: round }] });
    samples.push(performance.now() - started);
  }
  return samples.sort((a, b) => a - b);
}

const describe = (samples: number[]): string => {
  const at = (q: number) =>
    (samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] as number).toFixed(1);
  return `median ${at(0.5)} ms, p99 ${at(0.99)} ms, worst ${at(1)} ms`;
};

try {
  const topic = `compaction-pause-${Date.now()}`;
  await call("POST", "/v1/topics", { name: topic });
  for (let round = 0; round < BATCHES; round++) {
    const records = Array.from({ length: KEYS }, (_, k) => ({
      key: encoder.encode(`key-${k}`),
      value: encoder.encode(`${round}:`.padEnd(VALUE_BYTES, "x")),
      headers: [],
      timestamp: Date.now(),
    }));
    await call(
      "POST",
      `/v1/topics/${topic}/partitions/0/batches`,
      encodeBatch(records),
      "application/vnd.edgelog.batch",
    );
  }
  const idle = await appendLatencies(topic, "idle");
  const started = performance.now();
  await call("PATCH", `/v1/topics/${topic}`, { config: { "cleanup.policy": "compact" } });
  const during = await appendLatencies(topic, "during");
  // The pass is over once the first records of the fill are gone (the fill's keys keep only their last values).
  for (;;) {
    const page = (await (
      await call("GET", `/v1/topics/${topic}/partitions/0/records?offset=0&limit=1`)
    ).json()) as {
      records: { offset: number }[];
    };
    if ((page.records[0]?.offset ?? 0) >= (BATCHES - 1) * KEYS) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const passMs = performance.now() - started;
  console.log(`fill: ${BATCHES} batches of ${KEYS} records of ${VALUE_BYTES} B (${KEYS * BATCHES} records)`);
  console.log(`appends, no pass running:      ${describe(idle)}`);
  console.log(`appends while a pass runs:     ${describe(during)}`);
  console.log(`pass (from the PATCH to done): ${passMs.toFixed(0)} ms`);
} finally {
  await worker.stop();
}
