/**
 * One repetition of produce→consume latency with a live consumer: a consumer waits on the log (long-poll, or an
 * SSE stream), a producer sends one 100-byte record at a time, and each sample is the time from just before the
 * produce request until the consumer holds the record (both ends in this process, one clock). Measured for
 * edgelog's fetch `wait` and SSE tail, and for the Durable Streams reference server's `live=long-poll` and
 * `live=sse` (in memory) as a peer. Records p50 and p99 under `edge.latency.<mode>.<p50|p99>.<target>` in ms.
 */
import type { Sink } from "./http-throughput.ts";
import type { Peers } from "./peers.ts";

export interface LatencyPlan {
  readonly samples: number;
  /** Pause between samples, so each produce meets a consumer already waiting. */
  readonly gapMs: number;
  readonly warmup: number;
}

/** A consumer that calls `onIndex` with each sample index it receives until stopped. */
interface Consumer {
  stop(): void;
  readonly done: Promise<void>;
}

type StartConsumer = (onIndex: (index: number) => void, signal: AbortSignal) => Promise<Consumer>;

const VALUE_BYTES = 100;
const valueFor = (index: number): string => `sample:${index}:`.padEnd(VALUE_BYTES, "x");
const indexOf = (value: unknown): number => Number(String(value).split(":")[1]);

async function ok(response: Response): Promise<Response> {
  if (!response.ok) throw new Error(`${response.url}: ${response.status} ${await response.text()}`);
  return response;
}

/** Splits an SSE body into `{ event, data }` messages as they arrive. */
async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<{ event: string; data: string }> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length > 0) yield { event, data: data.join("\n") };
    }
  }
}

function loop(run: () => Promise<void>, controller: AbortController): Consumer {
  const done = run().catch((error: unknown) => {
    if (!controller.signal.aborted) throw error;
  });
  return { stop: () => controller.abort(), done };
}

function edgelogLongPoll(url: string, topic: string): StartConsumer {
  return async (onIndex, signal) => {
    const controller = new AbortController();
    signal.addEventListener("abort", () => controller.abort());
    return loop(async () => {
      let offset = 0;
      while (!controller.signal.aborted) {
        const response = await fetch(
          `${url}/v1/topics/${topic}/partitions/0/records?offset=${offset}&wait=30000&valueFormat=text`,
          { signal: controller.signal },
        ).then(ok);
        const body = (await response.json()) as { records: { value: unknown }[]; nextOffset: number };
        for (const r of body.records) onIndex(indexOf(r.value));
        offset = body.nextOffset;
      }
    }, controller);
  };
}

function edgelogSse(url: string, topic: string): StartConsumer {
  return async (onIndex, signal) => {
    const controller = new AbortController();
    signal.addEventListener("abort", () => controller.abort());
    const response = await fetch(`${url}/v1/topics/${topic}/partitions/0/records?offset=0&valueFormat=text`, {
      headers: { accept: "text/event-stream" },
      signal: controller.signal,
    }).then(ok);
    return loop(async () => {
      for await (const message of sseEvents(response.body as ReadableStream<Uint8Array>)) {
        if (message.event !== "records") continue;
        for (const r of (JSON.parse(message.data) as { records: { value: unknown }[] }).records)
          onIndex(indexOf(r.value));
      }
    }, controller);
  };
}

function durableStreamsLongPoll(stream: string): StartConsumer {
  return async (onIndex, signal) => {
    const controller = new AbortController();
    signal.addEventListener("abort", () => controller.abort());
    const head = await fetch(`${stream}?offset=now`).then(ok);
    await head.arrayBuffer();
    let offset = head.headers.get("stream-next-offset") ?? "-1";
    return loop(async () => {
      while (!controller.signal.aborted) {
        const response = await fetch(`${stream}?offset=${offset}&live=long-poll`, {
          signal: controller.signal,
        }).then(ok);
        offset = response.headers.get("stream-next-offset") ?? offset;
        if (response.status === 204) continue;
        for (const m of (await response.json()) as { value: unknown }[]) onIndex(indexOf(m.value));
      }
    }, controller);
  };
}

