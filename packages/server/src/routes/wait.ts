/**
 * @module
 * `POST /v1/wait` (extension): one long-poll for many partitions. A client reading many partitions at their end
 * (a consumer group member owning several) would otherwise park one long-poll request per partition — and a
 * browser keeps only six HTTP/1.1 connections per origin, a Worker six at once. Here it parks one request for
 * all of them, learns which partitions are ready to read, and reads those. `?region=` waits on the reader's
 * region's replicas, as the fetches that follow read there.
 */
import { isEdgeLogError, type LogStore, type ReadPreference, type TopicPartition } from "@edgelog/core";
import type { Hono } from "hono";
import { requireRight } from "../auth/middleware.ts";
import { waitWithinSession } from "../auth/session.ts";
import type { AppEnv } from "../context.ts";
import { invalidRequest } from "../errors.ts";
import { limitBody, MAX_WAIT_MS } from "../limits.ts";
import { isPlainObject, readJsonObject } from "../params.ts";
import { readPreference } from "../read-region.ts";
import { route } from "../route.ts";

/** How many partitions one wait may name. */
export const MAX_WAIT_PARTITIONS = 1_000;

interface WaitFor extends TopicPartition {
  readonly offset: number;
}

export function waitRoutes(app: Hono<AppEnv>): void {
  route(app, "/v1/wait", {
    post: [
      limitBody(),
      async (c) => {
        const near = readPreference(c);
        const body = await readJsonObject(c);
        const partitions = distinctPartitions(parsePartitions(body.partitions));
        for (const { topic } of partitions) requireRight(c, "consume", topic);
        const { wait } = body;
        if (wait !== undefined && (typeof wait !== "number" || !Number.isSafeInteger(wait) || wait < 0)) {
          throw invalidRequest("`wait` must be a non-negative integer of ms");
        }
        const waitMs = waitWithinSession(c, Math.min(MAX_WAIT_MS, wait ?? 0));
        const ready = await firstReady(c.var.store, partitions, waitMs, c.req.raw.signal, near);
        return c.json({ ready: ready.map(({ topic, partition }) => ({ topic, partition })) });
      },
    ],
  });
}

function parsePartitions(input: unknown): WaitFor[] {
  if (!Array.isArray(input) || input.length === 0 || input.length > MAX_WAIT_PARTITIONS) {
    throw invalidRequest(
      `\`partitions\` must be an array of 1..${MAX_WAIT_PARTITIONS} { topic, partition, offset }`,
    );
  }
  return input.map((entry: unknown) => {
    if (
      !isPlainObject(entry) ||
      typeof entry.topic !== "string" ||
      !Number.isSafeInteger(entry.partition) ||
      !Number.isSafeInteger(entry.offset) ||
      (entry.offset as number) < 0
    ) {
      throw invalidRequest("each partition needs `topic`, `partition` and a non-negative `offset`");
    }
    return { topic: entry.topic, partition: entry.partition as number, offset: entry.offset as number };
  });
}

/** A partition to wait on, once however often the request named it. */
interface DistinctWait extends WaitFor {
  /** Named at more than one offset: at most one of them is its end, so a read at another answers now. */
  readonly mixed: boolean;
}

/**
 * One entry per partition, in the order first named, at the lowest offset it was named with: the store is then
 * asked once per partition, not once per copy.
 */
function distinctPartitions(partitions: readonly WaitFor[]): DistinctWait[] {
  const byPartition = new Map<string, DistinctWait>();
  for (const p of partitions) {
    const key = `${p.partition}\u0000${p.topic}`;
    const seen = byPartition.get(key);
    if (seen === undefined) byPartition.set(key, { ...p, mixed: false });
    else if (p.offset !== seen.offset)
      byPartition.set(key, { ...seen, offset: Math.min(seen.offset, p.offset), mixed: true });
  }
  return [...byPartition.values()];
}

/**
 * The partitions a read at their offset would answer now: with records, or with an error (unknown topic, offset
 * out of range) that the client's read should surface. When none is, waits up to `waitMs` for the first to be;
 * an empty list means the wait ran out.
 */
async function firstReady(
  store: LogStore,
  partitions: readonly DistinctWait[],
  waitMs: number,
  signal: AbortSignal,
  near: ReadPreference,
): Promise<WaitFor[]> {
  const bounds = await Promise.all(
    partitions.map((p) =>
      (near.region === undefined ? store.offsets(p) : store.offsets(p, near)).catch((error: unknown) => {
        if (answersRead(error)) return "ready" as const;
        throw error;
      }),
    ),
  );
  const ready = partitions.filter((p, i) => {
    const b = bounds[i];
    return b === "ready" || b === undefined || p.mixed || p.offset !== b.highWatermark;
  });
  if (ready.length > 0 || waitMs === 0) return ready;
  const stop = new AbortController();
  const abort = () => stop.abort(new Error("wait ended"));
  signal.addEventListener("abort", abort, { once: true });
  try {
    const woken: WaitFor[] = [];
    await new Promise<void>((resolve) => {
      let open = partitions.length;
      for (const p of partitions) {
        store
          .read(p, { offset: p.offset, maxBytes: 1, maxWaitMs: waitMs, signal: stop.signal, ...near })
          .then(
            (result) => {
              if (result.batches.length > 0 || result.highWatermark !== p.offset) woken.push(p);
            },
            (error: unknown) => {
              // A retriable failure wakes no one: the wait just ends with the others, or empty.
              if (!stop.signal.aborted && answersRead(error)) woken.push(p);
            },
          )
          .finally(() => {
            if (woken.length > 0 || --open === 0) resolve();
          });
      }
    });
    return woken;
  } finally {
    abort();
    signal.removeEventListener("abort", abort);
  }
}

/** A final error (unknown topic, offset out of range) is what the client's read must see: read now. */
function answersRead(error: unknown): boolean {
  return isEdgeLogError(error) && !error.retriable;
}