function durableStreamsSse(stream: string): StartConsumer {
  return async (onIndex, signal) => {
    const controller = new AbortController();
    signal.addEventListener("abort", () => controller.abort());
    const response = await fetch(`${stream}?offset=now&live=sse`, { signal: controller.signal }).then(ok);
    return loop(async () => {
      for await (const message of sseEvents(response.body as ReadableStream<Uint8Array>)) {
        if (message.event !== "data") continue;
        const parsed = JSON.parse(message.data) as { value: unknown } | { value: unknown }[];
        for (const m of Array.isArray(parsed) ? parsed : [parsed]) onIndex(indexOf(m.value));
      }
    }, controller);
  };
}

/** Sends samples one at a time and returns each one's produce→consume time in ms. */
async function sample(plan: LatencyPlan, produce: (value: string) => Promise<void>, start: StartConsumer) {
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  let waiting: { index: number; resolve: () => void } | null = null;
  const abort = new AbortController();
  const consumer = await start((index) => {
    const sent = sentAt.get(index);
    if (sent !== undefined && index >= plan.warmup) latencies.push(performance.now() - sent);
    if (waiting?.index === index) waiting.resolve();
  }, abort.signal);
  const failed = consumer.done.then(() => {
    throw new Error("the consumer ended early");
  });
  try {
    for (let index = 0; index < plan.warmup + plan.samples; index++) {
      const received = new Promise<void>((resolve) => {
        waiting = { index, resolve };
      });
      sentAt.set(index, performance.now());
      await produce(valueFor(index));
      await Promise.race([
        received,
        failed,
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error(`sample ${index} not received in 10 s`)), 10_000),
        ),
      ]);
      await new Promise((r) => setTimeout(r, plan.gapMs));
    }
  } finally {
    consumer.stop();
    abort.abort();
    failed.catch(() => {});
  }
  return latencies;
}

export async function latencyRepetition(
  peers: Peers,
  plan: LatencyPlan,
  rep: number,
  sink: Sink,
  percentile: (values: readonly number[], p: number) => number,
): Promise<void> {
  const post = async (url: string, body: string) => {
    const response = await fetch(url, {
      method: "POST",
      body,
      headers: { "content-type": "application/json" },
    });
    await ok(response);
    await response.arrayBuffer();
  };
  const cases: {
    mode: string;
    target: string;
    produce: (value: string) => Promise<void>;
    start: StartConsumer;
  }[] = [];
  for (const mode of ["longpoll", "sse"] as const) {
    const topic = `bench-latency-${mode}-r${rep}`;
    await post(`${peers.edgelog.url}/v1/topics`, JSON.stringify({ name: topic, partitions: 1 }));
    cases.push({
      mode,
      target: "edgelog",
      produce: (value) =>
        post(
          `${peers.edgelog.url}/v1/topics/${topic}/records`,
          JSON.stringify({ valueFormat: "text", records: [{ key: "k", value }] }),
        ),
      start:
        mode === "longpoll"
          ? edgelogLongPoll(peers.edgelog.url, topic)
          : edgelogSse(peers.edgelog.url, topic),
    });
    const stream = `${peers.dsMemory.url}/bench/latency-${mode}-r${rep}`;
    await fetch(stream, { method: "PUT", headers: { "content-type": "application/json" } }).then(ok);
    cases.push({
      mode,
      target: "ds-memory",
      produce: (value) => post(stream, JSON.stringify([{ key: "k", value }])),
      start: mode === "longpoll" ? durableStreamsLongPoll(stream) : durableStreamsSse(stream),
    });
  }
  for (const c of cases) {
    const latencies = await sample(plan, c.produce, c.start);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    sink.record(`edge.latency.${c.mode}.p50.${c.target}`, p50);
    sink.record(`edge.latency.${c.mode}.p99.${c.target}`, p99);
    sink.progress(
      `edge.latency.${c.mode}.${c.target}: p50 ${p50.toFixed(1)} ms · p99 ${p99.toFixed(1)} ms (${latencies.length} samples)`,
    );
  }
}
